"""Time sources of the flight software: a monotonic clock for scheduling and TAI for time tags.

Every component takes a :class:`Clock`; nothing else reads the system time, so the same code
runs in real time on a board and in accelerated simulated time on the bench.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from ccsds.timecode import CucTime

UNIX_TO_1958_S = 378_691_200.0
"""Seconds from 1958-01-01 to 1970-01-01 (CCSDS 301.0-B-4 epoch to the Unix epoch)."""
TAI_MINUS_UTC_S = 37.0
"""Leap seconds in force (since 2017-01-01)."""


class Clock(Protocol):
    """What the flight software needs of time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never steps, for scheduling and timeouts."""

    def tai(self) -> float:
        """Seconds of TAI since 1958-01-01 (the CUC epoch of the ICD)."""


class SystemClock:
    """The host's clocks; on board, the RTC-disciplined system time."""

    def __init__(self, tai_minus_utc_s: float = TAI_MINUS_UTC_S) -> None:
        self.tai_minus_utc_s = tai_minus_utc_s

    def monotonic(self) -> float:
        return time.monotonic()

    def tai(self) -> float:
        return time.time() + UNIX_TO_1958_S + self.tai_minus_utc_s


@dataclass
class SimulatedClock:
    """A clock that moves only when told to: simulation and deterministic tests."""

    now: float = 0.0
    tai_at_zero: float = 2_100_000_000.0

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def tai(self) -> float:
        return self.tai_at_zero + self.now


def cuc_now(clock: Clock) -> CucTime:
    """The clock's TAI as a CUC 4+2 time code."""
    return CucTime.from_seconds(clock.tai())
