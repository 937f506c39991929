"""PUS service 20: parameter reports, range-checked sets of the settable parameters,
persistence across restarts (corrupt files included) and change callbacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import LocalProtocolError
from ccsds.mission_db import (
    Command,
    MissionDatabase,
    Parameter,
    decode_parameter_values,
    encode_parameter_values,
)
from ccsds.timecode import CucTime
from flight_sw.clock import SimulatedClock
from flight_sw.dictionary import MISSION
from flight_sw.parameters import ParameterPool
from flight_sw.services.parameter_management import (
    STATE_FILE,
    NotSettableError,
    ParameterManagement,
    ParameterStoreError,
)
from flight_sw.services.standard import setting_defaults
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.services.helpers import GROUND_DB, Bench

SETTABLE = [p for p in GROUND_DB.parameters if p.settable]


@pytest.mark.parametrize("parameter", GROUND_DB.parameters, ids=lambda p: p.name)
def test_report_any_parameter(bench: Bench, parameter: Parameter) -> None:
    tc = bench.command("PARAM_REPORT", count=1, parameter_id=parameter.id)
    assert bench.outcome(tc) == (7, None)
    (report,) = bench.take(20, 2)
    assert decode_parameter_values(GROUND_DB, report) == {
        parameter.name: bench.pool.get(parameter.name)}


def test_a_report_samples_the_pool_first(bench: Bench) -> None:
    bench.pool.add_source(lambda now: {"UPTIME": 77})
    bench.command("PARAM_REPORT", count=1, parameter_id=GROUND_DB.parameter("UPTIME").id)
    (report,) = bench.take(20, 2)
    assert decode_parameter_values(GROUND_DB, report) == {"UPTIME": 77}


def test_an_unknown_parameter_report_is_refused(bench: Bench) -> None:
    tc = bench.command("PARAM_REPORT", count=1, parameter_id=4242)
    assert bench.outcome(tc) == (2, ErrorCode.ARGUMENT_OUT_OF_RANGE)
    assert bench.services.parameters.counters.rejected.unknown_id == 1


def test_defaults_before_any_setting(bench: Bench) -> None:
    for name, value in setting_defaults(MISSION).items():
        assert bench.services.parameters.get(name) == value
    board = GROUND_DB.structure("board")
    assert setting_defaults(MISSION)["HK_BOARD_INTERVAL_MS"] == board.interval_s * 1000


@given(st.data())
def test_set_values_persist_across_a_restart(tmp_path_factory: pytest.TempPathFactory,
                                             data: st.DataObject) -> None:
    state_dir = tmp_path_factory.mktemp("state")
    chosen = data.draw(st.lists(st.sampled_from(SETTABLE), min_size=1, max_size=3,
                                unique_by=lambda p: p.name))
    values = {p.name: data.draw(st.integers(int(p.minimum or 0), int(p.maximum or 0)))
              for p in chosen}
    bench = Bench(state_dir)
    assert bench.outcome(bench.command("PARAM_SET", **values)) == (7, None)
    assert bench.pool.values(values) == values
    stored = json.loads((state_dir / STATE_FILE).read_text())["parameters"]
    assert {name: stored[name] for name in values} == values
    restarted = Bench(state_dir)
    assert restarted.pool.values(values) == values
    assert restarted.services.parameters.counters.load_failures == 0


@pytest.mark.parametrize(("name", "value"), [("OVERTEMP_THRESHOLD", 27_314),
                                             ("OVERTEMP_THRESHOLD", 37_316),
                                             ("IDLE_FRAME_INTERVAL_MS", 49)])
def test_a_value_out_of_range_is_refused(bench: Bench, name: str, value: int) -> None:
    parameter = GROUND_DB.parameter(name)
    data = b"\x01" + parameter.id.to_bytes(2, "big") + value.to_bytes(4, "big")
    before = bench.pool.get(name)
    assert bench.outcome(bench.send(bench.raw(20, 3, data))) == (
        2, ErrorCode.ARGUMENT_OUT_OF_RANGE)
    assert bench.pool.get(name) == before
    assert bench.services.parameters.counters.rejected.out_of_range == 1
    assert not (Path(bench.state_dir or ".") / STATE_FILE).exists()


def test_a_parameter_that_is_not_settable_is_refused(bench: Bench) -> None:
    data = encode_parameter_values(GROUND_DB, {"OVERTEMP_THRESHOLD": 30_000,
                                               "CPU_TEMP": 30_000})
    assert bench.outcome(bench.send(bench.raw(20, 3, data))) == (
        2, ErrorCode.ARGUMENT_OUT_OF_RANGE)
    (failure,) = bench.take(1, 2)
    assert failure[6:] == GROUND_DB.parameter("CPU_TEMP").id.to_bytes(2, "big")
    assert bench.services.parameters.counters.rejected.not_settable == 1
    assert bench.pool.get("OVERTEMP_THRESHOLD") == setting_defaults(MISSION)[
        "OVERTEMP_THRESHOLD"]  # all or none


@pytest.mark.parametrize(("data", "code"), [
    (b"", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x00", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x01\x00\x60\x00", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x02\x00\x60\x00\x00\x8e\xe3", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x01\xff\xff\x00\x00\x00\x00", ErrorCode.ARGUMENT_OUT_OF_RANGE),
])
def test_malformed_set_requests_are_refused(bench: Bench, data: bytes,
                                            code: ErrorCode) -> None:
    assert bench.outcome(bench.send(bench.raw(20, 3, data))) == (2, code)


@pytest.mark.parametrize("content", [
    b"\x00\xff garbage", b"[1, 2]", b'{"format": 99, "parameters": {}}',
    b'{"format": 1, "parameters": [1]}', b'{"format": 1}', b"",
])
def test_a_corrupt_file_is_counted_and_the_defaults_stay(tmp_path: Path,
                                                         content: bytes) -> None:
    (tmp_path / STATE_FILE).write_bytes(content)
    bench = Bench(tmp_path)
    assert bench.services.parameters.counters.load_failures == 1
    for name, value in setting_defaults(MISSION).items():
        assert bench.pool.get(name) == value
    assert bench.outcome(bench.command("PARAM_SET", OVERTEMP_THRESHOLD=30_000)) == (7, None)
    assert Bench(tmp_path).pool.get("OVERTEMP_THRESHOLD") == 30_000


def test_bad_entries_are_skipped_one_by_one(tmp_path: Path) -> None:
    entries = {"OVERTEMP_THRESHOLD": 30_001, "CPU_TEMP": 5, "NOPE": 1,
               "IDLE_FRAME_INTERVAL_MS": 10, "WATCHDOG_TIMEOUT_MS": "x",
               "HK_LINK_INTERVAL_MS": True, "HK_BOARD_INTERVAL_MS": 2000.5}
    (tmp_path / STATE_FILE).write_text(json.dumps({"format": 1, "parameters": entries}))
    bench = Bench(tmp_path)
    counters = bench.services.parameters.counters
    assert (counters.load_failures, counters.rejected_entries) == (0, len(entries) - 1)
    assert bench.pool.get("OVERTEMP_THRESHOLD") == 30_001
    assert bench.pool.get("IDLE_FRAME_INTERVAL_MS") == 1_000


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_file_content_loads_without_error(tmp_path_factory: pytest.TempPathFactory,
                                              content: bytes) -> None:
    state_dir = tmp_path_factory.mktemp("fuzz")
    (state_dir / STATE_FILE).write_bytes(content)
    pool = ParameterPool(MISSION)
    ParameterManagement(MISSION, pool, lambda *_: None, SimulatedClock(), state_dir)
    for parameter in MISSION.settable_parameters:
        assert parameter.range_problem(pool.get(parameter.name)) == ""


def test_change_callbacks_follow_new_values_only(bench: Bench) -> None:
    parameters = bench.services.parameters
    seen: list[object] = []
    parameters.follow("IDLE_FRAME_INTERVAL_MS", seen.append)
    parameters.on_change("IDLE_FRAME_INTERVAL_MS", lambda value: 1 / 0)
    bench.command("PARAM_SET", IDLE_FRAME_INTERVAL_MS=250)
    bench.command("PARAM_SET", IDLE_FRAME_INTERVAL_MS=250)
    bench.command("PARAM_SET", OVERTEMP_THRESHOLD=30_000)
    assert seen == [1_000, 250]
    assert parameters.counters.callback_failures == 1
    assert parameters.counters.sets == 3


def test_a_store_failure_changes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    bench = Bench(blocker)
    tc = bench.command("PARAM_SET", OVERTEMP_THRESHOLD=30_000)
    assert bench.outcome(tc) == (8, ErrorCode.EXECUTION_FAILED)
    parameters = bench.services.parameters
    assert parameters.counters.save_failures == 1
    assert bench.pool.get("OVERTEMP_THRESHOLD") == setting_defaults(MISSION)[
        "OVERTEMP_THRESHOLD"]
    with pytest.raises(ParameterStoreError):
        parameters.set("OVERTEMP_THRESHOLD", 30_000)


def test_local_misuse_raises_local_errors(bench: Bench) -> None:
    parameters = bench.services.parameters
    with pytest.raises(NotSettableError):
        parameters.set("CPU_TEMP", 1)
    with pytest.raises(NotSettableError):
        parameters.on_change("CPU_TEMP", print)
    with pytest.raises(LocalProtocolError):
        parameters.set("OVERTEMP_THRESHOLD", 1)


def test_values_of_every_kind_persist(tmp_path: Path) -> None:
    table = (Parameter(id=1, name="KEY", type="bytes:4", settable=True),
             Parameter(id=2, name="EPOCH", type="cuc4.2", settable=True),
             Parameter(id=3, name="GAIN", type="float64", settable=True),
             Parameter(id=4, name="ARMED", type="bool", settable=True),
             Parameter(id=5, name="LABEL", type="string", settable=True))
    database = MissionDatabase(name="kinds", version="1", apid=5, parameters=table,
                               commands=(Command("SET", 20, 3, deduced=True),))
    values = {"KEY": b"\x00\xfe\x01\x7f", "EPOCH": CucTime(1234, 0x8001), "GAIN": -2.5e-3,
              "ARMED": True, "LABEL": "north"}

    def manager() -> tuple[ParameterPool, ParameterManagement]:
        pool = ParameterPool(database)
        return pool, ParameterManagement(database, pool, lambda *_: None,
                                         SimulatedClock(), tmp_path)

    _, first = manager()
    first.set_values(values)
    pool, second = manager()
    assert pool.values(values) == values
    assert second.counters.rejected_entries == 0
