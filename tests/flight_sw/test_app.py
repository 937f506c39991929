"""The flight software in-process with a simulated clock, commanded by a ground on ccsds."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path
from typing import Any

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

    def __init__(self, state_dir: Path, **options: Any) -> None:
        self.clock = SimulatedClock()
        self.state_dir = state_dir
        self.hal = get_hal("emulated", state_dir=state_dir, clock=self.clock)
        self.flight = FlightSoftware(Ground().config, self.clock, self.hal, state_dir,
                                     idle_interval_s=0.5, **options)
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
    assert {"board", "link"} <= set(by_name)  # the enabled core structures (1 Hz)
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
    """No parameter is reported at a placeholder value: the board, the link, the store, the
    file transfer and the compute service each feed theirs."""
    reported = {name for structure in loop.flight.database.housekeeping
                for name in structure.parameters}
    sourced: set[str] = set()
    for source in loop.flight.pool.sources:
        sourced |= set(source(loop.clock.now))
    assert reported - sourced == set()


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


def test_an_upload_over_cfdp_becomes_an_object_in_the_store(loop: Loop) -> None:
    """Class 1 put from a ground entity (ccsds.cfdp), through the real link, into the store
    on the board's storage region; a malformed CFDP packet is counted, not answered."""
    from ccsds.cfdp import Entity, EntityConfig, MemoryFilestore, TransmissionMode  # noqa: PLC0415
    from ccsds.spacepacket import PacketType, SpacePacket  # noqa: PLC0415

    config = loop.ground.config
    files = MemoryFilestore()
    files.files["local.bin"] = bytearray(bytes(range(256)) * 12)
    ground = Entity(EntityConfig.from_link(config.cfdp, config.cfdp.ground_entity_id,
                                           segment_size=512), files)
    ground.put(config.cfdp.payload_entity_id, "local.bin", "images/one.bin", loop.clock.now,
               transmission_mode=TransmissionMode.UNACKNOWLEDGED)
    for sequence in itertools.count():
        ground.poll(loop.clock.now)
        pdus = ground.pdus_to_send()
        if not pdus:
            break
        for pdu in pdus:
            loop.send(SpacePacket(PacketType.TC, config.packets.apid_cfdp, sequence,
                                  pdu).encode())
            loop.run(0.3)
    loop.run(1.0)
    assert loop.flight.store.get("images/one.bin") == bytes(range(256)) * 12
    loop.send(SpacePacket(PacketType.TC, config.packets.apid_cfdp, 0, b"\x20\x00\x05").encode())
    loop.run(0.3)
    assert loop.flight.file_transfer.counters.rejected_packets == 1
    assert not loop.ground.take(lambda r: r.service == 1 and r.subtype % 2 == 0)


def test_storage_requests_reach_the_store(loop: Loop) -> None:
    loop.send(_command(loop, "STORE_PUT_INLINE", object_name="note", data=b"hello moon"))
    loop.run(0.3)
    assert (1, 7) in _subtypes(loop.ground.reports)
    assert loop.flight.store.get("note") == b"hello moon"


def _events(loop: Loop) -> list[tuple[str, dict[str, Any]]]:
    from ccsds.mission_db import decode_event  # noqa: PLC0415

    decoded = [decode_event(loop.flight.database, r.source_data)
               for r in loop.ground.reports if r.service == 5]
    return [(event.name, values) for event, values in decoded]


def test_fault_injection_is_refused_unless_allowed(loop: Loop) -> None:
    loop.send(_command(loop, "FAULT_FLIP_RANDOM", region="sram", count=4, seed=1))
    loop.run(0.3)
    (failure,) = loop.ground.take(lambda r: (r.service, r.subtype) == (1, 2))
    assert _failure_code(failure) == ErrorCode.FAULT_INJECTION_DISABLED
    assert loop.flight.pool.get("FAULTS_REFUSED") == 0  # sampled values until a source runs
    loop.flight.pool.sample(loop.clock.now)
    assert loop.flight.pool.get("FAULTS_REFUSED") == 1
    assert loop.flight.pool.get("FAULT_INJECTION_ENABLED") is False


def test_hang_stops_serving_until_the_watchdog_resets_into_safe(tmp_path: Path) -> None:
    from flight_sw.modes import Mode  # noqa: PLC0415

    loop = Loop(tmp_path, allow_fault_injection=True)
    loop.send(_command(loop, "PARAM_SET", WATCHDOG_TIMEOUT_MS=1000))
    loop.send(_command(loop, "FAULT_HANG"))
    loop.run(0.3)
    assert (1, 7) in _subtypes(loop.ground.reports)  # the hang request's reports got out
    assert ("FAULT_INJECTED", {"kind": 6, "count": 0}) in _events(loop)
    loop.ground.reports.clear()
    kicks = loop.flight.watchdog_kicks
    loop.send(loop.ground.telecommand(17, 1).encode())
    loop.run(0.6)
    assert loop.ground.reports == [] and loop.flight.watchdog_kicks == kicks
    expiry = loop.hal.board.watchdog.last_kick + 1.0  # type: ignore[attr-defined]
    assert not loop.hal.watchdog.check(expiry - 0.01)
    loop.run(expiry - loop.clock.now + 0.05)
    assert loop.hal.watchdog.check(loop.clock.now)  # the timer circuit acts, hung or not
    loop.hal.close()
    again = Loop(tmp_path)
    assert again.hal.last_reset_cause().name == "WATCHDOG"
    again.ground.reports = again.boot_reports
    names = [name for name, _ in _events(again)]
    assert names == ["BOOT", "WATCHDOG_RESET", "MODE_CHANGED"]
    assert again.flight.modes.mode is Mode.SAFE


def test_latch_up_power_cycles_into_safe_keeping_only_persistent_memory(
        tmp_path: Path) -> None:
    from firmware_stubs.board.reset import ResetCause  # noqa: PLC0415
    from flight_sw.modes import Mode  # noqa: PLC0415

    loop = Loop(tmp_path, allow_fault_injection=True)
    loop.flight.store.put("archive", b"kept across the power cycle")
    loop.hal.memory_regions()["dram"].write(0, b"scratch")
    loop.send(_command(loop, "FAULT_LATCH_UP", step_mw=3000))
    loop.run(0.3)
    assert loop.flight.stop_reason(loop.clock.now) is None
    loop.run(1.5)  # the next FDIR check sees the current limiter, then the event goes down
    assert loop.flight.stop_reason(loop.clock.now) is ResetCause.LATCH_UP
    (detected,) = [values for name, values in _events(loop) if name == "LATCH_UP_DETECTED"]
    assert detected == {"power_mw": 5500, "current_limiter": 1}  # 2.5 W idle + 3 W
    loop.hal.close()
    again = Loop(tmp_path)
    assert again.hal.last_reset_cause() is ResetCause.LATCH_UP
    assert again.flight.modes.mode is Mode.SAFE
    assert again.flight.store.get("archive") == b"kept across the power cycle"  # on the nand
    assert again.hal.memory_regions()["dram"].read(0, 7) == bytes(7)
    power = again.hal.read_sensors(again.clock.now).power_w
    assert power == pytest.approx(2.5)  # the latch-up current is gone


def test_power_limit_settings_drive_the_over_power_rule(loop: Loop) -> None:
    from firmware_stubs.board.reset import ResetCause  # noqa: PLC0415

    rules = loop.flight.modes.rules
    assert (rules.power_limit_w, rules.power_limit_time_s) == (9.0, 2.0)  # 0: built-in
    loop.send(_command(loop, "PARAM_SET", POWER_LIMIT_MW=6000, POWER_LIMIT_TIME_MS=1500))
    loop.run(0.3)
    assert (rules.power_limit_w, rules.power_limit_time_s) == (6.0, 1.5)
    loop.hal.set_load(1.0)  # 6.5 W: above the limit, no latch-up
    loop.run(1.0)
    assert loop.flight.stop_reason(loop.clock.now) is None  # not held long enough yet
    loop.run(2.5)  # held 1.5 s over FDIR checks 1 s apart, then the power-cycle delay
    assert loop.flight.stop_reason(loop.clock.now) is ResetCause.LATCH_UP
    assert loop.hal.boot_info().cause is ResetCause.POWER_ON  # this boot; the next is LATCH_UP


def test_uncorrectable_errors_from_the_source_drive_the_memory_rule(tmp_path: Path) -> None:
    from flight_sw.modes import Mode  # noqa: PLC0415

    total = [0]
    loop = Loop(tmp_path, uncorrectable_count=lambda: total[0])
    total[0] = 2
    loop.run(1.2)
    assert loop.flight.modes.mode is Mode.NOMINAL
    total[0] = 3
    loop.run(1.0)
    assert loop.flight.modes.mode is Mode.SAFE
    assert ("MEMORY_ERRORS_LIMIT", {"count": 3, "window_s": 3600}) in _events(loop)


def test_double_bit_upsets_in_the_store_drive_the_memory_rule(tmp_path: Path) -> None:
    """Service 131 flips two bits in each of three EDAC words of one block of an object;
    reading it back finds the uncorrectable words (the erasure code repairs the block) and
    FDIR goes SAFE."""
    import random  # noqa: PLC0415

    from flight_sw.faults.positions import encode_positions  # noqa: PLC0415
    from flight_sw.modes import Mode  # noqa: PLC0415
    from tests.flight_sw.storage.store_support import block_word, word_bits  # noqa: PLC0415

    loop = Loop(tmp_path, allow_fault_injection=True)
    store = loop.flight.store
    data = random.Random(3).randbytes(40_000)
    store.put("obj", data)
    positions = [bit for word in (5, 9, 13)
                 for bit in word_bits(store, block_word(store, "obj", 2, word), (7, 8))]
    loop.send(_command(loop, "FAULT_FLIP_BITS", region="nand",
                       positions=encode_positions(positions)))
    loop.send(_command(loop, "STORE_VERIFY", object_name="obj"))
    loop.run(1.5)
    assert store.health().uncorrectable_words >= 3 and store.health().lost_blocks == 0
    assert loop.flight.modes.mode is Mode.SAFE
    (limit,) = [values for name, values in _events(loop) if name == "MEMORY_ERRORS_LIMIT"]
    assert limit["count"] >= 3 and limit["window_s"] == 3600
    assert store.get("obj") == data
