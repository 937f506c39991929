"""The search workload: count the non-overlapping occurrences of a pattern (scanning left to
right, as ``bytes.count`` does) and list the lines they start on.

Lines are numbered from 1 and end with LF (0x0A). The result object is the count (uint64,
big-endian) followed by the distinct line numbers in ascending order (uint32, big-endian).
The scan keeps only ``len(pattern) - 1`` octets between chunks, so a match across a chunk
boundary is found and memory stays bounded whatever the line length.
"""

from __future__ import annotations

import re
import struct

import numpy as np

from flight_sw.compute.params import Limits, SearchParams
from flight_sw.compute.source import InputSource, ResultSink, Workload

COUNT = struct.Struct(">Q")
LINE = struct.Struct(">I")
_LF = 0x0A


class _Scanner:
    """The state of a left-to-right non-overlapping scan over successive chunks."""

    def __init__(self, pattern: bytes) -> None:
        self.pattern = pattern
        self.count = 0
        self.lines: list[int] = []
        self._regex = re.compile(re.escape(pattern), re.DOTALL)
        self._carry = b""
        self._line = 1
        """Line number at the start of the carried octets."""

    def feed(self, data: bytes) -> None:
        """Scan ``data`` following what was fed before."""
        buffer = self._carry + data
        hits = [match.start() for match in self._regex.finditer(buffer)]
        octets = np.frombuffer(buffer, dtype=np.uint8)
        newlines = np.flatnonzero(octets == _LF)
        if hits:
            self.count += len(hits)
            lines = (self._line + np.searchsorted(newlines, hits)).tolist()
            for line in lines:
                if not self.lines or self.lines[-1] != line:
                    self.lines.append(line)
        end = hits[-1] + len(self.pattern) if hits else 0
        cut = max(end, len(buffer) - (len(self.pattern) - 1))
        self._line += int(np.searchsorted(newlines, cut))
        self._carry = buffer[cut:]


def search(params: SearchParams, source: InputSource, result: ResultSink,
           limits: Limits) -> Workload:
    """Scan the input chunk by chunk; the count and line numbers are stored at the end."""
    scanner = _Scanner(params.pattern)
    for data in source.chunks(limits.chunk_octets):
        scanner.feed(data)
        result.reserve(COUNT.size + len(scanner.lines) * LINE.size)
        yield source.fraction
    result.add(COUNT.pack(scanner.count) + b"".join(LINE.pack(n) for n in scanner.lines))
