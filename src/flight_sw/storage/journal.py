"""The commit journal (docs/storage.md, "Journal and commit"): append-only sealed records,
mirrored in two areas, each record carrying the next sequence number.

A record is written to copy A and copy B, then flushed: only then is the change it
describes acknowledged (a record valid in either copy is committed). Replay reads records in
order while each has the expected sequence number and a valid CRC in at least one copy; the
first gap is the end of the journal, so a record torn by a power cut is as if never written.
"""

from __future__ import annotations

from collections.abc import Iterator

from flight_sw.storage.framing import Frame, read_frame, seal
from flight_sw.storage.layout import Layout
from flight_sw.storage.medium import Medium
from flight_sw.storage.records import JournalRecord, RecordError, decode_record, encode_record

JOURNAL_MAGIC = b"SJRN"


class JournalFullError(Exception):
    """Internal: the record does not fit after the head; the store checkpoints and resets."""


class Journal:
    """The mirrored journal of one medium."""

    def __init__(self, medium: Medium, layout: Layout, unit: int) -> None:
        self._medium = medium
        self._layout = layout
        self._unit = unit
        self.head = 0
        """Octets of the journal in use (next record goes there)."""
        self.next_sequence = 1

    @property
    def _format_id(self) -> int:
        return self._layout.geometry.format_id

    def replay(self, after: int) -> Iterator[JournalRecord]:
        """Records with sequence ``after + 1``, ``after + 2``, ... from the journal start;
        leaves the head after the last one."""
        self.head, self.next_sequence = 0, after + 1
        room = self._layout.journal_octets
        while True:
            found = None
            for base in self._layout.journals:
                found = read_frame(self._medium, base + self.head, room - self.head,
                                   magic=JOURNAL_MAGIC, format_id=self._format_id, unit=self._unit)
                if found is not None and found[0].sequence == self.next_sequence:
                    break
                found = None
            if found is None:
                return
            frame, length = found
            try:
                record = decode_record(frame.kind, frame.payload)
            except RecordError:
                return
            self.head += length
            self.next_sequence += 1
            yield record

    def append(self, record: JournalRecord, *, flush: bool = True) -> int:
        """Write ``record`` to both copies (durably unless not ``flush``: the caller then
        flushes); returns its sequence number.

        Raises :class:`JournalFullError` when it does not fit after the head.
        """
        payload = encode_record(record)
        octets = seal(Frame(JOURNAL_MAGIC, self._format_id, self.next_sequence, 0,
                            int(record.kind), payload), self._unit)
        if self.head + len(octets) > self._layout.journal_octets:
            raise JournalFullError
        for base in self._layout.journals:
            self._medium.write(base + self.head, octets)
        if flush:
            first, last = self._layout.journals[0], self._layout.journals[-1]
            self._medium.flush(first + self.head, last - first + len(octets))
        self.head += len(octets)
        self.next_sequence += 1
        return self.next_sequence - 1

    def reset(self, last_sequence: int) -> None:
        """Start again at the journal start after a checkpoint covering ``last_sequence``:
        older records stay behind but carry lower sequence numbers, so replay stops there."""
        self.head, self.next_sequence = 0, last_sequence + 1
