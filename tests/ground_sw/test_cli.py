"""``ground-sw`` without a board: bad input, the dictionary, and archive export/plot/replay
against an archive file built here."""

from __future__ import annotations

import csv
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from ground_sw.archive import Archive
from ground_sw.cli import EXIT_FAILED, EXIT_LINK, EXIT_USAGE, main
from ground_sw.dictionary import Dictionary
from ground_sw.records import CommandRecord, EventRecord, Outcome, ParameterSample

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "pass.db"
    with Archive(path) as archive:
        for second in range(5):
            archive.on_record(ParameterSample(T0 + second, "CPU_TEMP", 60 + 5 * second,
                                              60.0 + 5 * second,
                                              "NOMINAL" if second < 3 else "WARNING_HIGH"))
        archive.on_record(EventRecord(T0 + 1.5, "BOOT", "INFO", {"boot_count": 3}))
        archive.on_record(CommandRecord(T0 + 2, (100, 7), "TEST_ARE_YOU_ALIVE", {},
                                        Outcome.SENT))
        archive.on_record(CommandRecord(T0 + 2.1, (100, 7), "TEST_ARE_YOU_ALIVE", {},
                                        Outcome.COMPLETED, stage=7))
    return path


# -- bad input: one clear line, a non-zero exit, no traceback -----------------------------

@pytest.mark.parametrize(("argv", "status", "message"), [
    (["cmd", "TEST_ARE_YOU_ALIVEE"], EXIT_USAGE, "did you mean TEST_ARE_YOU_ALIVE"),
    (["cmd", "TEST_ON_BOARD_CONNECTION", "apid=lots"], EXIT_USAGE, "apid='lots' is not a uint16"),
    (["cmd", "TEST_ON_BOARD_CONNECTION", "apid"], EXIT_USAGE, "'apid' is not name=value"),
    (["cmd", "TEST_ON_BOARD_CONNECTION", "port=3"], EXIT_USAGE, "no argument 'port'"),
    (["cmd", "BOARD_SET_MODE", "mode=SAFE"], EXIT_USAGE, "critical: repeat with --confirm"),
    (["cmd", "TEST_ARE_YOU_ALIVE"], EXIT_LINK, "cannot open /dev/no-such-port"),
    (["tlm", "NO_SUCH_PARAMETER"], EXIT_USAGE, "no parameter 'NO_SUCH_PARAMETER'"),
    (["events", "--name", "NO_SUCH_EVENT"], EXIT_USAGE, "no event 'NO_SUCH_EVENT'"),
    (["upload", "/no/such/file", "object"], EXIT_USAGE, "no file /no/such/file"),
    (["bridge", "--tm-to", "localhost"], EXIT_USAGE, "'localhost' is not HOST:PORT"),
])
def test_bad_input_is_one_clear_line(capsys: pytest.CaptureFixture[str], exported_path: Path,
                                     argv: list[str], status: int, message: str) -> None:
    code, out, err = run(capsys, *argv, "--port", "/dev/no-such-port", "--dictionary",
                         str(exported_path))
    assert code == status
    assert out == ""
    assert err.startswith("ground-sw: error: ") and message in err
    assert "Traceback" not in err


def test_a_bad_dictionary_file_is_refused(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x"', encoding="utf-8")
    code, _, err = run(capsys, "cmd", "TEST_ARE_YOU_ALIVE", "--port", "loop://",
                       "--dictionary", str(broken))
    assert code == EXIT_USAGE and str(broken) in err
    code, _, err = run(capsys, "dictionary", "--dictionary", str(tmp_path / "missing.json"))
    assert code == EXIT_USAGE and "cannot read dictionary" in err


def test_entry_point_prints_no_traceback(exported_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "ground_sw.cli", "cmd", "BOARD_RESET",
                             "delay_s=601", "--confirm", "--port", "/dev/no-such-port",
                             "--dictionary", str(exported_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == EXIT_USAGE
    assert "601 above maximum 600" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as leaving:
        main(["cmd"])
    assert leaving.value.code == EXIT_USAGE
    assert "required" in capsys.readouterr().err


# -- dictionary ----------------------------------------------------------------------------

def test_dictionary_summary_and_help(capsys: pytest.CaptureFixture[str], exported_path: Path,
                                     exported: Dictionary, tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    code, out, _ = run(capsys, "dictionary", "--dictionary", str(exported_path),
                       "--export", str(copy))
    assert code == 0
    assert exported.hash in out.splitlines()[0]
    assert "  BOARD_SET_MODE mode=<enum8>  [critical]" in out.splitlines()
    assert copy.read_bytes() == exported_path.read_bytes()
    code, out, _ = run(capsys, "dictionary", "BOARD_RESET", "--dictionary", str(exported_path))
    assert code == 0
    assert out.startswith("BOARD_RESET (130,2) CRITICAL")
    assert "delay_s: uint16" in out and "0..600" in out
    code, out, _ = run(capsys, "dictionary", "CPU_TEMP", "--dictionary", str(exported_path))
    assert "[degC]" in out and "warning high 70" in out and "alarm high 85" in out
    code, out, _ = run(capsys, "dictionary", "BOOT", "--dictionary", str(exported_path))
    assert out.startswith("BOOT (INFO, (5,1))") and "dictionary_hash: bytes:32" in out
    code, _, err = run(capsys, "dictionary", "BOTO", "--dictionary", str(exported_path))
    assert code == EXIT_USAGE and "did you mean BOOT" in err


# -- archive: export, plot, replay ---------------------------------------------------------

@pytest.mark.parametrize("prefix", [["archive", "export"], ["export"]])
def test_archive_export_csv(capsys: pytest.CaptureFixture[str], archive_path: Path,
                            tmp_path: Path, prefix: list[str]) -> None:
    out_csv = tmp_path / "cpu.csv"
    code, out, _ = run(capsys, *prefix, "parameters", "--archive", str(archive_path),
                       "--csv", str(out_csv), "--name", "CPU_TEMP", "--start", str(T0 + 1),
                       "--end", "2027-01-15T08:00:04")
    assert code == 0 and "3 rows" in out
    with out_csv.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [float(r["engineering"]) for r in rows] == [65.0, 70.0, 75.0]
    assert [r["limit"] for r in rows] == ["NOMINAL", "NOMINAL", "WARNING_HIGH"]


def test_archive_errors_are_clear(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "archive", "export", "events", "--archive",
                       str(tmp_path / "none.db"), "--csv", str(tmp_path / "x.csv"))
    assert code == EXIT_FAILED and "none.db" in err and "Traceback" not in err


def test_plot_png(capsys: pytest.CaptureFixture[str], archive_path: Path, tmp_path: Path,
                  exported_path: Path) -> None:
    png = tmp_path / "cpu.png"
    code, _, _ = run(capsys, "plot", "CPU_TEMP", "--archive", str(archive_path), "--png",
                     str(png), "--dictionary", str(exported_path))
    assert code == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # IHDR (PNG spec 11.2.2)
    assert (width, height) == (1000, 400)


def test_replay_prints_records_in_time_order(capsys: pytest.CaptureFixture[str],
                                             archive_path: Path, exported_path: Path) -> None:
    code, out, err = run(capsys, "replay", "--archive", str(archive_path), "--fast",
                         "--dictionary", str(exported_path))
    assert code == 0 and "8 records replayed" in err
    assert out.splitlines() == [
        "2027-01-15T08:00:00.000Z CPU_TEMP = 60 degC",
        "2027-01-15T08:00:01.000Z CPU_TEMP = 65 degC",
        "2027-01-15T08:00:01.500Z INFO   BOOT boot_count=3",
        "2027-01-15T08:00:02.000Z CPU_TEMP = 70 degC",
        "2027-01-15T08:00:02.000Z TEST_ARE_YOU_ALIVE [100/7] sent",
        "2027-01-15T08:00:02.100Z TEST_ARE_YOU_ALIVE [100/7] completed (1,7)",
        "2027-01-15T08:00:03.000Z CPU_TEMP = 75 degC [WARNING_HIGH]",
        "2027-01-15T08:00:04.000Z CPU_TEMP = 80 degC [WARNING_HIGH]",
    ]


def test_bridge_runs_for_its_duration(capsys: pytest.CaptureFixture[str],
                                      exported_path: Path) -> None:
    code, _, err = run(capsys, "bridge", "--port", "loop://", "--dictionary", str(exported_path),
                       "--tm-to", "127.0.0.1:9", "--tc-listen", "127.0.0.1:0",
                       "--duration", "0.1")
    assert code == 0, err
    assert "bridge: TM frames to 127.0.0.1:9, TCs from 127.0.0.1:" in err
    assert "bridge counters: BridgeCounters(tm_frames=0" in err
