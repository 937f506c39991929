"""Parameter management, PUS service 20 (ECSS-E-ST-70-41C 6.20).

(20,1) report parameter values -> TM(20,2) N x (parameter id, value) (6.20.3); (20,3) set
parameter values (6.20.4), for the dictionary's settable parameters only, each within its
range, all or none of a request (6.20.4.2). Settings persist in ``parameters.json`` in the
state directory, written atomically, and are reloaded at start: an unreadable file or entry
is counted and the defaults stay. Change callbacks let other services follow a setting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from ccsds.errors import CcsdsError, LocalProtocolError
from ccsds.mission_db import (
    ArgumentError,
    DictionaryError,
    MissionDatabase,
    Parameter,
    encode_parameter_values,
)
from ccsds.pus_types import Ptc, Value
from ccsds.timecode import CucTime
from firmware_stubs.board.errors import BoardStateError
from firmware_stubs.board.statefile import read_json, write_json_atomic
from flight_sw.clock import Clock
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.parameters import ParameterPool, checked_value
from flight_sw.services.arguments import Arguments, Rejections, integer, request_parser
from flight_sw.services.verification import Emit, ErrorCode, Verification

SERVICE = 20
STATE_FILE = "parameters.json"
FORMAT_VERSION = 1

ChangeCallback = Callable[[Value], None]
"""Called with the new raw value of a setting."""


class Subtype(IntEnum):
    """Service 20 message subtypes."""

    REPORT_VALUES = 1
    VALUES_REPORT = 2
    SET_VALUES = 3


class NotSettableError(ArgumentError):
    """A parameter outside the service 20 table was given a value."""


class ParameterStoreError(CcsdsError):
    """``parameters.json`` could not be written: the new values were not applied."""


@dataclass
class ParameterCounters:
    """Every outcome of the service, loading and storing included."""

    reports: int = 0
    sets: int = 0
    values_set: int = 0
    load_failures: int = 0
    rejected_entries: int = 0
    save_failures: int = 0
    callback_failures: int = 0
    rejected: Rejections = field(default_factory=Rejections)


def _to_json(value: Value) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, CucTime):
        return value.seconds
    return value


def _from_json(parameter: Parameter, raw: Any) -> Value:
    """A stored value back in its Python kind (ArgumentError / ValueError if it is none)."""
    ptc = parameter.pus_type.ptc
    if ptc == Ptc.OCTET_STRING and isinstance(raw, str):
        raw = bytes.fromhex(raw)
    elif ptc == Ptc.ABSOLUTE_TIME and isinstance(raw, int | float):
        raw = CucTime.from_seconds(raw)
    return checked_value(parameter, raw)


class ParameterManagement:
    """The settable parameters: values in the pool, persisted, reported and set on request."""

    def __init__(self, database: MissionDatabase, pool: ParameterPool, emit: Emit,
                 clock: Clock, state_dir: Path | None, *,
                 defaults: Mapping[str, Value] | None = None) -> None:
        self.database = database
        self.pool = pool
        self.emit = emit
        self.clock = clock
        self.path = None if state_dir is None else Path(state_dir) / STATE_FILE
        self.counters = ParameterCounters()
        self.settable = {p.name: p for p in database.settable_parameters}
        self._callbacks: defaultdict[str, list[ChangeCallback]] = defaultdict(list)
        pool.update(self._checked(defaults or {}))
        self._load()

    # ----------------------------------------------------------------------------- settings

    def get(self, name: str) -> Value:
        """The current value of a parameter."""
        return self.pool.get(name)

    def set(self, name: str, value: Value) -> None:
        """Set one settable parameter (see :meth:`set_values`)."""
        self.set_values({name: value})

    def set_values(self, values: Mapping[str, Value]) -> None:
        """Check, persist, apply, then call the change callbacks of what changed.

        NotSettableError / ArgumentError when a value is refused, ParameterStoreError when
        the file cannot be written; in both cases nothing changes.
        """
        checked = self._checked(values)
        changed = {n: v for n, v in checked.items() if self.pool.get(n) != v}
        if self.path is not None:
            current = {name: self.pool.get(name) for name in self.settable}
            self._save({**current, **checked})
        self.pool.update(checked)
        self.counters.sets += 1
        self.counters.values_set += len(checked)
        for name, value in changed.items():
            self._notify(name, value)

    def on_change(self, name: str, callback: ChangeCallback) -> None:
        """Call ``callback(value)`` whenever setting ``name`` takes a new value."""
        self._setting(name)
        self._callbacks[name].append(callback)

    def follow(self, name: str, callback: ChangeCallback) -> None:
        """:meth:`on_change`, and call ``callback`` with the current value at once."""
        self.on_change(name, callback)
        self._call(callback, self.get(name))

    def _setting(self, name: str) -> Parameter:
        try:
            return self.settable[name]
        except KeyError:
            raise NotSettableError(f"{name!r} is not a settable parameter") from None

    def _checked(self, values: Mapping[str, Value]) -> dict[str, Value]:
        return {name: checked_value(self._setting(name), v) for name, v in values.items()}

    def _notify(self, name: str, value: Value) -> None:
        for callback in self._callbacks.get(name, ()):
            self._call(callback, value)

    def _call(self, callback: ChangeCallback, value: Value) -> None:
        try:
            callback(value)
        except Exception:  # a follower's fault must not undo or abort the setting
            self.counters.callback_failures += 1

    # ----------------------------------------------------------------------------- storage

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            document = read_json(self.path)
        except BoardStateError:
            self.counters.load_failures += 1
            return
        if document is None:
            return
        stored = document.get("parameters")
        if document.get("format") != FORMAT_VERSION or not isinstance(stored, dict):
            self.counters.load_failures += 1
            return
        for name, raw in stored.items():
            try:
                self.pool.set(name, _from_json(self._setting(name), raw))
            except (LocalProtocolError, ValueError):
                self.counters.rejected_entries += 1

    def _save(self, values: Mapping[str, Value]) -> None:
        assert self.path is not None
        document = {"format": FORMAT_VERSION, "parameters": {
            name: _to_json(value) for name, value in values.items()}}
        try:
            write_json_atomic(self.path, document)
        except (OSError, ValueError, TypeError) as exc:
            self.counters.save_failures += 1
            raise ParameterStoreError(f"cannot write {self.path}: {exc}") from exc

    # ----------------------------------------------------------------------------- requests

    def register(self, dispatcher: Dispatcher) -> None:
        """Route (20,1) and (20,3) as the dictionary defines them."""
        dispatcher.register(SERVICE, Subtype.REPORT_VALUES, self._report, parse=request_parser(
            self.database, SERVICE, Subtype.REPORT_VALUES, self.counters.rejected,
            self._reported_name))
        dispatcher.register(SERVICE, Subtype.SET_VALUES, self._execute_set, parse=request_parser(
            self.database, SERVICE, Subtype.SET_VALUES, self.counters.rejected,
            self._new_values))

    def _reported_name(self, arguments: Arguments) -> str:
        parameter_id = integer(arguments, "parameter_id")
        try:
            return self.database.parameter_by_id(parameter_id).name
        except DictionaryError:
            raise self.counters.rejected.unknown("parameter id", parameter_id) from None

    def _new_values(self, arguments: Arguments) -> Arguments:
        rejected = self.counters.rejected
        if not arguments:
            rejected.invalid_data += 1
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, "(20,3) sets no parameter")
        for name in arguments:
            if name not in self.settable:
                rejected.not_settable += 1
                parameter = self.pool.parameter(name)
                raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE,
                                   f"{name} is not settable", parameter.id.to_bytes(2, "big"))
        return arguments

    def _report(self, name: str, _: Verification) -> None:
        self.pool.sample(self.clock.monotonic())
        self.counters.reports += 1
        self.emit(SERVICE, Subtype.VALUES_REPORT,
                  encode_parameter_values(self.database, {name: self.pool.get(name)}))

    def _execute_set(self, values: Arguments, _: Verification) -> None:
        try:
            self.set_values(values)
        except (ParameterStoreError, LocalProtocolError) as exc:
            raise CommandError(ErrorCode.EXECUTION_FAILED, str(exc)) from None
