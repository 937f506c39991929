"""The flight software with SDLS on and a ground that protects its uplink (and, with a TM
protected configuration, verifies its downlink), in-process.

Simulated time (SimulatedClock); the uplink may lose CLTUs at random (a seeded draw), which
COP-1 recovers by retransmission. Not modelled: line timing, bit errors inside CLTUs.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from pathlib import Path

from ccsds.config import LinkConfig, SdlsConfig
from ccsds.mission_db import decode_event, decode_housekeeping, encode_command
from ccsds.pus import PusTc, PusTm
from ccsds.pus_types import Value
from ccsds.sdls.procedures import ExtendedProcedure
from flight_sw.app import FlightSoftware
from flight_sw.clock import SimulatedClock
from flight_sw.dictionary import MISSION
from flight_sw.hal import get_hal
from flight_sw.security import BoardSecurity, SecuritySettings, attach_security
from ground_sw.security import GroundSecurity, SecurityPaths, decode_reply, provision
from hil.bench_ground import BenchGround

CONFIG = dataclasses.replace(LinkConfig.baseline(), sdls=SdlsConfig(enabled=True))


def tm_config(service: str = "authentication") -> LinkConfig:
    """SDLS on TC and on TM VCs 0 and 1 with TM SAs of ``service``."""
    return dataclasses.replace(LinkConfig.baseline(), sdls=SdlsConfig(
        enabled=True, tm_protection=True, tm_service=service))


class ProcedureRefused(Exception):
    """The board answered a service 140 request with a failure report."""


def board_settings(paths: SecurityPaths) -> SecuritySettings:
    return SecuritySettings(paths.kek, paths.keys, paths.associations, paths.tm_associations)


class SecureLoop:
    """Board and ground back to back; ``loss`` is the probability a CLTU is lost."""

    def __init__(self, root: Path, *, loss: float = 0.0, seed: int = 0,
                 provisioned: tuple[SecurityPaths, SecurityPaths] | None = None,
                 config: LinkConfig = CONFIG) -> None:
        self.root = root
        self.config = config
        self.state_dir = root / "state"
        self.board_paths, self.ground_paths = provisioned or provision(root / "keys", config)
        self.clock = SimulatedClock()
        self.rng = random.Random(seed)
        self.loss = loss
        self.capture = bytearray()
        self.downlink = bytearray()
        """Every CADU the board sent (what anyone in view of the spacecraft records)."""
        self.lost = 0
        self.flight, self.board = self._boot()
        self.security = GroundSecurity.load(config, self.ground_paths)
        self.ground = self._ground()
        self.uplink(self.ground.start(0.0))
        self.run(0.2)

    def _ground(self) -> BenchGround:
        ground = BenchGround(self.config)
        ground.uplink.protection = self.security.protection
        ground.downlink.verification = self.security.verification
        return ground

    def _boot(self) -> tuple[FlightSoftware, BoardSecurity]:
        hal = get_hal("emulated", state_dir=self.state_dir, clock=self.clock)
        flight = FlightSoftware(self.config, self.clock, hal, self.state_dir,
                                idle_interval_s=0.5)
        board = attach_security(flight, board_settings(self.board_paths))
        assert board is not None
        flight.boot()
        return flight, board

    def uplink(self, cltus: list[bytes]) -> None:
        for cltu in cltus:
            self.capture += cltu
            if self.loss and self.rng.random() < self.loss:
                self.lost += 1
                continue
            self.flight.receive(cltu)

    def send(self, tc: PusTc) -> None:
        self.uplink(self.ground.send_packet(tc.encode(), self.clock.now))

    def run(self, seconds: float, tick: float = 0.05) -> None:
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.clock.advance(tick)
            cadus = self.flight.step(self.clock.now)
            self.downlink += cadus
            self.uplink(self.ground.receive(cadus, self.clock.now))
            self.uplink(self.ground.uplink.poll(self.clock.now))  # FOP-1 timer T1

    def run_until(self, done: Callable[[], object], limit_s: float = 60.0) -> None:
        end = self.clock.now + limit_s
        while not done():
            assert self.clock.now < end, "the board did not answer in simulated time"
            self.run(0.05)

    def reports(self, service: int, subtype: int) -> list[PusTm]:
        return [r for r in self.ground.reports if (r.service, r.subtype) == (service, subtype)]

    def events(self, name: str) -> list[dict[str, Value]]:
        """The data of every event report ``name`` the ground received."""
        found = []
        for report in self.ground.reports:
            if report.service == 5:
                event, values = decode_event(MISSION, report.source_data)
                if event.name == name:
                    found.append(values)
        return found

    def housekeeping(self, structure_id: int) -> dict[str, Value]:
        """A one-shot report (3,27) of a structure, decoded."""
        self.ground.reports.clear()
        data = encode_command(MISSION, "HK_ONE_SHOT", {"count": 1, "structure_id": structure_id})
        self.send(self.ground.telecommand(3, 27, data))
        self.run_until(lambda: self.reports(3, 25))
        _, values = decode_housekeeping(MISSION, self.reports(3, 25)[0].source_data)
        return values

    def procedure(self, pdu: ExtendedProcedure) -> ExtendedProcedure | None:
        """A ProcedureRunner: (140,1) up, completion or failure awaited, (140,2) reply."""
        data = encode_command(MISSION, "SDLS_PROCEDURE", {"pdu": pdu.encode()})
        tc = self.ground.telecommand(140, 1, data)
        self.send(tc)
        request = tc.request_id.encode()

        def verdict() -> list[PusTm]:
            return [r for r in self.ground.reports if r.service == 1 and r.subtype in (2, 7, 8)
                    and r.source_data[:4] == request]

        self.run_until(verdict)
        (report,) = verdict()
        replies = self.ground.take(lambda r: (r.service, r.subtype) == (140, 2))
        if report.subtype != 7:
            raise ProcedureRefused(report.source_data[4:6].hex())
        return decode_reply(pdu, replies[0].source_data) if replies else None

    def restart(self) -> None:
        """A reset: the board boots again from its state dir; the ground keeps its FOP-1
        and re-initialises it from the board's CLCW (FARM-1 restarts at V(R) = 0)."""
        self.flight.close()
        self.flight.hal.close()
        self.flight, self.board = self._boot()
        self.ground = self._ground()
        self.uplink(self.ground.start(self.clock.now))
        self.run(0.2)
