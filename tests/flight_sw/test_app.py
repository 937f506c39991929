"""The flight software in-process with a simulated clock, commanded by a ground on ccsds."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from ccsds.pus import AckFlags, PusTm
from ccsds.spacepacket import PacketType, SpacePacket
from flight_sw.app import FlightSoftware
from flight_sw.clock import SimulatedClock
from flight_sw.hal import get_hal
from flight_sw.services.verification import ErrorCode
from hil.bench_ground import BenchGround as Ground


def raw_tc(apid: int, data: bytes) -> bytes:
    """A space packet with a secondary header flag that is not a valid PUS TC."""
    return SpacePacket(PacketType.TC, apid, 1, data, secondary_header=True).encode()


class Loop:
    """Flight software on an emulated board and a ground, back to back in simulated time."""

    def __init__(self, state_dir: Path) -> None:
        self.clock = SimulatedClock()
        self.state_dir = state_dir
        self.hal = get_hal("emulated", state_dir=state_dir, clock=self.clock)
        self.flight = FlightSoftware(Ground().config, self.clock, self.hal, state_dir,
                                     idle_interval_s=0.5)
        self.ground = Ground()
        self.flight.boot()
        self.flight.receive(b"".join(self.ground.start(0.0)))
        self.run(0.1)
        self.boot_reports = self.ground.reports
        self.ground.reports = []

    def send(self, packet: bytes) -> None:
        self.flight.receive(b"".join(self.ground.send_packet(packet, self.clock.now)))

    def run(self, seconds: float, tick: float = 0.05) -> None:
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.clock.advance(tick)
            cltus = self.ground.receive(self.flight.step(self.clock.now), self.clock.now)
            self.flight.receive(b"".join(cltus))


def _subtypes(reports: list[PusTm]) -> list[tuple[int, int]]:
    return [(r.service, r.subtype) for r in reports]


def _failure_code(report: PusTm) -> int:
    code: int = struct.unpack_from(">H", report.source_data, 4)[0]
    return code


@pytest.fixture
def loop(tmp_path: Path) -> Loop:
    return Loop(tmp_path)


def test_ping_gets_every_verification_report_and_the_answer(loop: Loop) -> None:
    tc = loop.ground.telecommand(17, 1)
    loop.send(tc.encode())
    loop.run(0.5)
    assert _subtypes(loop.ground.reports) == [(1, 1), (1, 3), (17, 2), (1, 7)]
    request_id = tc.request_id.encode()
    assert all(r.source_data[:4] == request_id for r in loop.ground.reports if r.service == 1)
    assert loop.ground.uplink.idle  # the CLCW acknowledged the frame


def test_ack_flags_select_the_success_reports(loop: Loop) -> None:
    loop.send(loop.ground.telecommand(17, 1, ack=AckFlags.COMPLETION).encode())
    loop.run(0.5)
    assert _subtypes(loop.ground.reports) == [(17, 2), (1, 7)]


def test_connection_test_names_the_application(loop: Loop) -> None:
    apid = loop.ground.config.packets.apid_pus
    loop.send(loop.ground.telecommand(17, 3, struct.pack(">H", apid)).encode())
    loop.send(loop.ground.telecommand(17, 3, struct.pack(">H", 7)).encode())
    loop.run(0.5)
    (answer,) = loop.ground.take(lambda r: r.service == 17)
    assert (answer.subtype, answer.source_data) == (4, struct.pack(">H", apid))
    (failure,) = loop.ground.take(lambda r: (r.service, r.subtype) == (1, 8))
    assert _failure_code(failure) == ErrorCode.ILLEGAL_APID


@pytest.mark.parametrize(
    ("make", "code", "counter"),
    [
        (lambda g: g.telecommand(99, 1).encode(), ErrorCode.UNKNOWN_SERVICE, "unknown_service"),
        (lambda g: g.telecommand(17, 99).encode(), ErrorCode.UNKNOWN_SUBTYPE, "unknown_subtype"),
        (lambda g: g.telecommand(17, 1, b"x").encode(), ErrorCode.INVALID_APPLICATION_DATA,
         "bad_application_data"),
        (lambda g: g.telecommand(17, 3, b"x").encode(), ErrorCode.INVALID_APPLICATION_DATA,
         "bad_application_data"),
        (lambda g: g.telecommand(17, 1).encode()[:-1] + b"\x00", ErrorCode.INCORRECT_CHECKSUM,
         "bad_checksum"),
        (lambda g: g.telecommand(17, 1, apid=300).encode(), ErrorCode.ILLEGAL_APID,
         "wrong_apid"),
        (lambda g: PusTm(100, 0, 17, 2).encode(), ErrorCode.ILLEGAL_PACKET_TYPE,
         "bad_packet_type"),
        (lambda g: raw_tc(100, b"\x20\x11"), ErrorCode.INVALID_LENGTH, "bad_length"),
    ],
)
def test_bad_telecommands_get_an_acceptance_failure(loop: Loop, make, code, counter) -> None:
    loop.send(make(loop.ground))
    loop.run(0.5)
    (failure,) = loop.ground.take(lambda r: (r.service, r.subtype) == (1, 2))
    assert _failure_code(failure) == code
    assert getattr(loop.flight.dispatcher.counters, counter) == 1
    assert loop.ground.reports == []
    # and the software still answers
    loop.send(loop.ground.telecommand(17, 1).encode())
    loop.run(0.5)
    assert (17, 2) in _subtypes(loop.ground.reports)


def test_frames_never_pause_longer_than_the_idle_interval(loop: Loop) -> None:
    sent_at = []
    for _ in range(60):  # 3 s in 50 ms steps
        now = loop.clock.now + 0.05
        loop.clock.advance(0.05)
        if loop.flight.step(now):
            sent_at.append(now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert max(gaps) <= 0.5 + 0.05 + 1e-9  # the idle interval, to one 50 ms step
    assert loop.flight.link.counters.idle_cadus >= 1


def test_boot_announces_itself_and_enters_nominal(loop: Loop) -> None:
    from ccsds.mission_db import decode_event, dictionary_digest  # noqa: PLC0415

    events = [r for r in loop.boot_reports if r.service == 5]
    decoded = [decode_event(loop.flight.database, r.source_data) for r in events]
    names = [event.name for event, _ in decoded]
    assert names == ["BOOT", "MODE_CHANGED"]
    boot = decoded[0][1]
    assert boot["boot_count"] == 1 and boot["reset_cause"] == 0
    assert boot["dictionary_hash"] == dictionary_digest(loop.flight.database)
    assert decoded[1][1] == {"previous": 2, "current": 1}  # BOOT -> NOMINAL


def test_housekeeping_reports_board_and_link_values(loop: Loop) -> None:
    from ccsds.mission_db import decode_housekeeping  # noqa: PLC0415

    loop.send(loop.ground.telecommand(17, 1).encode())
    loop.run(1.5)
    reports = [decode_housekeeping(loop.flight.database, r.source_data)
               for r in loop.ground.reports if (r.service, r.subtype) == (3, 25)]
    by_name = {structure.name: values for structure, values in reports}
    assert set(by_name) == {"board", "link"}
    board, link = by_name["board"], by_name["link"]
    assert board["MODE"] == 1 and board["BOOT_COUNT"] == 1
    sensors = loop.hal.read_sensors(loop.clock.now).temperatures_c
    assert board["CPU_TEMP"] * 0.01 - 273.15 == pytest.approx(sensors["soc"], abs=0.5)
    assert board["BOARD_TEMP"] * 0.01 - 273.15 == pytest.approx(sensors["board"], abs=0.5)
    assert link["TCS_ACCEPTED"] >= 1 and link["FRAMES_ACCEPTED"] >= 1


def _command(loop: Loop, name: str, **values: object) -> bytes:
    from ccsds.mission_db import encode_command  # noqa: PLC0415

    command = loop.flight.database.command(name)
    data = encode_command(loop.flight.database, command, values)
    return loop.ground.telecommand(command.service, command.subtype, data).encode()


def test_mode_commands_and_their_events(loop: Loop) -> None:
    from flight_sw.modes import Mode  # noqa: PLC0415

    loop.send(_command(loop, "BOARD_SET_MODE", mode="SAFE"))
    loop.run(0.3)
    assert loop.flight.modes.mode is Mode.SAFE
    assert (1, 7) in _subtypes(loop.ground.reports) and (5, 1) in _subtypes(loop.ground.reports)
    loop.send(_command(loop, "BOARD_SET_MODE", mode="NOMINAL"))
    loop.run(0.3)
    assert loop.flight.modes.mode is Mode.NOMINAL


def test_commanded_reset_is_due_after_its_delay_and_reported_at_next_boot(loop: Loop) -> None:
    loop.send(_command(loop, "BOARD_RESET", delay_s=2))
    loop.run(0.5)
    assert not loop.flight.reset_due(loop.clock.now)
    loop.run(2.0)
    assert loop.flight.reset_due(loop.clock.now)
    loop.hal.close()
    again = Loop(loop.state_dir)  # the software starts again on the same state
    assert again.hal.boot_info().boot_count == 2
    assert again.hal.last_reset_cause().name == "COMMANDED"


def test_every_housekeeping_parameter_has_a_source(loop: Loop) -> None:
    """No parameter is reported at a placeholder value, except the EDAC counters, which the
    storage payload's EDAC layer will feed."""
    pending_sources = {"EDAC_CORRECTED", "EDAC_UNCORRECTABLE"}
    reported = {name for structure in loop.flight.database.housekeeping
                for name in structure.parameters}
    sourced: set[str] = set()
    for source in loop.flight.pool.sources:
        sourced |= set(source(loop.clock.now))
    assert reported - sourced == pending_sources


def test_watchdog_timeout_setting_drives_the_watchdog_and_the_kicks(loop: Loop) -> None:
    board_watchdog = loop.hal.board.watchdog  # type: ignore[attr-defined]
    loop.send(_command(loop, "PARAM_SET", WATCHDOG_TIMEOUT_MS=800))
    loop.run(0.3)
    assert board_watchdog.timeout_s == 0.8
    assert loop.flight.scheduler.groups["watchdog"].period_s == 0.2
    kicks = loop.flight.watchdog_kicks
    loop.run(2.0)
    assert loop.flight.watchdog_kicks - kicks >= 9  # about every 0.2 s
    assert not loop.hal.watchdog.check(loop.clock.now)


def test_file_transfer_packets_are_refused_and_counted_until_served(loop: Loop) -> None:
    from ccsds.spacepacket import PacketType, SpacePacket  # noqa: PLC0415

    pdu_packet = SpacePacket(PacketType.TC, loop.ground.config.packets.apid_cfdp, 0,
                             b"\x20\x00\x05").encode()
    loop.send(pdu_packet)
    loop.run(0.3)
    (failure,) = loop.ground.take(lambda r: (r.service, r.subtype) == (1, 2))
    assert _failure_code(failure) == ErrorCode.ILLEGAL_APID
    assert loop.flight.dispatcher.counters.wrong_apid == 1
