"""The mission demo (``hil demo``): one real run (flight-sw in a subprocess behind ptys, the
link channel, the ground station), checked against facts derived independently of its
summary (the split modules have their own tests: test_mission_reports, test_fault_commands,
test_mission_link, test_mission_progress, test_mission_settings)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread

from ground_sw.archive_reader import ArchiveReader
from hil.demo_report import outcome_rows
from hil.profiles import load_profile
from hil.radiation import EnvironmentModel, MemorySpec

SIZE = 24 * 1024
SOAK_S = 6.0
SEED = 3
APID = 100


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                            dict[str, Any], Path]:
    """``hil demo`` with a small file, a short soak and a short light time (< 40 s here)."""
    where = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, "-m", "hil.cli", "demo", "--file-size", str(SIZE), "--soak",
         str(SOAK_S), "--upset-bits", "600", "--delay", "0.2", "--seed", str(SEED),
         "--json", str(where / "summary.json"), "--report", str(where / "report.png"),
         "--capture-dir", str(where / "captures"), "--work-dir", str(where / "work")],
        capture_output=True, text=True, timeout=150, check=False)
    summary = json.loads((where / "summary.json").read_text())
    return result, summary, where


def test_every_check_passes_and_the_exit_status_says_so(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]) -> None:
    result, summary, _ = run
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["verdict"] is True and "error" not in summary
    assert set(summary["checks"]) == {"dictionary_hash", "upload", "compute_sha256",
                                      "compute_compress", "injections_delivered",
                                      "verify_no_loss", "download_sha256"}
    assert "verdict: PASS" in result.stdout
    assert "upload: " in result.stdout and "download: " in result.stdout  # progress lines


def test_the_dictionary_hash_comes_from_the_board_housekeeping(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]) -> None:
    _, summary, where = run
    # the export is the canonical JSON: its SHA-256 is the dictionary hash (docs/icd.md)
    exported = hashlib.sha256((where / "work" / "dictionary.json").read_bytes()).hexdigest()
    boot = summary["boot"]
    assert boot["dictionary_hash"] == exported
    with ArchiveReader(where / "work" / "archive.sqlite") as archive:
        reported = {bytes(s.raw).hex() for s in archive.parameters("DICTIONARY_HASH")
                    if isinstance(s.raw, bytes)}
    assert reported == {exported}
    assert boot["boot_count"] == 1 and boot["reset_cause"] == "POWER_ON"  # a fresh board


def test_files_on_both_ends_match_by_sha256(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]) -> None:
    _, summary, where = run
    sent = (where / "work" / "upload" / "archive.dat").read_bytes()
    received = (where / "work" / "download" / "archive.dat").read_bytes()
    assert len(sent) == SIZE == summary["file"]["size"]
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(sent).hexdigest() \
        == summary["file"]["sha256"]
    assert summary["upload"]["ok"] and summary["download"]["ok"]


def test_compute_results_match_a_local_computation(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]) -> None:
    _, summary, where = run
    sent = (where / "work" / "upload" / "archive.dat").read_bytes()
    sha = summary["compute"]["sha256"]
    # the job's result object is the 32-octet digest; the report carries the object's SHA-256
    assert sha["result_size"] == 32
    assert sha["result_sha256"] == hashlib.sha256(hashlib.sha256(sent).digest()).hexdigest()
    compressed = (where / "work" / "download" / "archive.dat.zlib").read_bytes()
    assert zlib.decompress(compressed) == sent
    assert summary["compute"]["compress"]["result_sha256"] == hashlib.sha256(
        compressed).hexdigest()
    moved = summary["download_compressed"]
    assert moved["ok"] and moved["octets"] == len(compressed) \
        == summary["compute"]["compress"]["result_size"]


@pytest.mark.parametrize("transfer", ["upload", "download_compressed", "download"])
def test_each_transfer_has_its_goodput_and_progress(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path], transfer: str) -> None:
    _, summary, _ = run
    moved = summary[transfer]
    # time_s is rounded to 10 ms, goodput_bps computed before rounding
    assert abs(moved["goodput_bps"] - moved["octets"] * 8 / moved["time_s"]) \
        <= 0.01 * moved["goodput_bps"] + 1
    times = [t for t, _ in moved["progress"]]
    octets = [n for _, n in moved["progress"]]
    assert times == sorted(times) and octets[-1] == moved["octets"]


def test_injected_upsets_match_the_schedule_and_the_board(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]) -> None:
    _, summary, where = run
    soak = summary["soak"]
    # the injector's schedule, drawn again from the same profile, seed and acceleration
    model = EnvironmentModel(load_profile("lunar-transit"), "worst-day", soak["acceleration"])
    schedule = model.schedule([MemorySpec("nand", "nand", soak["region_bits"])], SOAK_S,
                              np.random.default_rng(SEED), soc=None)
    assert len(schedule) == soak["events_injected"] > 0
    assert schedule.bits_hit() == soak["bits_flipped"] + soak["bits_stuck"]
    # what the board says it touched, from the ground archive's FAULT_INJECTED events
    with ArchiveReader(where / "work" / "archive.sqlite") as archive:
        events = archive.events(name="FAULT_INJECTED")
        counts = [e.values["count"] for e in events]
        assert sum(c for c in counts if isinstance(c, int)) == schedule.bits_hit()
        assert len(events) == soak["commands"]
        corrected = [s.raw for s in archive.parameters("EDAC_CORRECTED")
                     if isinstance(s.raw, int)]
    assert corrected and max(corrected) > 0  # the scrubber corrected words in telemetry
    verify = summary["verify"]["verify_all"]
    assert verify["lost"] == 0 and verify["objects"] == 3  # the file and both job results


def test_link_figures_and_captures_agree(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]) -> None:
    _, summary, where = run
    link = summary["link"]
    assert link["one_way_light_time_s"] == 0.2 and link["downlink_ber"] == 1e-6
    for name in ("up", "down"):
        data = (where / "captures" / f"{name}.bin").stat().st_size
        offsets = [int(line.split()[1]) for line in
                   (where / "captures" / f"{name}.idx").read_text().splitlines()]
        assert data == link[f"channel_{name}"]["octets_out"] > 0
        assert offsets == sorted(offsets) and offsets[0] == 0
    assert link["ground"]["rs_uncorrectable"] == 0
    board = link["board"]
    assert 0 < board["frames_accepted"] <= board["cltus_received"]
    assert board["frames_accepted"] + board["frames_rejected"] <= board["cltus_received"]
    assert board["tcs_accepted"] > 0 and board["tcs_rejected"] == 0
    with ArchiveReader(where / "work" / "archive.sqlite") as archive:
        for name in ("CLTUS_RECEIVED", "FRAMES_ACCEPTED", "FRAMES_REJECTED", "TCS_ACCEPTED"):
            assert archive.parameters(name)[-1].raw == board[name.lower()]  # the last sample


def test_png_report_is_written(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]) -> None:
    _, summary, where = run
    image = imread(where / "report.png")
    assert image.shape[0] > 400 and image.shape[1] > 600
    assert summary["report"] == str(where / "report.png")


def test_bad_settings_are_refused_before_anything_starts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hil.cli", "demo", "--file-size", "0", "--scrub-period", "5"],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "file size 0" in result.stdout and "scrub period 5 s" in result.stdout


def test_a_board_that_cannot_start_fails_the_run_with_its_reason(tmp_path: Path) -> None:
    # 2 MiB leaves the store no data blocks: flight-sw exits 2 at start
    result = subprocess.run(
        [sys.executable, "-m", "hil.cli", "demo", "--storage-size", str(2 << 20),
         "--json", str(tmp_path / "summary.json"), "--report", str(tmp_path / "report.png")],
        capture_output=True, text=True, timeout=60, check=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert result.returncode == 1
    assert summary["verdict"] is False and "BoardStartError" in summary["error"]
    assert "data blocks" in summary["error"]  # the board log's reason
    assert "verdict: FAIL" in result.stdout


def test_outcome_table_of_a_run_that_failed_early() -> None:
    summary: dict[str, Any] = {"checks": {"dictionary_hash": False}, "verdict": False,
                               "link": {"profile": "lunar-transit"}}
    assert outcome_rows(summary) == [("dictionary hash", "FAIL"), ("verdict", "FAIL")]


def test_outcome_table_lists_uplink_counters_and_each_goodput() -> None:
    summary: dict[str, Any] = {
        "checks": {"upload": True}, "verdict": True,
        "link": {"board": {"cltus_received": 450, "frames_accepted": 379,
                           "frames_rejected": 71},
                 "ground": {"frames_sent": 447, "retransmissions": 68}},
        "upload": {"goodput_bps": 37_490}, "download": {"goodput_bps": None}}
    rows = dict(outcome_rows(summary))
    assert rows["board: CLTUs / frames accepted / rejected"] == "450 / 379 / 71"
    assert rows["uplink: FOP-1 frames sent / retransmitted"] == "447 / 68"
    assert rows["upload goodput"] == "37.5 kbit/s" and rows["download goodput"] == "-"
