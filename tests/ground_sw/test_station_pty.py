"""The scripting API against the real flight software (``flight-sw run``) over real ptys."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ground_sw.dictionary import Dictionary, parse_dictionary
from ground_sw.errors import (
    ArgumentValidationError,
    EventTimeout,
    TelemetryAssertionError,
    UnknownCommandError,
    UnknownTelemetryError,
    VerificationFailed,
)
from ground_sw.records import CommandRecord, EventRecord, Outcome, ParameterSample, Record
from ground_sw.station import GroundStation
from tests.ground_sw.board import BoardRelay


class Collector:
    """A listener keeping every record."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def on_record(self, record: Record) -> None:
        self.records.append(record)


@contextmanager
def session(state_dir: Path, dictionary: Dictionary | Path, *,
            ground: str = "pty") -> Iterator[tuple[GroundStation, BoardRelay, Collector]]:
    """The ground connects first, then the board boots (so its BOOT event is seen)."""
    relay = BoardRelay(state_dir, ground=ground)
    collector = Collector()
    try:
        with GroundStation.connect(relay.url, dictionary) as station:
            station.add_listener(collector)
            relay.start_board()
            station.wait_link(20.0)
            yield station, relay, collector
    finally:
        relay.stop()


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory,
          exported_path: Path) -> Iterator[tuple[GroundStation, BoardRelay, Collector]]:
    with session(tmp_path_factory.mktemp("board"), exported_path) as running:
        yield running


def test_ping_send_and_assert(board: tuple[GroundStation, BoardRelay, Collector]) -> None:
    station, _, collector = board
    handle = station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
    assert handle.outcome is Outcome.COMPLETED
    assert [r.subtype for r in handle.reports] == [1, 3, 7]
    steps = [r.outcome for r in collector.records
             if isinstance(r, CommandRecord) and r.request == handle.request]
    assert steps == [Outcome.SENT, Outcome.ACCEPTED, Outcome.STARTED, Outcome.COMPLETED]


def test_housekeeping_values(board: tuple[GroundStation, BoardRelay, Collector]) -> None:
    station, _, collector = board
    mode = station.wait_telemetry("MODE", "NOMINAL", timeout=5)
    assert mode.raw == 1 and station.telemetry("MODE") == "NOMINAL"
    first = station.wait_telemetry("UPTIME", timeout=5)
    assert isinstance(first.raw, int)
    start = first.raw
    later = station.wait_telemetry(
        "UPTIME", predicate=lambda v: isinstance(v, int) and v > start, timeout=5)
    assert later.time > first.time
    station.assert_telemetry("BOOT_COUNT", 1, timeout=5)
    with pytest.raises(TelemetryAssertionError, match="BOOT_COUNT == 7"):
        station.assert_telemetry("BOOT_COUNT", 7, timeout=0.5)
    with pytest.raises(UnknownTelemetryError):
        station.telemetry("NO_SUCH_PARAMETER")
    assert any(isinstance(r, ParameterSample) and r.name == "CPU_TEMP"
               for r in collector.records)


def test_boot_event_and_matching_hash(board: tuple[GroundStation, BoardRelay, Collector],
                                      exported: Dictionary) -> None:
    station, _, collector = board
    boot = station.await_event("BOOT", timeout=5, reset_cause="POWER_ON", boot_count=1)
    assert boot.values["dictionary_hash"] == exported.digest
    assert station.board_dictionary_hash == exported.hash
    assert station.dictionary_mismatch is None
    assert any(isinstance(r, EventRecord) and r.name == "BOOT" for r in collector.records)
    with pytest.raises(EventTimeout):
        station.await_event("BOOT", timeout=0.2, boot_count=99)


def test_bad_input_is_refused_before_sending(
        board: tuple[GroundStation, BoardRelay, Collector]) -> None:
    station, _, _ = board
    before = station.link_status().frames_sent
    with pytest.raises(ArgumentValidationError, match="apid"):
        station.send("TEST_ON_BOARD_CONNECTION", apid=70000)
    with pytest.raises(UnknownCommandError, match="TEST_ARE_YOU_ALIVE"):
        station.send("TEST_ARE_YOU_ALIVEE")
    assert station.link_status().frames_sent == before


def test_a_failure_report_raises_verification_failed(
        board: tuple[GroundStation, BoardRelay, Collector]) -> None:
    station, _, _ = board
    with pytest.raises(VerificationFailed, match="ILLEGAL_APID") as failed:
        station.send_and_assert("TEST_ON_BOARD_CONNECTION", apid=5, timeout=10)
    assert (failed.value.stage, failed.value.error_code) == ("completion", 1)


def test_garbage_on_the_downlink_is_ignored(
        board: tuple[GroundStation, BoardRelay, Collector]) -> None:
    station, relay, _ = board
    before = station.link_status()
    relay.inject_downlink(bytes(range(256)) * 4 + b"\x1a\xcf\xfc\x1d" + bytes(300))
    lost = station.link.wait_status(
        lambda s: s.rs_uncorrectable + s.octets_skipped
        > before.rs_uncorrectable + before.octets_skipped, timeout=10)
    assert lost is not None  # the garbage was seen and thrown away
    station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
    status = station.link_status()
    assert status.sync_locked and status.fop_state == "ACTIVE" and status.nr == status.vs


def test_dictionary_mismatch_is_warned(tmp_path: Path, exported_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    document = json.loads(exported_path.read_text())
    document["commands"].append({"name": "NOT_ON_BOARD", "service": 42, "subtype": 1,
                                 "arguments": [], "critical": False, "deduced": False,
                                 "description": "only on the ground"})
    modified = parse_dictionary(json.dumps(document), "modified")
    with caplog.at_level(logging.WARNING, "ground_sw"), \
            session(tmp_path, modified) as (station, _, _):
        station.await_event("BOOT", timeout=10)
        mismatch = station.dictionary_mismatch
        assert mismatch is not None and mismatch.expected == modified.hash
        assert mismatch.reported == station.board_dictionary_hash != modified.hash
        assert "dictionary mismatch" in caplog.text
        with pytest.raises(VerificationFailed, match="UNKNOWN_SERVICE") as failed:
            station.send_and_assert("NOT_ON_BOARD", timeout=10)
        assert failed.value.stage == "acceptance"


def test_reconnect_when_the_port_closes_and_comes_back(tmp_path: Path,
                                                       exported_path: Path) -> None:
    with session(tmp_path, exported_path, ground="tcp") as (station, relay, _):
        station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
        relay.drop_connection()
        status = station.link.wait_status(lambda s: s.reconnects >= 1 and s.connected, 10)
        assert status is not None
        station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=15)
        assert relay.connections == 2


def test_fop_follows_a_board_restart(tmp_path: Path, exported_path: Path) -> None:
    with session(tmp_path, exported_path) as (station, relay, _):
        station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)
        reset = station.send_and_assert("BOARD_RESET", delay_s=0, confirm=True, timeout=10)
        assert relay.process is not None and relay.process.wait(timeout=10) == 3
        relay.start_board()  # the supervisor's restart: FARM-1 starts again at V(R) = 0
        station.await_event("BOOT", timeout=20, since=reset.time, reset_cause="COMMANDED")
        station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=20)
        status = station.link_status()
        assert status.nr == status.vs == 1 and status.fop_state == "ACTIVE"
