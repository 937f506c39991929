"""Reed-Solomon RS(255,223) E=16 and RS(255,239) E=8 of CCSDS 131.0-B-5 section 4.

Field polynomial x^8+x^7+x^2+x+1, generator roots alpha^(11j) for j = 128-E .. 127+E (4.3.2),
interleave depth I in {1, 2, 3, 4, 5, 8} with symbol j of codeword i at octet j*I+i (4.3.5),
and the Berlekamp dual-basis representation (4.3.8, Annex F), on by default. A codeblock is
the k*I message octets followed by the 2E*I interleaved check octets, k = 255 - 2E.

Pass many codeblocks per call: the C kernel runs with the GIL released (cffi releases it
around every call), so large buffers cost one call and do not block other Python threads.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass

from firmware_stubs._buffers import Buffer, as_uint8
from firmware_stubs._loader import load_kernel
from firmware_stubs._output import output_buffer
from firmware_stubs.errors import KernelArgumentError

N = 255
CHECK_SYMBOLS = (32, 16)
INTERLEAVE_DEPTHS = (1, 2, 3, 4, 5, 8)

_ffi, _lib = load_kernel("rs")
_lib.fw_rs_init()


@dataclass(frozen=True)
class RsDecodeResult:
    """Outcome of :func:`decode`."""

    data: bytes
    """Message parts (k*I per codeblock), corrected where possible, as received elsewhere."""
    corrected_symbols: int
    """Total symbols corrected."""
    uncorrectable_codewords: int
    """Total codewords that could not be corrected."""
    corrected_per_block: tuple[int, ...]
    """Symbols corrected in each codeblock."""
    failed_blocks: tuple[int, ...]
    """Indices of the codeblocks with any uncorrectable codeword."""

    @property
    def ok(self) -> bool:
        """True when every codeword was clean or corrected."""
        return self.uncorrectable_codewords == 0


def _validate(check_symbols: int, interleave: int) -> int:
    """The message length k for valid code parameters (CCSDS 131.0-B-5 4.2.2, 4.2.3)."""
    if check_symbols not in CHECK_SYMBOLS:
        raise KernelArgumentError(
            f"check_symbols must be 32 (E=16) or 16 (E=8), not {check_symbols!r}"
        )
    if interleave not in INTERLEAVE_DEPTHS:
        raise KernelArgumentError(
            f"interleave depth must be one of {INTERLEAVE_DEPTHS}, not {interleave!r}"
        )
    return N - check_symbols


def _blocks(view: memoryview, unit: int, what: str) -> int:
    """How many ``unit``-octet units ``view`` holds; its length must be a multiple."""
    if len(view) % unit:
        raise KernelArgumentError(f"{what} length {len(view)} is not a multiple of {unit}")
    return len(view) // unit


def _source(view: memoryview) -> object:
    return _ffi.from_buffer("uint8_t[]", view)


def active_path() -> str:
    """The encoder/check register path compiled in: ``"sse2"`` (x86-64) or ``"portable"``."""
    path: str = _ffi.string(_lib.fw_rs_path()).decode()
    return path


def generator(check_symbols: int = 32) -> bytes:
    """Coefficients of g(x), x^2E first, conventional basis (CCSDS 131.0-B-5 4.3.2.2)."""
    _validate(check_symbols, 1)
    out = _ffi.new("uint8_t[]", check_symbols + 1)
    _lib.fw_rs_generator(check_symbols, out)
    return bytes(_ffi.buffer(out))


def _translate(data: Buffer, to_dual: bool) -> bytes:
    out = bytearray(as_uint8(data))
    _lib.fw_rs_translate(_ffi.from_buffer("uint8_t[]", out), len(out), int(to_dual))
    return bytes(out)


def to_dual(data: Buffer) -> bytes:
    """Symbols translated from the conventional to the Berlekamp dual basis (Annex F)."""
    return _translate(data, True)


def to_conventional(data: Buffer) -> bytes:
    """Symbols translated from the Berlekamp dual basis to the conventional one (Annex F)."""
    return _translate(data, False)


def encode(messages: Buffer, *, check_symbols: int = 32, interleave: int = 1,
           dual_basis: bool = True) -> bytes:
    """Codeblocks of ``messages``: each k*I-octet chunk becomes a 255*I-octet codeblock."""
    k = _validate(check_symbols, interleave)
    view = as_uint8(messages)
    nblocks = _blocks(view, k * interleave, "RS message")
    length = nblocks * N * interleave
    out = output_buffer(_ffi, length)
    _lib.fw_rs_encode(_source(view), nblocks, check_symbols, interleave, int(dual_basis), out)
    encoded: bytes = _ffi.buffer(out, length)[:]
    return encoded


def check(codeblocks: Buffer, *, check_symbols: int = 32, interleave: int = 1,
          dual_basis: bool = True) -> int:
    """Number of codeblocks holding a codeword with errors (0: all clean); no correction."""
    _validate(check_symbols, interleave)
    view = as_uint8(codeblocks)
    nblocks = _blocks(view, N * interleave, "RS codeblock buffer")
    bad: int = _lib.fw_rs_check(_source(view), nblocks, check_symbols, interleave,
                                int(dual_basis))
    return bad


def _erasure_array(erasures: Sequence[int] | None, nblocks: int, block_len: int) -> list[int]:
    """Distinct erasure positions, checked against the single codeblock they apply to."""
    if erasures is None or len(erasures) == 0:
        return []
    if nblocks != 1:
        raise KernelArgumentError(
            f"erasures apply to a single codeblock, but the buffer holds {nblocks}"
        )
    try:
        positions = sorted({operator.index(position) for position in erasures})
    except TypeError as exc:
        raise KernelArgumentError(f"erasure positions must be integers ({exc})") from exc
    if positions[0] < 0 or positions[-1] >= block_len:
        raise KernelArgumentError(
            f"erasure positions must lie in 0..{block_len - 1}, got {positions[0]}.."
            f"{positions[-1]}"
        )
    return positions


def decode(codeblocks: Buffer, *, check_symbols: int = 32, interleave: int = 1,
           dual_basis: bool = True, erasures: Sequence[int] | None = None) -> RsDecodeResult:
    """Errors-and-erasures decoding of concatenated codeblocks (CCSDS 131.0-B-5 4.3).

    ``erasures`` are octet positions within the buffer's single codeblock. A codeword is
    corrected only when the result is verified to be a codeword; otherwise it is counted as
    uncorrectable and its message octets are returned as received.
    """
    k = _validate(check_symbols, interleave)
    view = as_uint8(codeblocks)
    block_len = N * interleave
    nblocks = _blocks(view, block_len, "RS codeblock buffer")
    positions = _erasure_array(erasures, nblocks, block_len)
    length = nblocks * k * interleave
    out = output_buffer(_ffi, length)
    corrected = _ffi.new("int32_t[]", nblocks)
    failed = _ffi.new("uint8_t[]", nblocks)
    uncorrectable: int = _lib.fw_rs_decode(
        _source(view), nblocks, check_symbols, interleave, int(dual_basis),
        _ffi.new("int32_t[]", positions), len(positions), out, corrected, failed,
    )
    per_block = tuple(corrected[0:nblocks])
    return RsDecodeResult(
        data=_ffi.buffer(out, length)[:],
        corrected_symbols=sum(per_block),
        uncorrectable_codewords=uncorrectable,
        corrected_per_block=per_block,
        failed_blocks=tuple(b for b in range(nblocks) if failed[b]),
    )
