"""An in-process bench for the standard services: a dispatcher, a list-collecting emit, a
simulated clock and a scheduler, with telecommands encoded as the ground would encode them
(from the JSON-loaded dictionary, never from flight code objects)."""

from __future__ import annotations

import struct
from pathlib import Path

from ccsds.mission_db import Command, dumps, encode_command, loads
from ccsds.pus import AckFlags, PusTc
from ccsds.pus_types import Value
from flight_sw.clock import SimulatedClock
from flight_sw.dictionary import MISSION
from flight_sw.dispatch import Dispatcher
from flight_sw.parameters import ParameterPool
from flight_sw.scheduler import Scheduler
from flight_sw.services.standard import StandardServices, install_standard_services

GROUND_DB = loads(dumps(MISSION))
"""The dictionary as the ground sees it."""
TICK = 0.125
"""Main loop period of the bench (exact in binary, so simulated time does not drift)."""

Report = tuple[int, int, bytes]


class Bench:
    """The flight side of the standard services, driven by hand."""

    def __init__(self, state_dir: Path | None, *, start: float = 0.0) -> None:
        self.state_dir = state_dir
        self.clock = SimulatedClock(now=start)
        self.reports: list[Report] = []
        self.dispatcher = Dispatcher(MISSION.apid, self.emit)
        self.scheduler = Scheduler()
        self.pool = ParameterPool(MISSION)
        self.services: StandardServices = install_standard_services(
            self.dispatcher, self.emit, self.scheduler, self.clock, self.pool, MISSION,
            state_dir)
        self._sequence = 0

    def emit(self, service: int, subtype: int, data: bytes) -> None:
        self.reports.append((service, subtype, data))

    def telecommand(self, name: str, **values: Value) -> PusTc:
        """A TC of dictionary command ``name`` with its arguments encoded by the codec."""
        command: Command = GROUND_DB.command(name)
        return self.raw(command.service, command.subtype,
                        encode_command(GROUND_DB, command, values))

    def raw(self, service: int, subtype: int, data: bytes) -> PusTc:
        """A TC with any application data."""
        self._sequence = (self._sequence + 1) % 16384
        return PusTc(MISSION.apid, self._sequence, service, subtype, data,
                     ack_flags=AckFlags.ALL)

    def send(self, tc: PusTc) -> PusTc:
        self.dispatcher.dispatch(tc.encode())
        return tc

    def command(self, name: str, **values: Value) -> PusTc:
        return self.send(self.telecommand(name, **values))

    def run(self, seconds: float) -> None:
        """Advance simulated time by ``seconds`` in main-loop ticks, running due groups."""
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.clock.advance(TICK)
            self.scheduler.run_due(self.clock.now)

    def take(self, service: int, subtype: int | None = None) -> list[bytes]:
        """Remove and return the source data of the reports of (service, subtype)."""
        def hit(report: Report) -> bool:
            return report[0] == service and subtype in (None, report[1])

        found = [data for *_, data in filter(hit, self.reports)]
        self.reports = [r for r in self.reports if not hit(r)]
        return found

    def outcome(self, tc: PusTc) -> tuple[int, int | None]:
        """The terminal verification subtype of ``tc`` and its error code (None on success)."""
        request = tc.request_id.encode()
        finals = [(subtype, data) for service, subtype, data in self.reports
                  if service == 1 and subtype in (2, 4, 7, 8) and data[:4] == request]
        assert len(finals) == 1, finals
        subtype, data = finals[0]
        return subtype, (struct.unpack_from(">H", data, 4)[0] if subtype != 7 else None)
