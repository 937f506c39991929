"""The payload application assembled: link, dispatcher, services, modes, HAL and scheduler,
with the payload (object store, storage service, file transfer, compute) on the storage region
and fault injection for the bench.

I/O-free: :class:`~flight_sw.runtime.PortRunner` moves bytes between a port and
:meth:`FlightSoftware.receive` / :meth:`FlightSoftware.step`; a simulation can drive the same
object with a simulated clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from ccsds.config import LinkConfig
from ccsds.errors import DecodeError
from ccsds.mission_db import MissionDatabase, dictionary_digest
from ccsds.pus_types import Value
from ccsds.spacepacket import peek_header
from firmware_stubs.board.reset import BootInfo, ResetCause
from flight_sw.board_telemetry import board_source, counters_source, reset_cause_value
from flight_sw.clock import Clock
from flight_sw.compute.service import install_compute
from flight_sw.dictionary import MISSION
from flight_sw.dispatch import Dispatcher
from flight_sw.faults.service import FaultInjectionService
from flight_sw.file_transfer import FileTransfer
from flight_sw.hal.base import CURRENT_LIMITER, Hal, storage_region
from flight_sw.link import FlightLink
from flight_sw.modes import FdirRules, ModeManager
from flight_sw.parameters import ParameterPool
from flight_sw.scheduler import Scheduler
from flight_sw.security.service import BoardSecurity
from flight_sw.security.telemetry import security_source
from flight_sw.services import board_control, test_service
from flight_sw.services.standard import install_standard_services
from flight_sw.services.storage import install_storage
from flight_sw.services.time_management import CorrelatedClock
from flight_sw.storage.at_rest import BoardDataKeys
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.scrubber import Scrubber
from flight_sw.storage.store import ObjectStore
from flight_sw.telemetry import TelemetryFactory

FDIR_PERIOD_S = 1.0
"""Period of the FDIR checks."""
KICKS_PER_TIMEOUT = 4
"""The watchdog is kicked this many times per timeout period."""
FILE_TRANSFER_PERIOD_S = 0.05
"""Period of the CFDP entity's timers and output."""
POWER_CYCLE_DELAY_S = 0.5
"""From latch-up detection to the power cycle: time for LATCH_UP_DETECTED to go down."""
_UINT32 = 0xFFFFFFFF


class FlightSoftware:
    """One instance of the flight software on one board.

    ``allow_fault_injection`` enables service 131 (refused otherwise);
    ``uncorrectable_count`` is the running total of uncorrectable memory errors (EDAC) that
    the FDIR rule watches (default: the object store's). ``store_config`` shapes the object
    store when the storage region is blank (an existing store keeps its geometry).
    """

    def __init__(self, config: LinkConfig, clock: Clock, hal: Hal,
                 state_dir: Path, *, database: MissionDatabase = MISSION,
                 bit_rate: float | None = None, idle_interval_s: float | None = None,
                 allow_fault_injection: bool = False,
                 uncorrectable_count: Callable[[], int] | None = None,
                 store_config: StoreConfig | None = None) -> None:
        self.config = config
        self.clock = clock
        self.hal = hal
        self.state_dir = state_dir
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
        self.power_cycle_at: float | None = None
        self.hung = False
        """A functional interrupt: the application serves nothing until reset."""
        self._hang_pending = False
        self._uncorrectable_seen = 0
        self.watchdog_kicks = 0
        self.max_cycle_us = 0
        """Longest scheduler cycle since boot (wall time, microseconds)."""
        test_service.register(self.dispatcher, self.emit)
        board_control.register(self.dispatcher, database, self.modes, clock.monotonic,
                               self._request_reset)
        self.faults = FaultInjectionService(
            hal, database, self.emit, raise_event=self.services.events.raise_event,
            now=clock.monotonic, hang=self.hang, enabled=allow_fault_injection)
        self.faults.register(self.dispatcher)
        self._follow_settings(idle_interval_s)
        self.pool.add_source(board_source(hal, self.pool.parameter, lambda: int(self.modes.mode)))
        self.pool.add_source(counters_source(self._counters))
        digest = dictionary_digest(database)
        self.pool.add_source(lambda _now: {"DICTIONARY_HASH": digest})
        self.pool.add_source(counters_source(self.faults.telemetry))
        self.security: BoardSecurity | None = None
        """Link security, set by flight_sw.security.attach_security (SDLS on)."""
        self.pool.add_source(security_source(self))
        self._attach_payload(store_config or StoreConfig())
        self.uncorrectable_count = uncorrectable_count or self._store_uncorrectable
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
        rules = self.modes.rules
        parameters.follow("POWER_LIMIT_MW", lambda mw: setattr(
            rules, "power_limit_w", _number(mw) / 1000 or FdirRules.power_limit_w))
        parameters.follow("POWER_LIMIT_TIME_MS", lambda ms: setattr(
            rules, "power_limit_time_s", _number(ms) / 1000 or FdirRules.power_limit_time_s))
        if idle_interval_s is not None:
            self.link.idle_interval_s = idle_interval_s

    def _attach_payload(self, store_config: StoreConfig) -> None:
        """Attach the payload: the object store on the storage region (formatted when blank,
        else recovered; objects time-stamped in on-board TAI), its patrol scrubber and
        storage service 128 (store events become service 5 events), the CFDP file transfer
        entity (CFDP APID in, bulk virtual channel out) and compute service 129, with their
        telemetry sources and settings."""
        events, parameters = self.services.events, self.services.parameters
        self.store = ObjectStore.open(storage_region(self.hal), store_config,
                                      clock=self.telemetry.clock.tai)
        self.store.keys = BoardDataKeys(lambda: self.security.keys if self.security else None)
        self.file_transfer = FileTransfer(self.config, self.store, self._send_bulk_packet,
                                          boot_count=self.hal.boot_info().boot_count,
                                          raise_event=events.raise_event)
        self.storage = install_storage(
            self.dispatcher, self.emit, self.emit_bulk, events, self.store,
            Scrubber(self.store), self.scheduler, self.clock, self.database,
            file_transfer=self.file_transfer, pool=self.pool)
        self.store.on_event = self.storage.on_scrub_event
        self.scheduler.add("file_transfer", FILE_TRANSFER_PERIOD_S, self._poll_file_transfer,
                           start=self.clock.monotonic())
        self.pool.add_source(self.file_transfer.telemetry)
        self.compute = install_compute(self.dispatcher, self.emit, events, self.store,
                                       self.hal, self.scheduler, self.clock, self.database)
        self.pool.add_source(self.compute.telemetry)
        parameters.follow("COMPUTE_BUDGET_MS", self.compute.apply_budget_ms)

    def _store_uncorrectable(self) -> int:
        return self.store.health().uncorrectable_words

    def _send_bulk_packet(self, packet: bytes) -> None:
        self.link.send(packet, self.config.tm.vc_bulk)

    def _poll_file_transfer(self, now: float) -> None:
        transfer = self.file_transfer
        transfer.poll(now, transfer.budget(self.link.downlink.pending()))

    def close(self) -> None:
        """Save the store's counters and flush it (a clean stop; after a reset the store
        recovers from its journal instead)."""
        self.store.close()

    def boot(self) -> None:
        """Announce the boot (event with version, boot count, reset cause, dictionary hash),
        after a watchdog reset also WATCHDOG_RESET, and leave BOOT for NOMINAL, or for SAFE
        after a suspect reset."""
        now = self.clock.monotonic()
        info = self.hal.boot_info()
        events = self.services.events
        events.raise_event(
            "BOOT", now, software_version=version("spacedc-hil")[:16].ljust(16, "\0"),
            boot_count=min(info.boot_count, 0xFFFF), reset_cause=reset_cause_value(info.cause),
            dictionary_hash=dictionary_digest(self.database))
        if info.cause is ResetCause.WATCHDOG:
            events.raise_event("WATCHDOG_RESET", now, uptime_s=_previous_run_s(info))
        self.modes.complete_boot(info.cause, now)

    def emit(self, service: int, subtype: int, data: bytes) -> None:
        """Send a PUS report on the real-time virtual channel."""
        packet = self.telemetry.make(service, subtype, data)
        self.link.send(packet, self.config.tm.vc_realtime)

    def emit_bulk(self, service: int, subtype: int, data: bytes) -> None:
        """Send a PUS report on the bulk virtual channel (object data)."""
        self._send_bulk_packet(self.telemetry.make(service, subtype, data))

    def receive(self, data: bytes) -> None:
        """Octets from the uplink. CFDP packets go to the file transfer entity, every other
        packet to the dispatcher (one for an APID this application does not serve is refused
        with (1,2) ILLEGAL_APID and counted). A hung application takes nothing."""
        if not self.hung:
            self._dispatch(self.link.receive(data))

    def line_idle(self) -> None:
        """The uplink has been quiet for a while (ends a CLTU cut short)."""
        if not self.hung:
            self._dispatch(self.link.line_idle())

    def _dispatch(self, packets: list[bytes]) -> None:
        cfdp = self.config.packets.apid_cfdp
        for packet in packets:
            if self._hang_pending:
                return  # the rest is lost with the hung application, as on a real board
            try:
                apid = peek_header(packet).apid
            except DecodeError:
                apid = None  # the dispatcher counts it
            if apid == cfdp:
                self.file_transfer.receive_packet(packet, self.clock.monotonic())
            else:
                self.dispatcher.dispatch(packet)

    def step(self, now: float) -> bytes:
        """Run the scheduler and return what the downlink may send by ``now`` (nothing once
        hung: no tasks, no watchdog kicks, no telemetry)."""
        if self.hung:
            return b""
        started = time.perf_counter()
        self.scheduler.run_due(now)
        output = self.link.output(now)
        self.max_cycle_us = max(self.max_cycle_us, int((time.perf_counter() - started) * 1e6))
        self.hung = self._hang_pending  # the reports of the hang request still go out
        return output

    def hang(self) -> None:
        """Functional interrupt (service 131): once this cycle's output is out, the software
        stops serving and kicking the watchdog; only the watchdog's reset ends it."""
        self._hang_pending = True

    def reset_due(self, now: float) -> bool:
        """Whether a commanded reset's delay has run out (the runtime then stops)."""
        return self.reset_at is not None and now >= self.reset_at

    def stop_reason(self, now: float) -> ResetCause | None:
        """The reset the runtime must carry out now: LATCH_UP (a power cycle, FDIR),
        COMMANDED (after its delay), or None to keep running."""
        if self.power_cycle_at is not None and now >= self.power_cycle_at:
            return ResetCause.LATCH_UP
        return ResetCause.COMMANDED if self.reset_due(now) else None

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
        """Over-temperature, latch-up (power or current limiter) and memory-error rules."""
        readings = self.hal.read_sensors(now)
        self.modes.check_temperatures(dict(readings.temperatures_c), now)
        tripped = readings.extras.get(CURRENT_LIMITER, 0.0) > 0.0
        if self.modes.check_power(readings.power_w, tripped, now):
            self.hal.reset(ResetCause.LATCH_UP, now)
            self.power_cycle_at = now + POWER_CYCLE_DELAY_S
        total = self.uncorrectable_count()
        if total < self._uncorrectable_seen:  # the source restarted (store formatted)
            self._uncorrectable_seen = 0
        self.modes.record_uncorrectable(total - self._uncorrectable_seen, now)
        self._uncorrectable_seen = total

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



def _previous_run_s(info: BootInfo) -> int:
    """Seconds from the previous boot to this one on the monotonic clock: the previous run's
    uptime plus the restart (0 when the clock restarted, i.e. the host rebooted)."""
    if len(info.history) < 2:
        return 0
    return int(min(max(0.0, info.booted_at - info.history[-2].at), _UINT32))


def _number(value: Value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a number was expected, got {value!r}")
    return float(value)
