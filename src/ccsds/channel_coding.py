"""TM channel coding: Reed-Solomon codeblocks, pseudo-randomizer and ASM, CCSDS 131.0-B-5.

A channel access data unit (CADU) is the 4-octet attached sync marker (section 9, ICD
1A CF FC 1D) followed by one codeblock. The codeblock is the transfer frame followed by the
Reed-Solomon check symbols of interleave depth I (section 4; E=16 or E=8, Berlekamp dual basis
by default), or the bare frame when the link has no RS code. The pseudo-randomizer (section
10) is then XORed over the whole codeblock, restarting for every codeblock, never over the ASM.

Both directions work on many units per call (numpy rows, one RS kernel call), which is how the
downlink reaches its throughput; single-unit methods are thin wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ccsds.config import TmLinkConfig
from ccsds.errors import LengthError, LocalProtocolError, UncorrectableError
from ccsds.randomizer import tm_sequence
from firmware_stubs import rs

ASM_LENGTH = 4
"""Octets of the attached sync marker (CCSDS 131.0-B-5 9.3.2)."""

Octets = bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True)
class DecodedCodeblock:
    """One codeblock after derandomization and RS decoding.

    ``frame`` holds the corrected transfer frame, or the frame octets as received when
    ``uncorrectable`` is set.
    """

    frame: bytes
    corrected_symbols: int
    uncorrectable: bool


class _Coding:
    """Code parameters shared by the encoder and the decoder."""

    def __init__(self, config: TmLinkConfig) -> None:
        self.frame_length = config.frame_length
        self.codeblock_length = config.codeblock_length
        self.cadu_length = ASM_LENGTH + self.codeblock_length
        self.asm = config.asm_bytes
        self.check_symbols = config.rs_check_symbols
        self.interleave = config.rs_interleave
        self.dual_basis = config.rs_dual_basis
        self.randomize = config.randomize
        self._sequence = np.frombuffer(tm_sequence(self.codeblock_length), dtype=np.uint8)

    def rows(self, data: Octets, width: int) -> npt.NDArray[np.uint8]:
        """``data`` as rows of ``width`` octets (a length error when it does not divide)."""
        if len(data) % width:
            raise LengthError(f"{len(data)} octets are not a whole number of {width}-octet units")
        return np.frombuffer(data, dtype=np.uint8).reshape(-1, width)

    def derandomized(self, codeblocks: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """Codeblock rows with the pseudo-randomizer removed (or applied: it is an XOR)."""
        if not self.randomize:
            return codeblocks
        return np.bitwise_xor(codeblocks, self._sequence)


class CaduEncoder:
    """Transfer frames in, CADUs (ASM + randomized codeblock) out."""

    def __init__(self, config: TmLinkConfig) -> None:
        self._coding = _Coding(config)

    @property
    def cadu_length(self) -> int:
        """Octets of one CADU."""
        return self._coding.cadu_length

    def encode(self, frame: Octets) -> bytes:
        """The CADU of one transfer frame."""
        return self.encode_frames(frame)

    def encode_frames(self, frames: Octets | Sequence[Octets]) -> bytes:
        """The CADUs of consecutive frames, given concatenated or as a sequence."""
        coding = self._coding
        joined = frames if isinstance(frames, bytes | bytearray | memoryview) else b"".join(frames)
        if not joined or len(joined) % coding.frame_length:
            raise LocalProtocolError(
                f"{len(joined)} octets are not a whole number of {coding.frame_length}-octet frames"
            )
        if coding.check_symbols:
            joined = rs.encode(
                joined,
                check_symbols=coding.check_symbols,
                interleave=coding.interleave,
                dual_basis=coding.dual_basis,
            )
        codeblocks = coding.rows(joined, coding.codeblock_length)
        out = np.empty((len(codeblocks), coding.cadu_length), dtype=np.uint8)
        out[:, :ASM_LENGTH] = np.frombuffer(coding.asm, dtype=np.uint8)
        out[:, ASM_LENGTH:] = coding.derandomized(codeblocks)
        return out.tobytes()


class CodeblockDecoder:
    """Codeblocks (without ASM) in, derandomized and RS-corrected transfer frames out."""

    def __init__(self, config: TmLinkConfig) -> None:
        self._coding = _Coding(config)

    @property
    def codeblock_length(self) -> int:
        """Octets of one codeblock."""
        return self._coding.codeblock_length

    def decode(self, codeblock: Octets) -> DecodedCodeblock:
        """Decode one codeblock; raises :class:`UncorrectableError` beyond the code's power.

        Raises :class:`LengthError` when ``codeblock`` is not exactly one codeblock long.
        """
        if len(codeblock) != self._coding.codeblock_length:
            raise LengthError(
                f"codeblock of {len(codeblock)} octets, expected {self._coding.codeblock_length}"
            )
        (result,) = self.decode_codeblocks(codeblock)
        if result.uncorrectable:
            raise UncorrectableError("Reed-Solomon codeblock has more errors than E")
        return result

    def decode_codeblocks(self, codeblocks: Octets) -> list[DecodedCodeblock]:
        """Decode concatenated codeblocks, one result each (uncorrectable ones flagged)."""
        coding = self._coding
        plain = coding.derandomized(coding.rows(codeblocks, coding.codeblock_length))
        count = len(plain)
        if not coding.check_symbols:
            data = plain.tobytes()
            corrected: Sequence[int] = (0,) * count
            failed: Sequence[int] = ()
        else:
            result = rs.decode(
                plain,
                check_symbols=coding.check_symbols,
                interleave=coding.interleave,
                dual_basis=coding.dual_basis,
            )
            data, corrected, failed = (
                result.data,
                result.corrected_per_block,
                result.failed_blocks,
            )
        failed_set = set(failed)
        size = coding.frame_length
        return [
            DecodedCodeblock(data[i * size : (i + 1) * size], corrected[i], i in failed_set)
            for i in range(count)
        ]
