"""The radiation environment as a seeded schedule of upset events, and the injector.

:class:`EnvironmentModel` turns a profile (PROFILES.md: rates per bit per day, solar
condition factors, SAA/polar zones along the orbit, multi-bit clusters, SEFI, DRAM device
interrupts, latch-up) into an :class:`UpsetSchedule` for given memory regions: Poisson
arrivals per region at rate = per-bit rate x bits x acceleration, raised inside the zone
windows of a simple orbit timeline and lowered outside so the orbit average stays the
profile's. The fault model is that of ECSS-Q-ST-60-15C (single event upsets as bit flips,
multiple-cell upsets as adjacent clusters, hard errors as stuck bits, SEFI, latch-up).
:class:`Injector` applies a schedule to in-process :class:`MemoryRegion` objects directly
(vectorised ``flip_bits``) or hands each event to an ``inject(region, kind, positions)``
callable that issues fault-injection commands, so a campaign runs the same on real boards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from firmware_stubs.board.memory import MemoryRegion
from hil.profiles.model import MEMORY_TYPES, SECONDS_PER_DAY, Profile, ProfileError


class RadiationError(ValueError):
    """A region, acceleration or duration the model cannot use."""


class UpsetKind(StrEnum):
    """What an event does."""

    BIT = "bit"
    """A single event upset: one bit flips."""
    CLUSTER = "cluster"
    """A multiple-cell upset: adjacent bits flip together."""
    STUCK = "stuck"
    """A hard error: one bit stuck at a value."""
    SEFI = "sefi"
    """A functional interrupt of a device (SoC crash, DRAM device interrupt)."""
    LATCHUP = "latchup"
    """A single event latch-up: a current step until a power cycle."""


KIND_CODES = tuple(UpsetKind)
_MEMORY_KINDS = (UpsetKind.BIT, UpsetKind.CLUSTER, UpsetKind.STUCK)
_CODE = {kind: code for code, kind in enumerate(KIND_CODES)}


@dataclass(frozen=True)
class MemorySpec:
    """A region the environment hits: name, memory type (sram/dram/nand), size in bits."""

    name: str
    memory: str
    bits: int
    latchup_susceptible: bool = False

    def __post_init__(self) -> None:
        if self.memory not in MEMORY_TYPES:
            raise RadiationError(f"region {self.name!r}: memory type {self.memory!r} has no "
                                 f"rates; known: {', '.join(MEMORY_TYPES)}")
        if self.bits <= 0:
            raise RadiationError(f"region {self.name!r}: size {self.bits} bits")

    @classmethod
    def of(cls, region: MemoryRegion, latchup_susceptible: bool = False) -> MemorySpec:
        """The spec of an emulated board region (its kind must be sram, dram or nand)."""
        return cls(region.name, region.kind.value, region.bit_count, latchup_susceptible)


@dataclass(frozen=True)
class UpsetEvent:
    """One event: when (bench seconds), where, what, which bits (empty for SEFI/latch-up)."""

    time_s: float
    region: str
    kind: UpsetKind
    positions: tuple[int, ...]
    stuck_value: int | None = None


class _Batch(NamedTuple):
    """Columns of some events of one region, not yet in time order."""

    times: NDArray[np.float64]
    region: int
    kinds: NDArray[np.int8]
    starts: NDArray[np.int64]
    sizes: NDArray[np.int64]
    values: NDArray[np.int8]


@dataclass
class UpsetSchedule:
    """Events in time order, held as columns (events are built on demand)."""

    regions: tuple[str, ...]
    region_bits: tuple[int, ...]
    """Size of each region in bits (0 for devices without memory, such as the SoC)."""
    times: NDArray[np.float64]
    region_index: NDArray[np.int32]
    kinds: NDArray[np.int8]
    starts: NDArray[np.int64]
    sizes: NDArray[np.int64]
    values: NDArray[np.int8]

    def __len__(self) -> int:
        return len(self.times)

    def event(self, index: int) -> UpsetEvent:
        """The event at ``index`` in time order."""
        kind = KIND_CODES[int(self.kinds[index])]
        start, size = int(self.starts[index]), int(self.sizes[index])
        return UpsetEvent(float(self.times[index]), self.regions[int(self.region_index[index])],
                          kind, tuple(range(start, start + size)),
                          int(self.values[index]) if kind is UpsetKind.STUCK else None)

    def __iter__(self) -> Iterator[UpsetEvent]:
        return (self.event(index) for index in range(len(self)))

    def count(self, kind: UpsetKind, region: str | None = None) -> int:
        """Events of ``kind`` (in ``region`` when given)."""
        mask = self.kinds == _CODE[kind]
        if region is not None:
            mask &= self.region_index == self.regions.index(region)
        return int(mask.sum())

    def bits_hit(self, region: str | None = None) -> int:
        """Bits flipped or stuck by all memory events (in ``region`` when given)."""
        mask = np.ones(len(self), dtype=bool)
        if region is not None:
            mask = self.region_index == self.regions.index(region)
        return int(self.sizes[mask].sum())


class EnvironmentModel:
    """A profile under a solar condition, run ``acceleration`` times faster than real time."""

    def __init__(self, profile: Profile, condition: str = "quiet",
                 acceleration: float = 1.0) -> None:
        if not (math.isfinite(acceleration) and acceleration > 0):
            raise RadiationError(f"acceleration {acceleration} must be positive and finite")
        self.radiation = profile.radiation
        self.condition = condition
        self.acceleration = acceleration
        self.radiation.rate_per_bit_s("sram", condition)  # ProfileError on a bad condition
        zones = self.radiation.zones
        outside = 1.0 - sum(zone.time_fraction.value for zone in zones)
        norm = outside + sum(z.time_fraction.value * z.enhancement.value for z in zones)
        self._outside_factor = 1.0 / norm
        self._zone_factors = [zone.enhancement.value / norm for zone in zones]
        self.max_factor = max([self._outside_factor, *self._zone_factors])

    def zone_factor(self, bench_times: NDArray[np.float64]) -> NDArray[np.float64]:
        """Rate multiplier against the orbit average at each bench time (1 with no orbit)."""
        period = self.radiation.orbit_period_s
        factor = np.full(len(bench_times), self._outside_factor)
        if period is None or not self.radiation.zones:
            return factor
        phase = np.mod(bench_times * self.acceleration / period.value, 1.0)
        claimed = np.zeros(len(bench_times), dtype=bool)
        for zone, zone_factor in zip(self.radiation.zones, self._zone_factors, strict=True):
            inside = ~claimed & (np.mod(phase - zone.phase.value, 1.0) < zone.time_fraction.value)
            factor[inside] = zone_factor
            claimed |= inside
        return factor

    def _arrivals(self, average_rate: float, duration_s: float,
                  rng: np.random.Generator) -> NDArray[np.float64]:
        """Sorted arrival times of a Poisson process whose rate follows the zones (thinning
        of a homogeneous process at the peak rate, Lewis and Shedler 1979)."""
        peak = average_rate * self.max_factor
        count = int(rng.poisson(peak * duration_s)) if peak > 0 else 0
        times = np.sort(rng.uniform(0.0, duration_s, count))
        keep = rng.random(count) * self.max_factor < self.zone_factor(times)
        return times[keep]

    def _device_rate(self, per_day: float, memory: str) -> float:
        """Events per bench second of a device rate, scaled by the solar factor of ``memory``
        (estimate: SEFI and latch-up follow the upset rates' solar factor)."""
        factor = self.radiation.solar_factor[self.condition][memory].value
        return per_day * factor / SECONDS_PER_DAY * self.acceleration

    def schedule(self, regions: Sequence[MemorySpec], duration_s: float,
                 rng: np.random.Generator, *, soc: str | None = "soc") -> UpsetSchedule:
        """Events over ``duration_s`` bench seconds for ``regions`` (and SoC SEFIs on ``soc``).

        The profile's rate counts upset bits, so event rates are divided by the mean bits per
        event: the expected number of bits hit is rate x bits x time, clusters included.
        """
        if not (math.isfinite(duration_s) and duration_s >= 0):
            raise RadiationError(f"duration {duration_s} s must be finite and >= 0")
        names = [spec.name for spec in regions]
        if len(set(names)) != len(names) or (soc is not None and soc in names):
            raise RadiationError("region names (and the SoC name) must be distinct")
        batches = [_device_batch(np.empty(0), 0, UpsetKind.SEFI)]  # never concatenate nothing
        for index, spec in enumerate(regions):
            batches.append(self._memory_events(spec, index, duration_s, rng))
            device = [(UpsetKind.LATCHUP, self.radiation.latchup_per_device_day.value
                       if spec.latchup_susceptible else 0.0)]
            if spec.memory == "dram":
                device.append((UpsetKind.SEFI,
                               self.radiation.dram_device_interrupt_per_day.value))
            for kind, per_day in device:
                times = self._arrivals(self._device_rate(per_day, spec.memory), duration_s, rng)
                batches.append(_device_batch(times, index, kind))
        bits = [spec.bits for spec in regions]
        if soc is not None:
            rate = self._device_rate(self.radiation.sefi_per_day.value, "sram")
            batches.append(_device_batch(self._arrivals(rate, duration_s, rng), len(regions),
                                         UpsetKind.SEFI))
            names.append(soc)
            bits.append(0)
        times = np.concatenate([batch.times for batch in batches])
        order = np.argsort(times, kind="stable")
        region_index = np.concatenate(
            [np.full(len(batch.times), batch.region, np.int32) for batch in batches])
        return UpsetSchedule(
            tuple(names), tuple(bits), times[order], region_index[order],
            np.concatenate([batch.kinds for batch in batches])[order],
            np.concatenate([batch.starts for batch in batches])[order],
            np.concatenate([batch.sizes for batch in batches])[order],
            np.concatenate([batch.values for batch in batches])[order])

    def _memory_events(self, spec: MemorySpec, index: int, duration_s: float,
                       rng: np.random.Generator) -> _Batch:
        multi = self.radiation.multi_bit[spec.memory]
        low = np.array([size.low for size in multi.sizes])
        high = np.array([size.high for size in multi.sizes])
        weights = np.array([size.probability.value for size in multi.sizes])
        weights = weights / weights.sum()
        mbu = multi.fraction.value
        mean_bits = 1.0 - mbu + mbu * float(weights @ ((low + high) / 2))
        bit_rate = self.radiation.rate_per_bit_s(spec.memory, self.condition) * spec.bits
        times = self._arrivals(bit_rate * self.acceleration / mean_bits, duration_s, rng)
        count = len(times)
        draw = rng.random(count)
        cluster = draw < mbu
        stuck = ~cluster & (draw < mbu + self.radiation.stuck_fraction.value)
        kinds = np.where(cluster, _CODE[UpsetKind.CLUSTER],
                         np.where(stuck, _CODE[UpsetKind.STUCK], _CODE[UpsetKind.BIT]))
        size_class = rng.choice(len(weights), size=count, p=weights)
        sizes = np.where(cluster, rng.integers(low[size_class], high[size_class] + 1), 1)
        sizes = np.minimum(sizes, spec.bits).astype(np.int64)
        starts = rng.integers(0, spec.bits - sizes + 1, dtype=np.int64)
        values = rng.integers(0, 2, count, dtype=np.int8)
        return _Batch(times, index, kinds.astype(np.int8), starts, sizes, values)


def _device_batch(times: NDArray[np.float64], index: int, kind: UpsetKind) -> _Batch:
    count = len(times)
    return _Batch(times, index, np.full(count, _CODE[kind], np.int8), np.zeros(count, np.int64),
            np.zeros(count, np.int64), np.zeros(count, np.int8))


InjectFn = Callable[[str, UpsetKind, NDArray[np.int64]], object]
"""Issues one fault-injection command: region name, kind, bit positions (empty for SEFI and
latch-up). Bound by the harness to service 131 commands or a board's own API."""
EventInjectFn = Callable[[UpsetEvent], object]
"""Like :data:`InjectFn` with the whole event (a stuck-at event's ``stuck_value`` too)."""


@dataclass
class InjectorStats:
    """What the injector did."""

    events: int = 0
    bits_flipped: int = 0
    bits_stuck: int = 0
    forwarded: int = 0
    """Events handed to the ``inject`` callable."""
    unhandled: int = 0
    """Events with neither a local region nor an ``inject`` callable."""
    inject_errors: int = 0
    last_error: str = ""


class Injector:
    """Applies a schedule's events as time advances."""

    def __init__(self, schedule: UpsetSchedule, *,
                 regions: Mapping[str, MemoryRegion] | None = None,
                 inject: InjectFn | None = None,
                 inject_event: EventInjectFn | None = None) -> None:
        if inject is not None and inject_event is not None:
            raise RadiationError("give inject or inject_event, not both")
        self.schedule = schedule
        self.inject = inject
        self.inject_event = inject_event
        self.stats = InjectorStats()
        self._local: dict[int, MemoryRegion] = {}
        for name, region in (regions or {}).items():
            if name not in schedule.regions:
                raise RadiationError(f"region {name!r} is not in the schedule")
            index = schedule.regions.index(name)
            if region.bit_count < schedule.region_bits[index]:
                raise RadiationError(f"region {name!r} has {region.bit_count} bits, the "
                                     f"schedule hits {schedule.region_bits[index]}")
            self._local[index] = region
        self.cursor = 0

    def advance(self, now: float) -> int:
        """Apply every event due by ``now`` (bench seconds); return how many."""
        schedule = self.schedule
        stop = int(np.searchsorted(schedule.times, now, side="right"))
        first, self.cursor = self.cursor, max(stop, self.cursor)
        if stop <= first:
            return 0
        span = slice(first, stop)
        kinds, where = schedule.kinds[span], schedule.region_index[span]
        local = np.isin(where, list(self._local)) & (kinds <= _CODE[UpsetKind.STUCK])
        for index, region in self._local.items():
            mine = local & (where == index)
            self._flip(region, mine & (kinds != _CODE[UpsetKind.STUCK]), first)
            for offset in np.flatnonzero(mine & (kinds == _CODE[UpsetKind.STUCK])):
                event = schedule.event(first + int(offset))
                region.stick_bits(list(event.positions), event.stuck_value or 0)
                self.stats.bits_stuck += len(event.positions)
        for offset in np.flatnonzero(~local):
            self._forward(schedule.event(first + int(offset)))
        self.stats.events += stop - first
        return stop - first

    def _flip(self, region: MemoryRegion, mask: NDArray[np.bool_], first: int) -> None:
        chosen = np.flatnonzero(mask) + first
        if not len(chosen):
            return
        starts, sizes = self.schedule.starts[chosen], self.schedule.sizes[chosen]
        bases = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
        self.stats.bits_flipped += region.flip_bits(bases + np.arange(int(sizes.sum())))

    def _forward(self, event: UpsetEvent) -> None:
        if self.inject is None and self.inject_event is None:
            self.stats.unhandled += 1
            return
        try:
            if self.inject_event is not None:
                self.inject_event(event)
            elif self.inject is not None:
                self.inject(event.region, event.kind, np.array(event.positions, dtype=np.int64))
        except Exception as exc:  # a failed command is counted; the campaign goes on
            self.stats.inject_errors += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            return
        self.stats.forwarded += 1


__all__ = ["EnvironmentModel", "EventInjectFn", "InjectFn", "Injector", "InjectorStats",
           "MemorySpec", "ProfileError", "RadiationError", "UpsetEvent", "UpsetKind",
           "UpsetSchedule"]
