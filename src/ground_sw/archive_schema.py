"""The archive's SQLite schema and the conversion of records to rows and back.

One table per record type; times are REAL seconds since the Unix epoch, raw frames and
packets BLOBs, values as in :mod:`ground_sw.archive_values`. Parameter samples are stored as series,
one row per parameter per writer batch (:mod:`ground_sw.archive_series`), their names
numbered in ``names``. Command records
share one table; ``command`` points at the row that opened the command's history (NULL on
that row itself), so a history is ``COALESCE(command, id)``.
"""

from __future__ import annotations

from ground_sw.archive_values import ArchiveValueError, SqlValue, dumps_values, loads_values
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    FrameRecord,
    Outcome,
    PacketRecord,
)

SCHEMA_VERSION = "2"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY, time REAL NOT NULL, vc INTEGER NOT NULL,
    rs_corrected INTEGER NOT NULL, frame BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS frames_by_time ON frames (time);
CREATE TABLE IF NOT EXISTS packets (
    id INTEGER PRIMARY KEY, time REAL NOT NULL, vc INTEGER NOT NULL, apid INTEGER NOT NULL,
    service INTEGER, subtype INTEGER, onboard_time REAL, packet BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS packets_by_time ON packets (time);
CREATE INDEX IF NOT EXISTS packets_by_apid ON packets (apid, time);
CREATE TABLE IF NOT EXISTS parameters (
    id INTEGER PRIMARY KEY, name INTEGER NOT NULL REFERENCES names, first REAL NOT NULL,
    last REAL NOT NULL, count INTEGER NOT NULL, times BLOB NOT NULL,
    onboard_times BLOB NOT NULL, raw_form INTEGER NOT NULL, raw NOT NULL,
    eng_form INTEGER NOT NULL, eng NOT NULL, limit_state TEXT, limit_states TEXT);
CREATE INDEX IF NOT EXISTS parameters_by_name ON parameters (name, first);
CREATE INDEX IF NOT EXISTS parameters_by_time ON parameters (first);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, time REAL NOT NULL, name TEXT NOT NULL, severity TEXT NOT NULL,
    event_values TEXT NOT NULL, onboard_time REAL);
CREATE INDEX IF NOT EXISTS events_by_time ON events (time);
CREATE INDEX IF NOT EXISTS events_by_name ON events (name, time);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY, command INTEGER REFERENCES commands, time REAL NOT NULL,
    apid INTEGER NOT NULL, sequence_count INTEGER NOT NULL, name TEXT NOT NULL,
    arguments TEXT NOT NULL, outcome TEXT NOT NULL, stage INTEGER, error_code INTEGER);
CREATE INDEX IF NOT EXISTS commands_by_time ON commands (time);
CREATE INDEX IF NOT EXISTS commands_by_history ON commands (command);
CREATE INDEX IF NOT EXISTS commands_by_request ON commands (apid, sequence_count);
"""

INSERT_FRAME = "INSERT INTO frames (time, vc, rs_corrected, frame) VALUES (?, ?, ?, ?)"
INSERT_PACKET = ("INSERT INTO packets (time, vc, apid, service, subtype, onboard_time, packet)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)")
INSERT_PARAMETERS = ("INSERT INTO parameters (name, first, last, count, times, onboard_times,"
                     " raw_form, raw, eng_form, eng, limit_state, limit_states)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_EVENT = ("INSERT INTO events (time, name, severity, event_values, onboard_time)"
                " VALUES (?, ?, ?, ?, ?)")
INSERT_COMMAND = ("INSERT INTO commands (command, time, apid, sequence_count, name, arguments,"
                  " outcome, stage, error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")

FRAME_COLUMNS = "time, vc, frame, rs_corrected"
PACKET_COLUMNS = "time, vc, apid, packet, service, subtype, onboard_time"
PARAMETER_COLUMNS = ("names.name, parameters.id, first, count, times, onboard_times, raw_form,"
                     " raw, eng_form, eng, limit_state, limit_states")
EVENT_COLUMNS = "time, name, severity, event_values, onboard_time"
COMMAND_COLUMNS = "time, apid, sequence_count, name, arguments, outcome, stage, error_code"

Row = tuple[SqlValue, ...]


def frame_row(record: FrameRecord) -> Row:
    """Row of ``frames`` (INSERT_FRAME order)."""
    return (record.time, record.virtual_channel, record.rs_corrected, bytes(record.frame))


def packet_row(record: PacketRecord) -> Row:
    """Row of ``packets`` (INSERT_PACKET order)."""
    return (record.time, record.virtual_channel, record.apid, record.service, record.subtype,
            record.onboard_time, bytes(record.packet))


def event_row(record: EventRecord) -> Row:
    """Row of ``events`` (INSERT_EVENT order)."""
    return (record.time, record.name, record.severity, dumps_values(record.values),
            record.onboard_time)


def command_row(record: CommandRecord, history: int | None) -> Row:
    """Row of ``commands`` (INSERT_COMMAND order); ``history`` is the opening row's id."""
    apid, sequence_count = record.request
    return (history, record.time, apid, sequence_count, record.name,
            dumps_values(record.arguments), record.outcome.value, record.stage,
            record.error_code)


def _real(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ArchiveValueError(f"stored time {value!r} is not a number")


def _optional_real(value: object) -> float | None:
    return None if value is None else _real(value)


def _integer(value: object) -> int:
    if type(value) is int:
        return value
    raise ArchiveValueError(f"stored {value!r} is not an integer")


def _optional_integer(value: object) -> int | None:
    return None if value is None else _integer(value)


def _blob(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    raise ArchiveValueError(f"stored {type(value).__name__} is not a BLOB")


def _string(value: object) -> str:
    if isinstance(value, str):
        return value
    raise ArchiveValueError(f"stored {value!r} is not text")


def frame_of(row: Row) -> FrameRecord:
    """The record of a FRAME_COLUMNS row."""
    time, vc, frame, corrected = row
    return FrameRecord(_real(time), _integer(vc), _blob(frame), _integer(corrected))


def packet_of(row: Row) -> PacketRecord:
    """The record of a PACKET_COLUMNS row."""
    time, vc, apid, packet, service, subtype, onboard = row
    return PacketRecord(_real(time), _integer(vc), _integer(apid), _blob(packet),
                        _optional_integer(service), _optional_integer(subtype),
                        _optional_real(onboard))


def event_of(row: Row) -> EventRecord:
    """The record of an EVENT_COLUMNS row."""
    time, name, severity, values, onboard = row
    return EventRecord(_real(time), _string(name), _string(severity),
                       loads_values(_string(values)), _optional_real(onboard))


def command_of(row: Row) -> CommandRecord:
    """The record of a COMMAND_COLUMNS row."""
    time, apid, sequence_count, name, arguments, outcome, stage, error_code = row
    try:
        state = Outcome(outcome)
    except ValueError:
        raise ArchiveValueError(f"stored outcome {outcome!r} is unknown") from None
    return CommandRecord(_real(time), (_integer(apid), _integer(sequence_count)),
                         _string(name), loads_values(_string(arguments)), state,
                         _optional_integer(stage), _optional_integer(error_code))
