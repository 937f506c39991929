"""Board modes and the fault detection, isolation and recovery (FDIR) rules.

BOOT -> NOMINAL after a clean start; BOOT -> SAFE after a watchdog or latch-up reset (the
cause of the last reset is suspect); NOMINAL -> SAFE on over-temperature or on repeated
uncorrectable memory errors; SAFE -> NOMINAL only by command (130,1). Every transition raises
a MODE_CHANGED event. A latch-up (power above a limit for a hold time, or a current-limiter
trip) asks for a power cycle, the recovery ECSS-Q-ST-60-15C names for single event latch-up;
the application carries it out. docs/icd.md 10 lists the rules.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from firmware_stubs.board.reset import ResetCause
from flight_sw.hal.base import sensor_role


class Mode(IntEnum):
    """Board modes; the values are those of the MODE parameter in the dictionary."""

    SAFE = 0
    NOMINAL = 1
    BOOT = 2


_SUSPECT_RESETS = frozenset({ResetCause.WATCHDOG, ResetCause.LATCH_UP})

RaiseEvent = Callable[..., object]
"""``raise_event(name, now, **values)`` of the event service."""


@dataclass
class FdirRules:
    """Thresholds of the automatic transitions to SAFE."""

    overtemp_threshold_c: float = 85.0
    uncorrectable_limit: int = 3
    uncorrectable_window_s: float = 3600.0
    power_limit_w: float = 9.0
    """Above the emulated board's full load (6.5 W) plus margin; a Pi 4 peaks near 7 W."""
    power_limit_time_s: float = 2.0
    """How long power may stay above the limit (inrush and load steps are shorter)."""


class ModeManager:
    """The current mode, its transitions and the FDIR checks that drive them."""

    def __init__(self, raise_event: RaiseEvent, rules: FdirRules | None = None) -> None:
        self.raise_event = raise_event
        self.rules = rules or FdirRules()
        self.mode = Mode.BOOT
        self.transitions = 0
        self.safe_entries = 0
        self._hot_sensors: set[str] = set()
        self._uncorrectable: deque[float] = deque()
        self._memory_limit_reached = False
        self._over_power_since: float | None = None
        self.power_cycle_requested = False

    def complete_boot(self, reset_cause: ResetCause, now: float) -> Mode:
        """Leave BOOT: SAFE if the last reset is suspect, NOMINAL otherwise."""
        self._change(Mode.SAFE if reset_cause in _SUSPECT_RESETS else Mode.NOMINAL, now)
        return self.mode

    def command(self, target: Mode, now: float) -> None:
        """A commanded transition (130,1); BOOT cannot be commanded."""
        if target is Mode.BOOT:
            raise ValueError("BOOT is entered by a reset, not by command")
        self._change(target, now)

    def check_temperatures(self, temperatures_c: dict[str, float], now: float) -> None:
        """Over-temperature: an event per excursion of each sensor, and SAFE."""
        threshold = self.rules.overtemp_threshold_c
        for sensor, value in sorted(temperatures_c.items()):
            if value <= threshold:
                self._hot_sensors.discard(sensor)
                continue
            if sensor in self._hot_sensors:
                continue
            self._hot_sensors.add(sensor)
            self.raise_event("OVER_TEMPERATURE", now, sensor=int(sensor_role(sensor)),
                             temperature_ck=round((value + 273.15) * 100))
            self._change(Mode.SAFE, now)

    def record_uncorrectable(self, count: int, now: float) -> None:
        """Uncorrectable memory errors seen; ``uncorrectable_limit`` of them within
        ``uncorrectable_window_s`` -> SAFE, with one MEMORY_ERRORS_LIMIT event each time the
        count in the window reaches the limit."""
        window = self.rules.uncorrectable_window_s
        self._uncorrectable.extend([now] * max(0, count))
        while self._uncorrectable and self._uncorrectable[0] < now - window:
            self._uncorrectable.popleft()
        in_window = len(self._uncorrectable)
        if in_window < self.rules.uncorrectable_limit:
            self._memory_limit_reached = False
            return
        if not self._memory_limit_reached:
            self._memory_limit_reached = True
            self.raise_event("MEMORY_ERRORS_LIMIT", now, count=min(in_window, 0xFFFFFFFF),
                             window_s=min(round(window), 0xFFFFFFFF))
        self._change(Mode.SAFE, now)

    def check_power(self, power_w: float | None, current_limiter: bool, now: float) -> bool:
        """Latch-up detection: a current-limiter trip, or power above ``power_limit_w`` for
        ``power_limit_time_s``. The first detection raises LATCH_UP_DETECTED and returns True
        (the caller power-cycles the board); later calls return False."""
        if self.power_cycle_requested:
            return False
        over = power_w is not None and power_w > self.rules.power_limit_w
        if not over:
            self._over_power_since = None
        elif self._over_power_since is None:
            self._over_power_since = now
        held = over and self._over_power_since is not None \
            and now - self._over_power_since >= self.rules.power_limit_time_s
        if not (current_limiter or held):
            return False
        self.power_cycle_requested = True
        self.raise_event("LATCH_UP_DETECTED", now,
                         power_mw=min(max(0, round((power_w or 0.0) * 1000)), 0xFFFFFFFF),
                         current_limiter=int(current_limiter))
        return True

    def _change(self, target: Mode, now: float) -> None:
        if target is self.mode:
            return
        previous, self.mode = self.mode, target
        self.transitions += 1
        self.safe_entries += target is Mode.SAFE
        self.raise_event("MODE_CHANGED", now, previous=int(previous), current=int(target))
