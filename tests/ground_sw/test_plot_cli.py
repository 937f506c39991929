"""The ``plot`` and ``export`` subcommands (registered by ground_sw.archive_cli)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest

from ccsds.mission_db import Limits, MissionDatabase, Parameter, dumps
from ground_sw.archive import Archive, ArchiveError
from ground_sw.archive_cli import add_commands, parse_time
from ground_sw.records import EventRecord, ParameterSample

T0 = 1_750_000_000.0


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ground-sw")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        for t in range(10):
            archive.on_record(ParameterSample(T0 + t, "CPU_TEMP", t, float(t)))
        archive.on_record(EventRecord(T0, "BOOT", "INFO"))
    return path


def test_plot_command_writes_a_png(archive_path: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = MissionDatabase("m", "1", 100, parameters=(
        Parameter(name="CPU_TEMP", type="float32", id=1, limits=Limits(alarm_high=8.0)),))
    dictionary = tmp_path / "mission.json"
    dictionary.write_text(dumps(db))
    png = tmp_path / "cpu.png"
    assert _run(["plot", "CPU_TEMP", "--archive", str(archive_path), "--png", str(png),
                 "--dictionary", str(dictionary), "--start", "2025-06-15T15:06:42"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert _run(["plot", "events", "--archive", str(archive_path), "--png",
                 str(tmp_path / "e.png")]) == 0
    assert _run(["plot", "MISSING", "--archive", str(archive_path), "--png",
                 str(tmp_path / "m.png")]) == 1
    assert "no numeric sample" in capsys.readouterr().err


def test_export_command_writes_csv(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    assert _run(["export", "parameters", "--archive", str(archive_path), "--csv", str(out),
                 "--name", "CPU_TEMP", "--start", str(T0 + 5)]) == 0
    with out.open(newline="") as stream:
        assert [row["raw"] for row in csv.DictReader(stream)] == ["5", "6", "7", "8", "9"]


def test_export_of_a_file_that_is_no_archive_fails_cleanly(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not an SQLite file" * 100)
    assert _run(["export", "events", "--archive", str(bogus), "--csv",
                 str(tmp_path / "x.csv")]) == 1
    with pytest.raises(ArchiveError):
        Archive(bogus)


def test_times_are_seconds_or_iso_8601() -> None:
    assert parse_time("1750000000.5") == 1750000000.5
    assert parse_time("2025-06-15T15:06:40") == T0
    assert parse_time("2025-06-15T17:06:40+02:00") == T0
    with pytest.raises(argparse.ArgumentTypeError):
        parse_time("yesterday")
