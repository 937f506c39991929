"""PUS service 9: periodic CUC time reports at 2^n s, (9,1) rate changes and the (9,128)
time correlation applied to telemetry time tags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.config import LinkConfig
from ccsds.pus import PusTm
from ccsds.timecode import CUC_4_2, CucTime
from flight_sw.services.time_management import DEFAULT_RATE_EXPONENT, CorrelatedClock
from flight_sw.services.verification import ErrorCode
from flight_sw.telemetry import TelemetryFactory
from tests.flight_sw.services.helpers import Bench


def _time_reports(bench: Bench) -> list[tuple[int, CucTime]]:
    return [(data[0], CucTime.decode(data[1:], CUC_4_2)) for data in bench.take(9, 2)]


def test_time_reports_at_the_default_rate(bench: Bench) -> None:
    period = 2 ** DEFAULT_RATE_EXPONENT
    bench.run(3 * period + 1)
    reports = _time_reports(bench)
    assert [rate for rate, _ in reports] == [DEFAULT_RATE_EXPONENT] * 3
    expected = [bench.clock.tai_at_zero + k * period for k in (1, 2, 3)]
    assert [time.seconds for _, time in reports] == expected


@pytest.mark.parametrize("exponent", [0, 1, 3, 8])
def test_set_report_rate(bench: Bench, exponent: int) -> None:
    tc = bench.command("TIME_SET_REPORT_RATE", rate_exponent=exponent)
    assert bench.outcome(tc) == (7, None)
    bench.run(512.0)
    reports = _time_reports(bench)
    assert len(reports) == 512 // 2 ** exponent
    assert {rate for rate, _ in reports} == {exponent}


@pytest.mark.parametrize(("data", "code"), [
    (b"\x09", ErrorCode.ARGUMENT_OUT_OF_RANGE),
    (b"\xff", ErrorCode.ARGUMENT_OUT_OF_RANGE),
    (b"", ErrorCode.INVALID_APPLICATION_DATA),
    (b"\x01\x01", ErrorCode.INVALID_APPLICATION_DATA),
])
def test_a_bad_rate_is_refused(bench: Bench, data: bytes, code: ErrorCode) -> None:
    assert bench.outcome(bench.send(bench.raw(9, 1, data))) == (2, code)
    assert bench.services.time.rate_exponent == DEFAULT_RATE_EXPONENT


@given(coarse=st.integers(0, 2**31), fine=st.integers(0, 0xFFFF),
       elapsed=st.integers(0, 1000))
def test_set_onboard_time_correlates_the_telemetry_clock(coarse: int, fine: int,
                                                         elapsed: int) -> None:
    bench = Bench(None, start=12.5)
    new_time = CucTime(coarse, fine)
    assert bench.outcome(bench.command("TIME_SET_ONBOARD", time=new_time)) == (7, None)
    time = bench.services.time
    assert time.offset_s == new_time.seconds - bench.clock.tai()
    clock = CorrelatedClock(bench.clock, time)
    bench.clock.advance(elapsed)
    assert clock.monotonic() == bench.clock.monotonic()
    assert clock.tai() == pytest.approx(new_time.seconds + elapsed, abs=1e-6)
    packet = TelemetryFactory(LinkConfig.baseline(), clock).make(17, 2)
    stamped = PusTm.decode(packet).time
    assert stamped.seconds == pytest.approx(new_time.seconds + elapsed, abs=2**-16)
    time.report(bench.clock.now)
    ((_, reported),) = _time_reports(bench)
    assert reported == stamped


@pytest.mark.parametrize("data", [b"", b"\x00" * 5, b"\x00" * 7])
def test_a_malformed_time_is_refused(bench: Bench, data: bytes) -> None:
    outcome = bench.outcome(bench.send(bench.raw(9, 128, data)))
    assert outcome == (2, ErrorCode.INVALID_APPLICATION_DATA)
    assert bench.services.time.offset_s == 0.0
    assert bench.services.time.counters.rejected.invalid_data == 1


def test_a_time_beyond_the_cuc_range_is_counted_not_raised(bench: Bench) -> None:
    bench.command("TIME_SET_ONBOARD", time=CucTime(2**32 - 1, 0xFFFF))
    bench.run(2 ** DEFAULT_RATE_EXPONENT)
    assert bench.take(9, 2) == []
    assert bench.services.time.counters.report_failures == 1
