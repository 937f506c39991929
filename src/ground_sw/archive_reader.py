"""Queries of a ground archive file: the read side, usable by any process.

:class:`ArchiveReader` opens the file read-only (SQLite URI ``mode=ro``); with the file in
WAL mode it reads while :class:`ground_sw.archive.Archive` writes and sees every batch
committed so far. Time filters are half-open, ``start <= time < end`` (Unix seconds); results
are in time order, arrival order at equal times.
"""

from __future__ import annotations

import heapq
import math
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self, TypeVar

from ground_sw import archive_schema as schema
from ground_sw.archive_schema import Row
from ground_sw.archive_series import samples_of
from ground_sw.archive_values import ArchiveValueError, SqlValue
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    FrameRecord,
    PacketRecord,
    ParameterSample,
    Record,
)

if TYPE_CHECKING:
    from ground_sw.archive_csv import ExportKind

_Converted = TypeVar("_Converted")


class ArchiveError(Exception):
    """The archive cannot do what was asked (no such file, not an archive, writer stopped)."""


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


class ArchiveReader:
    """Read-only queries of an archive file (ArchiveError if there is none at ``path``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._reader = _Reader(self.path)

    def close(self) -> None:
        """Close the file."""
        self._reader.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
                end: float | None = None) -> Generator[Record, None, None]:
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
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"cannot read the archive: {exc}") from None
        finally:
            db.close()

    def export_csv(self, kind: ExportKind, path: str | Path, *, name: str | None = None,
                   start: float | None = None, end: float | None = None) -> int:
        """Write ``parameters``, ``events`` or ``commands`` as CSV; returns the rows written
        (see :mod:`ground_sw.archive_csv` for the columns)."""
        from ground_sw.archive_csv import export_csv  # noqa: PLC0415 (import cycle)

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
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                raise ArchiveError(f"cannot read the archive: {exc}") from None

    def records(self, sql: str, args: Sequence[SqlValue],
                convert: Callable[[Row], _Converted]) -> list[_Converted]:
        return [convert(row) for row in self.rows(sql, args)]

    def close(self) -> None:
        with self._lock:
            self._db.close()

