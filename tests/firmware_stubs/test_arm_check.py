"""The ARM build check (tools/arm_check): its file format, harness and failure detection.

The native tests build the harness with the host gcc (present wherever the kernels build)
and run the portable paths ARM uses; the soak test runs the real aarch64/armhf check under
qemu-user and needs the apt packages of docs/bench.md ("ARM build check").
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from arm_check import cli, targets
from arm_check.cases import all_cases
from arm_check.protocol import (
    OUTPUT_MAGIC,
    PATH_NAMES,
    Case,
    HarnessOutput,
    Op,
    ProtocolError,
    encode_input,
    parse_output,
)

from firmware_stubs import _buildutil

PORTABLE = targets.TARGETS["x86_64-ubsan"]  # the portable paths, sanitized
TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)


def output_file(paths: list[str], results: list[bytes]) -> bytes:
    """An output file written from the format description (independently of harness.c)."""
    parts = [OUTPUT_MAGIC, bytes([len(paths)])]
    parts += [bytes([len(path)]) + path.encode() for path in paths]
    parts.append(struct.pack("<I", len(results)))
    for index, result in enumerate(results):
        parts += [struct.pack("<II", index, len(result)), result]
    return b"".join(parts)


@given(st.lists(TEXT, min_size=4, max_size=4), st.lists(st.binary(max_size=40), max_size=6))
def test_output_parser_round_trip(paths: list[str], results: list[bytes]) -> None:
    parsed = parse_output(output_file(paths, results))
    assert parsed == HarnessOutput(dict(zip(PATH_NAMES, paths, strict=True)), tuple(results))


@given(st.binary(max_size=200), st.integers(0, 400))
def test_output_parser_fuzz(noise: bytes, cut: int) -> None:
    """Garbage, and every truncation or extension of a valid file: a typed error, no crash."""
    valid = output_file(["aarch64", "portable", "portable", "portable"], [b"\x01\x02", b""])
    for data in (noise, OUTPUT_MAGIC + noise, valid[:cut] if cut < len(valid) else valid + noise):
        try:
            parsed = parse_output(data)
        except ProtocolError:
            continue
        assert output_file(list(parsed.paths.values()), list(parsed.results)) == data


@pytest.fixture(scope="module")
def quick_cases(kat: dict[str, Any]) -> list[Case]:
    """A few random trials per kernel family, and every known-answer vector (conftest)."""
    return all_cases(7, 4, kat)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("arm_check")


@pytest.fixture(scope="module")
def portable_harness(workdir: Path) -> Path:
    """The harness with the portable kernel paths ARM compiles, built natively with UBSan
    and ASan (undefined behaviour is what may differ between ISAs)."""
    return targets.build(PORTABLE, workdir)


def run_cases(target: targets.Target, executable: Path, cases: list[Case],
              workdir: Path) -> cli.TargetReport:
    input_file = workdir / f"cases-{executable.name}.bin"
    input_file.write_bytes(encode_input(cases))
    report = cli.TargetReport(target.name)
    output = targets.run(target, executable, input_file, workdir)
    cli.compare(cases, output, report, target.required_paths)
    return report


def test_portable_paths_match_the_host(portable_harness: Path, quick_cases: list[Case],
                                       workdir: Path) -> None:
    report = run_cases(PORTABLE, portable_harness, quick_cases, workdir)
    assert report.ok, report.mismatches
    assert report.paths == {"arch": "x86_64", **targets.PORTABLE}
    assert {case.kernel for case in quick_cases} == {"crc16", "crc32c", "bch", "rs", "secded"}


def test_a_wrong_expectation_is_a_mismatch(portable_harness: Path, quick_cases: list[Case],
                                           workdir: Path) -> None:
    altered = list(quick_cases)
    victim = next(i for i, case in enumerate(altered) if case.op == Op.RS_DECODE)
    case = altered[victim]
    altered[victim] = Case(case.op, case.params, case.payload,
                           bytes([case.expected[0] ^ 1]) + case.expected[1:], case.label)
    report = run_cases(PORTABLE, portable_harness, altered, workdir)
    assert report.mismatches == [f"#{victim} rs: {case.label}"]


def test_compare_mode_reads_output_files(portable_harness: Path, quick_cases: list[Case],
                                         workdir: Path) -> None:
    """--compare: a file the harness wrote elsewhere (a board), and one that is not."""
    assert run_cases(PORTABLE, portable_harness, quick_cases, workdir).ok
    written = workdir / f"out-{PORTABLE.name}.bin"
    assert cli.check_file(written, quick_cases).ok
    assert cli.check_file(written, quick_cases[:-1]).error == (
        f"{len(quick_cases)} results for {len(quick_cases) - 1} cases")
    not_output = workdir / f"cases-{portable_harness.name}.bin"
    assert "bad magic" in str(cli.check_file(not_output, quick_cases).error)


@pytest.fixture
def csrc_copy(tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "csrc"
    shutil.copytree(_buildutil.CSRC, copy, ignore=shutil.ignore_patterns("*.o"))
    yield copy


def test_a_broken_portable_kernel_is_caught(csrc_copy: Path, quick_cases: list[Case],
                                            workdir: Path, tmp_path: Path) -> None:
    """A one-token bug in the portable RS register shift (the x86 build uses SSE2 there)."""
    source = csrc_copy / "rs.c"
    good = "reg[l][q] = (reg[l][q] << 8 | reg[l][q + 1] >> 56) ^ row[q];"
    assert good in source.read_text()
    source.write_text(source.read_text().replace(good, good.replace(">> 56", ">> 55")))
    report = run_cases(PORTABLE, targets.build(PORTABLE, tmp_path, csrc_copy), quick_cases,
                       workdir)
    assert report.mismatches
    assert {line.split()[1] for line in report.mismatches} == {"rs:"}


def test_a_compiler_warning_fails_the_build(csrc_copy: Path, tmp_path: Path) -> None:
    for source in csrc_copy.glob("*.c"):
        if source.name != "crc16.c":
            source.unlink()
    crc16 = csrc_copy / "crc16.c"
    crc16.write_text(crc16.read_text() + "\nstatic int never_called(void) { return 0; }\n")
    with pytest.raises(targets.BuildFailure, match="never_called"):
        targets.build(PORTABLE, tmp_path, csrc_copy)


def test_cross_flags_are_buildutils_for_the_board() -> None:
    """pip install on an ARM board passes no x86-only flag; the check adds -Werror."""
    flags = targets.compile_flags(targets.TARGETS["aarch64"])
    assert flags[:4] == ["-O3", "-std=c11", "-Wall", "-Wextra"]
    assert "-fno-strict-aliasing" not in flags
    assert {"-Werror", "-static"} <= set(flags)
    assert "-fno-strict-aliasing" in targets.compile_flags(targets.TARGETS["x86_64"])


@settings(max_examples=40)
@given(st.binary(max_size=64), st.integers(0, 10_000))
def test_harness_rejects_malformed_input(portable_harness: Path, tmp_path_factory:
                                         pytest.TempPathFactory, noise: bytes,
                                         cut: int) -> None:
    """Garbage and truncated inputs end with status 2 and a message, never a crash."""
    valid = encode_input([Case(Op.RS_ENCODE, (32, 1, 1), bytes(223), b"", "zeros"),
                          Case(Op.SECDED_CHECK_IL, (4, 1, 8, 1), bytes(9 * 8), b"", "il")])
    base = tmp_path_factory.getbasetemp()
    for index, data in enumerate((b"ARMCHK01" + noise, valid[: cut % len(valid)])):
        path = base / f"malformed-{index}.bin"
        path.write_bytes(data)
        done = subprocess.run([str(portable_harness), str(path), str(base / "out.bin")],
                              capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode in (0, 2), done.stderr
        if index == 1:  # a truncated file is never accepted
            assert done.returncode == 2 and done.stderr.startswith("harness: ")


@pytest.mark.soak
def test_arm_targets_match_the_host(capsys: pytest.CaptureFixture[str]) -> None:
    """The real check: aarch64 and armhf builds under qemu-user (needs the apt packages)."""
    status = cli.main(["--targets", "aarch64,armhf", "--quick"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "aarch64          OK   arch=aarch64 rs=portable" in out
    assert "armhf            OK   arch=arm rs=portable" in out
