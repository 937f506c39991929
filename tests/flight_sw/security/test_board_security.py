"""Link security on board: commands only through SDLS, service 140, counters, events and the
state dir, with the flight software in-process and a ground that protects its uplink."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ccsds.cltu import CltuExtractor
from ccsds.crc import crc16_ccitt
from ccsds.randomizer import tc_randomize
from ccsds.sdls.association import SaState
from ccsds.sdls.key_file import load_key_file
from ccsds.sdls.keys import KeyState
from ccsds.sdls.procedures import (
    ExtendedProcedure,
    KeyInventoryCommand,
    ReadArsnCommand,
    ReadArsnReply,
    StartSaCommand,
    StopSaCommand,
)
from ccsds.tc_uplink import raw_frame_to_cltu
from flight_sw.dictionary import MISSION
from flight_sw.security.dictionary import REJECTION_CLASSES
from flight_sw.security.persistence import KEY_FILE_NAME, STATE_SUBDIR
from flight_sw.security.telemetry import security_parameters
from flight_sw.services.verification import ErrorCode
from ground_sw.security import KeyManagement

from .harness import CONFIG, ProcedureRefused, SecureLoop

REASON = dict(REJECTION_CLASSES)


@pytest.fixture
def loop(tmp_path: Path) -> SecureLoop:
    return SecureLoop(tmp_path)


def ping(loop: SecureLoop) -> bytes:
    """Send (17,1); returns the CLTUs that carried it (as captured)."""
    start = len(loop.capture)
    loop.send(loop.ground.telecommand(17, 1))
    return bytes(loop.capture[start:])


def forge(cltu: bytes, offset: int) -> bytes:
    """The frame of ``cltu`` with one bit at ``offset`` altered, FECF made right again."""
    (unit,) = CltuExtractor(max_frame_length=CONFIG.tc.max_frame_length).feed(cltu)
    raw = bytearray(tc_randomize(unit.data))
    del raw[((raw[2] & 0x03) << 8 | raw[3]) + 1 :]  # the CLTU's fill
    raw[offset] ^= 0x01
    raw[-2:] = crc16_ccitt(raw[:-2]).to_bytes(2, "big")
    return raw_frame_to_cltu(bytes(raw), CONFIG.tc)


def test_commands_run_through_the_protected_link_and_reach_housekeeping(
        loop: SecureLoop) -> None:
    ping(loop)
    loop.run(0.5)
    assert len(loop.reports(17, 2)) == 1
    values = loop.housekeeping(7)
    assert values["SDLS_ENABLED"] is True
    assert values["SDLS_FRAMES_ACCEPTED"] == 2  # the ping and the one-shot request
    assert values["SDLS_FRAMES_REJECTED"] == 0
    assert (values["SDLS_OPERATIONAL_SAS"], values["SDLS_ACTIVE_KEYS"]) == (1, 1)


def test_forged_and_replayed_frames_never_run_and_are_reported(loop: SecureLoop) -> None:
    delivered = ping(loop)
    loop.run(0.5)
    assert len(loop.reports(17, 2)) == 1
    vr = loop.flight.link.uplink.farm.vr
    (intercepted,) = loop.ground.send_packet(loop.ground.telecommand(17, 1).encode(),
                                             loop.clock.now)  # never reaches the board
    loop.flight.receive(delivered)  # a replay
    # IV fixed field, IV counter (one ahead: within the window), data field, MAC
    for offset in (8, 19, 30, -5):
        loop.flight.receive(forge(intercepted, offset))
    loop.run(0.5)
    assert len(loop.reports(17, 2)) == 1 and loop.flight.link.uplink.farm.vr == vr
    reasons = [event["reason"] for event in loop.events("SECURITY_REJECTED")]
    assert reasons == [REASON[name] for name in ("REPLAY", "IV", "MAC", "MAC", "MAC")]
    assert {event["spi"] for event in loop.events("SECURITY_REJECTED")} == {1}
    loop.flight.receive(intercepted)  # the genuine frame still goes through
    loop.run(0.5)
    assert len(loop.reports(17, 2)) == 2
    values = loop.housekeeping(7)
    assert (values["SDLS_REJECTED_REPLAY"], values["SDLS_REJECTED_MAC"]) == (1, 3)
    assert values["SDLS_REJECTED_FORMAT"] == 1 and values["SDLS_FRAMES_REJECTED"] == 5


def test_rejection_events_are_rate_limited(loop: SecureLoop) -> None:
    genuine = ping(loop)
    for _ in range(12):
        loop.flight.receive(genuine)  # replays, all at one instant
    loop.run(0.05)
    assert len(loop.events("SECURITY_REJECTED")) == 5  # the burst
    loop.clock.advance(1.0)
    loop.flight.receive(genuine)
    loop.run(0.1)
    events = loop.events("SECURITY_REJECTED")
    assert len(events) == 6 and events[-1]["suppressed"] == 7
    assert security_parameters(loop.flight)["SDLS_EVENTS_SUPPRESSED"] == 7


def test_state_dir_never_holds_a_plaintext_key(loop: SecureLoop) -> None:
    keys = KeyManagement(loop.procedure, loop.security)
    new_key = bytes(range(100, 132))
    keys.upload(0x100, [(2, new_key)])
    keys.verify([2])
    keys.activate([2])
    secrets = [record.material for record in loop.security.keys if record.material]
    secrets.append(loop.board_paths.kek.read_bytes())
    assert new_key in secrets and len(secrets) == 4
    files = [path for path in loop.state_dir.rglob("*") if path.is_file()]
    assert any(path.name == KEY_FILE_NAME for path in files)
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            for form in (secret, secret.hex().encode(), secret.hex().upper().encode(),
                         base64.b64encode(secret)):
                assert form not in content, path


def test_key_verification_counter_is_saved_before_the_reply(loop: SecureLoop) -> None:
    KeyManagement(loop.procedure, loop.security).verify([1])
    stored = (loop.state_dir / STATE_SUBDIR / KEY_FILE_NAME).read_bytes()
    assert load_key_file(stored, loop.board_paths.kek.read_bytes()).verification_counter == 1


def test_refused_procedures_change_nothing_and_are_counted(loop: SecureLoop) -> None:
    for pdu in (StartSaCommand(2), StopSaCommand(1), StartSaCommand(99)):
        with pytest.raises(ProcedureRefused, match=f"{ErrorCode.EXECUTION_FAILED:04x}"):
            loop.procedure(pdu)
    assert loop.board.table.get(1).state is SaState.OPERATIONAL  # the last usable SA
    assert loop.board.table.get(2).state is SaState.UNKEYED
    tc = loop.ground.telecommand(140, 1, b"\x00\x03\x07\x00\x08")  # a PDU cut short
    loop.send(tc)
    loop.run(0.5)
    (failure,) = loop.reports(1, 2)
    assert int.from_bytes(failure.source_data[4:6], "big") == ErrorCode.INVALID_APPLICATION_DATA
    assert security_parameters(loop.flight)["SDLS_PROCEDURES_REFUSED"] == 4


def test_restart_keeps_keys_and_rejects_frames_from_before(loop: SecureLoop) -> None:
    first = ping(loop)  # N(S) = 0, which FARM-1 expects again after the restart
    loop.run(0.5)
    KeyManagement(loop.procedure, loop.security).upload(0x100, [(5, bytes(32))])
    arsn = loop.board.table.get(1).arsn
    loop.restart()
    assert loop.board.table.get(1).arsn == arsn
    assert loop.board.keys.state(5) is KeyState.PRE_ACTIVATION
    loop.ground.reports.clear()
    loop.flight.receive(first)
    loop.run(0.5)
    assert loop.reports(17, 2) == [] and loop.flight.link.uplink.farm.vr == 0
    ping(loop)
    loop.run(0.5)
    assert len(loop.reports(17, 2)) == 1
    reply = loop.procedure(ReadArsnCommand(1))
    assert isinstance(reply, ReadArsnReply) and reply.arsn == loop.board.table.get(1).arsn


def test_failed_saves_refuse_the_procedure_and_raise_an_event(
        loop: SecureLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(loop.board.files, "save_keys", fail)
    with pytest.raises(ProcedureRefused):
        loop.procedure(KeyInventoryCommand(0, 10))
    assert loop.events("SECURITY_SAVE_FAILED") == [{"failures": 1}]
    assert security_parameters(loop.flight)["SDLS_SAVE_FAILURES"] == 1


def test_rekeying_under_load_loses_no_command(tmp_path: Path) -> None:
    """Make-before-break (docs/security.md 7) while pings keep going up and 10 % of the
    CLTUs are lost: every ping completes exactly once, the old key ends destroyed."""
    loop = SecureLoop(tmp_path, loss=0.1, seed=355)
    requests: list[bytes] = []

    def loaded(pdu: ExtendedProcedure) -> ExtendedProcedure | None:
        for _ in range(3):
            tc = loop.ground.telecommand(17, 1)
            requests.append(tc.request_id.encode())
            loop.send(tc)
        return loop.procedure(pdu)

    KeyManagement(loaded, loop.security).rekey(master_key_id=0x100, new_key_id=2, new_spi=2,
                                               old_spi=1)
    loop.run_until(lambda: len(loop.reports(17, 2)) >= len(requests))
    loop.run(1.0)
    completed = [r.source_data[:4] for r in loop.reports(1, 7)]
    assert all(completed.count(request) == 1 for request in requests)
    assert len(loop.reports(17, 2)) == len(requests) >= 24
    assert loop.lost > 0 and loop.ground.uplink.retransmissions > 0
    assert loop.board.table.get(2).state is SaState.OPERATIONAL
    assert loop.board.table.get(1).state is SaState.UNKEYED
    assert loop.board.keys.state(1) is KeyState.DESTROYED
    assert loop.board.keys.state(2) is KeyState.ACTIVE
    assert loop.board.uplink.counters.rejected == 0
    assert MISSION.command("SDLS_PROCEDURE").critical
