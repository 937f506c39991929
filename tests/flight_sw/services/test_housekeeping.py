"""PUS service 3: periodic reports at the dictionary's intervals, enable/disable, one-shot,
interval changes through (3,31) and through the service 20 settings, and every refusal."""

from __future__ import annotations

import math

import pytest

from ccsds.errors import LocalProtocolError
from ccsds.mission_db import decode_housekeeping
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.services.helpers import GROUND_DB, Bench

OK, REFUSED = 7, 2


def _structures(bench: Bench) -> list[str]:
    return [decode_housekeeping(GROUND_DB, data)[0].name for data in bench.take(3, 25)]


def test_periodic_reports_follow_the_dictionary_intervals(bench: Bench) -> None:
    duration = 20.0
    bench.run(duration)
    names = _structures(bench)
    for structure in GROUND_DB.housekeeping:
        expected = math.floor(duration / structure.interval_s) if structure.enabled else 0
        assert names.count(structure.name) == expected


def test_a_report_carries_the_pool_values_sampled_just_before(bench: Bench) -> None:
    bench.pool.add_source(lambda now: {"UPTIME": int(now * 8)})
    bench.pool.update({"CPU_TEMP": 31_234, "MODE": "NOMINAL", "FARM_LOCKOUT": True})
    bench.run(1.0)
    reports = {}
    for data in bench.take(3, 25):
        structure, values = decode_housekeeping(GROUND_DB, data)
        reports[structure.name] = values
    assert reports["board"] == bench.pool.values(GROUND_DB.structure("board").parameters)
    assert reports["board"]["UPTIME"] == 8  # sampled at t = 1.0
    assert reports["board"]["MODE"] == GROUND_DB.parameter("MODE").value_of("NOMINAL")
    assert reports["link"]["FARM_LOCKOUT"] is True


def test_disable_stops_and_enable_restarts_periodic_generation(bench: Bench) -> None:
    board = GROUND_DB.structure("board").id
    assert bench.outcome(bench.command("HK_DISABLE_PERIODIC", count=1,
                                       structure_id=board)) == (OK, None)
    bench.run(5.0)
    assert "board" not in _structures(bench)
    bench.command("HK_ENABLE_PERIODIC", count=1, structure_id=board)
    bench.run(5.0)
    assert _structures(bench).count("board") == 5
    counters = bench.services.housekeeping.counters
    assert (counters.enables, counters.disables) == (1, 1)


def test_enabling_a_structure_off_by_default(bench: Bench) -> None:
    diagnostics = GROUND_DB.structure("diagnostics")
    bench.command("HK_ENABLE_PERIODIC", count=1, structure_id=diagnostics.id)
    bench.run(3 * diagnostics.interval_s)
    assert _structures(bench).count("diagnostics") == 3


def test_one_shot_reports_once_at_once(bench: Bench) -> None:
    diagnostics = GROUND_DB.structure("diagnostics")
    bench.command("HK_ONE_SHOT", count=1, structure_id=diagnostics.id)
    assert _structures(bench) == ["diagnostics"]
    assert bench.services.housekeeping.counters.one_shots == 1


def test_modify_interval_takes_effect_and_is_stored_in_the_setting(bench: Bench) -> None:
    board = GROUND_DB.structure("board").id
    tc = bench.command("HK_MODIFY_INTERVAL", count=1, structure_id=board, interval_ms=250)
    assert bench.outcome(tc) == (OK, None)
    bench.run(2.0)
    assert _structures(bench).count("board") == 8
    assert bench.services.parameters.get("HK_BOARD_INTERVAL_MS") == 250
    restarted = Bench(bench.state_dir)
    assert restarted.services.housekeeping.state(board).interval_s == 0.25


def test_modify_interval_of_a_structure_without_a_setting(bench: Bench) -> None:
    diagnostics = GROUND_DB.structure("diagnostics")
    bench.command("HK_ENABLE_PERIODIC", count=1, structure_id=diagnostics.id)
    bench.command("HK_MODIFY_INTERVAL", count=1, structure_id=diagnostics.id,
                  interval_ms=2_000)
    bench.run(10.0)
    assert _structures(bench).count("diagnostics") == 5


def test_a_service_20_interval_setting_takes_effect(bench: Bench) -> None:
    tc = bench.command("PARAM_SET", HK_LINK_INTERVAL_MS=500)
    assert bench.outcome(tc) == (OK, None)
    bench.run(4.0)
    names = _structures(bench)
    assert (names.count("link"), names.count("board")) == (8, 4)


@pytest.mark.parametrize("name", ["HK_ENABLE_PERIODIC", "HK_DISABLE_PERIODIC", "HK_ONE_SHOT",
                                  "HK_MODIFY_INTERVAL"])
def test_an_unknown_structure_is_refused_and_counted(bench: Bench, name: str) -> None:
    extra = {"interval_ms": 1000} if name == "HK_MODIFY_INTERVAL" else {}
    tc = bench.command(name, count=1, structure_id=200, **extra)
    assert bench.outcome(tc) == (REFUSED, ErrorCode.ARGUMENT_OUT_OF_RANGE)
    (failure,) = bench.take(1, 2)
    assert failure[6:] == (200).to_bytes(2, "big")
    assert bench.services.housekeeping.counters.rejected.unknown_id == 1
    assert bench.take(3) == []


@pytest.mark.parametrize(("data", "code", "counter"), [
    (b"\x02\x01", ErrorCode.ARGUMENT_OUT_OF_RANGE, "out_of_range"),  # N must be 1
    (b"\x01", ErrorCode.INVALID_APPLICATION_DATA, "invalid_data"),
    (b"\x01\x01\x00", ErrorCode.INVALID_APPLICATION_DATA, "invalid_data"),
    (b"", ErrorCode.INVALID_APPLICATION_DATA, "invalid_data"),
])
@pytest.mark.parametrize("subtype", [5, 6, 27])
def test_malformed_requests_are_refused(bench: Bench, subtype: int, data: bytes,
                                        code: ErrorCode, counter: str) -> None:
    tc = bench.send(bench.raw(3, subtype, data))
    assert bench.outcome(tc) == (REFUSED, code)
    assert getattr(bench.services.housekeeping.counters.rejected, counter) == 1
    assert bench.dispatcher.counters.bad_application_data == 1


@pytest.mark.parametrize("interval_ms", [0, 99, 3_600_001])
def test_an_interval_out_of_range_is_refused(bench: Bench, interval_ms: int) -> None:
    data = bytes([1, 1]) + interval_ms.to_bytes(4, "big")
    tc = bench.send(bench.raw(3, 31, data))
    assert bench.outcome(tc) == (REFUSED, ErrorCode.ARGUMENT_OUT_OF_RANGE)
    assert bench.services.housekeeping.state(1).interval_s == 1.0


def test_a_refused_interval_setting_fails_the_request(bench: Bench) -> None:
    def refuse(interval_ms: int) -> None:
        raise LocalProtocolError("read-only setting")

    bench.services.housekeeping.bind_interval(1, refuse)
    tc = bench.command("HK_MODIFY_INTERVAL", count=1, structure_id=1, interval_ms=500)
    assert bench.outcome(tc) == (8, ErrorCode.EXECUTION_FAILED)
    assert bench.services.housekeeping.state(1).interval_s == 1.0


def test_values_the_codec_refuses_are_counted_not_raised(
        bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench.pool, "values", lambda names: {})
    bench.run(1.0)
    assert bench.take(3, 25) == []
    assert bench.services.housekeeping.counters.encode_failures == 2
