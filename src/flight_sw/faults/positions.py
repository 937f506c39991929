"""Bit positions in service 131 requests and reports: N x uint64, big-endian (docs/icd.md 13).

The PUS parameter types of ECSS-E-ST-70-41C 7.3 used by the dictionary have no arrays, so the
positions travel in a variable octet string (PTC 7) whose length must be a multiple of 8.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from ccsds.errors import LengthError

POSITION_OCTETS = 8
_BIG_ENDIAN_U64 = np.dtype(">u8")
_INT64_MAX = 2**63 - 1


class PositionsLengthError(LengthError):
    """An octet string of positions whose length is not a multiple of 8."""


def decode_words(data: bytes | bytearray | memoryview) -> tuple[int, ...]:
    """The uint64 values coded in ``data`` (empty data: none)."""
    octets = bytes(data)
    if len(octets) % POSITION_OCTETS:
        raise PositionsLengthError(
            f"{len(octets)} octets of positions is not a multiple of {POSITION_OCTETS}")
    return tuple(int(value) for value in np.frombuffer(octets, dtype=_BIG_ENDIAN_U64))


def decode_positions(data: bytes | bytearray | memoryview) -> NDArray[np.int64]:
    """The bit positions coded in ``data`` as an index array.

    Positions above 2**63 - 1 cannot address any region; they come out as -1 so that the
    caller's range check refuses them.
    """
    return np.array([value if value <= _INT64_MAX else -1 for value in decode_words(data)],
                    dtype=np.int64)


def encode_positions(positions: Iterable[int] | NDArray[np.int64]) -> bytes:
    """``positions`` (each in 0 .. 2**64 - 1) as N x uint64 big-endian."""
    values = [int(position) for position in positions]
    return np.array(values, dtype=np.uint64).astype(_BIG_ENDIAN_U64).tobytes()
