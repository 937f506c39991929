"""Board modes and the fault detection, isolation and recovery (FDIR) rules.

BOOT -> NOMINAL after a clean start; BOOT -> SAFE after a watchdog or latch-up reset (the
cause of the last reset is suspect); NOMINAL -> SAFE on over-temperature or on repeated
uncorrectable memory errors; SAFE -> NOMINAL only by command (130,1). Every transition raises
a MODE_CHANGED event. docs/icd.md lists the rules.
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
        """Uncorrectable memory errors seen; too many within the window -> SAFE."""
        window = self.rules.uncorrectable_window_s
        self._uncorrectable.extend([now] * count)
        while self._uncorrectable and self._uncorrectable[0] < now - window:
            self._uncorrectable.popleft()
        if len(self._uncorrectable) >= self.rules.uncorrectable_limit:
            self._change(Mode.SAFE, now)

    def _change(self, target: Mode, now: float) -> None:
        if target is self.mode:
            return
        previous, self.mode = self.mode, target
        self.transitions += 1
        self.safe_entries += target is Mode.SAFE
        self.raise_event("MODE_CHANGED", now, previous=int(previous), current=int(target))
