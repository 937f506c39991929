"""CSV export, read back with the csv module."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ground_sw.archive import Archive
from ground_sw.archive_csv import ExportError
from ground_sw.records import CommandRecord, EventRecord, Outcome, ParameterSample, Record

T0 = 1_750_000_000.25


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    records: list[Record] = [
        ParameterSample(T0, "CPU_TEMP", 31000, 31.0, "NOMINAL", 2.0e9),
        ParameterSample(T0 + 1, "CPU_TEMP", 91000, 91.0, "ALARM_HIGH"),
        ParameterSample(T0 + 1, "NOTE", b"\x01\x02", 'a "quoted", text'),
        EventRecord(T0 + 2, "OVER_TEMP", "HIGH", {"sensor": "cpu, main", "value": 91.5}),
        CommandRecord(T0 + 3, (100, 5), "SET_MODE", {"mode": "SAFE"}, Outcome.SENT),
        CommandRecord(T0 + 3.5, (100, 5), "SET_MODE", {"mode": "SAFE"}, Outcome.ACCEPTED, 1),
        CommandRecord(T0 + 4, (100, 5), "SET_MODE", {"mode": "SAFE"}, Outcome.FAILED, 8, 13),
    ]
    with Archive(tmp_path / "a.db") as archive:
        for record in records:
            archive.on_record(record)
        archive.flush(timeout=30)
        yield archive


def test_parameters_csv(archive: Archive, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    assert archive.export_csv("parameters", path, name="CPU_TEMP") == 2
    rows = _read(path)
    assert [float(r["time"]) for r in rows] == [T0, T0 + 1]
    assert datetime.fromisoformat(rows[0]["time_utc"]) == datetime.fromtimestamp(T0, UTC)
    assert [(r["raw"], r["engineering"], r["limit"]) for r in rows] == [
        ("31000", "31.0", "NOMINAL"), ("91000", "91.0", "ALARM_HIGH")]
    assert [r["onboard_time"] for r in rows] == ["2000000000.0", ""]
    everything = tmp_path / "all.csv"
    assert archive.export_csv("parameters", everything, start=T0 + 1) == 2
    note = _read(everything)[1]
    assert (note["raw"], note["engineering"]) == ("0102", 'a "quoted", text')


def test_events_csv(archive: Archive, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    assert archive.export_csv("events", path) == 1
    (row,) = _read(path)
    assert (row["name"], row["severity"]) == ("OVER_TEMP", "HIGH")
    assert json.loads(row["values"]) == {"sensor": "cpu, main", "value": "91.5"}


def test_commands_csv_has_one_row_per_command_with_its_steps(archive: Archive,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    assert archive.export_csv("commands", path) == 1
    (row,) = _read(path)
    assert (row["apid"], row["sequence_count"], row["name"]) == ("100", "5", "SET_MODE")
    assert (row["outcome"], row["stage"], row["error_code"]) == ("failed", "8", "13")
    assert json.loads(row["arguments"]) == {"mode": "SAFE"}
    steps = [step.split("@") for step in row["steps"].split(";")]
    assert [(s, float(t)) for s, t in steps] == [
        ("sent", T0 + 3), ("accepted", T0 + 3.5), ("failed", T0 + 4)]
    assert archive.export_csv("commands", path, name="OTHER") == 0
    assert _read(path) == []


def test_an_unknown_kind_is_refused(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        archive.export_csv("frames", tmp_path / "x.csv")  # type: ignore[arg-type]
