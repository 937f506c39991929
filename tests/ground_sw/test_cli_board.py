"""``ground-sw`` against the real flight software (``flight-sw run``) over real ptys and TCP:
cmd, tlm, events, upload/download, garbage on the line and a port that disappears and comes
back."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from ground_sw.cli import EXIT_FAILED, main
from tests.ground_sw.board import BoardRelay

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoardRelay]:
    # TCP: between two ground-sw runs the line is idle (a pty nobody reads would fill up)
    board = BoardRelay(tmp_path_factory.mktemp("cli-board"), ground="tcp")
    board.start_board()
    try:
        yield board
    finally:
        board.stop()


def run(capsys: pytest.CaptureFixture[str], relay: BoardRelay, dictionary: Path,
        *argv: str) -> tuple[int, str, str]:
    status = main([*argv, "--port", relay.url, "--dictionary", str(dictionary)])
    out, err = capsys.readouterr()
    return status, out, err


def test_cmd_prints_each_verification_step(capsys: pytest.CaptureFixture[str],
                                           relay: BoardRelay, exported_path: Path) -> None:
    code, out, err = run(capsys, relay, exported_path, "cmd", "TEST_ARE_YOU_ALIVE")
    assert code == 0, err
    steps = [line.split(" ", 1)[1] for line in out.splitlines()]
    assert [s.split("] ", 1)[1] for s in steps] == ["sent", "accepted (1,1)", "started (1,3)",
                                                     "completed (1,7)"]
    assert all(LINE.match(line) for line in out.splitlines())
    assert "link ready" in err


def test_cmd_failure_names_the_error_code(capsys: pytest.CaptureFixture[str],
                                          relay: BoardRelay, exported_path: Path) -> None:
    code, out, err = run(capsys, relay, exported_path, "cmd", "TEST_ON_BOARD_CONNECTION",
                         "apid=5")
    assert code == EXIT_FAILED
    assert out.splitlines()[-1].endswith("failed (1,8) error 1 ILLEGAL_APID")
    assert "ground-sw: error: TEST_ON_BOARD_CONNECTION: completion failed with error 1 " \
           "(ILLEGAL_APID)" in err
    assert "Traceback" not in err


def test_critical_command_with_confirm(capsys: pytest.CaptureFixture[str], relay: BoardRelay,
                                       exported_path: Path) -> None:
    code, out, _ = run(capsys, relay, exported_path, "cmd", "BOARD_SET_MODE", "mode=SAFE",
                       "--confirm")
    assert code == 0 and out.splitlines()[-1].endswith("completed (1,7)")
    code, out, _ = run(capsys, relay, exported_path, "tlm", "MODE")
    assert out.split(" ", 1)[1] == "MODE = SAFE\n"
    code, out, _ = run(capsys, relay, exported_path, "cmd", "BOARD_SET_MODE", "mode=1",
                       "--confirm")
    assert code == 0


def test_tlm_values_with_units(capsys: pytest.CaptureFixture[str], relay: BoardRelay,
                               exported_path: Path) -> None:
    code, out, _ = run(capsys, relay, exported_path, "tlm", "CPU_TEMP", "UPTIME", "BOOT_COUNT")
    assert code == 0
    lines = [line.split(" ", 1)[1] for line in out.splitlines()]
    assert re.fullmatch(r"CPU_TEMP = -?[\d.]+ degC", lines[0])
    assert re.fullmatch(r"UPTIME = \d+ s", lines[1])
    assert lines[2] == "BOOT_COUNT = 1"


def test_tlm_follow_stops_after_count(capsys: pytest.CaptureFixture[str], relay: BoardRelay,
                                      exported_path: Path) -> None:
    code, out, _ = run(capsys, relay, exported_path, "tlm", "UPTIME", "--follow", "--count",
                       "2")
    assert code == 0
    uptimes = [int(line.split(" = ")[1].split()[0]) for line in out.splitlines()]
    assert len(uptimes) == 2 and uptimes[1] > uptimes[0]


def test_upload_then_download_with_progress(capsys: pytest.CaptureFixture[str],
                                            relay: BoardRelay, exported_path: Path,
                                            tmp_path: Path) -> None:
    original = tmp_path / "archive.bin"
    original.write_bytes(os.urandom(6000))
    code, out, err = run(capsys, relay, exported_path, "upload", str(original), "cli-object",
                         "--class", "2")
    assert code == 0, err
    assert "6000 octets" in out and "6.0/6.0 kB" in err
    restored = tmp_path / "restored.bin"
    code, out, err = run(capsys, relay, exported_path, "download", "cli-object",
                         str(restored), "--class", "1")
    assert code == 0, err
    assert restored.read_bytes() == original.read_bytes()


def _line(stream: IO[str], timeout: float) -> str:
    """The next line of a child's pipe, waiting at most ``timeout`` for it."""
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no line from ground-sw in time"
    return stream.readline()


def _ground_sw(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ground_sw.cli", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_events_follow_sees_the_boot_event_and_the_mismatch(tmp_path: Path,
                                                           exported_path: Path) -> None:
    """The ground loads a dictionary of another version: same layouts, another hash."""
    document = json.loads(exported_path.read_text(encoding="utf-8"))
    document["version"] = document["version"] + "-ground"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document), encoding="utf-8")
    relay = BoardRelay(tmp_path)
    child = _ground_sw("events", "--count", "1", "--duration", "30", "--name", "BOOT",
                       "--port", relay.url, "--dictionary", str(other))
    try:
        assert child.stderr is not None and child.stdout is not None
        assert "connected" in _line(child.stderr, 30)
        relay.start_board()
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
        relay.stop()
    assert child.returncode == 0, err
    assert re.fullmatch(r"\S+ INFO   BOOT software_version=\S+ boot_count=1 "
                        r"reset_cause=POWER_ON dictionary_hash=[0-9a-f]{64}\n", out)
    reported = out.rsplit("=", 1)[1].strip()
    assert f"warning: dictionary mismatch: the board reports {reported[:16]}..." in err


def test_follow_survives_garbage_and_a_port_that_comes_back(tmp_path: Path,
                                                            exported_path: Path) -> None:
    relay = BoardRelay(tmp_path, ground="tcp")
    relay.start_board()
    child = _ground_sw("tlm", "UPTIME", "--follow", "--count", "2", "--port", relay.url,
                       "--dictionary", str(exported_path))
    try:
        assert child.stdout is not None
        first = _line(child.stdout, 30)
        relay.inject_downlink(os.urandom(4000))  # garbage on the line, then the line goes
        relay.drop_connection()
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
        relay.stop()
    assert child.returncode == 0, err
    assert relay.connections >= 2
    assert "reconnecting" in err and "Traceback" not in err
    assert len((first + out).splitlines()) == 2
