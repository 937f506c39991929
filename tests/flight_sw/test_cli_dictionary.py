"""``flight-sw dictionary`` in a real subprocess."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from ccsds.mission_db import loads
from ccsds.mission_db.xtce import NAMESPACE
from flight_sw.cli import build_parser
from flight_sw.dictionary import MISSION


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flight_sw.cli", *args], capture_output=True,
                          text=True, check=False, timeout=60)


def test_json_to_stdout() -> None:
    result = _run("dictionary", "--format", "json")
    assert result.returncode == 0, result.stderr
    loaded = loads(result.stdout)
    assert loaded == MISSION
    assert loaded.hash() == MISSION.hash()


def test_xtce_to_file(tmp_path: Path) -> None:
    output = tmp_path / "mission.xml"
    result = _run("dictionary", "--format", "xtce", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    root = ET.parse(output).getroot()
    assert root.tag == f"{{{NAMESPACE}}}SpaceSystem"
    containers = {c.get("name") for c in root.iter(f"{{{NAMESPACE}}}SequenceContainer")}
    assert {f"HK_{s.name}" for s in MISSION.housekeeping} <= containers


def test_bad_format_is_a_usage_error() -> None:
    result = _run("dictionary", "--format", "yaml")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_parser_keeps_version_and_subcommands() -> None:
    parser = build_parser()
    args = parser.parse_args(["dictionary"])
    assert (args.command, args.format, args.output) == ("dictionary", "json", None)
    result = _run("--version")
    assert result.returncode == 0 and result.stdout.startswith("flight-sw ")
