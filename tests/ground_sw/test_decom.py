"""Decommutation of TM packets built independently (struct layouts of ECSS-E-ST-70-41C)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.config import LinkConfig
from ccsds.mission_db import (
    Argument,
    Event,
    HousekeepingStructure,
    Limits,
    MissionDatabase,
    Parameter,
    Severity,
)
from ccsds.pus import PusTm
from ccsds.timecode import CucTime
from ground_sw.decom import Decommutator, error_name, onboard_unix_time
from ground_sw.records import ParameterSample

DB = MissionDatabase(
    name="TEST", version="1", apid=100,
    parameters=(
        Parameter(name="TEMP", type="uint16", id=1, calibration=(-273.15, 0.01),
                  limits=Limits(warning_high=60.0, alarm_high=80.0)),
        Parameter(name="MODE", type="enum8", id=2, enumeration=(("SAFE", 0), ("NOMINAL", 1))),
        Parameter(name="FLAG", type="bool", id=3),
    ),
    events=(Event(9, "HOT", Severity.MEDIUM, (
        Argument(name="sensor", type="enum8", enumeration=(("CPU", 0), ("BOARD", 1))),
        Argument(name="value", type="uint16"))),),
    housekeeping=(HousekeepingStructure(4, "health", ("TEMP", "MODE", "FLAG")),),
)


def _tm(service: int, subtype: int, data: bytes, *, apid: int = 100,
        time: CucTime | None = None) -> bytes:
    return PusTm(apid, 7, service, subtype, source_data=data,
                 time=time or CucTime(2_000_000_000)).encode()


@pytest.fixture
def decom() -> Decommutator:
    return Decommutator(DB, LinkConfig.baseline())


def test_housekeeping_is_calibrated_labelled_and_limit_checked(decom: Decommutator) -> None:
    raw_temp = 27315 + 7000  # 70.00 C: above the warning, below the alarm
    decoded = decom.decode(0, _tm(3, 25, struct.pack(">BHBB", 4, raw_temp, 1, 1)), 5.0)
    samples = {s.name: s for s in decoded.samples}
    assert samples["TEMP"].raw == raw_temp
    assert samples["TEMP"].engineering == pytest.approx(raw_temp * 0.01 - 273.15)
    assert samples["TEMP"].limit == "WARNING_HIGH"
    assert (samples["MODE"].raw, samples["MODE"].engineering) == (1, "NOMINAL")
    assert samples["FLAG"].engineering is True and samples["FLAG"].limit == "NOMINAL"
    assert all(s.time == 5.0 for s in decoded.samples)
    assert (decoded.packet.service, decoded.packet.subtype) == (3, 25)


def test_samples_equal_records_built_by_their_constructor(decom: Decommutator) -> None:
    decoded = decom.decode(0, _tm(3, 25, struct.pack(">BHBB", 4, 27315, 0, 0)), 5.0)
    built = [ParameterSample(s.time, s.name, s.raw, s.engineering, s.limit, s.onboard_time)
             for s in decoded.samples]
    assert decoded.samples == built and [s.limit for s in built] == ["NOMINAL"] * 3


def test_parameter_value_reports(decom: Decommutator) -> None:
    decoded = decom.decode(0, _tm(20, 2, struct.pack(">BHHHB", 2, 1, 27315, 2, 0)), 1.0)
    assert {s.name: s.engineering for s in decoded.samples} == \
        {"TEMP": pytest.approx(0.0), "MODE": "SAFE"}


def test_events_carry_labels_and_severity(decom: Decommutator) -> None:
    decoded = decom.decode(0, _tm(5, 3, struct.pack(">HBH", 9, 1, 512)), 2.0)
    assert decoded.event is not None
    assert (decoded.event.name, decoded.event.severity) == ("HOT", "MEDIUM")
    assert decoded.event.values == {"sensor": "BOARD", "value": 512}


def test_verification_reports(decom: Decommutator) -> None:
    request = struct.pack(">HH", 0x1800 | 100, 0xC000 | 42)
    success = decom.decode(0, _tm(1, 7, request), 1.0).verification
    assert success is not None and success.success and success.stage == "completion"
    assert success.request == (100, 42) and success.error_code is None
    failure = decom.decode(0, _tm(1, 2, request + struct.pack(">H", 5)), 1.0).verification
    assert failure is not None and not failure.success
    assert (failure.stage, failure.error_code, failure.error_name) == \
        ("acceptance", 5, "UNKNOWN_SERVICE")
    assert error_name(999) == "UNKNOWN_ERROR_999"


def test_onboard_time_is_utc_unix_seconds() -> None:
    moment = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    tm = PusTm(100, 0, 3, 25, time=CucTime.from_datetime(moment))
    assert onboard_unix_time(tm) == pytest.approx(moment.timestamp(), abs=1e-4)
    assert onboard_unix_time(PusTm(100, 0, 3, 25)) is None


@pytest.mark.parametrize(("packet", "counter"), [
    (_tm(3, 25, struct.pack(">BHBB", 99, 1, 1, 1)), "unknown_ids"),
    (_tm(3, 25, struct.pack(">BHB", 4, 1, 1)), "bad_values"),
    (_tm(3, 25, struct.pack(">BHBB", 4, 1, 7, 1)), "bad_values"),
    (_tm(5, 1, struct.pack(">H", 77)), "unknown_ids"),
    (_tm(1, 2, b"\x18\x64\xc0\x01"), "bad_values"),
    (_tm(3, 25, b"")[:-1] + b"\x00", "pus_errors"),
])
def test_bad_reports_are_counted_not_raised(decom: Decommutator, packet: bytes,
                                            counter: str) -> None:
    decoded = decom.decode(0, packet, 1.0)
    assert getattr(decom.counters, counter) == 1 and decom.counters.last_error
    assert decoded.samples == [] and decoded.event is None and decoded.verification is None
    assert decoded.packet.packet == packet


def test_other_apids_are_passed_through(decom: Decommutator) -> None:
    decoded = decom.decode(1, _tm(3, 25, b"", apid=101), 1.0)
    assert decoded.tm is None and decoded.packet.apid == 101
    assert decom.counters.pus_errors == 0


@given(st.binary(max_size=300), st.integers(0, 7))
def test_decode_fuzz_never_raises(data: bytes, vc: int) -> None:
    decom = Decommutator(DB)
    decoded = decom.decode(vc, data, 0.0)
    assert decoded.packet.packet == data


@given(st.sampled_from([(1, 1), (1, 8), (3, 25), (5, 1), (5, 4), (20, 2)]),
       st.binary(max_size=40))
def test_report_fuzz_with_valid_headers(kind: tuple[int, int], data: bytes) -> None:
    decom = Decommutator(DB)
    decoded = decom.decode(0, _tm(*kind, data), 0.0)
    assert decoded.tm is not None
    counters = decom.counters
    empty_parameter_report = kind == (20, 2) and data == b"\x00"  # N = 0: nothing to decode
    assert counters.unknown_ids + counters.bad_values + len(decoded.samples) \
        + (decoded.event is not None) + (decoded.verification is not None) >= 1 \
        or empty_parameter_report
