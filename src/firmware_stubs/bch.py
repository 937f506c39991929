"""BCH(63,56) codeblocks of the TC synchronization and channel coding, CCSDS 231.0-B-4 sec. 3.

A codeblock is 7 information octets followed by one octet holding the 7 parity bits, inverted,
and a filler bit 0 (3.2). Decoding is in single-error-correction mode (3.3). The C kernel runs
with the GIL released (cffi releases it around every call), so large buffers do not block
other Python threads.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_stubs._buffers import Buffer, as_uint8
from firmware_stubs._loader import load_kernel
from firmware_stubs._output import output_buffer
from firmware_stubs.errors import KernelArgumentError

INFO_LENGTH = 7
CODEBLOCK_LENGTH = 8

_ffi, _lib = load_kernel("bch")
_lib.fw_bch_init()


@dataclass(frozen=True)
class BchDecodeResult:
    """Outcome of :func:`decode`."""

    data: bytes
    """Information octets of the decoded blocks, in order."""
    blocks: int
    """Codeblocks decoded (consumed)."""
    corrected: int
    """Of those, blocks in which a single bit error was corrected."""
    stopped: bool
    """True when decoding stopped at an uncorrectable block (which is not consumed)."""


def encode(info: Buffer) -> bytes:
    """Concatenated 8-octet codeblocks of ``info``, whose length must be a multiple of 7.

    CCSDS 231.0-B-4 3.2 (the CLTU layer adds fill octets before calling this, 3.3.4).
    """
    view = as_uint8(info)
    if len(view) % INFO_LENGTH:
        raise KernelArgumentError(
            f"BCH information length {len(view)} is not a multiple of {INFO_LENGTH} octets"
        )
    nblocks = len(view) // INFO_LENGTH
    out = output_buffer(_ffi, nblocks * CODEBLOCK_LENGTH)
    _lib.fw_bch_encode(_ffi.from_buffer("uint8_t[]", view), nblocks, out)
    encoded: bytes = _ffi.buffer(out, nblocks * CODEBLOCK_LENGTH)[:]
    return encoded


def decode(codeblocks: Buffer, max_blocks: int = -1) -> BchDecodeResult:
    """Decode consecutive codeblocks from offset 0 (CCSDS 231.0-B-4 3.3, SEC mode).

    Stops at the first uncorrectable block, after ``max_blocks`` blocks (-1: no limit), or
    when fewer than 8 octets remain; a partial or uncorrectable block is not consumed. The
    filler bit is ignored.
    """
    if max_blocks < -1:
        raise KernelArgumentError(f"max_blocks must be -1 (no limit) or >= 0, not {max_blocks}")
    view = as_uint8(codeblocks)
    nblocks = len(view) // CODEBLOCK_LENGTH
    if max_blocks != -1:
        nblocks = min(nblocks, max_blocks)
    out = output_buffer(_ffi, nblocks * INFO_LENGTH)
    corrected = _ffi.new("size_t *")
    stopped = _ffi.new("int *")
    done: int = _lib.fw_bch_decode(
        _ffi.from_buffer("uint8_t[]", view), nblocks, out, corrected, stopped
    )
    return BchDecodeResult(
        data=_ffi.buffer(out, done * INFO_LENGTH)[:],
        blocks=done,
        corrected=int(corrected[0]),
        stopped=bool(stopped[0]),
    )
