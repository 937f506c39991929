"""The mission demo (``hil demo``): one real run (flight-sw in a subprocess behind ptys, the
link channel, the ground station), checked against facts derived independently of its
summary; and the mission report decoders, fuzzed."""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.image import imread

from ccsds.pus import PusTm
from ccsds.timecode import CUC_4_2
from ground_sw.archive_reader import ArchiveReader
from ground_sw.records import PacketRecord
from hil.mission_demo import (
    LAYOUTS,
    SCRUB_REPORT,
    VERIFY_ALL_REPORT,
    Layout,
    MissionReports,
    ReportDecodeError,
    decode_fields,
)
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
    assert link["board"]["frames_accepted"] > 0


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


# -- decoders ----------------------------------------------------------------------------------

def _encode(layout: Layout, values: dict[str, Any]) -> bytes:
    """An independent encoder of the layouts, with struct."""
    formats = {"u8": ">B", "u16": ">H", "u32": ">I", "u64": ">Q"}
    out = b""
    for name, kind in layout:
        if kind == "string":
            raw = values[name].encode()
            out += struct.pack(">H", len(raw)) + raw
        elif kind == "sha256":
            out += values[name]
        else:
            out += struct.pack(formats[kind], values[name])
    return out


def _values(layout: Layout) -> st.SearchStrategy[dict[str, Any]]:
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "u8": st.integers(0, 255), "u16": st.integers(0, 0xFFFF),
        "u32": st.integers(0, 0xFFFF_FFFF), "u64": st.integers(0, (1 << 64) - 1),
        "sha256": st.binary(min_size=32, max_size=32), "string": st.text(max_size=40)}
    return st.fixed_dictionaries({name: kinds[kind] for name, kind in layout})


@given(st.sampled_from(sorted(LAYOUTS)), st.data())
def test_reports_round_trip(kind: tuple[int, int], data: st.DataObject) -> None:
    layout = LAYOUTS[kind]
    values = data.draw(_values(layout))
    assert decode_fields(layout, _encode(layout, values)) == values


@given(st.sampled_from(sorted(LAYOUTS)), st.binary(max_size=200))
def test_any_octets_decode_or_raise_a_typed_error(kind: tuple[int, int], raw: bytes) -> None:
    try:
        values = decode_fields(LAYOUTS[kind], raw)
    except ReportDecodeError:
        return
    assert set(values) == {name for name, _ in LAYOUTS[kind]}


def test_truncated_and_trailing_data_are_refused() -> None:
    good = _encode(VERIFY_ALL_REPORT, dict.fromkeys((n for n, _ in VERIFY_ALL_REPORT), 1))
    with pytest.raises(ReportDecodeError, match="needed"):
        decode_fields(VERIFY_ALL_REPORT, good[:-1])
    with pytest.raises(ReportDecodeError, match="trailing"):
        decode_fields(VERIFY_ALL_REPORT, good + b"\0")


def _packet(service: int, subtype: int, data: bytes) -> PacketRecord:
    tm = PusTm(APID, 0, service, subtype, source_data=data)
    return PacketRecord(10.0, 0, APID, tm.encode(), service, subtype)


def test_listener_keeps_good_reports_and_counts_bad_ones() -> None:
    reports = MissionReports(APID, CUC_4_2)
    values = {name: index for index, (name, _) in enumerate(SCRUB_REPORT)}
    reports.on_record(_packet(128, 17, _encode(SCRUB_REPORT, values)[:-3]))
    reports.on_record(_packet(128, 17, _encode(SCRUB_REPORT, values)))
    reports.on_record(_packet(17, 2, b""))  # not a mission report: ignored
    assert reports.rejected == 1 and "TM(128, 17)" in reports.last_error
    assert reports.wait((128, 17), 0.1) == values
    with pytest.raises(TimeoutError):
        reports.wait((128, 14), 0.05)
