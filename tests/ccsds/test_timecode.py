"""CUC and CDS time codes (CCSDS 301.0-B-4 3.2, 3.3)."""

from __future__ import annotations

import calendar
import contextlib
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from spacepackets.ccsds.time.cds import CdsShortTimestamp
from spacepackets.ccsds.time.common import convert_unix_days_to_ccsds_days

from ccsds.errors import CcsdsError, LengthError, LocalProtocolError, TruncatedError
from ccsds.timecode import (
    CDS_SHORT,
    CUC_4_2,
    CdsFormat,
    CdsTime,
    CucFormat,
    CucTime,
    TimeCodeError,
)
from tests.ccsds.test_pus import cuc_formats, cuc_times

# Seconds from 1958-01-01 to 1970-01-01, from the C library's calendar (not our code).
UNIX_EPOCH_IN_1958_SECONDS = -calendar.timegm((1958, 1, 1, 0, 0, 0))

cds_formats = st.builds(CdsFormat, st.sampled_from([2, 3]), st.sampled_from([0, 2, 4]))


@st.composite
def cds_times(draw: st.DrawFn) -> CdsTime:
    """A CDS time of a drawn format (leap-second milliseconds included)."""
    fmt = draw(cds_formats)
    return CdsTime(draw(st.integers(0, (1 << (8 * fmt.day_octets)) - 1)),
                   draw(st.integers(0, 86_400_999)),
                   draw(st.integers(0, fmt.units_per_ms - 1)), fmt)


aware_datetimes = st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2090, 1, 1),
                               timezones=st.just(UTC))


# ------------------------------------------------------------------ CUC


def test_unix_epoch_constant_is_4383_days() -> None:
    assert UNIX_EPOCH_IN_1958_SECONDS == 4383 * 86_400


def test_cuc_p_field_known_values() -> None:
    # 301.0-B-4 3.2.2: extension 0, code id 001 (1958 epoch), coarse-1 (2 bits), fine (2 bits)
    assert CUC_4_2.p_field() == bytes([0b0_001_11_10])
    assert CucFormat(1, 0).p_field() == bytes([0b0_001_00_00])
    # 6 coarse + 5 fine: first octet says 4 + 3 and sets the extension flag; the second adds
    # 2 coarse (bits 1-2) and 2 fine (bits 3-5)
    assert CucFormat(6, 5).p_field() == bytes([0b1_001_11_11, 0b0_10_010_00])


@given(cuc_times(cuc_formats))
def test_cuc_round_trip(time: CucTime) -> None:
    assert CucTime.decode(time.encode(), time.fmt) == time
    explicit = time.encode(p_field=True)
    assert explicit[len(time.fmt.p_field()):] == time.encode()
    assert CucTime.decode(explicit) == time
    assert CucTime.unpack_from(b"\xaa" + explicit + b"\xbb", 1) == (time, 1 + len(explicit))


@given(cuc_times(cuc_formats))
def test_cuc_seconds(time: CucTime) -> None:
    exact = Fraction(time.coarse) + Fraction(time.fine, 1 << (8 * time.fmt.fine_octets))
    assert time.seconds == float(exact)
    if 8 * (time.fmt.coarse_octets + time.fmt.fine_octets) <= 53:
        assert CucTime.from_seconds(time.seconds, time.fmt) == time


@given(st.floats(0, 2**32 - 1, allow_nan=False), st.integers(0, 3))
def test_cuc_from_seconds_rounds_to_nearest(seconds: float, fine_octets: int) -> None:
    fmt = CucFormat(4, fine_octets)
    scale = 1 << (8 * fine_octets)
    ticks = Fraction(seconds) * scale
    assume(ticks < (1 << 32) * scale - Fraction(1, 2))  # rounds within the coarse range
    time = CucTime.from_seconds(seconds, fmt)
    error = Fraction(time.coarse * scale + time.fine) - ticks
    assert abs(error) <= Fraction(1, 2)


def test_cuc_fine_time_carries_into_coarse() -> None:
    assert CucTime.from_seconds(41.999999, CucFormat(4, 1)) == CucTime(42, 0, CucFormat(4, 1))
    assert CucTime.from_seconds(41.5, CucFormat(4, 0)) == CucTime(42, 0, CucFormat(4, 0))
    assert CucTime.from_seconds(0.5 / 65536, CUC_4_2).fine in (0, 1)


def test_cuc_datetime_known_values() -> None:
    unix_epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert CucTime.from_datetime(unix_epoch, tai_utc=0) == CucTime(UNIX_EPOCH_IN_1958_SECONDS)
    new_year_2017 = datetime(2017, 1, 1, tzinfo=UTC)
    expected = calendar.timegm((2017, 1, 1, 0, 0, 0)) + UNIX_EPOCH_IN_1958_SECONDS + 37
    assert CucTime.from_datetime(new_year_2017) == CucTime(expected)  # default TAI-UTC 37 s
    half = CucTime.from_datetime(new_year_2017 + timedelta(milliseconds=500))
    assert half == CucTime(expected, 0x8000)
    assert half.to_datetime() == new_year_2017 + timedelta(milliseconds=500)
    other_zone = datetime(2017, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    assert CucTime.from_datetime(other_zone) == CucTime(expected)


@given(aware_datetimes, st.sampled_from([0.0, 10.0, 37.0]), st.integers(3, 10))
def test_cuc_datetime_round_trip(moment: datetime, tai_utc: float, fine_octets: int) -> None:
    fmt = CucFormat(4, fine_octets)  # resolution under half a microsecond
    assert CucTime.from_datetime(moment, tai_utc, fmt).to_datetime(tai_utc) == moment


@given(aware_datetimes)
def test_cuc_datetime_within_half_a_tick(moment: datetime) -> None:
    time = CucTime.from_datetime(moment, 0)
    error = time.to_datetime(0) - moment
    assert abs(error) <= timedelta(microseconds=8)  # 2^-16 s / 2 rounded to microseconds


def test_cuc_local_errors() -> None:
    for bad in (
        lambda: CucFormat(0, 2),
        lambda: CucFormat(8, 0),
        lambda: CucFormat(4, 11),
        lambda: CucTime(1 << 32),
        lambda: CucTime(0, 1 << 16),
        lambda: CucTime(-1),
        lambda: CucTime.from_seconds(-0.5),
        lambda: CucTime.from_seconds(float("nan")),
        lambda: CucTime.from_seconds(float("inf")),
        lambda: CucTime.from_seconds(2.0**32),
        lambda: CucTime.from_datetime(datetime(2020, 1, 1)),  # naive
        lambda: CucTime.from_datetime(datetime(1957, 12, 31, tzinfo=UTC)),
    ):
        with pytest.raises(LocalProtocolError):
            bad()


def test_times_beyond_datetime_are_local_errors() -> None:
    with pytest.raises(LocalProtocolError):
        CucTime((1 << 56) - 1, 0, CucFormat(7, 0)).to_datetime()
    with pytest.raises(LocalProtocolError):
        CdsTime((1 << 24) - 1, 0, 0, CdsFormat(3, 0)).to_datetime()


def test_cuc_decode_errors() -> None:
    raw = CucTime(123456, 789).encode(p_field=True)
    for cut in range(len(raw)):
        with pytest.raises(TruncatedError):
            CucTime.decode(raw[:cut])
    with pytest.raises(LengthError):
        CucTime.decode(raw + b"\x00")
    with pytest.raises(TimeCodeError):
        CucTime.decode(bytes([0b0_010_11_10]) + raw[1:])  # agency-defined epoch
    with pytest.raises(TimeCodeError):
        CucTime.decode(CDS_SHORT.p_field() + bytes(6))
    with pytest.raises(TimeCodeError):
        CucTime.decode(bytes([0x9F, 0x80]) + bytes(20))  # a third P-field octet
    with pytest.raises(TruncatedError):
        CucTime.decode(bytes([0x9F]))


@given(st.binary(max_size=24), st.one_of(st.none(), cuc_formats))
def test_cuc_garbage_raises_only_typed_errors(garbage: bytes, fmt: CucFormat | None) -> None:
    with contextlib.suppress(CcsdsError):
        time = CucTime.decode(garbage, fmt)
        assert time.seconds >= 0
        time.to_datetime()


# ------------------------------------------------------------------ CDS


@pytest.mark.interop
@given(st.integers(0, 0xFFFF), st.integers(0, 86_399_999))
def test_cds_short_matches_spacepackets(day: int, ms_of_day: int) -> None:
    ours = CdsTime(day, ms_of_day)
    theirs = CdsShortTimestamp(day, ms_of_day, init_dt_unix_stamp=False).pack()
    assert ours.encode(p_field=True) == theirs
    assert CdsTime.decode(theirs) == ours
    assert CdsShortTimestamp.unpack_from_raw(ours.encode(p_field=True)) == (day, ms_of_day)


def test_cds_known_values() -> None:
    # spacepackets' documented CDS short stamp
    assert CdsTime(0x0102, 0x03040506).encode(p_field=True) == bytes.fromhex("40010203040506")
    # 301.0-B-4 3.3.2: code id 100, epoch bit 0, day length bit (24 bits), sub-ms code 01 (us)
    assert CdsFormat(3, 2).p_field() == bytes([0b0_100_0_1_01])
    assert CdsFormat(2, 4).p_field() == bytes([0b0_100_0_0_10])
    unix_days = convert_unix_days_to_ccsds_days(0)
    assert CdsTime.from_datetime(datetime(1970, 1, 1, tzinfo=UTC), 0) == CdsTime(unix_days, 0)


@given(cds_times())
def test_cds_round_trip(time: CdsTime) -> None:
    assert CdsTime.decode(time.encode(), time.fmt) == time
    explicit = time.encode(p_field=True)
    assert len(explicit) == 1 + time.fmt.length
    assert CdsTime.decode(explicit) == time
    assert CdsTime.unpack_from(b"\x00" + explicit, 1) == (time, len(explicit) + 1)


@given(cds_times())
def test_cds_seconds(time: CdsTime) -> None:
    assume(time.ms_of_day < 86_400_000)  # a leap second has no TAI-seconds twin
    assert CdsTime.from_seconds(Fraction(time.units, 1000 * time.fmt.units_per_ms),
                                time.fmt) == time
    assert CdsTime.from_seconds(time.seconds, time.fmt).units == pytest.approx(
        time.units, abs=1e-15 * time.units + 1)


@given(aware_datetimes, st.sampled_from([0.0, 37.0]), st.sampled_from([2, 4]))
def test_cds_datetime_round_trip(moment: datetime, tai_utc: float, sub_octets: int) -> None:
    fmt = CdsFormat(2, sub_octets)
    time = CdsTime.from_datetime(moment, tai_utc, fmt)
    assert time.to_datetime(tai_utc) == moment
    assert time.day == (moment - datetime(1958, 1, 1, tzinfo=UTC)
                        + timedelta(seconds=tai_utc)).days


def test_cds_millisecond_rounding() -> None:
    moment = datetime(2020, 6, 1, 12, 0, 0, 999_600, tzinfo=UTC)
    time = CdsTime.from_datetime(moment, 0)
    assert time.to_datetime(0) == datetime(2020, 6, 1, 12, 0, 1, tzinfo=UTC)


def test_cds_errors() -> None:
    for bad in (
        lambda: CdsFormat(1, 0),
        lambda: CdsFormat(2, 3),
        lambda: CdsTime(1 << 16, 0),
        lambda: CdsTime(0, 86_401_000),
        lambda: CdsTime(0, 0, 1000, CdsFormat(2, 2)),
        lambda: CdsTime.from_seconds(-1),
        lambda: CdsTime.from_datetime(datetime(2020, 1, 1)),
    ):
        with pytest.raises(LocalProtocolError):
            bad()
    raw = CdsTime(1, 2, 3, CdsFormat(3, 2)).encode(p_field=True)
    for cut in range(len(raw)):
        with pytest.raises(TruncatedError):
            CdsTime.decode(raw[:cut])
    with pytest.raises(LengthError):
        CdsTime.decode(raw + b"\x00")
    for p_field in (0b0_100_0_0_11, 0b0_100_1_0_00, 0b1_100_0_0_00, 0b0_001_0_0_00):
        with pytest.raises(TimeCodeError):
            CdsTime.decode(bytes([p_field]) + bytes(10))
    with pytest.raises(TimeCodeError):
        CdsTime.decode(bytes(2) + (86_401_000).to_bytes(4, "big"), CDS_SHORT)
    with pytest.raises(TimeCodeError):
        CdsTime.decode(bytes(6) + (1000).to_bytes(2, "big"), CdsFormat(2, 2))
    with pytest.raises(TimeCodeError):
        CdsTime.decode(bytes(6) + (10**9).to_bytes(4, "big"), CdsFormat(2, 4))


@given(st.binary(max_size=16), st.one_of(st.none(), cds_formats))
def test_cds_garbage_raises_only_typed_errors(garbage: bytes, fmt: CdsFormat | None) -> None:
    with contextlib.suppress(CcsdsError):
        time = CdsTime.decode(garbage, fmt)
        assert time.seconds >= 0
        time.to_datetime()
