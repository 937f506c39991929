"""``hil link`` as a real subprocess between two ptys: octets pass, captures and stats land."""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil import link_command
from hil.channel import PassSchedule
from tests.hil.channel.ptys import Pty

RUNNER = ("import argparse, sys\nfrom hil import link_command\n"
          "parser = argparse.ArgumentParser()\nlink_command.add_arguments(parser)\n"
          "sys.exit(link_command.run(parser.parse_args(sys.argv[1:])))\n")


def _wait_for_line(process: subprocess.Popen[bytes], text: bytes, timeout: float) -> bytes:
    assert process.stdout is not None
    seen, deadline = b"", time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([process.stdout], [], [], left)[0]:
            raise TimeoutError(f"no {text!r} in {seen!r}")
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            raise EOFError(seen)
        seen += chunk
    return seen


def test_hil_link_moves_octets_and_writes_captures(tmp_path: Path) -> None:
    ground, board = Pty(), Pty()
    process = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "--ground", ground.path, "--board", board.path,
         "--profile", "leo-550", "--no-outages", "--delay", "0.01", "--uplink-ber", "0",
         "--no-bursts", "--uplink-bps", "1e6", "--capture-dir", str(tmp_path / "cap"),
         "--duration", "2", "--stats-interval", "0.5", "--json", str(tmp_path / "s.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        banner = _wait_for_line(process, b"channel running", timeout=20.0)
        assert b"uplink: 1000000.0 bit/s, delay 0.01 s, BER 0" in banner
        ground.write(b"CLTU" * 250)
        assert board.read(1000, timeout=5.0) == b"CLTU" * 250
        _, stderr = process.communicate(timeout=20.0)
    finally:
        process.kill()
        ground.close()
        board.close()
    assert process.returncode == 0, stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["directions"]["up"]["octets_out"] == 1000
    assert (tmp_path / "cap" / "up.bin").read_bytes() == b"CLTU" * 250
    assert (tmp_path / "cap" / "down.idx").exists()


def _args(*extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    link_command.add_arguments(parser)
    return parser.parse_args(["--ground", "loop://", "--board", "loop://", *extra])


def test_options_shape_the_configuration(tmp_path: Path) -> None:
    schedule = tmp_path / "passes.txt"
    schedule.write_text("10 20\n")
    config = link_command.build_config(_args(
        "--profile", "sso-750", "--schedule", str(schedule), "--delay", "0.5",
        "--downlink-ber", "1e-4", "--no-bursts", "--seed", "9"))
    assert config.up.delay_s == config.down.delay_s == 0.5
    assert config.down.ber == 1e-4 and config.up.ber == 1e-5
    assert config.up.burst.p_good_to_bad == 0.0
    assert config.schedule.contacts(0, 100)[0].start == 10
    default = link_command.build_config(_args("--profile", "sso-750"))
    assert default.up.rate_bps == 256e3 and default.down.rate_bps == 10e6
    assert default.schedule.outages != PassSchedule.always_up().outages


@pytest.mark.parametrize("extra", [("--profile", "mars"), ("--delay", "-1"),
                                   ("--schedule", "/nonexistent/passes.txt")])
def test_bad_options_exit_2(extra: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert link_command.run(_args(*extra)) == 2
    assert capsys.readouterr().out.startswith("hil link: ")
