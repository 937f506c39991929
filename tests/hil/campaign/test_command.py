"""``hil campaign``: options, a progress line per trial, the report, exit statuses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hil.campaign.command import add_arguments, run


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_campaign_command_runs_and_reports(tmp_path: Path) -> None:
    lines: list[str] = []
    status = run(_args("smoke", "--trials", "2", "--jobs", "2", "--out", str(tmp_path)),
                 lines.append)
    assert status == 0
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == 2 and {line[:5] for line in progress} == {"[1/2]", "[2/2]"}
    assert lines[-1].startswith("report: ")
    document = json.loads((tmp_path / "campaign.json").read_text())
    assert document["summary"]["trials"] == 2
    assert sorted(t["index"] for t in document["trials"]) == [0, 1]


def test_bad_scenario_or_options_exit_2(tmp_path: Path) -> None:
    lines: list[str] = []
    assert run(_args(str(tmp_path / "missing.toml")), lines.append) == 2
    assert "cannot read" in lines[-1]
    assert run(_args("smoke", "--jobs", "0"), lines.append) == 2
    assert not (tmp_path / "campaign.json").exists()
