"""Block I/O on the EDAC medium: an entry's blocks read and written in contiguous runs (one
EDAC call per run), each block checked against its CRC-32C (docs/storage.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from firmware_stubs.crc32c import crc32c
from flight_sw.storage.layout import Layout
from flight_sw.storage.medium import Medium
from flight_sw.storage.stripes import runs


@dataclass
class Tally:
    """EDAC outcome of some reads."""

    corrected_words: int = 0
    uncorrectable_words: int = 0
    repaired_blocks: int = 0


@dataclass
class BlockRead:
    """Blocks read for a contiguous span of block-list positions."""

    first: int
    """Block-list position of the first block."""
    image: bytearray
    bad: set[int] = field(default_factory=set)
    """Positions whose block failed its CRC-32C."""
    damaged: set[int] = field(default_factory=set)
    """Positions whose block holds words EDAC found uncorrectable (CRC-32C aside: a double
    error in check bits leaves the data, and so the CRC, intact)."""
    words: tuple[int, ...] = ()
    """Logical indices of those uncorrectable words."""

    def block(self, position: int, size: int) -> bytes:
        at = (position - self.first) * size
        return bytes(self.image[at:at + size])


class BlockIO:
    """Reads and writes blocks of the data area."""

    def __init__(self, medium: Medium, layout: Layout) -> None:
        self.medium = medium
        self.layout = layout
        self.size = layout.geometry.block_size

    def write(self, blocks: NDArray[np.uint32], image: bytes | bytearray | memoryview,
              *, flush: bool = True) -> None:
        """Write ``image`` (one block per entry of ``blocks``) in runs; flush if asked."""
        view = memoryview(image)
        for position, block, count in runs(blocks):
            offset = self.layout.block_offset(block)
            self.medium.write(offset, view[position * self.size:(position + count) * self.size])
        if flush and len(blocks):
            low = self.layout.block_offset(int(blocks.min()))
            self.medium.flush(low, self.layout.block_offset(int(blocks.max()) + 1) - low)

    def read(self, blocks: NDArray[np.uint32], crcs: NDArray[np.uint32], first: int, stop: int,
             *, check: Sequence[int] | None, tally: Tally) -> BlockRead:
        """Blocks at positions ``first..stop-1``; the CRC-32C of positions in ``check``
        (all when None) is verified."""
        size = self.size
        image = bytearray((stop - first) * size)
        damaged: set[int] = set()
        words: list[int] = []
        for position, block, count in runs(blocks[first:stop]):
            offset = self.layout.block_offset(block)
            result = self.medium.read(offset, count * size)
            tally.corrected_words += result.corrected
            tally.uncorrectable_words += len(result.uncorrectable_words)
            image[position * size:(position + count) * size] = result.data
            words.extend(result.uncorrectable_words)
            damaged.update(first + position + (word * 8 - offset) // size
                           for word in result.uncorrectable_words)
        view = memoryview(image)
        positions = range(first, stop) if check is None else check
        bad = {position for position in positions
               if crc32c(view[(position - first) * size:(position - first + 1) * size])
               != int(crcs[position])}
        return BlockRead(first, image, bad, damaged, tuple(words))

    def rewrite(self, block: int, octets: bytes, crc: int) -> bool:
        """Write one block durably and read it back; whether it now holds ``octets`` (False:
        the cells do not keep what is written, e.g. stuck bits)."""
        offset = self.layout.block_offset(block)
        self.medium.write(offset, octets)
        self.medium.flush(offset, self.size)
        back = self.medium.read(offset, self.size)
        return not back.uncorrectable_words and crc32c(back.data) == crc
