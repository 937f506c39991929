"""Tracking which octet ranges of a file have arrived (CCSDS 727.0-B-5 4.6.4 gap detection)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right


class SegmentSet:
    """Disjoint, sorted, half-open [start, end) ranges of received octets."""

    __slots__ = ("_ends", "_starts", "received")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self.received = 0

    @property
    def high_water(self) -> int:
        """One past the highest octet received (0 when none)."""
        return self._ends[-1] if self._ends else 0

    def add(self, start: int, end: int) -> int:
        """Record [start, end); return how many of those octets are new."""
        if end <= start:
            return 0
        first = bisect_left(self._ends, start)
        last = bisect_right(self._starts, end)
        already = 0
        if first < last:
            already = sum(self._ends[i] - self._starts[i] for i in range(first, last))
            start = min(start, self._starts[first])
            end = max(end, self._ends[last - 1])
        new = end - start - already
        self._starts[first:last] = [start]
        self._ends[first:last] = [end]
        self.received += new
        return new

    def contains(self, start: int, end: int) -> bool:
        """Whether every octet of [start, end) has been received."""
        if end <= start:
            return True
        index = bisect_right(self._starts, start) - 1
        return index >= 0 and self._ends[index] >= end

    def missing(self, start: int, end: int) -> list[tuple[int, int]]:
        """The gaps within [start, end) as half-open ranges."""
        gaps: list[tuple[int, int]] = []
        cursor = start
        index = bisect_right(self._ends, start)
        while cursor < end and index < len(self._starts):
            if self._starts[index] > cursor:
                gaps.append((cursor, min(self._starts[index], end)))
            cursor = max(cursor, self._ends[index])
            index += 1
        if cursor < end:
            gaps.append((cursor, end))
        return gaps

    def ranges(self) -> list[tuple[int, int]]:
        """Every received range."""
        return list(zip(self._starts, self._ends, strict=True))
