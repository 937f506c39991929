"""The parameter pool: initial values, validated writes, and sources sampled on demand."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.mission_db import (
    ArgumentError,
    HousekeepingStructure,
    MissionDatabase,
    Parameter,
    decode_housekeeping,
    encode_housekeeping,
)
from ccsds.mission_db.codec import encode_field
from ccsds.pus_types import Value
from ccsds.timecode import CucTime
from flight_sw.dictionary import MISSION
from flight_sw.parameters import ParameterPool, UnknownParameterError, initial_value

ODD = MissionDatabase(name="odd", version="1", apid=9, parameters=(
    Parameter(id=1, name="LEVEL", type="enum8", enumeration=(("LOW", 3), ("HIGH", 7))),
    Parameter(id=2, name="OFFSET", type="int16", minimum=5, maximum=9),
    Parameter(id=3, name="BIAS", type="float32", minimum=-9.0, maximum=-1.0),
    Parameter(id=4, name="TAG", type="string:3"),
    Parameter(id=5, name="KEY", type="bytes:2"),
    Parameter(id=6, name="WHEN", type="cuc4.2"),
    Parameter(id=7, name="ON", type="bool"),
    Parameter(id=8, name="NAME", type="string"),
))

ANY_VALUE = (st.integers(-2**40, 2**40) | st.floats() | st.booleans() | st.text(max_size=4)
             | st.binary(max_size=4) | st.none() | st.builds(CucTime, st.integers(0, 99)))


@pytest.mark.parametrize("database", [MISSION, ODD], ids=["mission", "odd"])
def test_initial_values_are_valid_values(database: MissionDatabase) -> None:
    pool = ParameterPool(database)
    for parameter in database.parameters:
        value = pool.get(parameter.name)
        encode_field(parameter, value, "test")  # raises when not a valid value
        assert value == initial_value(parameter)
    structure = HousekeepingStructure(1, "all", tuple(p.name for p in database.parameters))
    with_structure = MissionDatabase(name="x", version="1", apid=1,
                                     parameters=database.parameters, housekeeping=(structure,))
    names = structure.parameters
    data = encode_housekeeping(with_structure, structure, pool.values(names))
    assert decode_housekeeping(with_structure, data)[1] == pool.values(names)


def test_initial_values_respect_ranges_and_enumerations() -> None:
    pool = ParameterPool(ODD)
    assert pool.values(["LEVEL", "OFFSET", "BIAS", "ON"]) == {
        "LEVEL": 3, "OFFSET": 5, "BIAS": -1.0, "ON": False}


@given(name=st.sampled_from([p.name for p in MISSION.parameters]), value=ANY_VALUE)
def test_set_stores_exactly_the_valid_values(name: str, value: Value) -> None:
    pool = ParameterPool(MISSION)
    parameter = MISSION.parameter(name)
    before = pool.get(name)
    try:
        encode_field(parameter, value, "reference")
        valid = True
    except ArgumentError:
        valid = False
    if valid:
        pool.set(name, value)
        assert pool.get(name) == value
    else:
        with pytest.raises(ArgumentError):
            pool.set(name, value)
        assert pool.get(name) == before


def test_labels_are_stored_as_their_values() -> None:
    pool = ParameterPool(MISSION)
    pool.set("MODE", "NOMINAL")
    assert pool.get("MODE") == MISSION.parameter("MODE").value_of("NOMINAL")
    with pytest.raises(ArgumentError):
        pool.set("MODE", "ASLEEP")


def test_unknown_names_are_local_errors() -> None:
    pool = ParameterPool(MISSION)
    for call in (lambda: pool.get("NOPE"), lambda: pool.set("NOPE", 1),
                 lambda: pool.update({"NOPE": 1})):
        with pytest.raises(UnknownParameterError):
            call()


def test_update_is_all_or_nothing() -> None:
    pool = ParameterPool(MISSION)
    with pytest.raises(ArgumentError):
        pool.update({"UPTIME": 5, "CPU_LOAD": 256})
    assert pool.get("UPTIME") == 0
    pool.update({"UPTIME": 5, "CPU_LOAD": 255})
    assert pool.values(["UPTIME", "CPU_LOAD"]) == {"UPTIME": 5, "CPU_LOAD": 255}


def test_sample_calls_every_source_with_now() -> None:
    pool = ParameterPool(MISSION)
    calls: list[float] = []

    def uptime(now: float) -> Mapping[str, Value]:
        calls.append(now)
        return {"UPTIME": int(now)}

    pool.add_source(uptime)
    pool.add_source(lambda now: {"TASKS": 3})
    pool.sample(12.75)
    assert calls == [12.75]
    assert pool.values(["UPTIME", "TASKS"]) == {"UPTIME": 12, "TASKS": 3}
    assert pool.counters.samples == 1


def test_a_failing_source_is_counted_and_its_values_stay() -> None:
    pool = ParameterPool(MISSION)
    broken = {"fail": False}

    def flaky(now: float) -> Mapping[str, Value]:
        if broken["fail"]:
            raise OSError("sensor gone")
        return {"CPU_TEMP": 30_000}

    pool.add_source(flaky)
    pool.add_source(lambda now: {"UPTIME": int(now)})
    pool.sample(1.0)
    broken["fail"] = True
    pool.sample(2.0)
    assert pool.values(["CPU_TEMP", "UPTIME"]) == {"CPU_TEMP": 30_000, "UPTIME": 2}
    assert pool.counters.source_failures == 1


def test_bad_sampled_values_are_skipped_one_by_one() -> None:
    pool = ParameterPool(MISSION)
    pool.add_source(lambda now: {"CPU_LOAD": 300, "UPTIME": 9, "NOPE": 1, 5: 1})  # type: ignore[dict-item]
    pool.add_source(lambda now: 42)  # type: ignore[arg-type,return-value]
    pool.sample(0.0)
    assert pool.get("UPTIME") == 9
    assert pool.get("CPU_LOAD") == 0
    assert (pool.counters.rejected_values, pool.counters.unknown_names,
            pool.counters.source_failures) == (1, 2, 1)


@given(st.dictionaries(st.sampled_from([p.name for p in ODD.parameters]) | st.text(max_size=3),
                       ANY_VALUE, max_size=8))
def test_any_source_output_leaves_only_valid_values(fresh: dict[str, Value]) -> None:
    pool = ParameterPool(ODD)
    pool.add_source(lambda now: fresh)
    pool.sample(0.0)
    for parameter in ODD.parameters:
        encode_field(parameter, pool.get(parameter.name), "test")
    counters = pool.counters
    assert counters.rejected_values + counters.unknown_names <= len(fresh)
