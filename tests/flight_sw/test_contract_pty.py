"""Contract: `flight-sw run` as a process behind a real pty, commanded over the ICD link."""

from __future__ import annotations

import signal
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ccsds.pus import PusTm
from flight_sw.services.verification import ErrorCode
from hil.pty_board import PtyBoard


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


def _send_command(board: PtyBoard, name: str, **values: object) -> None:
    from ccsds.mission_db import encode_command  # noqa: PLC0415
    from flight_sw.dictionary import MISSION  # noqa: PLC0415

    command = MISSION.command(name)
    data = encode_command(MISSION, command, values)
    board.send(board.ground.telecommand(command.service, command.subtype, data).encode())


def _is(service: int, subtype: int) -> Callable[[PusTm], bool]:
    return lambda report: (report.service, report.subtype) == (service, subtype)


def test_boot_event_mode_change_and_housekeeping(board: PtyBoard) -> None:
    from ccsds.mission_db import decode_event, decode_housekeeping  # noqa: PLC0415
    from flight_sw.dictionary import MISSION  # noqa: PLC0415

    boot = decode_event(MISSION, board.wait_for(_is(5, 1)).source_data)
    assert boot[0].name == "BOOT" and boot[1]["boot_count"] == 1
    structure, values = decode_housekeeping(MISSION, board.wait_for(_is(3, 25)).source_data)
    assert structure.name in {"board", "link"}
    _send_command(board, "BOARD_SET_MODE", mode="SAFE")
    board.wait_for(_is(1, 7))
    changes = []
    while not changes:
        event, values = decode_event(MISSION, board.wait_for(_is(5, 1)).source_data)
        if event.name == "MODE_CHANGED" and values["current"] == 0:
            changes.append(values)
    assert changes == [{"previous": 1, "current": 0}]


def test_settings_and_boot_count_persist_across_a_restart(tmp_path: Path) -> None:
    from ccsds.mission_db import decode_event, decode_parameter_values  # noqa: PLC0415
    from flight_sw.dictionary import MISSION  # noqa: PLC0415

    first = PtyBoard(tmp_path)
    try:
        first.connect()
        _send_command(first, "PARAM_SET", OVERTEMP_THRESHOLD=34_000)
        first.wait_for(_is(1, 7))
    finally:
        assert first.stop(signal.SIGTERM) == 0
    second = PtyBoard(tmp_path)
    try:
        second.connect()
        event, values = decode_event(MISSION, second.wait_for(_is(5, 1)).source_data)
        assert event.name == "BOOT" and values["boot_count"] == 2
        threshold = MISSION.parameter("OVERTEMP_THRESHOLD")
        _send_command(second, "PARAM_REPORT", count=1, parameter_id=threshold.id)
        report = second.wait_for(_is(20, 2))
        assert decode_parameter_values(MISSION, report.source_data) == {
            "OVERTEMP_THRESHOLD": 34_000}
    finally:
        second.stop(signal.SIGKILL)
