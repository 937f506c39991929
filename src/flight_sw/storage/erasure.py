"""Erasure code across the blocks of a stripe: k data blocks protected by m parity blocks.

A systematic maximum-distance-separable code over GF(2^8) (Rizzo's Vandermonde construction,
"Effective erasure codes for reliable computer communication protocols", 1997) computed by
zfec: any ``data_count`` of the ``data_count + m`` blocks of a stripe rebuild the data, so up
to m blocks that EDAC could not correct (or whose CRC failed) are erasures the code fills in.
It is the block-level layer above the SECDED word EDAC, like the RAID-style block parity of
flight mass memories.

A short final stripe of ``d < k`` data blocks is the *shortened* code: the missing ``k - d``
data blocks are taken as known all-zero blocks, so they are never stored and never lost, and
the same ``m`` parity blocks still correct up to ``m`` erasures among the ``d + m`` stored ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import zfec

from flight_sw.storage.api import StorageError

MAX_TOTAL_BLOCKS = 256
"""Largest k + m of a code over GF(2^8)."""


class ErasureArgumentError(StorageError, ValueError):
    """A stripe or a code parameter is malformed (wrong block count or unequal lengths)."""


class TooManyErasuresError(StorageError):
    """More blocks of a stripe are missing than it has parity blocks: the data is lost."""


class StripeCoder:
    """Encoder and decoder of stripes of ``data_blocks`` + ``parity_blocks`` equal blocks."""

    def __init__(self, data_blocks: int = 8, parity_blocks: int = 2) -> None:
        if not isinstance(data_blocks, int) or not isinstance(parity_blocks, int):
            raise ErasureArgumentError("data_blocks and parity_blocks must be integers")
        if data_blocks < 1 or parity_blocks < 1 or data_blocks + parity_blocks > MAX_TOTAL_BLOCKS:
            raise ErasureArgumentError(
                f"need 1 <= data_blocks, 1 <= parity_blocks and a total <= {MAX_TOTAL_BLOCKS}; "
                f"got {data_blocks} + {parity_blocks}")
        self.data_blocks = data_blocks
        self.parity_blocks = parity_blocks

    def __repr__(self) -> str:
        return f"StripeCoder({self.data_blocks}, {self.parity_blocks})"

    @cached_property
    def _parity_numbers(self) -> tuple[int, ...]:
        return tuple(range(self.data_blocks, self.data_blocks + self.parity_blocks))

    @cached_property
    def _encoder(self) -> zfec.Encoder:
        return zfec.Encoder(self.data_blocks, self.data_blocks + self.parity_blocks)

    @cached_property
    def _decoder(self) -> zfec.Decoder:
        return zfec.Decoder(self.data_blocks, self.data_blocks + self.parity_blocks)

    def _check_count(self, data_count: int) -> None:
        if not isinstance(data_count, int) or not 1 <= data_count <= self.data_blocks:
            raise ErasureArgumentError(
                f"a stripe holds 1..{self.data_blocks} data blocks, not {data_count!r}")

    @staticmethod
    def _block_length(blocks: Sequence[bytes | None]) -> int:
        """The common length of the present blocks (each must be bytes-like)."""
        lengths = set()
        for block in blocks:
            if block is None:
                continue
            try:
                lengths.add(memoryview(block).nbytes)
            except TypeError as exc:
                raise ErasureArgumentError(
                    f"a block must be bytes-like or None, not {type(block).__name__}") from exc
        if len(lengths) > 1:
            raise ErasureArgumentError(f"all blocks of a stripe must have one length, got "
                                       f"{sorted(lengths)}")
        return lengths.pop() if lengths else 0

    def encode(self, data: Sequence[bytes]) -> list[bytes]:
        """The ``parity_blocks`` parity blocks of a stripe of 1..``data_blocks`` data blocks."""
        self._check_count(len(data))
        if any(block is None for block in data):
            raise ErasureArgumentError("every data block must be given to encode")
        length = self._block_length(data)
        if length == 0:
            return [b""] * self.parity_blocks
        padded = tuple(data) + (bytes(length),) * (self.data_blocks - len(data))
        return [bytes(block) for block in self._encoder.encode(padded, self._parity_numbers)]

    def reconstruct(self, blocks: Sequence[bytes | None], data_count: int) -> list[bytes]:
        """The ``data_count`` data blocks of a stripe given as its data blocks then its parity
        blocks, ``None`` for each block lost (or failing its CRC).

        Raises :class:`TooManyErasuresError` when more than ``parity_blocks`` are missing.
        """
        self._check_count(data_count)
        if len(blocks) != data_count + self.parity_blocks:
            raise ErasureArgumentError(
                f"a stripe of {data_count} data blocks has {data_count + self.parity_blocks} "
                f"blocks, {len(blocks)} were given")
        length = self._block_length(blocks)
        missing = [index for index, block in enumerate(blocks) if block is None]
        if len(missing) > self.parity_blocks:
            raise TooManyErasuresError(
                f"{len(missing)} of {len(blocks)} blocks are missing, the code rebuilds at most "
                f"{self.parity_blocks}")
        data = list(blocks[:data_count])
        if not any(block is None for block in data):
            return [bytes(block) for block in data if block is not None]
        if length == 0:
            return [b""] * data_count
        return self._decode(blocks, data_count, length)

    def _decode(self, blocks: Sequence[bytes | None], data_count: int,
                length: int) -> list[bytes]:
        """Rebuild the missing data blocks from any ``data_blocks`` known blocks (the zero
        padding of a shortened stripe counts as known)."""
        numbered: list[tuple[int, bytes]] = [
            (number, block) for number, block in enumerate(blocks[:data_count])
            if block is not None]
        zero = bytes(length)
        numbered += [(number, zero) for number in range(data_count, self.data_blocks)]
        numbered += [(self.data_blocks + index, block)
                     for index, block in enumerate(blocks[data_count:]) if block is not None]
        chosen = numbered[: self.data_blocks]
        decoded = self._decoder.decode(tuple(block for _, block in chosen),
                                       tuple(number for number, _ in chosen))
        return [bytes(block) for block in decoded[:data_count]]
