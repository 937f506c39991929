"""The ground archive: every record the ground receives or sends, in an SQLite file.

:class:`Archive` is a :class:`~ground_sw.records.Listener`. ``on_record`` only appends to a
queue; a writer thread stores the queue in batched transactions (one per batch of up to
``batch_size`` records, or every ``interval_s``), so the link task never waits on the disk.
Parameter samples are stored as series (:mod:`ground_sw.archive_series`). The file is in WAL
mode: another process (:class:`~ground_sw.archive_reader.ArchiveReader`) can query it while
it is written, and sees every batch committed so far. :meth:`Archive.flush` waits until
everything taken before it is committed.

A record that cannot be stored (a value of no parameter type, an integer SQLite cannot hold)
is counted in :attr:`ArchiveCounters.rejected` with :attr:`Archive.last_error`; the rest of
its batch is stored. Queries are those of the reader.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ground_sw import archive_schema as schema
from ground_sw.archive_reader import ArchiveError, ArchiveReader, CommandHistory
from ground_sw.archive_schema import Row
from ground_sw.archive_series import series_row
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    FrameRecord,
    Outcome,
    PacketRecord,
    ParameterSample,
    Record,
)

__all__ = ["Archive", "ArchiveCounters", "ArchiveError", "ArchiveReader", "CommandHistory"]

_STORE_ERRORS = (sqlite3.Error, TypeError, ValueError, OverflowError, AttributeError)


@dataclass
class ArchiveCounters:
    """Records the writer took from the queue and what became of them."""

    taken: int = 0
    stored: int = 0
    rejected: int = 0
    """Records that could not be stored (see :attr:`Archive.last_error`)."""
    after_close: int = 0
    """Records offered after :meth:`Archive.close` (not stored)."""
    transactions: int = 0


@dataclass
class _Flush:
    """A marker in the queue: set once everything queued before it is committed."""

    done: threading.Event = field(default_factory=threading.Event)


class Archive(ArchiveReader):
    """An SQLite archive of ground records: a listener that stores, with the reader's queries."""

    def __init__(self, path: str | Path, *, batch_size: int = 20_000,
                 interval_s: float = 0.05) -> None:
        if batch_size < 1 or not interval_s > 0:
            raise ValueError(f"batch_size {batch_size} and interval_s {interval_s} must be > 0")
        path = Path(path)
        self.counters = ArchiveCounters()
        self.last_error: Exception | None = None
        self._batch_size = batch_size
        self._interval_s = interval_s
        self._queue: deque[Record | _Flush] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._names: dict[str, int] = {}
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ArchiveError(f"cannot open {path}: {exc}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(schema.SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                             (schema.SCHEMA_VERSION,))
            (version,) = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ArchiveError(f"{path} is not a usable archive: {exc}") from None
        if version != schema.SCHEMA_VERSION:
            self._db.close()
            raise ArchiveError(f"{path} has archive schema {version}, "
                               f"not {schema.SCHEMA_VERSION}")
        super().__init__(path)
        self._writer = threading.Thread(target=self._write_loop, name=f"archive {self.path.name}",
                                        daemon=True)
        self._writer.start()

    # ------------------------------------------------------------------ writing

    def on_record(self, record: Record) -> None:
        """Queue ``record`` for storage; never blocks."""
        if self._closed:
            self.counters.after_close += 1
            return
        queue = self._queue
        queue.append(record)
        if len(queue) >= self._batch_size and not self._wake.is_set():
            self._wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record taken so far is committed (TimeoutError if not in time)."""
        if self._closed:
            return
        if not self._writer.is_alive():
            raise ArchiveError(f"archive writer stopped: {self.last_error!r}")
        marker = _Flush()
        self._queue.append(marker)
        self._wake.set()
        if not marker.done.wait(timeout):
            raise TimeoutError(f"archive not flushed within {timeout} s")

    def close(self) -> None:
        """Store what is queued, stop the writer and close the file."""
        if self._closed:
            return
        self._closed = True
        self._stopping = True
        self._wake.set()
        self._writer.join()
        self._db.close()
        super().close()

    def _write_loop(self) -> None:
        try:
            while True:
                self._wake.wait(self._interval_s)
                self._wake.clear()
                stopping = self._stopping
                while self._queue:
                    self._write_batch(self._take_batch())
                if stopping:
                    return
        except BaseException as exc:  # a bug: keep flush() from waiting forever
            self.last_error = exc if isinstance(exc, Exception) else None
            raise
        finally:
            for item in self._queue:
                if isinstance(item, _Flush):
                    item.done.set()

    def _take_batch(self) -> list[Record | _Flush]:
        queue = self._queue
        count = min(len(queue), self._batch_size)
        return [queue.popleft() for _ in range(count)]

    def _write_batch(self, batch: list[Record | _Flush]) -> None:
        records = [item for item in batch if not isinstance(item, _Flush)]
        self.counters.taken += len(records)
        if records:
            db = self._db
            try:
                db.execute("BEGIN")
                self._store(records)
                db.execute("COMMIT")
                self.counters.stored += len(records)
                self.counters.transactions += 1
            except _STORE_ERRORS:
                self._rollback()
                self._store_one_by_one(records)
        for item in batch:
            if isinstance(item, _Flush):
                item.done.set()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._names.clear()  # ids of rolled-back names must not be reused

    def _store(self, records: list[Record]) -> None:
        """Store records, one executemany per table (any error aborts them all)."""
        frames: list[Row] = []
        packets: list[Row] = []
        series: dict[str, list[ParameterSample]] = {}
        events: list[Row] = []
        commands: list[CommandRecord] = []
        for record in records:
            if type(record) is ParameterSample:
                samples = series.get(record.name)
                if samples is None:
                    series[record.name] = [record]
                else:
                    samples.append(record)
            elif type(record) is PacketRecord:
                packets.append(schema.packet_row(record))
            elif type(record) is FrameRecord:
                frames.append(schema.frame_row(record))
            elif type(record) is EventRecord:
                events.append(schema.event_row(record))
            elif type(record) is CommandRecord:
                commands.append(record)
            else:
                raise TypeError(f"{type(record).__name__} is not a ground record")
        db = self._db
        db.executemany(schema.INSERT_FRAME, frames)
        db.executemany(schema.INSERT_PACKET, packets)
        db.executemany(schema.INSERT_PARAMETERS, [
            series_row(self._name_id(name), samples) for name, samples in series.items()])
        db.executemany(schema.INSERT_EVENT, events)
        for command in commands:
            self._store_command(command)

    def _store_one_by_one(self, records: list[Record]) -> None:
        """After a failed batch: store each record alone, counting those that fail."""
        db = self._db
        stored = 0
        try:
            db.execute("BEGIN")
            for record in records:
                db.execute("SAVEPOINT one")
                try:
                    self._store([record])
                    stored += 1
                except _STORE_ERRORS as exc:
                    db.execute("ROLLBACK TO one")
                    self.last_error = exc
                db.execute("RELEASE one")
            db.execute("COMMIT")
        except sqlite3.Error as exc:  # the file itself fails (disk full, I/O error)
            self._rollback()
            self.last_error = exc
            stored = 0
        self._names.clear()
        self.counters.stored += stored
        self.counters.rejected += len(records) - stored
        self.counters.transactions += 1

    def _name_id(self, name: str) -> int:
        known = self._names.get(name)
        if known is not None:
            return known
        if not isinstance(name, str):
            raise TypeError(f"parameter name {name!r} is not a string")
        db = self._db
        db.execute("INSERT OR IGNORE INTO names (name) VALUES (?)", (name,))
        (number,) = db.execute("SELECT id FROM names WHERE name = ?", (name,)).fetchone()
        self._names[name] = number = int(number)
        return number

    def _store_command(self, record: CommandRecord) -> None:
        """A SENT record opens a history; a later step joins the latest one of its request."""
        history = None
        if record.outcome is not Outcome.SENT:
            row = self._db.execute(
                "SELECT COALESCE(command, id) FROM commands WHERE apid = ? AND sequence_count = ?"
                " ORDER BY id DESC LIMIT 1", record.request).fetchone()
            history = None if row is None else row[0]
        self._db.execute(schema.INSERT_COMMAND, schema.command_row(record, history))
