"""TM(131,128) fault-injection report: which bits a request touched (docs/icd.md 13).

Layout: request id (4 octets, as in service 1 reports, ECSS-E-ST-70-41C 5.4.11), kind
(uint8, the request subtype), total positions of the request (uint32), index of the first
position in this report (uint32), then positions as N x uint64 big-endian. A request that
touched more positions than fit in one packet is reported in consecutive chunks.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ccsds.errors import TruncatedError
from ccsds.pus import RequestId
from flight_sw.faults.positions import decode_words, encode_positions

_HEADER = struct.Struct(">4sBII")
MAX_POSITIONS_PER_REPORT = 120
"""Positions per report: 13 + 960 octets of source data, inside one TM frame's data field."""


@dataclass(frozen=True)
class FaultReport:
    """One chunk of the positions touched by one request."""

    request: bytes
    """The 4-octet request id of the telecommand."""
    kind: int
    total: int
    first: int
    positions: tuple[int, ...]

    def encode(self) -> bytes:
        """The source data of TM(131,128)."""
        return _HEADER.pack(self.request, self.kind, self.total, self.first) \
            + encode_positions(self.positions)

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> FaultReport:
        """Parse the source data of TM(131,128) (TruncatedError / LengthError if malformed)."""
        octets = bytes(data)
        if len(octets) < _HEADER.size:
            raise TruncatedError(f"a fault report needs {_HEADER.size} octets, got {len(octets)}")
        request, kind, total, first = _HEADER.unpack_from(octets)
        return cls(request, kind, total, first, decode_words(octets[_HEADER.size:]))


def fault_reports(request: RequestId, kind: int,
                  positions: NDArray[np.int64]) -> Iterator[FaultReport]:
    """The reports of one request, ``MAX_POSITIONS_PER_REPORT`` positions each (one empty
    report when no position was touched)."""
    total = len(positions)
    for first in range(0, max(total, 1), MAX_POSITIONS_PER_REPORT):
        chunk = positions[first:first + MAX_POSITIONS_PER_REPORT]
        yield FaultReport(request.encode(), kind, total, first, tuple(int(p) for p in chunk))
