"""Encode and decode the data fields the mission database describes.

* TC application data (ECSS-E-ST-70-41C 7.4.3.1): the arguments in order; ``deduced``
  commands (service 20) carry N x (parameter id, value), 6.20.4.2.
* TM(3,25) housekeeping reports (6.3.3.2): structure id (uint8), then the parameters.
* TM(5,x) event reports (6.5.4.2): event definition id (uint16), then its data fields.
* TM(20,2) parameter value reports: N (uint8) x (parameter id uint16, value).

Encoders raise :class:`ArgumentError` (a LocalProtocolError) naming the faulty field;
decoders raise :class:`~ccsds.errors.DecodeError` subclasses (truncation, trailing octets,
invalid or out-of-range values) and never another exception type.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

from ccsds.errors import DecodeError, LengthError, LocalProtocolError, TruncatedError
from ccsds.mission_db.model import (
    IDENTITY,
    Command,
    DictionaryError,
    Event,
    Field,
    HousekeepingStructure,
    LimitState,
    MissionDatabase,
    Parameter,
)
from ccsds.pus_types import (
    Buffer,
    Ptc,
    PusValueError,
    Value,
    decode_from,
    encode,
    sequence_struct,
)

Values = Mapping[str, Value]
_UINT8 = struct.Struct(">B")
_UINT16 = struct.Struct(">H")


class ArgumentError(LocalProtocolError):
    """A value given for encoding is missing, unknown, of the wrong kind or out of range."""


class ValueRangeError(DecodeError):
    """A received value is outside its field's range or enumeration."""


class UnknownIdError(DecodeError):
    """A received structure, event or parameter id is not in the mission database."""


# ----------------------------------------------------------------------------- encoding

def encode_fields(fields: Sequence[Field], values: Values, where: str) -> bytes:
    """Encode ``values`` (every field present, no extra key) in field order."""
    extra = set(values) - {f.name for f in fields}
    if extra:
        raise ArgumentError(f"{where}: unknown fields {sorted(extra)}")
    return b"".join(encode_field(f, _given(values, f, where), where) for f in fields)


def encode_field(item: Field, value: Value, where: str) -> bytes:
    """Encode one value: enumeration labels accepted, range and enumeration checked."""
    if isinstance(value, str) and item.enumeration:
        try:
            value = item.value_of(value)
        except DictionaryError as exc:
            raise ArgumentError(f"{where}: {exc}") from None
    try:
        octets = encode(item.pus_type, value)
    except LocalProtocolError as exc:
        raise ArgumentError(f"{where}: {item.name}: {exc}") from None
    problem = item.range_problem(value)
    if problem:
        raise ArgumentError(f"{where}: {item.name}: {problem}")
    return octets


def _given(values: Values, item: Field, where: str) -> Value:
    try:
        return values[item.name]
    except KeyError:
        raise ArgumentError(f"{where}: missing {item.name}") from None


def encode_command(db: MissionDatabase, command: str | Command, values: Values) -> bytes:
    """The application data of a command (deduced commands: ``values`` by parameter name)."""
    command = db.command(command) if isinstance(command, str) else command
    if command.deduced:
        return encode_parameter_values(db, values)
    return encode_fields(command.arguments, values, command.name)


def encode_housekeeping(db: MissionDatabase, structure: str | HousekeepingStructure,
                        values: Values) -> bytes:
    """The source data of a TM(3,25) report: structure id then every parameter's raw value."""
    structure = db.structure(structure) if isinstance(structure, str) else structure
    fields = db.structure_parameters(structure)
    return _UINT8.pack(structure.id) + encode_fields(fields, values, structure.name)


def encode_event(db: MissionDatabase, event: str | Event, values: Values) -> bytes:
    """The source data of a TM(5,x) report: event id then the event's data fields."""
    event = db.event(event) if isinstance(event, str) else event
    return _UINT16.pack(event.id) + encode_fields(event.parameters, values, event.name)


def encode_parameter_values(db: MissionDatabase, values: Values) -> bytes:
    """N (uint8) x (parameter id, value): TC(20,3) data and TM(20,2) source data."""
    if len(values) > 0xFF:
        raise ArgumentError(f"{len(values)} parameters exceed N = 255")
    parts = [_UINT8.pack(len(values))]
    for name, value in values.items():
        try:
            parameter = db.parameter(name)
        except DictionaryError as exc:
            raise ArgumentError(str(exc)) from None
        parts += (_UINT16.pack(parameter.id), encode_field(parameter, value, "parameter values"))
    return b"".join(parts)


# ----------------------------------------------------------------------------- decoding

def decode_fields(fields: Sequence[Field], data: Buffer, offset: int,
                  where: str) -> tuple[dict[str, Value], int]:
    """Decode one value per field from ``offset``; check ranges; return values and end."""
    values: dict[str, Value] = {}
    for item in fields:
        try:
            (value,), offset = decode_from((item.pus_type,), data, offset)
        except DecodeError as exc:
            raise type(exc)(f"{where}: {item.name}: {exc}") from None
        problem = item.range_problem(value)
        if problem:
            raise ValueRangeError(f"{where}: {item.name}: {problem}")
        values[item.name] = value
    return values, offset


class _Layout:
    """A field sequence precompiled for decoding: one struct unpack when every field has a
    struct code, then only the fields with a rule (boolean, range, enumeration) checked."""

    def __init__(self, source: Command | Event | HousekeepingStructure,
                 fields: tuple[Field, ...]) -> None:
        self.source = source
        self.fields = fields
        self.where = source.name
        self.names = [item.name for item in fields]
        self.packed = sequence_struct([item.pus_type for item in fields])
        self.checked = [(index, item) for index, item in enumerate(fields)
                        if item.pus_type.ptc == Ptc.BOOLEAN or item.enumeration
                        or item.minimum is not None or item.maximum is not None]

    def decode_from(self, data: Buffer, offset: int) -> tuple[dict[str, Value], int]:
        packed = self.packed
        if packed is None or len(data) - offset < packed.size:
            return decode_fields(self.fields, data, offset, self.where)  # exact errors
        raw: list[Value] = list(packed.unpack_from(data, offset))
        for index, item in self.checked:
            value = raw[index]
            if item.pus_type.ptc == Ptc.BOOLEAN:
                if value not in (0, 1):
                    raise PusValueError(f"{self.where}: {item.name}: boolean octet {value!r}")
                raw[index] = value = bool(value)
            problem = item.range_problem(value)
            if problem:
                raise ValueRangeError(f"{self.where}: {item.name}: {problem}")
        return dict(zip(self.names, raw, strict=True)), offset + packed.size


def _layout(db: MissionDatabase, source: Command | Event | HousekeepingStructure) -> _Layout:
    """The layout of a definition's fields, cached in ``db`` on first use."""
    key = (type(source).__name__, source.name)
    layout = db.codec_cache.get(key)
    if not isinstance(layout, _Layout) or layout.source is not source:
        if isinstance(source, HousekeepingStructure):
            fields: tuple[Field, ...] = db.structure_parameters(source)
        else:
            fields = source.arguments if isinstance(source, Command) else source.parameters
        layout = db.codec_cache[key] = _Layout(source, fields)
    return layout


def _whole(values: dict[str, Value], end: int, data: Buffer, where: str) -> dict[str, Value]:
    if end != len(data):
        raise LengthError(f"{where}: {len(data) - end} octets after the last field")
    return values


def _uint(data: Buffer, offset: int, unpacker: struct.Struct, what: str) -> int:
    if len(data) < offset + unpacker.size:
        raise TruncatedError(f"{what} truncated")
    value: int = unpacker.unpack_from(data, offset)[0]
    return value


def decode_command(db: MissionDatabase, command: str | Command, data: Buffer) -> dict[str, Value]:
    """The argument values of a command's application data (the board side)."""
    command = db.command(command) if isinstance(command, str) else command
    if command.deduced:
        return decode_parameter_values(db, data)
    layout = _layout(db, command)
    values, end = layout.decode_from(data, 0)
    return _whole(values, end, data, command.name)


def decode_housekeeping(db: MissionDatabase,
                        data: Buffer) -> tuple[HousekeepingStructure, dict[str, Value]]:
    """The structure and raw parameter values of a TM(3,25) report's source data."""
    structure_id = _uint(data, 0, _UINT8, "housekeeping structure id")
    try:
        structure = db.structure_by_id(structure_id)
    except DictionaryError as exc:
        raise UnknownIdError(str(exc)) from None
    layout = _layout(db, structure)
    values, end = layout.decode_from(data, _UINT8.size)
    return structure, _whole(values, end, data, structure.name)


def decode_event(db: MissionDatabase, data: Buffer) -> tuple[Event, dict[str, Value]]:
    """The event definition and data values of a TM(5,x) report's source data."""
    event_id = _uint(data, 0, _UINT16, "event id")
    try:
        event = db.event_by_id(event_id)
    except DictionaryError as exc:
        raise UnknownIdError(str(exc)) from None
    layout = _layout(db, event)
    values, end = layout.decode_from(data, _UINT16.size)
    return event, _whole(values, end, data, event.name)


def decode_parameter_values(db: MissionDatabase, data: Buffer) -> dict[str, Value]:
    """Parameter values by name from N x (id, value) (TC(20,3) / TM(20,2) data)."""
    count = _uint(data, 0, _UINT8, "parameter count N")
    offset = _UINT8.size
    values: dict[str, Value] = {}
    for _ in range(count):
        parameter_id = _uint(data, offset, _UINT16, "parameter id")
        try:
            parameter = db.parameter_by_id(parameter_id)
        except DictionaryError as exc:
            raise UnknownIdError(str(exc)) from None
        decoded, offset = decode_fields((parameter,), data, offset + _UINT16.size,
                                        "parameter values")
        values.update(decoded)
    return _whole(values, offset, data, "parameter values")


# ----------------------------------------------------------------------------- engineering

def engineering(parameter: Parameter, raw: Value) -> Value:
    """The calibrated value of a numeric parameter; raw values without a calibration."""
    if parameter.calibration != IDENTITY and isinstance(raw, int | float):
        return parameter.calibrate(raw)
    return raw


def check_limits(db: MissionDatabase, raw_values: Values) -> dict[str, LimitState]:
    """The limit state of every parameter in ``raw_values`` that has limits."""
    states: dict[str, LimitState] = {}
    for name, raw in raw_values.items():
        parameter = db.parameter(name)
        value = engineering(parameter, raw)
        if parameter.limits is not None and isinstance(value, int | float):
            states[name] = parameter.limit_state(value)
    return states
