"""An in-process bench for service 129: dispatcher, events, scheduler, a simulated clock, the
emulated board and a real object store on an in-memory region, with telecommands encoded as
the ground encodes them (from the JSON-loaded dictionary)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ccsds.mission_db import Command, dumps, encode_command, loads
from ccsds.pus import AckFlags, PusTc
from ccsds.pus_types import Value
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.clock import SimulatedClock
from flight_sw.compute.service import PERIOD_S, ComputeService, install_compute
from flight_sw.dictionary import MISSION
from flight_sw.dispatch import Dispatcher
from flight_sw.hal.emulated import EmulatedHal
from flight_sw.scheduler import Scheduler
from flight_sw.services.events import EventService
from flight_sw.storage.api import Store
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.store import ObjectStore

GROUND_DB = loads(dumps(MISSION))
Report = tuple[int, int, bytes]


def real_store(clock: SimulatedClock, size: int = 8 << 20) -> ObjectStore:
    """The flight object store on a fresh in-memory region."""
    return ObjectStore.open(MemoryRegion.in_memory("store", "dram", size), StoreConfig(),
                            clock=clock.monotonic)


@dataclass(frozen=True)
class JobReport:
    """TM(129,8) decoded by hand from the docs/compute.md layout."""

    job_id: int
    request_id: bytes
    kind: int
    state: int
    priority: int
    dmr: bool
    progress: int
    cpu_time_ms: int
    result_size: int
    result_sha256: bytes
    error_code: int
    input: str
    output: str

    @classmethod
    def decode(cls, data: bytes) -> JobReport:
        fixed = struct.Struct(">H4sBBB?BIQ32sH")
        values = list(fixed.unpack_from(data))
        offset = fixed.size
        names = []
        for _ in range(2):
            (length,) = struct.unpack_from(">H", data, offset)
            names.append(data[offset + 2:offset + 2 + length].decode())
            offset += 2 + length
        assert offset == len(data)
        return cls(*values, *names)


class ServiceBench:
    """The flight side of service 129, driven by hand."""

    def __init__(self, tmp_path: Path, store: Store | None = None) -> None:
        self.clock = SimulatedClock()
        self.reports: list[Report] = []
        self.dispatcher = Dispatcher(MISSION.apid, self.emit)
        self.scheduler = Scheduler()
        self.events = EventService(MISSION, self.emit)
        self.hal = EmulatedHal(state_dir=tmp_path, clock=self.clock)
        self.store: Store = store if store is not None else real_store(self.clock)
        self.service: ComputeService = install_compute(
            self.dispatcher, self.emit, self.events, self.store, self.hal, self.scheduler,
            self.clock, MISSION)
        self.committed_at_completion: list[bool] = []
        self._sequence = 0
        self._watch: str | None = None

    def emit(self, service: int, subtype: int, data: bytes) -> None:
        if (service, subtype) == (1, 7) and self._watch is not None:
            self.committed_at_completion.append(self.store.exists(self._watch))
        self.reports.append((service, subtype, data))

    def watch(self, output: str) -> None:
        """Record whether ``output`` exists whenever a (1,7) goes out."""
        self._watch = output

    def raw(self, service: int, subtype: int, data: bytes,
            ack: AckFlags = AckFlags.ALL) -> PusTc:
        self._sequence = (self._sequence + 1) % 16384
        tc = PusTc(MISSION.apid, self._sequence, service, subtype, data, ack_flags=ack)
        self.dispatcher.dispatch(tc.encode())
        return tc

    def command(self, name: str, ack: AckFlags = AckFlags.ALL, **values: Value) -> PusTc:
        command: Command = GROUND_DB.command(name)
        return self.raw(command.service, command.subtype,
                        encode_command(GROUND_DB, command, values), ack)

    def submit(self, name: str, source: str = "data", output: str = "out", *,
               priority: int = 0, dmr: bool = False, progress_step: int = 0,
               ack: AckFlags = AckFlags.ALL, **extra: Value) -> PusTc:
        return self.command(name, ack, input=source, output=output, priority=priority,
                            dmr=dmr, progress_step=progress_step, **extra)

    def run(self, seconds: float) -> None:
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.clock.advance(PERIOD_S)
            self.scheduler.run_due(self.clock.now)

    def run_until_idle(self, limit_s: float = 600.0) -> None:
        while self.service.engine.active and self.clock.now < limit_s:
            self.run(PERIOD_S)

    def verification(self, tc: PusTc) -> list[tuple[int, bytes]]:
        """(subtype, data after the request id) of every service 1 report of ``tc``."""
        request = tc.request_id.encode()
        return [(subtype, data[4:]) for service, subtype, data in self.reports
                if service == 1 and data[:4] == request]

    def outcome(self, tc: PusTc) -> tuple[int, int | None]:
        """The terminal report of ``tc`` and its error code (None for success)."""
        finals = [(s, d) for s, d in self.verification(tc) if s in (2, 4, 7, 8)]
        assert len(finals) == 1, finals
        subtype, data = finals[0]
        return subtype, struct.unpack_from(">H", data)[0] if subtype in (2, 4, 8) else None

    def job_reports(self) -> list[JobReport]:
        return [JobReport.decode(d) for s, t, d in self.reports if (s, t) == (129, 8)]

    def job_of(self, tc: PusTc) -> JobReport:
        """The latest job report of the job ``tc`` submitted."""
        request = tc.request_id.encode()
        return [r for r in self.job_reports() if r.request_id == request][-1]
