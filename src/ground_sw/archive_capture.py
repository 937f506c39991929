"""Raw link captures: the downlink octet stream exactly as on the wire, with receive times.

A capture is a directory holding ``down.bin`` (the CADUs as received, CCSDS 131.0-B-5
section 9, garbage and all) and ``down.idx``, a text index with one line per read from the
line: ``<time_s> <offset_octets>`` -- the octets of ``down.bin`` from that offset up to the
next line's offset (the end of the file for the last line) arrived at ``time_s`` (seconds
since the Unix epoch, UTC). Blank lines and lines starting with ``#`` are ignored.
See docs/archive.md.

Reading never fails on a damaged capture: malformed index lines, offsets that go backwards
and offsets beyond the end of a truncated ``down.bin`` are counted in
:class:`CaptureCounters`; a missing file is a :class:`CaptureError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

DATA_FILE = "down.bin"
INDEX_FILE = "down.idx"


class CaptureError(Exception):
    """A capture directory lacks its data or index file."""


@dataclass
class CaptureCounters:
    """What reading a capture met."""

    chunks: int = 0
    octets: int = 0
    bad_index_lines: int = 0
    """Lines that are not ``<finite time> <offset >= 0>``, or whose offset goes backwards."""
    missing_octets: int = 0
    """Octets the index promises beyond the end of the data file (a truncated capture)."""


@dataclass(frozen=True)
class Chunk:
    """Octets received together at ``time``."""

    time: float
    data: bytes


def parse_index_line(line: str) -> tuple[float, int] | None:
    """(time, offset) of an index line; None when it is blank, a comment or malformed."""
    fields = line.split()
    if len(fields) != 2 or fields[0].startswith("#"):
        return None
    try:
        time, offset = float(fields[0]), int(fields[1])
    except ValueError:
        return None
    return (time, offset) if math.isfinite(time) and offset >= 0 else None


def read_index(text: str, counters: CaptureCounters) -> list[tuple[float, int]]:
    """The (time, offset) entries of an index, offsets non-decreasing; bad lines counted."""
    entries: list[tuple[float, int]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        entry = parse_index_line(line)
        if entry is None or (entries and entry[1] < entries[-1][1]):
            counters.bad_index_lines += 1
            continue
        entries.append(entry)
    return entries


def read_capture(directory: str | Path,
                 counters: CaptureCounters | None = None) -> Iterator[Chunk]:
    """The chunks of a capture in stream order (octets before the first index entry go with
    it; a capture with data but no valid index entry is a CaptureError)."""
    counters = CaptureCounters() if counters is None else counters
    directory = Path(directory)
    try:
        index = (directory / INDEX_FILE).read_text("utf-8", errors="replace")
        stream = (directory / DATA_FILE).open("rb")
    except OSError as exc:
        raise CaptureError(f"cannot read capture {directory}: {exc}") from None
    with stream:
        size = stream.seek(0, 2)
        stream.seek(0)
        entries = read_index(index, counters)
        if not entries:
            if size:
                raise CaptureError(f"{directory / INDEX_FILE} has no valid entry")
            return
        ends = [offset for _, offset in entries[1:]] + [size]
        for number, ((time, offset), end) in enumerate(zip(entries, ends, strict=True)):
            start = 0 if number == 0 else offset
            yield from _chunk(stream, time, (start, end), size, counters)


def _chunk(stream: BinaryIO, time: float, span: tuple[int, int], size: int,
           counters: CaptureCounters) -> Iterator[Chunk]:
    start, end = span
    counters.missing_octets += max(0, end - max(start, size))
    start, end = min(start, size), min(end, size)
    if end > start:
        stream.seek(start)
        data = stream.read(end - start)
        counters.chunks += 1
        counters.octets += len(data)
        yield Chunk(time, data)


class CaptureWriter:
    """Appends what the line delivers to a capture (for a link channel to record with)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._data: BinaryIO = (self.directory / DATA_FILE).open("ab")
        self._index: TextIO = (self.directory / INDEX_FILE).open("a", encoding="utf-8")
        self._offset = self._data.tell()

    def write(self, time: float, data: bytes | bytearray | memoryview) -> None:
        """Record the octets of one read, received at ``time``."""
        if not data:
            return
        self._index.write(f"{time!r} {self._offset}\n")
        self._data.write(data)
        self._offset += len(data)

    def flush(self) -> None:
        """Push both files to the operating system."""
        self._data.flush()
        self._index.flush()

    def close(self) -> None:
        """Flush and close both files."""
        self._data.close()
        self._index.close()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
