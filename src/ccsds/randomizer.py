"""Pseudo-randomizers of the TC and TM links.

* TC randomizer, CCSDS 231.0-B-4 section 6: h(x) = x^8+x^6+x^4+x^3+x^2+x+1, all-ones seed,
  applied to the whole TC transfer frame before BCH encoding.
* TM pseudo-randomizer, CCSDS 131.0-B-5 section 10: h(x) = x^8+x^7+x^5+x^3+1, all-ones seed,
  applied to the whole codeblock (not the attached sync marker).

Both sequences are periodic with period 255 octets, so a precomputed table is XORed on.
Randomizing and derandomizing are the same operation.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

_PERIOD = 255


def _lfsr_sequence(taps: tuple[int, ...], length: int) -> bytes:
    """Generate ``length`` octets of a Fibonacci LFSR with all-ones 8-bit seed.

    ``taps`` are the exponents (below 8) of h(x) whose register stages feed back; the
    output bit is the oldest stage, as drawn in the standards' figures.
    """
    state = [1] * 8
    out = bytearray()
    for _ in range(length):
        octet = 0
        for _ in range(8):
            bit = state[0]
            octet = (octet << 1) | bit
            feedback = 0
            for tap in taps:
                feedback ^= state[tap]
            state = [*state[1:], feedback]
        out.append(octet)
    return bytes(out)


@cache
def _table(kind: str, length: int) -> npt.NDArray[np.uint8]:
    taps = _TC_TAPS if kind == "tc" else _TM_TAPS
    period = np.frombuffer(_lfsr_sequence(taps, _PERIOD), dtype=np.uint8)
    repeats = -(-length // _PERIOD)
    table = np.tile(period, repeats)[:length].copy()
    table.setflags(write=False)
    return table


# Register stages that feed back, derived from h(x): x^8 = sum of the lower terms.
_TC_TAPS = (0, 1, 2, 3, 4, 6)
_TM_TAPS = (0, 3, 5, 7)


def tc_sequence(length: int) -> bytes:
    """The first ``length`` octets of the TC randomizer sequence (starts FF 39 9E 5A)."""
    return _table("tc", length).tobytes()


def tm_sequence(length: int) -> bytes:
    """The first ``length`` octets of the TM pseudo-randomizer sequence (starts FF 48 0E C0)."""
    return _table("tm", length).tobytes()


def _xor(data: bytes | bytearray | memoryview, kind: str) -> bytes:
    buf = np.frombuffer(data, dtype=np.uint8)
    return np.bitwise_xor(buf, _table(kind, len(buf))).tobytes()


def tc_randomize(data: bytes | bytearray | memoryview) -> bytes:
    """Apply (or remove) the TC randomizer."""
    return _xor(data, "tc")


def tm_randomize(data: bytes | bytearray | memoryview) -> bytes:
    """Apply (or remove) the TM pseudo-randomizer."""
    return _xor(data, "tm")
