"""The /proc parsers fed garbage, truncated and bit-flipped text: a value or SensorReadError."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flight_sw.hal import SensorReadError
from flight_sw.hal.procfs import (
    CpuLoadMeter,
    parse_cpu_times,
    parse_memory_used_fraction,
    parse_uptime,
)

STAT = "cpu  4705 356 584 3699176 23060 0 277 0 0 0\ncpu0 4705 356 584 3699176 23060 0 277 0 0\n"
MEMINFO = "MemTotal:       16333852 kB\nMemFree:         9413100 kB\nMemAvailable:   12843808 kB\n"
UPTIME = "350735.47 234388.90\n"
PARSERS: list[tuple[Callable[[str], object], str]] = [
    (parse_cpu_times, STAT), (parse_memory_used_fraction, MEMINFO), (parse_uptime, UPTIME)]


def _check(parser: Callable[[str], object], text: str) -> None:
    try:
        result = parser(text)
    except SensorReadError:
        return
    if isinstance(result, float):
        assert math.isfinite(result) and result >= 0.0
        if parser is parse_memory_used_fraction:
            assert result <= 1.0


def test_known_samples() -> None:
    """Samples in the proc(5) format, expected values worked out by hand."""
    times = parse_cpu_times(STAT)
    assert times.total == 4705 + 356 + 584 + 3699176 + 23060 + 277
    assert times.busy == 4705 + 356 + 584 + 277
    assert parse_memory_used_fraction(MEMINFO) == pytest.approx(1 - 12843808 / 16333852)
    assert parse_uptime(UPTIME) == 350735.47


@pytest.mark.parametrize(("parser", "sample"), PARSERS)
def test_every_truncation(parser: Callable[[str], object], sample: str) -> None:
    for end in range(len(sample) + 1):
        _check(parser, sample[:end])


@pytest.mark.parametrize(("parser", "sample"), PARSERS)
@given(data=st.data())
def test_bit_errors(parser: Callable[[str], object], sample: str, data: st.DataObject) -> None:
    raw = bytearray(sample.encode())
    for bit in data.draw(st.lists(st.integers(0, len(raw) * 8 - 1), min_size=1, max_size=4)):
        raw[bit // 8] ^= 1 << (bit % 8)
    _check(parser, raw.decode("ascii", errors="replace"))


@pytest.mark.parametrize(("parser", "sample"), PARSERS)
@given(garbage=st.text(max_size=200))
def test_garbage(parser: Callable[[str], object], sample: str, garbage: str) -> None:
    _check(parser, garbage)
    _check(parser, sample + garbage)
    _check(parser, garbage + sample)


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), max_size=20))
def test_load_meter_stays_in_range(samples: list[tuple[int, int]]) -> None:
    meter, busy, idle = CpuLoadMeter(), 0, 0
    for more_busy, more_idle in samples:
        busy, idle = busy + more_busy, idle + more_idle
        load = meter.update(parse_cpu_times(f"cpu  {busy} 0 0 {idle} 0 0 0 0\n"))
        assert 0.0 <= load <= 1.0
        if more_busy + more_idle:
            assert load == pytest.approx(more_busy / (more_busy + more_idle))
