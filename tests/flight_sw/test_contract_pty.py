"""Contract: `flight-sw run` as a process behind a real pty, commanded over the ICD link."""

from __future__ import annotations

import signal
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ccsds.pus import PusTm
from flight_sw.services.verification import ErrorCode
from hil.pty_board import PtyBoard


@contextmanager
def _running(state_dir: Path, *options: str) -> Iterator[PtyBoard]:
    """A connected board on ``state_dir``, killed on the way out."""
    board = PtyBoard(state_dir, *options)
    try:
        board.connect()
        yield board
    finally:
        board.stop(signal.SIGKILL)


@pytest.fixture
def board(tmp_path: Path) -> Iterator[PtyBoard]:
    with _running(tmp_path) as running:
        yield running


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
    with _running(tmp_path) as second:
        event, values = decode_event(MISSION, second.wait_for(_is(5, 1)).source_data)
        assert event.name == "BOOT" and values["boot_count"] == 2
        threshold = MISSION.parameter("OVERTEMP_THRESHOLD")
        _send_command(second, "PARAM_REPORT", count=1, parameter_id=threshold.id)
        report = second.wait_for(_is(20, 2))
        assert decode_parameter_values(MISSION, report.source_data) == {
            "OVERTEMP_THRESHOLD": 34_000}


def _boot_events(board: PtyBoard) -> list[tuple[str, dict[str, object]]]:
    """The events of a boot: BOOT, WATCHDOG_RESET when there is one, then MODE_CHANGED."""
    from ccsds.mission_db import decode_event  # noqa: PLC0415
    from flight_sw.dictionary import MISSION  # noqa: PLC0415

    events: list[tuple[str, dict[str, object]]] = []
    deadline = time.monotonic() + 10.0
    while not events or events[-1][0] != "MODE_CHANGED":
        if time.monotonic() > deadline:
            raise TimeoutError(f"boot events so far: {events}")
        for report in board.ground.take(lambda r: r.service == 5):
            event, values = decode_event(MISSION, report.source_data)
            events.append((event.name, dict(values)))
        board.pump(0.1)
    return events


def test_fault_injection_is_refused_without_the_flag(board: PtyBoard) -> None:
    _send_command(board, "FAULT_FLIP_RANDOM", region="dram", count=3, seed=1)
    failure = board.wait_for(_is(1, 2))
    assert struct.unpack_from(">H", failure.source_data, 4)[0] == \
        ErrorCode.FAULT_INJECTION_DISABLED


def test_random_flip_is_reported_with_its_positions(tmp_path: Path) -> None:
    from flight_sw.faults.report import FaultReport  # noqa: PLC0415

    with _running(tmp_path, "--allow-fault-injection") as board:
        _send_command(board, "FAULT_FLIP_RANDOM", region="dram", count=5, seed=42)
        report = FaultReport.decode(board.wait_for(_is(131, 128)).source_data)
        board.wait_for(_is(1, 7))
        assert (report.kind, report.total, report.first, len(report.positions)) == (2, 5, 0, 5)
        assert all(0 <= p < 16 * 2**20 * 8 for p in report.positions)  # dram: 16 MiB


def _boot_events_after_fault(state_dir: Path, exit_status: int,
                             *commands: tuple[str, dict[str, object]]
                             ) -> list[tuple[str, dict[str, object]]]:
    """Run ``commands`` (each completed) on a board that allows fault injection, expect it
    to exit with ``exit_status``, then boot it again: the events of that boot."""
    with _running(state_dir, "--allow-fault-injection") as board:
        for name, values in commands:
            _send_command(board, name, **values)
            board.wait_for(_is(1, 7))
        assert board.process.wait(timeout=10) == exit_status
    with _running(state_dir) as again:
        events = _boot_events(again)
    assert events[-1][1] == {"previous": 2, "current": 0}  # BOOT -> SAFE
    return events


def test_hang_ends_in_a_watchdog_reset_reported_at_the_next_boot(tmp_path: Path) -> None:
    from flight_sw.run_command import EXIT_WATCHDOG  # noqa: PLC0415

    events = _boot_events_after_fault(tmp_path, EXIT_WATCHDOG,
                                      ("PARAM_SET", {"WATCHDOG_TIMEOUT_MS": 500}),
                                      ("FAULT_HANG", {}))
    assert "watchdog expired" in (tmp_path / "flight.log").read_text()
    assert [name for name, _ in events] == ["BOOT", "WATCHDOG_RESET", "MODE_CHANGED"]
    assert events[0][1]["reset_cause"] == 1 and events[0][1]["boot_count"] == 2  # WATCHDOG


def test_latch_up_ends_in_a_power_cycle_reported_at_the_next_boot(tmp_path: Path) -> None:
    from flight_sw.run_command import EXIT_POWER_CYCLE  # noqa: PLC0415

    events = _boot_events_after_fault(tmp_path, EXIT_POWER_CYCLE,
                                      ("FAULT_LATCH_UP", {"step_mw": 3000}))
    assert [name for name, _ in events] == ["BOOT", "MODE_CHANGED"]
    assert events[0][1]["reset_cause"] == 3  # LATCH_UP


def test_a_4_gib_storage_region_is_a_sparse_file(tmp_path: Path) -> None:
    size = 4 << 30
    board = PtyBoard(tmp_path, "--storage-size", str(size))
    try:
        board.connect()
        board.send(board.ground.telecommand(17, 1).encode())
        board.wait_for(_is(17, 2))
        image = (tmp_path / "nand.img").stat()
        assert image.st_size == size
        assert image.st_blocks * 512 < 64 << 20  # nothing close to 4 GiB was written
    finally:
        assert board.stop(signal.SIGTERM) == 0


def test_a_storage_size_that_disagrees_with_the_image_is_refused(tmp_path: Path) -> None:
    (tmp_path / "nand.img").write_bytes(bytes(4096))
    board = PtyBoard(tmp_path, "--storage-size", "8192")
    try:
        assert board.process.wait(timeout=20) == 2
    finally:
        board.stop()
    assert "holds 4096 octets" in (tmp_path / "flight.log").read_text()


def test_a_storage_region_holding_no_store_is_not_formatted_over(tmp_path: Path) -> None:
    (tmp_path / "nand.img").write_bytes(b"\xa5" * (1 << 20))  # data, but no store superblock
    board = PtyBoard(tmp_path, "--storage-size", str(1 << 20))
    try:
        assert board.process.wait(timeout=20) == 2
    finally:
        board.stop()
    assert "payload on board emulated" in (tmp_path / "flight.log").read_text()
    assert (tmp_path / "nand.img").read_bytes() == b"\xa5" * (1 << 20)
