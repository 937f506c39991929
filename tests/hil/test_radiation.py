"""The environment model's schedule (rates, clusters, zones, devices, seeds) and the injector."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firmware_stubs.board.memory import MemoryRegion
from hil.profiles import ProfileError, load_profile
from hil.radiation import (
    EnvironmentModel,
    Injector,
    MemorySpec,
    RadiationError,
    UpsetEvent,
    UpsetKind,
    UpsetSchedule,
)

DAY = 86_400.0
SRAM_BITS = 8 << 20


def _schedule(profile: str = "geo", *, condition: str = "quiet", acceleration: float = 1e7,
              duration: float = 100.0, seed: int = 1,
              regions: tuple[MemorySpec, ...] = (MemorySpec("sram", "sram", SRAM_BITS),),
              ) -> UpsetSchedule:
    model = EnvironmentModel(load_profile(profile), condition, acceleration)
    return model.schedule(list(regions), duration, np.random.default_rng(seed))


def test_bits_hit_match_rate_times_bits_times_time() -> None:
    schedule = _schedule()
    expected = 1e-7 * SRAM_BITS * 100.0 * 1e7 / DAY  # geo SRAM, no zones: ~9700
    assert abs(schedule.bits_hit("sram") - expected) < 0.05 * expected


def test_solar_condition_scales_the_rate() -> None:
    quiet = _schedule(acceleration=1e6).bits_hit("sram")
    worst = _schedule(condition="worst-day", acceleration=1e6, seed=2).bits_hit("sram")
    assert worst / quiet == pytest.approx(30.0, rel=0.1)  # geo SPE worst-day factor SRAM x30
    with pytest.raises(ProfileError, match="solar condition"):
        _schedule(condition="flare")


def test_multi_bit_clusters_follow_the_profile() -> None:
    schedule = _schedule()
    memory = schedule.count(UpsetKind.BIT) + schedule.count(UpsetKind.CLUSTER) \
        + schedule.count(UpsetKind.STUCK)
    clusters = schedule.kinds == list(UpsetKind).index(UpsetKind.CLUSTER)
    share = clusters.sum() / memory
    sd = math.sqrt(0.1 * 0.9 / memory)
    assert abs(share - 0.10) < 5 * sd  # SRAM: about 10 % of events are multi-bit
    sizes = schedule.sizes[clusters]
    assert sizes.min() >= 2 and sizes.max() <= 8
    two = (sizes == 2).mean()
    assert abs(two - 0.70) < 5 * math.sqrt(0.7 * 0.3 / len(sizes))


def test_clusters_are_adjacent_bits_inside_the_region() -> None:
    for event in _schedule():
        if event.kind is UpsetKind.CLUSTER:
            assert list(event.positions) == list(range(event.positions[0],
                                                       event.positions[0] + len(event.positions)))
        assert all(0 <= p < SRAM_BITS for p in event.positions)


def test_schedules_are_repeatable_by_seed() -> None:
    first, again, other = _schedule(seed=4), _schedule(seed=4), _schedule(seed=5)
    assert np.array_equal(first.times, again.times) and np.array_equal(first.starts, again.starts)
    assert not np.array_equal(first.starts[:10], other.starts[:10])
    assert np.all(np.diff(first.times) >= 0) and first.times.max() < 100.0


def test_saa_concentrates_upsets_and_keeps_the_average() -> None:
    profile = load_profile("leo-550")
    period = profile.radiation.orbit_period_s.value  # type: ignore[union-attr]
    acceleration = 1e8
    schedule = _schedule("leo-550", acceleration=acceleration, duration=200.0)
    expected = 4e-8 * SRAM_BITS * 200.0 * acceleration / DAY
    assert abs(schedule.bits_hit("sram") - expected) < 0.05 * expected
    phase = np.mod(schedule.times * acceleration / period, 1.0)
    in_saa = ((phase >= 0.25) & (phase < 0.35)).mean()
    # SAA 10 % of the orbit at 30x the outside rate: 3 / (0.9 + 3) of the events
    assert in_saa == pytest.approx(3 / 3.9, abs=0.02)


def test_devices_sefi_interrupts_and_latchup() -> None:
    regions = (MemorySpec("dram", "dram", 1 << 20, latchup_susceptible=True),
               MemorySpec("sram", "sram", 1 << 10))
    schedule = _schedule("lunar-transit", acceleration=1e5, duration=DAY / 100, regions=regions)
    days = DAY / 100 * 1e5 / DAY  # 1000 days of environment
    for region, kind, per_day in (("soc", UpsetKind.SEFI, 0.05), ("dram", UpsetKind.SEFI, 1e-4),
                                  ("dram", UpsetKind.LATCHUP, 1e-3)):
        mean = per_day * days
        assert abs(schedule.count(kind, region) - mean) <= 5 * math.sqrt(mean) + 1
    assert schedule.count(UpsetKind.LATCHUP, "sram") == 0  # not flagged susceptible
    assert schedule.count(UpsetKind.SEFI, "sram") == 0
    sefi = next(event for event in schedule if event.kind is UpsetKind.SEFI)
    assert sefi.positions == ()


def test_the_lava_tube_is_quiet() -> None:
    schedule = _schedule("lunar-lava-tube", acceleration=1e9)
    assert len(schedule) == 0


def test_bad_inputs_are_typed_errors() -> None:
    with pytest.raises(RadiationError, match="memory type"):
        MemorySpec("mram0", "mram", 64)
    with pytest.raises(RadiationError, match="acceleration"):
        EnvironmentModel(load_profile("geo"), acceleration=0.0)
    with pytest.raises(RadiationError, match="distinct"):
        _schedule(regions=(MemorySpec("a", "sram", 8), MemorySpec("a", "dram", 8)))
    with pytest.raises(RadiationError, match="duration"):
        _schedule(duration=math.inf)


def test_injector_flips_exactly_the_scheduled_bits() -> None:
    schedule = _schedule(acceleration=1e7)  # ~9700 events, ~10 of them stuck bits
    region = MemoryRegion.in_memory("sram", "sram", SRAM_BITS // 8)
    injector = Injector(schedule, regions={"sram": region})
    middle = float(schedule.times[len(schedule) // 2])
    applied = injector.advance(middle)
    assert applied == int(np.searchsorted(schedule.times, middle, side="right"))
    injector.advance(math.inf)
    expected: set[int] = set()
    for event in schedule:
        if event.kind is not UpsetKind.STUCK and event.region == "sram":
            expected ^= set(event.positions)
    stuck = region.stuck_bits
    assert len(stuck) == schedule.count(UpsetKind.STUCK, "sram") > 0
    bits = np.unpackbits(region.octets, bitorder="little")
    flipped = {int(p) for p in np.flatnonzero(bits)}
    free = {p for p in flipped | expected if p not in stuck}
    assert {p for p in flipped if p in free} == {p for p in expected if p in free}
    assert all(bits[p] == value for p, value in stuck.items())
    assert injector.stats.events == len(schedule)
    assert injector.stats.unhandled == schedule.count(UpsetKind.SEFI, "soc")


def test_injector_forwards_commands_and_counts_failures() -> None:
    schedule = _schedule(acceleration=1e5, regions=(MemorySpec("sram", "sram", 1 << 16),),
                         profile="sso-750", condition="peak", duration=5000.0)
    calls: list[tuple[str, UpsetKind, tuple[int, ...]]] = []

    def inject(region: str, kind: UpsetKind, positions: np.ndarray) -> None:
        if kind is UpsetKind.SEFI and len(calls) % 2:
            raise TimeoutError("no acknowledgement")
        calls.append((region, kind, tuple(int(p) for p in positions)))

    injector = Injector(schedule, inject=inject)
    injector.advance(math.inf)
    stats = injector.stats
    assert stats.forwarded + stats.inject_errors == len(schedule) > 0
    assert stats.forwarded == len(calls)
    assert [(e.region, e.kind, e.positions) for e in schedule][:3] == calls[:3]
    if stats.inject_errors:
        assert "TimeoutError" in stats.last_error


def test_injector_hands_whole_events_with_stuck_values_to_inject_event() -> None:
    schedule = _schedule(acceleration=1e8, duration=200.0)
    received: list[UpsetEvent] = []
    injector = Injector(schedule, inject_event=received.append)
    injector.advance(math.inf)
    assert received == list(schedule)  # every event, in order, stuck values included
    assert injector.stats.forwarded == len(schedule) > 0
    stuck = [e for e in received if e.kind is UpsetKind.STUCK]
    assert stuck and all(e.stuck_value in (0, 1) for e in stuck)
    with pytest.raises(RadiationError, match="not both"):
        Injector(schedule, inject=lambda *_: None, inject_event=received.append)


def test_injector_refuses_a_region_smaller_than_scheduled() -> None:
    schedule = _schedule()
    with pytest.raises(RadiationError, match="bits"):
        Injector(schedule, regions={"sram": MemoryRegion.in_memory("sram", "sram", 64)})
    with pytest.raises(RadiationError, match="not in the schedule"):
        Injector(schedule, regions={"nand": MemoryRegion.in_memory("nand", "nand", 64)})
