"""Contract: `flight-sw run` as a process behind a real pty, commanded over the ICD link."""

from __future__ import annotations

import signal
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from flight_sw.services.verification import ErrorCode
from tests.flight_sw.pty_board import PtyBoard


@pytest.fixture
def board(tmp_path: Path) -> Iterator[PtyBoard]:
    running = PtyBoard(tmp_path)
    try:
        running.connect()
        yield running
    finally:
        running.stop(signal.SIGKILL)


def test_ping_over_the_pty(board: PtyBoard) -> None:
    tc = board.ground.telecommand(17, 1)
    board.send(tc.encode())
    assert board.wait_for(lambda r: (r.service, r.subtype) == (1, 1)).source_data[:4] == \
        tc.request_id.encode()
    board.wait_for(lambda r: (r.service, r.subtype) == (17, 2))
    board.wait_for(lambda r: (r.service, r.subtype) == (1, 7))


def test_garbage_on_the_line_then_a_bad_command_then_a_ping(board: PtyBoard) -> None:
    board.write(bytes(range(256)) * 8 + b"\xeb\x90" + bytes(50))
    board.send(board.ground.telecommand(42, 1).encode())
    failure = board.wait_for(lambda r: (r.service, r.subtype) == (1, 2))
    assert struct.unpack_from(">H", failure.source_data, 4)[0] == ErrorCode.UNKNOWN_SERVICE
    board.send(board.ground.telecommand(17, 1).encode())
    board.wait_for(lambda r: (r.service, r.subtype) == (17, 2))


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    board = PtyBoard(tmp_path)
    board.connect()
    assert board.stop(signal.SIGTERM) == 0
    log = (tmp_path / "flight.log").read_text()
    assert "signal SIGTERM: stopping" in log and "stopped cleanly" in log
    assert board.process.stdout is not None and board.process.stdout.read() == b""


def test_commanded_reset_exits_for_the_supervisor(tmp_path: Path) -> None:
    from ccsds.mission_db import encode_command  # noqa: PLC0415
    from flight_sw.dictionary import MISSION  # noqa: PLC0415
    from flight_sw.run_command import EXIT_RESET  # noqa: PLC0415

    board = PtyBoard(tmp_path)
    board.connect()
    reset = MISSION.command("BOARD_RESET")
    data = encode_command(MISSION, reset, {"delay_s": 0})
    board.send(board.ground.telecommand(reset.service, reset.subtype, data).encode())
    board.wait_for(lambda r: (r.service, r.subtype) == (1, 7))
    assert board.process.wait(timeout=10) == EXIT_RESET
    assert board.stop() == EXIT_RESET
    assert "stopped for the commanded reset" in (tmp_path / "flight.log").read_text()
