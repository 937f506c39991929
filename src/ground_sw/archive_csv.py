"""CSV export of archive queries (RFC 4180, one header row, UTF-8).

Every row starts with ``time`` (seconds since the Unix epoch, exact ``repr``) and ``time_utc``
(ISO 8601, microseconds, empty when the time is not a calendar date). Values are written in
their text form (:func:`ground_sw.archive_values.text`); mappings of values (event data,
command arguments) as a JSON object of text forms.

* ``parameters``: time, time_utc, name, raw, engineering, limit, onboard_time
* ``events``: time, time_utc, name, severity, values, onboard_time
* ``commands`` (one row per command): time, time_utc, apid, sequence_count, name, arguments,
  outcome, stage, error_code, steps -- ``steps`` lists every verification step as
  ``outcome@time`` separated by ``;`` (PUS service 1, ECSS-E-ST-70-41C 6.1).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ground_sw.archive_values import plain, text

if TYPE_CHECKING:
    from ground_sw.archive_reader import ArchiveReader, CommandHistory
    from ground_sw.records import EventRecord, ParameterSample

ExportKind = Literal["parameters", "events", "commands"]
EXPORT_KINDS: tuple[ExportKind, ...] = ("parameters", "events", "commands")

PARAMETER_HEADER = ("time", "time_utc", "name", "raw", "engineering", "limit", "onboard_time")
EVENT_HEADER = ("time", "time_utc", "name", "severity", "values", "onboard_time")
COMMAND_HEADER = ("time", "time_utc", "apid", "sequence_count", "name", "arguments", "outcome",
                  "stage", "error_code", "steps")


class ExportError(ValueError):
    """An export of a kind the archive does not know."""


def utc(time: float) -> str:
    """ISO 8601 UTC form of a Unix time ('' when it is not a calendar date)."""
    try:
        return datetime.fromtimestamp(time, UTC).isoformat(timespec="microseconds")
    except (OverflowError, ValueError, OSError):
        return ""


def _optional(value: float | int | None) -> str:
    return "" if value is None else repr(value)


def _parameter_rows(samples: Iterable[ParameterSample]) -> Iterable[Sequence[str]]:
    for s in samples:
        yield (repr(s.time), utc(s.time), s.name, text(s.raw), text(s.engineering), s.limit,
               _optional(s.onboard_time))


def _event_rows(events: Iterable[EventRecord]) -> Iterable[Sequence[str]]:
    for e in events:
        yield (repr(e.time), utc(e.time), e.name, e.severity, plain(e.values),
               _optional(e.onboard_time))


def _command_rows(commands: Iterable[CommandHistory]) -> Iterable[Sequence[str]]:
    for command in commands:
        first, last = command.history[0], command.outcome
        steps = ";".join(f"{step.outcome.value}@{step.time!r}" for step in command.history)
        yield (repr(first.time), utc(first.time), str(first.request[0]), str(first.request[1]),
               first.name, plain(first.arguments), last.outcome.value, _optional(last.stage),
               _optional(last.error_code), steps)


def export_csv(archive: ArchiveReader, kind: ExportKind, path: str | Path, *,
               name: str | None = None, start: float | None = None,
               end: float | None = None) -> int:
    """Write the ``kind`` records named ``name`` (all when None) in [start, end) to ``path``;
    returns the number of data rows."""
    header: Sequence[str]
    rows: Iterable[Sequence[str]]
    if kind == "parameters":
        header, rows = PARAMETER_HEADER, _parameter_rows(archive.parameters(name, start, end))
    elif kind == "events":
        header, rows = EVENT_HEADER, _event_rows(archive.events(start, end, name=name))
    elif kind == "commands":
        commands = archive.commands(start, end)
        if name is not None:
            commands = [command for command in commands if command.name == name]
        header, rows = COMMAND_HEADER, _command_rows(commands)
    else:
        raise ExportError(f"cannot export {kind!r}: one of {', '.join(EXPORT_KINDS)}")
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
