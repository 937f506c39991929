"""The flight software in-process with a simulated clock, commanded by a ground on ccsds."""

from __future__ import annotations

import struct

import pytest

from ccsds.pus import AckFlags, PusTm
from flight_sw.app import FlightSoftware
from flight_sw.clock import SimulatedClock
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.ground_harness import Ground, raw_tc


class Loop:
    """Flight software and ground joined back to back, stepping a simulated clock."""

    def __init__(self) -> None:
        self.clock = SimulatedClock()
        self.flight = FlightSoftware(Ground().config, self.clock, idle_interval_s=0.5)
        self.ground = Ground()
        self.flight.receive(b"".join(self.ground.start(0.0)))

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
def loop() -> Loop:
    return Loop()


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


def test_idle_frames_keep_the_clcw_flowing(loop: Loop) -> None:
    loop.run(2.0)
    assert loop.flight.link.counters.idle_cadus >= 3
    assert loop.ground.downlink.sync.counters.frames >= 3
