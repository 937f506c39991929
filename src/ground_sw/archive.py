"""The ground archive: every record the ground receives or sends, in an SQLite file.

:class:`Archive` is a :class:`~ground_sw.records.Listener`. ``on_record`` only appends to a
queue; a writer thread stores the queue in batched transactions (one per batch of up to
``batch_size`` records, or every ``interval_s``), so the link task never waits on the disk.
The file is in WAL mode: another process (or :meth:`Archive.open_read_only`) can query it
while it is written, and sees every batch committed so far. :meth:`Archive.flush` waits until
everything taken before it is committed.

A record that cannot be stored (a value of no parameter type, an integer SQLite cannot hold)
is counted in :attr:`ArchiveCounters.rejected` with :attr:`Archive.last_error`; the rest of
its batch is stored. Time filters are half-open: ``start <= time < end``.
"""

from __future__ import annotations

import heapq
import math
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ground_sw import archive_schema as schema
from ground_sw.archive_schema import Row
from ground_sw.archive_series import samples_of, series_row
from ground_sw.archive_values import ArchiveValueError, SqlValue
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    FrameRecord,
    Outcome,
    PacketRecord,
    ParameterSample,
    Record,
)

if TYPE_CHECKING:
    from ground_sw.archive_csv import ExportKind

_STORE_ERRORS = (sqlite3.Error, TypeError, ValueError, OverflowError, AttributeError)


class ArchiveError(Exception):
    """The archive cannot do what was asked (closed, read-only, writer stopped)."""


@dataclass
class ArchiveCounters:
    """Records taken by :meth:`Archive.on_record` and what became of them."""

    taken: int = 0
    stored: int = 0
    rejected: int = 0
    """Records that could not be stored (see :attr:`Archive.last_error`)."""
    after_close: int = 0
    """Records offered after :meth:`Archive.close` (not stored)."""
    transactions: int = 0


@dataclass(frozen=True)
class CommandHistory:
    """One telecommand: the record that opened it and every verification step after it."""

    history: tuple[CommandRecord, ...]

    @property
    def request(self) -> tuple[int, int]:
        """(APID, sequence count) of the request."""
        return self.history[0].request

    @property
    def name(self) -> str:
        """The command's name."""
        return self.history[0].name

    @property
    def time(self) -> float:
        """When it was sent (or first heard of)."""
        return self.history[0].time

    @property
    def outcome(self) -> CommandRecord:
        """The final outcome: the latest step (PUS service 1 reports, ECSS-E-ST-70-41C 6.1)."""
        return self.history[-1]


@dataclass
class _Flush:
    """A marker in the queue: set once everything queued before it is committed."""

    done: threading.Event = field(default_factory=threading.Event)


_Converted = TypeVar("_Converted")


class Archive:
    """An SQLite archive of ground records (writer thread, WAL, indexed time/name queries)."""

    def __init__(self, path: str | Path, *, batch_size: int = 20_000,
                 interval_s: float = 0.05) -> None:
        self.path = Path(path)
        self.counters = ArchiveCounters()
        self.last_error: Exception | None = None
        self.read_only = False
        self._batch_size = batch_size
        self._interval_s = interval_s
        self._queue: deque[Record | _Flush] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._names: dict[str, int] = {}
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(schema.SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                         (schema.SCHEMA_VERSION,))
        self._reader = _Reader(self.path)
        self._writer = threading.Thread(target=self._write_loop, name=f"archive {self.path.name}",
                                        daemon=True)
        self._writer.start()

    @classmethod
    def open_read_only(cls, path: str | Path) -> Archive:
        """Query an archive that this or another process writes; ``on_record`` refuses."""
        archive = cls.__new__(cls)
        archive.path = Path(path)
        archive.counters = ArchiveCounters()
        archive.last_error = None
        archive.read_only = True
        archive._closed = False
        archive._reader = _Reader(archive.path)
        return archive

    # ------------------------------------------------------------------ writing

    def on_record(self, record: Record) -> None:
        """Queue ``record`` for storage; never blocks."""
        if self._closed or self.read_only:
            self.counters.after_close += 1
            return
        queue = self._queue
        queue.append(record)
        if len(queue) >= self._batch_size and not self._wake.is_set():
            self._wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record taken so far is committed (TimeoutError if not in time)."""
        if self.read_only or self._closed:
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
        if not self.read_only:
            self._stopping = True
            self._wake.set()
            self._writer.join()
            self._db.close()
        self._reader.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    # ------------------------------------------------------------------ queries

    def frames(self, start: float | None = None, end: float | None = None, *,
               virtual_channel: int | None = None) -> list[FrameRecord]:
        """Transfer frames received in [start, end), in time order."""
        where, args = _span("time", start, end)
        where, args = _also(where, args, "vc = ?", virtual_channel)
        sql = f"SELECT {schema.FRAME_COLUMNS} FROM frames {where} ORDER BY time, id"
        return self._reader.records(sql, args, schema.frame_of)

    def packets(self, start: float | None = None, end: float | None = None, *,
                apid: int | None = None, service: int | None = None,
                subtype: int | None = None) -> list[PacketRecord]:
        """Space packets received in [start, end), in time order."""
        where, args = _span("time", start, end)
        where, args = _also(where, args, "apid = ?", apid)
        where, args = _also(where, args, "service = ?", service)
        where, args = _also(where, args, "subtype = ?", subtype)
        sql = f"SELECT {schema.PACKET_COLUMNS} FROM packets {where} ORDER BY time, id"
        return self._reader.records(sql, args, schema.packet_of)

    def parameters(self, name: str | None, start: float | None = None,
                   end: float | None = None) -> list[ParameterSample]:
        """Samples of parameter ``name`` (every parameter when None) in [start, end), in time
        order (arrival order at equal times)."""
        sql, args = _series_query(name, start, end, "parameters.id")
        samples = [sample for row in self._reader.rows(sql, args)
                   for sample in _samples_in(row, start, end)]
        samples.sort(key=_time)
        return samples

    def parameter_names(self) -> list[str]:
        """Every parameter name the archive holds samples of, sorted."""
        rows = self._reader.rows("SELECT name FROM names ORDER BY name", ())
        return [str(name) for (name,) in rows]

    def events(self, start: float | None = None, end: float | None = None, *,
               name: str | None = None, severity: str | None = None) -> list[EventRecord]:
        """Event reports received in [start, end), in time order."""
        where, args = _span("time", start, end)
        where, args = _also(where, args, "name = ?", name)
        where, args = _also(where, args, "severity = ?", severity)
        sql = f"SELECT {schema.EVENT_COLUMNS} FROM events {where} ORDER BY time, id"
        return self._reader.records(sql, args, schema.event_of)

    def commands(self, start: float | None = None,
                 end: float | None = None) -> list[CommandHistory]:
        """Commands whose history opened in [start, end), each with all its steps."""
        where, args = _span("time", start, end)
        where = f"{where} AND command IS NULL" if where else "WHERE command IS NULL"
        sql = (f"SELECT COALESCE(command, id) AS history, {schema.COMMAND_COLUMNS}"
               f" FROM commands WHERE COALESCE(command, id) IN (SELECT id FROM commands"
               f" {where}) ORDER BY history, time, id")
        histories: dict[object, list[CommandRecord]] = {}
        for row in self._reader.rows(sql, args):
            histories.setdefault(row[0], []).append(schema.command_of(row[1:]))
        found = [CommandHistory(tuple(steps)) for steps in histories.values()]
        return sorted(found, key=lambda command: command.time)

    def records(self, start: float | None = None,
                end: float | None = None) -> Iterator[Record]:
        """Every record in [start, end) in time order (at equal times: frames, packets,
        parameters, events, commands, each in arrival order), read lazily."""
        where, args = _span("time", start, end)
        queries: list[tuple[str, Callable[[Row], Record]]] = [
            (f"SELECT time, id, {schema.FRAME_COLUMNS} FROM frames {where}"
             " ORDER BY time, id", schema.frame_of),
            (f"SELECT time, id, {schema.PACKET_COLUMNS} FROM packets {where}"
             " ORDER BY time, id", schema.packet_of),
            (f"SELECT time, id, {schema.EVENT_COLUMNS} FROM events {where}"
             " ORDER BY time, id", schema.event_of),
            (f"SELECT time, id, {schema.COMMAND_COLUMNS} FROM commands {where}"
             " ORDER BY time, id", schema.command_of),
        ]
        db = _connect_read_only(self.path)
        try:
            streams = [_stream(db.execute(sql, args), rank, convert)
                       for rank, (sql, convert) in zip((0, 1, 3, 4), queries, strict=True)]
            sql, series_args = _series_query(None, start, end, "first, parameters.id")
            streams.insert(2, _series_stream(db.execute(sql, series_args), start, end))
            for *_, record in heapq.merge(*streams):
                yield record
        finally:
            db.close()

    def export_csv(self, kind: ExportKind, path: str | Path, *, name: str | None = None,
                   start: float | None = None, end: float | None = None) -> int:
        """Write ``parameters``, ``events`` or ``commands`` as CSV; returns the rows written
        (see :mod:`ground_sw.archive_csv` for the columns)."""
        from ground_sw.archive_csv import export_csv  # noqa: PLC0415 (it imports this module)

        return export_csv(self, kind, path, name=name, start=start, end=end)


_Ordered = tuple[float, int, int, int, Record]
"""(time, rank of the table, row id, index in the row, record): the replay order."""
_PARAMETER_RANK = 2


def _stream(cursor: sqlite3.Cursor, rank: int,
            convert: Callable[[Row], Record]) -> Iterator[_Ordered]:
    for row in cursor:
        yield row[0], rank, row[1], 0, convert(row[2:])


def _time(record: Record) -> float:
    return record.time


def _series_query(name: str | None, start: float | None, end: float | None,
                  order: str) -> tuple[str, list[SqlValue]]:
    """Series rows of ``name`` (all when None) that may hold samples in [start, end)."""
    where, args = _also("", [], "last >= ?", start)
    where, args = _also(where, args, "first < ?", end)
    where, args = _also(where, args, "names.name = ?", name)
    return (f"SELECT {schema.PARAMETER_COLUMNS} FROM parameters JOIN names"
            f" ON names.id = parameters.name {where} ORDER BY {order}"), args


def _samples_in(row: Row, start: float | None, end: float | None) -> list[ParameterSample]:
    samples = samples_of(str(row[0]), row[3:])
    if start is None and end is None:
        return samples
    low = -math.inf if start is None else start
    high = math.inf if end is None else end
    return [sample for sample in samples if low <= sample.time < high]


def _series_stream(cursor: sqlite3.Cursor, start: float | None,
                   end: float | None) -> Iterator[_Ordered]:
    """Samples of series rows read in order of their first time, merged into time order:
    a sample earlier than the next row's first time can be released."""
    pending: list[_Ordered] = []
    for row in cursor:
        row_id, boundary = row[1], row[2]
        if not isinstance(row_id, int) or not isinstance(boundary, float):
            raise ArchiveValueError(f"stored series row {row_id!r} starting {boundary!r}")
        samples = _samples_in(row, start, end)
        while pending and pending[0][0] < boundary:
            yield heapq.heappop(pending)
        for index, sample in enumerate(samples):
            heapq.heappush(pending, (sample.time, _PARAMETER_RANK, row_id, index, sample))
    while pending:
        yield heapq.heappop(pending)


def _span(column: str, start: float | None, end: float | None) -> tuple[str, list[SqlValue]]:
    where, args = _also("", [], f"{column} >= ?", start)
    return _also(where, args, f"{column} < ?", end)


def _also(where: str, args: list[SqlValue], condition: str,
          value: SqlValue) -> tuple[str, list[SqlValue]]:
    if value is None:
        return where, args
    return (f"{where} AND {condition}" if where else f"WHERE {condition}"), [*args, value]


def _connect_read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise ArchiveError(f"no archive at {path}")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           check_same_thread=False)


class _Reader:
    """A read-only connection shared by the query methods of one archive object."""

    def __init__(self, path: Path) -> None:
        self._db = _connect_read_only(path)
        self._lock = threading.Lock()

    def rows(self, sql: str, args: Sequence[SqlValue]) -> list[Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def records(self, sql: str, args: Sequence[SqlValue],
                convert: Callable[[Row], _Converted]) -> list[_Converted]:
        return [convert(row) for row in self.rows(sql, args)]

    def close(self) -> None:
        with self._lock:
            self._db.close()

