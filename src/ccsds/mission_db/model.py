"""The mission database model: commands, parameters, events, housekeeping structures.

Frozen dataclasses, validated on construction (:class:`DictionaryError` names the faulty
definition). Types are PUS parameter types (ECSS-E-ST-70-41C 7.3) named by the aliases of
:func:`ccsds.pus_types.parse_type`. Services and subtypes follow ECSS-E-ST-70-41C 5.3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import TypeVar

from ccsds.errors import LocalProtocolError
from ccsds.pus_types import PusType, parse_type

UINT8_MAX = 0xFF
UINT16_MAX = 0xFFFF
MAX_APID = 0x7FE
"""Largest application APID (0x7FF is the idle APID, CCSDS 133.0-B-2 4.1.3.3.4.4)."""


class DictionaryError(LocalProtocolError):
    """A mission database definition is inconsistent (duplicate, unknown type, bad range)."""


class Severity(IntEnum):
    """Event severity and the PUS service 5 report subtype carrying it (ECSS 6.5.4)."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4


class LimitState(Enum):
    """Where an engineering value stands against its limits."""

    NOMINAL = "nominal"
    WARNING_LOW = "warning_low"
    WARNING_HIGH = "warning_high"
    ALARM_LOW = "alarm_low"
    ALARM_HIGH = "alarm_high"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise DictionaryError(message)


def _kinds(owner: str, **values: tuple[object, type | tuple[type, ...]]) -> None:
    """Check each value's Python type (definitions may come from a JSON document)."""
    for name, (value, kinds) in values.items():
        allowed = kinds if isinstance(kinds, tuple) else (kinds,)
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            raise DictionaryError(f"{owner}: {name} {value!r} is not {allowed}")


_NUMBER = (int, float)
_OPTIONAL_NUMBER = (int, float, type(None))


@dataclass(frozen=True, kw_only=True)
class Field:
    """A typed value: a command argument, event data field or telemetry parameter.

    ``minimum``/``maximum`` bound the accepted values (raw, in the type's units);
    ``enumeration`` maps labels to the values of an integer type.
    """

    name: str
    type: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    enumeration: tuple[tuple[str, int], ...] = ()
    description: str = ""
    pus_type: PusType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str) and self.name.isidentifier(),
                 f"name {self.name!r} is not an identifier")
        _kinds(self.name, type=(self.type, str), unit=(self.unit, str),
               description=(self.description, str), minimum=(self.minimum, _OPTIONAL_NUMBER),
               maximum=(self.maximum, _OPTIONAL_NUMBER),
               enumeration=(self.enumeration, tuple))
        _require(all(isinstance(label, str) and type(value) is int
                     for label, value in self.enumeration),
                 f"{self.name}: enumeration entries are (label, int) pairs")
        try:
            pus_type = parse_type(self.type)
        except LocalProtocolError as exc:
            raise DictionaryError(f"{self.name}: {exc}") from None
        object.__setattr__(self, "pus_type", pus_type)
        if self.minimum is not None or self.maximum is not None:
            _require(pus_type.is_numeric, f"{self.name}: a range needs a numeric type")
        if self.minimum is not None and self.maximum is not None:
            _require(self.minimum <= self.maximum,
                     f"{self.name}: minimum {self.minimum} > maximum {self.maximum}")
        if self.enumeration:
            _require(pus_type.is_integer, f"{self.name}: enumeration needs an integer type")
            low, high = pus_type.value_range()
            _require(all(low <= value <= high for _, value in self.enumeration),
                     f"{self.name}: enumeration value outside {self.type}")
            _unique((label for label, _ in self.enumeration), f"{self.name} enumeration label")
            _unique((value for _, value in self.enumeration), f"{self.name} enumeration value")

    def value_of(self, label: str) -> int:
        """The integer of an enumeration label (DictionaryError if unknown)."""
        for known, value in self.enumeration:
            if known == label:
                return value
        raise DictionaryError(f"{self.name}: unknown label {label!r}")

    def label_of(self, value: int) -> str | None:
        """The label of an enumerated value, ``None`` if it has none."""
        return next((label for label, known in self.enumeration if known == value), None)

    def range_problem(self, value: object) -> str:
        """Why ``value`` (already of the right Python kind) is not accepted, or ''."""
        if self.enumeration and self.label_of(value) is None:  # type: ignore[arg-type]
            return f"{value!r} is not one of {[label for label, _ in self.enumeration]}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return f"{value!r} below minimum {self.minimum}"
            if self.maximum is not None and value > self.maximum:
                return f"{value!r} above maximum {self.maximum}"
        return ""


@dataclass(frozen=True, kw_only=True)
class Argument(Field):
    """A command argument or event data field."""


@dataclass(frozen=True)
class Limits:
    """Monitoring limits in engineering units; any bound may be absent.

    Ordered alarm_low <= warning_low <= warning_high <= alarm_high (checked).
    """

    warning_low: float | None = None
    warning_high: float | None = None
    alarm_low: float | None = None
    alarm_high: float | None = None

    def __post_init__(self) -> None:
        _kinds("limits", warning_low=(self.warning_low, _OPTIONAL_NUMBER),
               warning_high=(self.warning_high, _OPTIONAL_NUMBER),
               alarm_low=(self.alarm_low, _OPTIONAL_NUMBER),
               alarm_high=(self.alarm_high, _OPTIONAL_NUMBER))
        bounds = [b for b in (self.alarm_low, self.warning_low, self.warning_high,
                              self.alarm_high) if b is not None]
        _require(bounds == sorted(bounds), f"limits not ordered: {self}")

    def state(self, value: float) -> LimitState:
        """The limit state of an engineering value (alarms checked before warnings)."""
        if self.alarm_low is not None and value < self.alarm_low:
            return LimitState.ALARM_LOW
        if self.alarm_high is not None and value > self.alarm_high:
            return LimitState.ALARM_HIGH
        if self.warning_low is not None and value < self.warning_low:
            return LimitState.WARNING_LOW
        if self.warning_high is not None and value > self.warning_high:
            return LimitState.WARNING_HIGH
        return LimitState.NOMINAL


IDENTITY = (0.0, 1.0)


@dataclass(frozen=True, kw_only=True)
class Parameter(Field):
    """A telemetry parameter (ECSS-E-ST-70-41C 6.3 housekeeping, 6.20 parameter management).

    ``calibration`` holds polynomial coefficients c0, c1, ... (engineering = sum ci * raw^i);
    ``settable`` parameters form the service 20 table, ``minimum``/``maximum`` their range.
    """

    id: int
    calibration: tuple[float, ...] = IDENTITY
    limits: Limits | None = None
    settable: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _kinds(self.name, id=(self.id, int), settable=(self.settable, bool),
               calibration=(self.calibration, tuple), limits=(self.limits, (Limits, type(None))))
        _require(0 <= self.id <= UINT16_MAX, f"{self.name}: id {self.id} is not a uint16")
        _require(len(self.calibration) >= 1, f"{self.name}: empty calibration")
        for coefficient in self.calibration:
            _kinds(self.name, calibration=(coefficient, _NUMBER))
        if self.calibration != IDENTITY or self.limits is not None:
            _require(self.pus_type.is_numeric,
                     f"{self.name}: calibration and limits need a numeric type")

    def calibrate(self, raw: float) -> float:
        """The engineering value of a raw value (Horner's rule on the coefficients)."""
        *lower, result = self.calibration
        result = float(result)  # highest order first: no 0 * raw term (inf stays inf)
        for coefficient in reversed(lower):
            result = result * raw + coefficient
        return result

    def limit_state(self, engineering: float) -> LimitState:
        """The limit state of an engineering value (NOMINAL without limits)."""
        return self.limits.state(engineering) if self.limits else LimitState.NOMINAL


@dataclass(frozen=True)
class Command:
    """A telecommand: PUS service type and subtype, typed arguments (ECSS 7.4.3.1).

    ``critical`` commands need an explicit confirmation on the ground. ``deduced``: the
    application data is N x (parameter id, value), value types deduced from the parameter
    table (ECSS-E-ST-70-41C 6.20.4.2, service 20 set values); ``arguments`` is then empty.
    """

    name: str
    service: int
    subtype: int
    arguments: tuple[Argument, ...] = ()
    critical: bool = False
    description: str = ""
    deduced: bool = False

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str) and self.name.isidentifier(),
                 f"command name {self.name!r} is not an identifier")
        _kinds(self.name, service=(self.service, int), subtype=(self.subtype, int),
               critical=(self.critical, bool), deduced=(self.deduced, bool),
               description=(self.description, str))
        _require(0 < self.service <= UINT8_MAX and 0 < self.subtype <= UINT8_MAX,
                 f"{self.name}: service/subtype ({self.service},{self.subtype}) not in 1..255")
        _unique((a.name for a in self.arguments), f"{self.name} argument")
        _require(not (self.deduced and self.arguments),
                 f"{self.name}: a deduced command has no fixed arguments")

    def argument(self, name: str) -> Argument:
        """The argument called ``name`` (DictionaryError if none)."""
        return _find(self.arguments, name, f"{self.name} argument")


@dataclass(frozen=True)
class Event:
    """An event definition reported in TM(5, severity) (ECSS-E-ST-70-41C 6.5.4)."""

    id: int
    name: str
    severity: Severity
    parameters: tuple[Argument, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str) and self.name.isidentifier(),
                 f"event name {self.name!r} is not an identifier")
        _kinds(self.name, id=(self.id, int), description=(self.description, str))
        _require(0 <= self.id <= UINT16_MAX, f"{self.name}: id {self.id} is not a uint16")
        _require(isinstance(self.severity, Severity), f"{self.name}: severity not a Severity")
        _unique((p.name for p in self.parameters), f"{self.name} parameter")

    @property
    def subtype(self) -> int:
        """The service 5 report subtype (5,1 informative .. 5,4 high severity)."""
        return int(self.severity)


@dataclass(frozen=True)
class HousekeepingStructure:
    """A housekeeping parameter report structure reported in TM(3,25) (ECSS 6.3.3)."""

    id: int
    name: str
    parameters: tuple[str, ...]
    interval_s: float = 1.0
    enabled: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str) and self.name.isidentifier(),
                 f"structure name {self.name!r} is not an identifier")
        _kinds(self.name, id=(self.id, int), interval_s=(self.interval_s, _NUMBER),
               enabled=(self.enabled, bool), description=(self.description, str),
               parameters=(self.parameters, tuple))
        _require(0 <= self.id <= UINT8_MAX, f"{self.name}: id {self.id} is not a uint8")
        _require(self.interval_s > 0, f"{self.name}: interval {self.interval_s} s not positive")
        _require(bool(self.parameters), f"{self.name}: no parameters")
        _unique(self.parameters, f"{self.name} parameter")


@dataclass(frozen=True)
class MissionDatabase:
    """Every definition of a mission, validated and indexed on construction."""

    name: str
    version: str
    apid: int
    commands: tuple[Command, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    events: tuple[Event, ...] = ()
    housekeeping: tuple[HousekeepingStructure, ...] = ()
    _by_type: dict[tuple[int, int], Command] = field(init=False, repr=False, compare=False)
    _parameter_ids: dict[int, Parameter] = field(init=False, repr=False, compare=False)
    codec_cache: dict[object, object] = field(init=False, repr=False, compare=False)
    """Precompiled layouts of :mod:`ccsds.mission_db.codec`, filled on first use."""

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str) and self.name.isidentifier(),
                 f"mission name {self.name!r} is not an identifier")
        _kinds(self.name, version=(self.version, str), apid=(self.apid, int))
        _require(0 <= self.apid <= MAX_APID, f"APID {self.apid} outside 0..{MAX_APID}")
        _unique((c.name for c in self.commands), "command")
        _unique(((c.service, c.subtype) for c in self.commands), "command (service, subtype)")
        _unique((p.name for p in self.parameters), "parameter")
        _unique((p.id for p in self.parameters), "parameter id")
        _unique((e.name for e in self.events), "event")
        _unique((e.id for e in self.events), "event id")
        _unique((h.name for h in self.housekeeping), "housekeeping structure")
        _unique((h.id for h in self.housekeeping), "housekeeping structure id")
        names = {p.name for p in self.parameters}
        for structure in self.housekeeping:
            unknown = [n for n in structure.parameters if n not in names]
            _require(not unknown, f"{structure.name}: unknown parameters {unknown}")
        object.__setattr__(self, "_by_type", {(c.service, c.subtype): c for c in self.commands})
        object.__setattr__(self, "_parameter_ids", {p.id: p for p in self.parameters})
        object.__setattr__(self, "codec_cache", {})

    def command(self, name: str) -> Command:
        """The command called ``name``."""
        return _find(self.commands, name, "command")

    def command_by_type(self, service: int, subtype: int) -> Command:
        """The command of a (service, subtype) (DictionaryError if none)."""
        try:
            return self._by_type[service, subtype]
        except KeyError:
            raise DictionaryError(f"no command ({service},{subtype})") from None

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``."""
        return _find(self.parameters, name, "parameter")

    def parameter_by_id(self, parameter_id: int) -> Parameter:
        """The parameter with id ``parameter_id``."""
        try:
            return self._parameter_ids[parameter_id]
        except KeyError:
            raise DictionaryError(f"no parameter id {parameter_id}") from None

    def event(self, name: str) -> Event:
        """The event called ``name``."""
        return _find(self.events, name, "event")

    def event_by_id(self, event_id: int) -> Event:
        """The event with id ``event_id``."""
        return _find_by_id(self.events, event_id, "event")

    def structure(self, name: str) -> HousekeepingStructure:
        """The housekeeping structure called ``name``."""
        return _find(self.housekeeping, name, "housekeeping structure")

    def structure_by_id(self, structure_id: int) -> HousekeepingStructure:
        """The housekeeping structure with id ``structure_id``."""
        return _find_by_id(self.housekeeping, structure_id, "housekeeping structure")

    def structure_parameters(self, structure: HousekeepingStructure) -> tuple[Parameter, ...]:
        """The parameters of a structure, in report order."""
        return tuple(self.parameter(name) for name in structure.parameters)

    @property
    def settable_parameters(self) -> tuple[Parameter, ...]:
        """The service 20 parameter table."""
        return tuple(p for p in self.parameters if p.settable)

    def hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON export: see :mod:`ccsds.mission_db.json_io`."""
        from ccsds.mission_db.json_io import dictionary_hash  # noqa: PLC0415 (cycle)

        return dictionary_hash(self)


_Named = TypeVar("_Named", Command, Parameter, Event, HousekeepingStructure, Argument)
_WithId = TypeVar("_WithId", Event, HousekeepingStructure)


def _find(items: Iterable[_Named], name: str, what: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise DictionaryError(f"no {what} {name!r}")


def _find_by_id(items: Iterable[_WithId], item_id: int, what: str) -> _WithId:
    for item in items:
        if item.id == item_id:
            return item
    raise DictionaryError(f"no {what} id {item_id}")


def _unique(keys: Iterable[object], what: str) -> None:
    seen: set[object] = set()
    for key in keys:
        _require(key not in seen, f"duplicate {what} {key!r}")
        seen.add(key)
