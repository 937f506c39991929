"""Time management, PUS service 9 (ECSS-E-ST-70-41C 6.9), and the mission's time correlation.

TM(9,2) CUC time report: the time report generation rate exponent (uint8) followed by the
on-board time (8.9.2.2), here CUC 4+2 with implicit P-field as the ICD's time format
(CCSDS 301.0-B-4 3.2). Reports go out periodically every 2^n seconds (6.9.4.2); TC(9,1)
sets n (6.9.4.3). Mission request (9,128) sets the on-board time: it becomes a correlation
offset added to the clock's TAI by :class:`CorrelatedClock`, the clock of the telemetry
time tags.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

from ccsds.errors import LocalProtocolError
from ccsds.mission_db import MissionDatabase
from ccsds.timecode import CucTime
from flight_sw.clock import Clock
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.scheduler import Scheduler
from flight_sw.services.arguments import Arguments, Rejections, integer, request_parser
from flight_sw.services.verification import Emit, ErrorCode, Verification

SERVICE = 9
DEFAULT_RATE_EXPONENT = 5
"""A time report every 2^5 = 32 s until (9,1) says otherwise."""
_RATE = struct.Struct(">B")
GROUP = "time.report"


class Subtype(IntEnum):
    """Service 9 message subtypes used by the mission."""

    SET_REPORT_RATE = 1
    CUC_TIME_REPORT = 2
    SET_ONBOARD_TIME = 128


@dataclass
class TimeCounters:
    """Every outcome of the service."""

    reports: int = 0
    report_failures: int = 0
    rate_changes: int = 0
    time_sets: int = 0
    rejected: Rejections = field(default_factory=Rejections)


class TimeService:
    """Periodic CUC time reports and the on-board time correlation offset."""

    def __init__(self, scheduler: Scheduler, emit: Emit, clock: Clock, *,
                 rate_exponent: int = DEFAULT_RATE_EXPONENT) -> None:
        self.scheduler = scheduler
        self.emit = emit
        self.clock = clock
        self.counters = TimeCounters()
        self.offset_s = 0.0
        """Correlated on-board time minus the clock's TAI, set by (9,128)."""
        self.rate_exponent = rate_exponent
        scheduler.add(GROUP, self.period_s, self.report,
                      start=clock.monotonic() + self.period_s)

    @property
    def period_s(self) -> float:
        """Seconds between two time reports."""
        return float(1 << self.rate_exponent)

    def tai(self) -> float:
        """The correlated on-board time: TAI seconds since 1958-01-01."""
        return self.clock.tai() + self.offset_s

    def report(self, now: float) -> None:
        """Emit one TM(9,2)."""
        try:
            time = CucTime.from_seconds(self.tai()).encode()
        except LocalProtocolError:  # correlated past the CUC 4+2 range
            self.counters.report_failures += 1
            return
        self.counters.reports += 1
        self.emit(SERVICE, Subtype.CUC_TIME_REPORT, _RATE.pack(self.rate_exponent) + time)

    def set_rate(self, rate_exponent: int, now: float) -> None:
        """One report every 2^``rate_exponent`` s, the next one period from ``now``."""
        self.counters.rate_changes += 1
        self.rate_exponent = rate_exponent
        self.scheduler.set_period(GROUP, self.period_s, now)

    def set_time(self, tai_s: float) -> None:
        """Correlate: the on-board time is ``tai_s`` now."""
        self.counters.time_sets += 1
        self.offset_s = tai_s - self.clock.tai()

    def register(self, dispatcher: Dispatcher, database: MissionDatabase) -> None:
        """Route (9,1) and (9,128) as the dictionary defines them."""
        dispatcher.register(SERVICE, Subtype.SET_REPORT_RATE, self._execute_rate,
                            parse=request_parser(database, SERVICE, Subtype.SET_REPORT_RATE,
                                                 self.counters.rejected, self._rate))
        dispatcher.register(SERVICE, Subtype.SET_ONBOARD_TIME, self._execute_time,
                            parse=request_parser(database, SERVICE, Subtype.SET_ONBOARD_TIME,
                                                 self.counters.rejected, self._time))

    @staticmethod
    def _rate(arguments: Arguments) -> int:
        return integer(arguments, "rate_exponent")

    @staticmethod
    def _time(arguments: Arguments) -> float:
        time = arguments["time"]
        if not isinstance(time, CucTime):
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, "time is not a CUC time")
        return time.seconds

    def _execute_rate(self, rate_exponent: int, _: Verification) -> None:
        self.set_rate(rate_exponent, self.clock.monotonic())

    def _execute_time(self, tai_s: float, _: Verification) -> None:
        self.set_time(tai_s)


class CorrelatedClock:
    """A clock whose TAI includes the time service's correlation offset."""

    def __init__(self, clock: Clock, service: TimeService) -> None:
        self.clock = clock
        self.service = service

    def monotonic(self) -> float:
        return self.clock.monotonic()

    def tai(self) -> float:
        return self.service.tai()
