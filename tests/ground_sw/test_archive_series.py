"""Parameter series rows: exact round trips, time order, typed errors on damaged rows."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ground_sw.archive_series import Form, decode_values, encode_values, samples_of, series_row
from ground_sw.archive_values import ArchiveValueError
from ground_sw.records import ParameterSample

values = st.one_of(st.booleans(), st.integers(-(1 << 65), 1 << 65), st.floats(), st.text(),
                   st.binary())
samples = st.builds(ParameterSample, st.floats(allow_nan=False), st.just("P"), values, values,
                    st.sampled_from(["NOMINAL", "ALARM_HIGH"]),
                    st.none() | st.floats(allow_nan=False))


def _stored_row(row: tuple[object, ...]) -> tuple[object, ...]:
    """The columns samples_of reads (count onwards), as the archive selects them."""
    return row[3:]


@given(st.lists(samples, min_size=1, max_size=20))
def test_series_rows_round_trip_in_stable_time_order(given_samples: list[ParameterSample]) -> None:
    row = series_row(7, given_samples)
    back = samples_of("P", _stored_row(row))
    expected = sorted(given_samples, key=lambda s: s.time)
    assert [repr(s) for s in back] == [repr(s) for s in expected]
    assert row[1:3] == (expected[0].time, expected[-1].time)


def test_homogeneous_columns_are_arrays() -> None:
    assert encode_values([1, 2, -3])[0] is Form.INT64
    assert encode_values([1.5, math.nan])[0] is Form.FLOAT64
    assert encode_values([1, 2.5])[0] is Form.JSON
    assert encode_values([True, False])[0] is Form.JSON  # booleans stay booleans
    assert encode_values([1 << 64])[0] is Form.JSON


def test_unstorable_samples_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        series_row(1, [ParameterSample(math.nan, "P", 1, 1)])
    with pytest.raises(TypeError):
        series_row(1, [ParameterSample(0.0, "P", 1, 1, limit=3)])  # type: ignore[arg-type]


@given(st.integers(-1, 3), st.one_of(st.binary(max_size=40), st.text(max_size=40), st.none()),
       st.integers(0, 5))
def test_fuzz_stored_columns(form: int, stored: object, count: int) -> None:
    try:
        decoded = decode_values(form, stored, count)
    except ArchiveValueError:
        return
    assert len(decoded) == count


@given(st.tuples(st.integers(-1, 4), st.binary(max_size=40), st.binary(max_size=40),
                 st.integers(0, 3), st.binary(max_size=24) | st.text(max_size=24),
                 st.integers(0, 3), st.binary(max_size=24) | st.text(max_size=24),
                 st.none() | st.text(max_size=10), st.none() | st.text(max_size=20)))
def test_fuzz_stored_rows_decode_or_raise_a_typed_error(row: tuple[object, ...]) -> None:
    try:
        decoded = samples_of("P", row)
    except ArchiveValueError:
        return
    assert len(decoded) == row[0]
