"""Mission database model: validation on construction, lookups, calibration and limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import LocalProtocolError
from ccsds.mission_db import (
    Argument,
    Command,
    DictionaryError,
    Event,
    HousekeepingStructure,
    Limits,
    LimitState,
    MissionDatabase,
    Parameter,
    Severity,
)


def _db(**overrides: Any) -> MissionDatabase:
    fields: dict[str, Any] = {
        "name": "test", "version": "1", "apid": 100,
        "commands": (Command("PING", 17, 1),
                     Command("SET", 130, 1, (Argument(name="level", type="uint8"),))),
        "parameters": (Parameter(id=1, name="A", type="uint16"),
                       Parameter(id=2, name="B", type="float32")),
        "events": (Event(1, "BOOT", Severity.INFO),),
        "housekeeping": (HousekeepingStructure(1, "hk", ("A", "B")),),
    }
    fields.update(overrides)
    return MissionDatabase(**fields)


def test_valid_database_and_lookups() -> None:
    db = _db()
    assert db.command("SET").argument("level").pus_type.name == "uint8"
    assert db.command_by_type(17, 1).name == "PING"
    assert db.parameter_by_id(2) is db.parameter("B")
    assert db.event_by_id(1).name == "BOOT"
    assert db.structure_by_id(1) is db.structure("hk")
    assert [p.name for p in db.structure_parameters(db.structure("hk"))] == ["A", "B"]
    assert db.settable_parameters == ()


@pytest.mark.parametrize("lookup", [
    lambda db: db.command("NOPE"), lambda db: db.command_by_type(17, 2),
    lambda db: db.parameter("C"), lambda db: db.parameter_by_id(9), lambda db: db.event("X"),
    lambda db: db.event_by_id(2), lambda db: db.structure("x"),
    lambda db: db.structure_by_id(7), lambda db: db.command("SET").argument("x"),
])
def test_failed_lookups_raise_dictionary_error(lookup: Any) -> None:
    with pytest.raises(DictionaryError):
        lookup(_db())


@pytest.mark.parametrize(("overrides", "message"), [
    ({"commands": (Command("PING", 17, 1), Command("PING", 17, 3))}, "duplicate command"),
    ({"commands": (Command("A", 17, 1), Command("B", 17, 1))}, "(service, subtype)"),
    ({"parameters": (Parameter(id=1, name="A", type="uint8"),
                     Parameter(id=1, name="B", type="uint8"))}, "parameter id"),
    ({"parameters": (Parameter(id=1, name="A", type="uint8"),
                     Parameter(id=2, name="A", type="uint8"))}, "duplicate parameter"),
    ({"events": (Event(1, "X", Severity.LOW), Event(1, "Y", Severity.LOW))}, "event id"),
    ({"housekeeping": (HousekeepingStructure(1, "hk", ("A",)),
                       HousekeepingStructure(1, "hk2", ("B",)))}, "structure id"),
    ({"housekeeping": (HousekeepingStructure(1, "hk", ("A", "Z")),)}, "unknown parameters"),
    ({"apid": 0x7FF}, "APID"),
    ({"name": "not a name"}, "identifier"),
])
def test_database_validation(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(DictionaryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _db(**overrides)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Argument(name="x", type="uint7"), "unsupported|unknown"),
    (lambda: Argument(name="x y", type="uint8"), "identifier"),
    (lambda: Argument(name="x", type="uint8", minimum=5, maximum=4), "minimum"),
    (lambda: Argument(name="x", type="string", minimum=0), "numeric"),
    (lambda: Argument(name="x", type="float32", enumeration=(("A", 0),)), "integer"),
    (lambda: Argument(name="x", type="uint8", enumeration=(("A", 256),)), "outside"),
    (lambda: Argument(name="x", type="enum8", enumeration=(("A", 0), ("A", 1))), "label"),
    (lambda: Argument(name="x", type="enum8", enumeration=(("A", 0), ("B", 0))), "value"),
    (lambda: Parameter(id=70000, name="P", type="uint8"), "uint16"),
    (lambda: Parameter(id=1, name="P", type="uint8", calibration=()), "calibration"),
    (lambda: Parameter(id=1, name="P", type="bytes:4", calibration=(1.0, 2.0)), "numeric"),
    (lambda: Parameter(id=1, name="P", type="bool", limits=Limits(alarm_high=1)), "numeric"),
    (lambda: Limits(warning_low=5, alarm_low=6), "ordered"),
    (lambda: Limits(warning_high=5, alarm_high=4), "ordered"),
    (lambda: Limits(warning_low=5, warning_high=4), "ordered"),
    (lambda: Command("X", 0, 1), "1..255"),
    (lambda: Command("X", 17, 256), "1..255"),
    (lambda: Command("X", 17, 1, (Argument(name="a", type="uint8"),) * 2), "duplicate"),
    (lambda: Command("X", 20, 3, (Argument(name="a", type="uint8"),), deduced=True),
     "deduced"),
    (lambda: Event(70000, "E", Severity.HIGH), "uint16"),
    (lambda: Event(1, "E", 3), "Severity"),  # type: ignore[arg-type]
    (lambda: HousekeepingStructure(256, "h", ("A",)), "uint8"),
    (lambda: HousekeepingStructure(1, "h", ("A",), interval_s=0), "positive"),
    (lambda: HousekeepingStructure(1, "h", ()), "no parameters"),
    (lambda: HousekeepingStructure(1, "h", ("A", "A")), "duplicate"),
    # Python types, as a JSON document could get them wrong
    (lambda: Command("X", 17, 1, critical="yes"), "critical"),  # type: ignore[arg-type]
    (lambda: Command("X", True, 1), "service"),  # type: ignore[arg-type]
    (lambda: Parameter(id=True, name="P", type="uint8"), "id"),
    (lambda: Parameter(id=1, name="P", type="uint8", calibration=("a",)), "calibration"),
    (lambda: Parameter(id=1, name="P", type="uint8", settable=1), "settable"),  # type: ignore[arg-type]
    (lambda: Argument(name="a", type="uint8", minimum="0"), "minimum"),  # type: ignore[arg-type]
    (lambda: Argument(name="a", type="enum8", enumeration=(("A", 1.0),)), "pairs"),
    (lambda: Limits(alarm_high="5"), "alarm_high"),  # type: ignore[arg-type]
    (lambda: HousekeepingStructure(1, "h", ("A",), enabled=1), "enabled"),  # type: ignore[arg-type]
    (lambda: Event(1, "E", Severity.LOW, description=None), "description"),  # type: ignore[arg-type]
])
def test_definition_validation(build: Any, message: str) -> None:
    with pytest.raises(DictionaryError, match=message):
        build()


def test_dictionary_error_is_a_local_protocol_error() -> None:
    assert issubclass(DictionaryError, LocalProtocolError)


def test_enumeration_labels() -> None:
    mode = Argument(name="mode", type="enum8", enumeration=(("SAFE", 0), ("NOMINAL", 1)))
    assert mode.value_of("NOMINAL") == 1
    assert mode.label_of(0) == "SAFE"
    assert mode.label_of(7) is None
    assert mode.range_problem(7)
    with pytest.raises(DictionaryError):
        mode.value_of("OFF")


@given(coefficients=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=4),
       raw=st.integers(-1000, 1000))
def test_calibration_is_the_polynomial(coefficients: list[float], raw: int) -> None:
    parameter = Parameter(id=1, name="P", type="int16", calibration=tuple(coefficients))
    expected = float(np.polynomial.polynomial.polyval(raw, coefficients))
    assert parameter.calibrate(raw) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_identity_calibration_by_default() -> None:
    assert Parameter(id=1, name="P", type="uint8").calibrate(42) == 42


LIMITS = Limits(warning_low=-10.0, warning_high=10.0, alarm_low=-20.0, alarm_high=20.0)


@given(value=st.floats(-100, 100))
def test_limit_state_partition(value: float) -> None:
    state = LIMITS.state(value)
    if value < -20:
        assert state is LimitState.ALARM_LOW
    elif value > 20:
        assert state is LimitState.ALARM_HIGH
    elif value < -10:
        assert state is LimitState.WARNING_LOW
    elif value > 10:
        assert state is LimitState.WARNING_HIGH
    else:
        assert state is LimitState.NOMINAL


def test_limit_bounds_are_inclusive_and_optional() -> None:
    assert LIMITS.state(10.0) is LimitState.NOMINAL
    assert LIMITS.state(20.0) is LimitState.WARNING_HIGH
    assert Limits(alarm_high=5).state(-1e9) is LimitState.NOMINAL
    assert Parameter(id=1, name="P", type="uint8").limit_state(1e9) is LimitState.NOMINAL
