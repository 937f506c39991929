"""SDLS on the TM downlink of the flight software (CCSDS 355.0-B-2; docs/security.md 10), in
process with a ground that protects its uplink and verifies its downlink.

Expected values: the commands the ground sent and the reports it decoded, the frames an
eavesdropper recovers from the downlink capture with the public channel coding (frame
synchronisation, derandomisation, RS decoding), and the IVs (IV field, 355.0-B-2 4.1.1.3)
those frames carry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccsds.frame_sync import FrameReceived, FrameSynchronizer
from ccsds.sdls.procedures import (
    KeyDeactivationCommand,
    ReadArsnCommand,
    ReadArsnReply,
    RekeySaCommand,
    StopSaCommand,
)
from flight_sw.security import service as security_service
from flight_sw.security.persistence import STATE_SUBDIR, TM_SA_FILE_NAME
from flight_sw.services.verification import ErrorCode
from ground_sw.security import TM_KEY_ID, TM_SPI, GroundSecurity
from hil.bench_ground import BenchGround

from .harness import ProcedureRefused, SecureLoop, tm_config

AE, AUTH = "authenticated_encryption", "authentication"


def frames_of(capture: bytes, loop: SecureLoop) -> list[bytes]:
    """The transfer frames anyone recording the downlink recovers."""
    sync = FrameSynchronizer(loop.config.tm, check_count=0)
    return [e.frame for e in sync.feed(capture) if isinstance(e, FrameReceived)]


def protected_ivs(frames: list[bytes]) -> list[bytes]:
    """The IV fields of the frames on protected VCs (SPI at 6..8, IV at 8..20)."""
    return [frame[8:20] for frame in frames if (frame[1] >> 1) & 7 in (0, 1)]


def ping(loop: SecureLoop) -> None:
    loop.send(loop.ground.telecommand(17, 1))


@pytest.mark.parametrize("service", [AE, AUTH])
def test_commands_and_housekeeping_cross_with_both_directions_protected(
        tmp_path: Path, service: str) -> None:
    """TC and TM protected, 10 % of the CLTUs lost: every ping completes (FOP-1 recovers
    by retransmission, driven by CLCWs in verified frames and idle frames), the
    housekeeping arrives, and HK values are readable in the capture exactly without
    encryption."""
    loop = SecureLoop(tmp_path, config=tm_config(service), loss=0.1, seed=5)
    for _ in range(8):
        ping(loop)
        loop.run(0.3)
    loop.run_until(lambda: len(loop.reports(17, 2)) >= 8)
    assert loop.lost > 0 and loop.ground.uplink.retransmissions > 0
    loop.loss = 0.0
    values = loop.housekeeping(7)
    accepted = values["SDLS_FRAMES_ACCEPTED"]
    assert isinstance(accepted, int) and accepted >= 9 and values["SDLS_FRAMES_REJECTED"] == 0
    verification = loop.security.verification
    assert verification is not None and verification.counters.rejected == 0
    assert verification.counters.accepted > 9
    assert loop.ground.uplink.fop.sent_queue_length == 0  # every AD frame acknowledged
    frames = frames_of(bytes(loop.downlink), loop)
    hk = [r.source_data for r in loop.reports(3, 25)] + [r.encode()[6:30] for r in
                                                         loop.reports(17, 2)]
    readable = [data in frame for data in hk for frame in frames]
    assert any(readable) is (service == AUTH)
    ivs = protected_ivs(frames)
    assert len(set(ivs)) == len(ivs) == verification.counters.accepted


def test_board_restart_never_reuses_a_tm_iv(tmp_path: Path) -> None:
    loop = SecureLoop(tmp_path, config=tm_config())
    ping(loop)
    loop.run(1.0)
    before = protected_ivs(frames_of(bytes(loop.downlink), loop))
    stored = json.loads((loop.state_dir / STATE_SUBDIR / TM_SA_FILE_NAME).read_text())
    assert stored["associations"][0]["arsn"] == security_service.TM_ARSN_RESERVE  # ahead
    loop.downlink.clear()
    loop.restart()  # the board resumes from its saved TM SA file: above the reserve
    ping(loop)
    loop.run(1.0)
    after = protected_ivs(frames_of(bytes(loop.downlink), loop))
    assert before and after and not set(before) & set(after)
    counter = [int.from_bytes(iv[4:], "big") for iv in after]
    assert min(counter) > security_service.TM_ARSN_RESERVE >= max(
        int.from_bytes(iv[4:], "big") for iv in before)
    assert len(loop.reports(17, 2)) == 1  # the ground took the jump (inside its window)
    assert loop.security.verification is not None
    assert loop.security.verification.counters.rejected == 0


def test_ground_restart_keeps_rejecting_frames_it_accepted(tmp_path: Path) -> None:
    loop = SecureLoop(tmp_path, config=tm_config())
    ping(loop)
    loop.run(1.0)
    accepted = loop.security.tm_table.get(TM_SPI).arsn if loop.security.tm_table else 0
    assert accepted > 0
    security = GroundSecurity.load(loop.config, loop.ground_paths)  # the ground restarts
    assert security.tm_table is not None and security.tm_table.get(TM_SPI).arsn == accepted
    ground = BenchGround(loop.config)
    ground.downlink.verification = security.verification
    ground.receive(bytes(loop.downlink), loop.clock.now)  # the whole capture, replayed
    assert ground.reports == []
    assert security.verification is not None
    assert security.verification.counters.replay == accepted


def test_unsaved_tm_state_withholds_protected_channels_not_the_clcw(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security_service, "TM_ARSN_RESERVE", 2)
    loop = SecureLoop(tmp_path, config=tm_config())
    ping(loop)
    loop.run(0.5)
    assert len(loop.reports(17, 2)) == 1
    files = loop.board.files
    save = files.save_tm_associations

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files, "save_tm_associations", fail)
    for _ in range(3):
        ping(loop)
        loop.run(0.5)
    assert len(loop.reports(17, 2)) == 1  # none of the three pings' reports went out
    assert loop.board.counters.save_failures == 1  # one per failing streak
    assert loop.flight.link.downlink.mux.protection_failures > 0
    assert loop.ground.uplink.fop.sent_queue_length == 0  # idle frames carried the CLCW
    monkeypatch.setattr(files, "save_tm_associations", save)
    loop.run_until(lambda: len(loop.reports(17, 2)) == 4)
    assert loop.events("SECURITY_SAVE_FAILED") == [{"failures": 1}]


def test_tm_sas_are_read_but_not_changed_over_the_link(tmp_path: Path) -> None:
    loop = SecureLoop(tmp_path, config=tm_config())
    reply = loop.procedure(ReadArsnCommand(TM_SPI))
    assert isinstance(reply, ReadArsnReply)
    assert loop.board.tm_table is not None
    assert 0 < reply.arsn <= loop.board.tm_table.get(TM_SPI).arsn
    for pdu in (StopSaCommand(TM_SPI), KeyDeactivationCommand((TM_KEY_ID,)),
                RekeySaCommand(2, TM_KEY_ID, 0)):
        with pytest.raises(ProcedureRefused, match=f"{ErrorCode.EXECUTION_FAILED:04x}"):
            loop.procedure(pdu)
    ping(loop)
    loop.run(0.5)
    assert len(loop.reports(17, 2)) == 1
