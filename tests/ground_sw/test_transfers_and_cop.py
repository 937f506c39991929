"""CFDP uploads and downloads and FOP-1 recovery, against an in-process board over TCP."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccsds.config import LinkConfig
from ccsds.mission_db import MissionDatabase
from ground_sw.dictionary import Dictionary
from ground_sw.errors import CriticalCommandError, VerificationFailed
from ground_sw.station import GroundStation
from tests.ground_sw.fake_board import FakeBoard


@pytest.fixture
def database(exported: Dictionary) -> MissionDatabase:
    """The mission dictionary, with its STORE_DOWNLINK (128,8) command."""
    return exported.database


@pytest.fixture
def board(database: MissionDatabase) -> Iterator[FakeBoard]:
    running = FakeBoard(database, ack_interval=1.0, nak_interval=1.0, check_interval=1.0)
    yield running
    running.stop()


@pytest.fixture
def station(board: FakeBoard, database: MissionDatabase,
            tmp_path: Path) -> Iterator[GroundStation]:
    with GroundStation.connect(board.url, database, files_dir=tmp_path / "files",
                               link_timeout=10) as connected:
        yield connected


@pytest.mark.parametrize("class_", [1, 2])
def test_upload(station: GroundStation, board: FakeBoard, tmp_path: Path, class_: int) -> None:
    content = random.Random(class_).randbytes(20_000)
    local = tmp_path / "archive.bin"
    local.write_bytes(content)
    progress: list[tuple[int, int | None]] = []
    transfer = station.upload(local, "stored.bin", class_=class_, timeout=30,
                              progress=lambda done, size: progress.append((done, size)))
    assert transfer.succeeded and transfer.file_size == len(content)
    if class_ == 2:  # class 1 ends when the EOF is sent: the board may still be writing
        assert bytes(board.files.files["stored.bin"]) == content
    assert progress and progress[-1] == (len(content), len(content))
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert not list((tmp_path / "files" / "outgoing").iterdir())  # staged copy removed


@pytest.mark.parametrize("class_", [1, 2])
def test_download(station: GroundStation, board: FakeBoard, tmp_path: Path,
                  class_: int) -> None:
    content = random.Random(10 + class_).randbytes(30_000)
    with board.lock:
        board.files.write("science.dat", 0, content)
    progress: list[int] = []
    transfer = station.download("science.dat", tmp_path / "out" / "science.dat",
                                class_=class_, timeout=30,
                                progress=lambda done, _: progress.append(done))
    assert transfer.succeeded
    assert (tmp_path / "out" / "science.dat").read_bytes() == content
    assert progress[-1] == len(content)


def test_download_of_a_missing_object_fails_clearly(station: GroundStation,
                                                    tmp_path: Path) -> None:
    with pytest.raises(VerificationFailed, match="OBJECT_NOT_FOUND"):
        station.download("absent.dat", tmp_path / "absent.dat", timeout=10)
    assert not (tmp_path / "absent.dat").exists()
    assert station.transfers._expected == []


def test_fop_initialises_from_the_clcw(database: MissionDatabase) -> None:
    board = FakeBoard(database)
    board.uplink.farm.vr = 200  # a board that already took 200 frames
    try:
        with GroundStation.connect(board.url, database, link_timeout=10) as station:
            status = station.link_status()
            assert (status.vs, status.nr, status.fop_state) == (200, 200, "ACTIVE")
            station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
            assert station.link_status().vs == 201
    finally:
        board.stop()


def test_lockout_recovery_needs_the_operator(station: GroundStation, board: FakeBoard) -> None:
    station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
    board.force_lockout()
    status = station.link.wait_status(lambda s: s.awaiting_unlock, timeout=10)
    assert status is not None and status.lockout and status.last_alert == "LOCKOUT"
    handle = station.send("TEST_ARE_YOU_ALIVE")  # queued: the AD service is stopped
    with pytest.raises(CriticalCommandError):
        station.unlock()
    station.unlock(confirm=True)
    handle.wait_completed(10)
    status = station.link_status()
    assert not status.lockout and not status.awaiting_unlock and status.fop_state == "ACTIVE"


def test_expedited_commands_bypass_sequence_control(station: GroundStation,
                                                    board: FakeBoard) -> None:
    vs = station.link_status().vs
    station.send("TEST_ARE_YOU_ALIVE", expedited=True).wait_completed(10)
    assert station.link_status().vs == vs  # BD frames take no AD sequence number
    assert board.uplink.farm.farm_b_counter == 1


def test_lost_cltus_are_retransmitted(database: MissionDatabase) -> None:
    config = LinkConfig.from_dict({"tc": {"fop_timer_initial_s": 0.3}})
    board = FakeBoard(database, config=config)
    try:
        with GroundStation.connect(board.url, database, config, link_timeout=10) as station:
            board.drop_next_frames = 1
            handle = station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
            status = station.link_status()
            assert status.retransmissions >= 1 and status.nr == status.vs
            assert [tc.sequence_count for tc in board.received] == [handle.request[1]]
    finally:
        board.stop()


class _Faulty:
    """A listener that fails on every record."""

    def __init__(self) -> None:
        self.calls = 0

    def on_record(self, record: object) -> None:
        self.calls += 1
        raise RuntimeError("listener bug")


def test_a_failing_listener_does_not_stop_the_station(station: GroundStation) -> None:
    faulty = _Faulty()
    station.add_listener(faulty)
    station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
    assert faulty.calls >= 4  # sent, accepted, started, completed at least
    station.remove_listener(faulty)
