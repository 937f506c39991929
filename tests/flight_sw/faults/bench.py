"""An in-process bench for service 131: dispatcher, collecting emit, emulated HAL on small
regions, simulated clock; telecommands encoded from the JSON-loaded dictionary."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, cast

from ccsds.mission_db import dumps, encode_command, loads
from ccsds.pus import AckFlags, PusTc
from ccsds.pus_types import Value
from firmware_stubs.board.board import KIB, BoardSpec, RegionSpec
from firmware_stubs.board.memory import RegionKind
from flight_sw.clock import SimulatedClock
from flight_sw.dictionary import MISSION
from flight_sw.dispatch import Dispatcher
from flight_sw.faults.report import FaultReport
from flight_sw.faults.service import FaultInjectionService
from flight_sw.hal.base import Hal
from flight_sw.hal.emulated import EmulatedHal

GROUND_DB = loads(dumps(MISSION))
SMALL_BOARD = BoardSpec(regions=(RegionSpec("sram", RegionKind.SRAM, 1 * KIB),
                                 RegionSpec("dram", RegionKind.DRAM, 4 * KIB),
                                 RegionSpec("nand", RegionKind.NAND, 16 * KIB, persistent=True)))

Report = tuple[int, int, bytes]


class FaultBench:
    """Service 131 on a HAL, with every emitted report and raised event collected."""

    def __init__(self, state_dir: Path, *, enabled: bool = True, hal: object = None) -> None:
        self.clock = SimulatedClock(now=10.0)
        board = hal if hal is not None else EmulatedHal(state_dir=state_dir, clock=self.clock,
                                                         spec=SMALL_BOARD)
        self.hal = cast(Hal, board)
        self.reports: list[Report] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.hangs = 0
        self.dispatcher = Dispatcher(MISSION.apid, self.emit)
        self.service = FaultInjectionService(
            self.hal, MISSION, self.emit, raise_event=self.raise_event,
            now=self.clock.monotonic, hang=self.hang, enabled=enabled)
        self.service.register(self.dispatcher)
        self._sequence = 0

    def emit(self, service: int, subtype: int, data: bytes) -> None:
        self.reports.append((service, subtype, data))

    def raise_event(self, name: str, now: float, **values: Any) -> None:
        self.events.append((name, values))

    def hang(self) -> None:
        self.hangs += 1

    def raw(self, service: int, subtype: int, data: bytes = b"") -> PusTc:
        self._sequence = (self._sequence + 1) % 16384
        tc = PusTc(MISSION.apid, self._sequence, service, subtype, data, ack_flags=AckFlags.ALL)
        self.dispatcher.dispatch(tc.encode())
        return tc

    def command(self, name: str, **values: Value) -> PusTc:
        command = GROUND_DB.command(name)
        return self.raw(command.service, command.subtype,
                        encode_command(GROUND_DB, command, values))

    def outcome(self, tc: PusTc) -> tuple[int, int | None]:
        """The final service 1 report of ``tc``: (subtype, error code or None)."""
        mine = [(subtype, data) for service, subtype, data in self.reports
                if service == 1 and data[:4] == tc.request_id.encode()]
        subtype, data = mine[-1]
        return subtype, struct.unpack_from(">H", data, 4)[0] if subtype % 2 == 0 else None

    def fault_reports(self, tc: PusTc) -> list[FaultReport]:
        found = [FaultReport.decode(data) for service, subtype, data in self.reports
                 if (service, subtype) == (131, 128)]
        return [report for report in found if report.request == tc.request_id.encode()]

    def positions(self, tc: PusTc) -> list[int]:
        return [p for report in self.fault_reports(tc) for p in report.positions]
