"""What the flight software asks of its board: the :class:`Hal` protocol and its data types.

Two backends implement it (:mod:`.emulated`, :mod:`.linux`); :func:`flight_sw.hal.get_hal`
picks one by name. Time is passed in (``now``: float seconds of the runtime's monotonic
clock); a backend reads time only from the ``clock`` it was given, and never sleeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol, runtime_checkable

from firmware_stubs.board.memory import MemoryRegion, RegionKind
from firmware_stubs.board.reset import BootInfo, ResetCause, ResetRequest

__all__ = [
    "CURRENT_LIMITER",
    "STORAGE_REGION",
    "BootInfo",
    "Clock",
    "Hal",
    "HalError",
    "HalWatchdog",
    "LatchUpInjector",
    "MemoryRegion",
    "RegionKind",
    "ResetCause",
    "ResetRequest",
    "SensorReadError",
    "SensorReadings",
    "storage_region",
]


class Clock(Protocol):
    """The part of the runtime's clock (:class:`flight_sw.clock.Clock`) the HAL uses."""

    def monotonic(self) -> float:
        """Seconds on a clock that never steps."""
        ...


class HalError(Exception):
    """Base class of the HAL's own errors."""


class SensorReadError(HalError):
    """A sensor source (a /proc or /sys file) is missing or malformed."""


@dataclass(frozen=True)
class SensorReadings:
    """One sample of the board's health."""

    temperatures_c: Mapping[str, float]
    """Degrees Celsius by sensor name (thermal zone type on Linux, model node when emulated)."""
    power_w: float | None
    """Board power, None where the board has no power monitor."""
    cpu_load: float
    """Fraction of CPU time busy since the previous reading (0..1)."""
    memory_used_fraction: float
    uptime_s: float
    """Seconds since the board booted."""
    extras: Mapping[str, float] = field(default_factory=dict)
    """Backend-specific figures (e.g. ``latch_up_w`` on the emulated board)."""


@runtime_checkable
class HalWatchdog(Protocol):
    """The board watchdog as the flight software sees it."""

    @property
    def enabled(self) -> bool:
        """Whether kicks are required."""
        ...

    def kick(self, now: float) -> None:
        """Restart the countdown."""
        ...

    def check(self, now: float) -> bool:
        """Whether the watchdog has expired (a watchdog reset is then pending)."""
        ...

    def set_timeout(self, timeout_s: float) -> None:
        """Change the time allowed between kicks."""
        ...


@runtime_checkable
class Hal(Protocol):
    """The board hardware abstraction used by the flight software runtime."""

    name: str
    watchdog: HalWatchdog

    def read_sensors(self, now: float) -> SensorReadings:
        """Sample temperatures, power, load, memory use and uptime."""
        ...

    def set_load(self, fraction: float) -> None:
        """The compute load the software reports (drives the emulated thermal/power model)."""
        ...

    def memory_regions(self) -> Mapping[str, MemoryRegion]:
        """Named memory regions with raw access (fault injection works on these)."""
        ...

    def reset(self, cause: ResetCause, now: float) -> ResetRequest:
        """Record ``cause`` for the next boot and return the request the runtime acts on."""
        ...

    def last_reset_cause(self) -> ResetCause:
        """Why the current boot happened."""
        ...

    def boot_info(self) -> BootInfo:
        """Boot count, cause and recent history, as persisted in the state dir."""
        ...

    def close(self) -> None:
        """Flush memory regions and release devices."""
        ...


@runtime_checkable
class LatchUpInjector(Protocol):
    """A board on which a latch-up can be injected (the emulated one; fault injection only)."""

    def inject_latch_up(self, step_w: float, now: float) -> None:
        """Start a latch-up drawing ``step_w`` more until the next power cycle."""
        ...


CURRENT_LIMITER = "current_limiter"
"""Key of :attr:`SensorReadings.extras`: 1.0 while a latching current limiter reports a trip
(the over-current detection of an SEL protection circuit), 0.0 otherwise."""

STORAGE_REGION = "storage"


def storage_region(hal: Hal) -> MemoryRegion:
    """The region where data survives restarts: the one named ``storage`` if present (linux),
    else the largest non-volatile one (the emulated NAND)."""
    regions = hal.memory_regions()
    if STORAGE_REGION in regions:
        return regions[STORAGE_REGION]
    kept = [region for region in regions.values() if not region.kind.volatile]
    if not kept:
        raise HalError(f"board backend {hal.name!r} has no non-volatile memory region")
    return max(kept, key=lambda region: region.size)


class SensorRole(IntEnum):
    """What a temperature sensor measures (the values of the dictionary's sensor enumeration)."""

    CPU = 0
    BOARD = 1


_CPU_SENSOR_HINTS = ("cpu", "soc", "pkg", "core")
"""Substrings of CPU die sensor names: emulated "soc", Linux thermal zone types such as
"cpu-thermal", "x86_pkg_temp", "CPU-therm", "soc_thermal"."""


def sensor_role(name: str) -> SensorRole:
    """Whether a sensor, by its name, measures the CPU die or the board."""
    lowered = name.lower()
    return SensorRole.CPU if any(hint in lowered for hint in _CPU_SENSOR_HINTS) \
        else SensorRole.BOARD


def temperatures_by_role(temperatures_c: Mapping[str, float]) -> dict[SensorRole, float]:
    """The hottest reading of each role present."""
    hottest: dict[SensorRole, float] = {}
    for name, celsius in temperatures_c.items():
        role = sensor_role(name)
        hottest[role] = max(celsius, hottest.get(role, celsius))
    return hottest
