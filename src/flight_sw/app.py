"""The payload application assembled: link, dispatcher, services, modes, HAL and scheduler.

I/O-free: :class:`~flight_sw.runtime.PortRunner` moves bytes between a port and
:meth:`FlightSoftware.receive` / :meth:`FlightSoftware.step`; a simulation can drive the same
object with a simulated clock.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path

from ccsds.config import LinkConfig
from ccsds.mission_db import MissionDatabase, dictionary_digest
from ccsds.pus_types import Value
from firmware_stubs.board.reset import ResetCause
from flight_sw.board_telemetry import board_source, counters_source, reset_cause_value
from flight_sw.clock import Clock
from flight_sw.dictionary import MISSION
from flight_sw.dispatch import Dispatcher
from flight_sw.hal.base import Hal
from flight_sw.link import FlightLink
from flight_sw.modes import ModeManager
from flight_sw.parameters import ParameterPool
from flight_sw.scheduler import Scheduler
from flight_sw.services import board_control, test_service
from flight_sw.services.standard import install_standard_services
from flight_sw.services.time_management import CorrelatedClock
from flight_sw.telemetry import TelemetryFactory

FDIR_PERIOD_S = 1.0
"""Period of the FDIR checks."""
KICKS_PER_TIMEOUT = 4
"""The watchdog is kicked this many times per timeout period."""


class FlightSoftware:
    """One instance of the flight software on one board."""

    def __init__(self, config: LinkConfig, clock: Clock, hal: Hal, state_dir: Path, *,
                 database: MissionDatabase = MISSION, bit_rate: float | None = None,
                 idle_interval_s: float | None = None) -> None:
        self.config = config
        self.clock = clock
        self.hal = hal
        self.database = database
        self.link = FlightLink(config, bit_rate=bit_rate)
        self.telemetry = TelemetryFactory(config, clock)
        self.dispatcher = Dispatcher(config.packets.apid_pus, self.emit)
        self.scheduler = Scheduler()
        self.pool = ParameterPool(database)
        self.services = install_standard_services(self.dispatcher, self.emit, self.scheduler,
                                                  clock, self.pool, database, state_dir)
        self.telemetry.clock = CorrelatedClock(clock, self.services.time)
        self.modes = ModeManager(self.services.events.raise_event)
        self.reset_at: float | None = None
        self.watchdog_kicks = 0
        self.max_cycle_us = 0
        """Longest scheduler cycle since boot (wall time, microseconds)."""
        test_service.register(self.dispatcher, self.emit)
        board_control.register(self.dispatcher, database, self.modes, clock.monotonic,
                               self._request_reset)
        self._follow_settings(idle_interval_s)
        self.pool.add_source(board_source(hal, self.pool.parameter, lambda: int(self.modes.mode)))
        self.pool.add_source(counters_source(self._counters))
        self.scheduler.add("fdir", FDIR_PERIOD_S, self._fdir, start=clock.monotonic())
        self.scheduler.add("watchdog", FDIR_PERIOD_S / KICKS_PER_TIMEOUT, self._kick,
                           start=clock.monotonic())
        self.services.parameters.follow("WATCHDOG_TIMEOUT_MS", self._set_watchdog_timeout)

    def _follow_settings(self, idle_interval_s: float | None) -> None:
        """Settings of service 20 drive the link and FDIR; a launch option overrides the
        idle frame interval until the ground sets it."""
        parameters = self.services.parameters
        parameters.follow("IDLE_FRAME_INTERVAL_MS",
                          lambda ms: setattr(self.link, "idle_interval_s", _number(ms) / 1000))
        parameters.follow("OVERTEMP_THRESHOLD", lambda centikelvin: setattr(
            self.modes.rules, "overtemp_threshold_c", _number(centikelvin) / 100 - 273.15))
        if idle_interval_s is not None:
            self.link.idle_interval_s = idle_interval_s

    def boot(self) -> None:
        """Announce the boot (event with version, boot count, reset cause, dictionary hash)
        and leave BOOT for NOMINAL, or for SAFE after a suspect reset."""
        now = self.clock.monotonic()
        info = self.hal.boot_info()
        self.services.events.raise_event(
            "BOOT", now, software_version=version("spacedc-hil")[:16].ljust(16, "\0"),
            boot_count=min(info.boot_count, 0xFFFF), reset_cause=reset_cause_value(info.cause),
            dictionary_hash=dictionary_digest(self.database))
        self.modes.complete_boot(info.cause, now)

    def emit(self, service: int, subtype: int, data: bytes) -> None:
        """Send a PUS report on the real-time virtual channel."""
        packet = self.telemetry.make(service, subtype, data)
        self.link.send(packet, self.config.tm.vc_realtime)

    def receive(self, data: bytes) -> None:
        """Octets from the uplink. Every packet goes to the dispatcher; one for an APID this
        application does not serve (CFDP until the storage payload has its file transfer
        entity) is refused with (1,2) ILLEGAL_APID and counted."""
        for packet in self.link.receive(data):
            self.dispatcher.dispatch(packet)

    def line_idle(self) -> None:
        """The uplink has been quiet for a while (ends a CLTU cut short)."""
        for packet in self.link.line_idle():
            self.dispatcher.dispatch(packet)

    def step(self, now: float) -> bytes:
        """Run the scheduler and return what the downlink may send by ``now``."""
        started = time.perf_counter()
        self.scheduler.run_due(now)
        output = self.link.output(now)
        self.max_cycle_us = max(self.max_cycle_us, int((time.perf_counter() - started) * 1e6))
        return output

    def reset_due(self, now: float) -> bool:
        """Whether a commanded reset's delay has run out (the runtime then stops)."""
        return self.reset_at is not None and now >= self.reset_at

    def _request_reset(self, delay_s: float) -> None:
        now = self.clock.monotonic()
        self.hal.reset(ResetCause.COMMANDED, now)
        self.reset_at = now + delay_s

    def _set_watchdog_timeout(self, milliseconds: Value) -> None:
        timeout_s = _number(milliseconds) / 1000
        self.hal.watchdog.set_timeout(timeout_s)
        self.scheduler.set_period("watchdog", timeout_s / KICKS_PER_TIMEOUT,
                                  self.clock.monotonic())

    def _kick(self, now: float) -> None:
        self.hal.watchdog.kick(now)
        self.watchdog_kicks += 1

    def _fdir(self, now: float) -> None:
        self.modes.check_temperatures(dict(self.hal.read_sensors(now).temperatures_c), now)

    def _counters(self) -> dict[str, int | bool]:
        uplink, dispatch = self.link.uplink, self.dispatcher.counters
        farm = uplink.farm
        return {
            "CLTUS_RECEIVED": uplink.receiver.extractor.counters.cltus,
            "FRAMES_ACCEPTED": uplink.counters.frames_accepted,
            "FRAMES_REJECTED": uplink.counters.frames_rejected
            + uplink.receiver.counters.rejected,
            "BAD_PACKETS": dispatch.bad_length + dispatch.bad_packet_type
            + uplink.counters.packet_fragments,
            "BAD_PEC": dispatch.bad_checksum,
            "UNKNOWN_SERVICE": dispatch.unknown_service + dispatch.unknown_subtype,
            "TCS_ACCEPTED": dispatch.accepted,
            "TCS_REJECTED": dispatch.rejected,
            "TM_PACKETS_SENT": self.telemetry.packets_made,
            "TM_FRAMES_SENT": self.link.counters.cadus,
            "FARM_VR": farm.vr,
            "FARM_LOCKOUT": farm.lockout,
            "SCHEDULER_OVERRUNS": sum(g.skipped_periods for g in self.scheduler.groups.values()),
            "WATCHDOG_KICKS": self.watchdog_kicks,
            "TASKS": len(self.scheduler.groups),
            "MAX_CYCLE_TIME": self.max_cycle_us,
        }



def _number(value: Value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a number was expected, got {value!r}")
    return float(value)
