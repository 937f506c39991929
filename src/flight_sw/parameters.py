"""The parameter pool: the current raw value of every telemetry parameter of the dictionary.

Housekeeping (ECSS-E-ST-70-41C 6.3) and parameter management (6.20) read it; the HAL and
the services write it, directly or through sources sampled just before a report. Every value
is checked against its parameter's PUS type (7.3), range and enumeration when it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ccsds.mission_db import ArgumentError, MissionDatabase, Parameter
from ccsds.mission_db.codec import encode_field
from ccsds.pus_types import Ptc, Value
from ccsds.timecode import CucTime

Source = Callable[[float], Mapping[str, Value]]
"""Gives fresh raw values by parameter name: ``source(now)``."""


class UnknownParameterError(ArgumentError):
    """A parameter name that the dictionary does not define."""


@dataclass
class PoolCounters:
    """What sampling the sources skipped or refused."""

    samples: int = 0
    source_failures: int = 0
    rejected_values: int = 0
    unknown_names: int = 0


def initial_value(parameter: Parameter) -> Value:
    """The value a parameter holds before anything writes it: zero, clamped into its range
    (the first enumeration value for an enumeration without zero)."""
    ptc = parameter.pus_type.ptc
    if ptc == Ptc.BOOLEAN:
        return False
    if ptc in (Ptc.OCTET_STRING, Ptc.CHARACTER_STRING):
        empty = bytes(parameter.pus_type.fixed_size or 0)
        return empty if ptc == Ptc.OCTET_STRING else empty.decode()
    if ptc == Ptc.ABSOLUTE_TIME:
        return CucTime(0)
    if parameter.enumeration and parameter.label_of(0) is None:
        return parameter.enumeration[0][1]
    zero: int | float = 0.0 if ptc == Ptc.REAL else 0
    if parameter.minimum is not None and zero < parameter.minimum:
        return type(zero)(parameter.minimum)
    if parameter.maximum is not None and zero > parameter.maximum:
        return type(zero)(parameter.maximum)
    return zero


def checked_value(parameter: Parameter, value: Value) -> Value:
    """``value`` as stored (enumeration labels become their integers); ArgumentError when it
    is not a value of the parameter's type, range or enumeration."""
    if isinstance(value, str) and parameter.enumeration:
        number = dict(parameter.enumeration).get(value)
        if number is None:
            raise ArgumentError(f"{parameter.name}: unknown label {value!r}")
        value = number
    encode_field(parameter, value, "parameter pool")
    return value


class ParameterPool:
    """Raw values by parameter name, with sources sampled on demand."""

    def __init__(self, database: MissionDatabase) -> None:
        self.database = database
        self.counters = PoolCounters()
        self._parameters = {p.name: p for p in database.parameters}
        self._values: dict[str, Value] = {p.name: initial_value(p) for p in database.parameters}
        self._sources: list[Source] = []

    def parameter(self, name: str) -> Parameter:
        """The definition of ``name`` (UnknownParameterError if none)."""
        try:
            return self._parameters[name]
        except KeyError:
            raise UnknownParameterError(f"no parameter {name!r}") from None

    def get(self, name: str) -> Value:
        """The current raw value of ``name``."""
        self.parameter(name)
        return self._values[name]

    def values(self, names: Iterable[str]) -> dict[str, Value]:
        """The current raw values of ``names``, by name."""
        return {name: self.get(name) for name in names}

    def set(self, name: str, value: Value) -> None:
        """Store one value (ArgumentError when unknown or invalid)."""
        self._values[name] = checked_value(self.parameter(name), value)

    def update(self, values: Mapping[str, Value]) -> None:
        """Store several values: all of them, or none when one is unknown or invalid."""
        checked = {name: checked_value(self.parameter(name), v) for name, v in values.items()}
        self._values.update(checked)

    def add_source(self, source: Source) -> None:
        """Call ``source(now)`` on every :meth:`sample`."""
        self._sources.append(source)

    @property
    def sources(self) -> tuple[Source, ...]:
        """The sources, in the order they are sampled."""
        return tuple(self._sources)

    def sample(self, now: float) -> None:
        """Refresh the pool from every source. A source that raises is counted and its
        parameters keep their last values; unknown names and invalid values are counted
        and skipped one by one."""
        self.counters.samples += 1
        for source in self._sources:
            try:
                fresh = dict(source(now))
            except Exception:  # a failing sensor must not stop housekeeping
                self.counters.source_failures += 1
                continue
            for name, value in fresh.items():
                self._store_sampled(name, value)

    def _store_sampled(self, name: object, value: Value) -> None:
        parameter = self._parameters.get(name) if isinstance(name, str) else None
        if parameter is None:
            self.counters.unknown_names += 1
            return
        try:
            self._values[parameter.name] = checked_value(parameter, value)
        except ArgumentError:
            self.counters.rejected_values += 1
