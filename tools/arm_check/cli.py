"""``tools/arm_check/run.py``: the ARM build check of the C kernels (docs/bench.md).

Exit status: 0 every target built without a warning and matched the host on every case;
1 a build warning or error, a harness failure, a mismatch, or host paths that disagree;
2 a missing prerequisite (cross compiler or qemu-user; the message names the apt packages).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arm_check import targets, wheels
from arm_check.cases import all_cases
from arm_check.expect import HostDisagreement, host_paths
from arm_check.protocol import Case, HarnessOutput, ProtocolError, encode_input, parse_output

KAT = Path(__file__).resolve().parents[2] / "tests" / "data" / "ccsds_kat.json"
FULL_COUNT = 500
QUICK_COUNT = 24
MAX_LISTED = 20
ARM_ARCHES = ("aarch64", "arm")


@dataclass
class TargetReport:
    """What one target did: its paths, and the labels of the cases it got wrong."""

    name: str
    paths: dict[str, str] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches


def compare(cases: Sequence[Case], output: HarnessOutput, report: TargetReport,
            required_paths: dict[str, str] | None) -> None:
    """Record every case whose result differs, and any required path not active."""
    report.paths = output.paths
    if len(output.results) != len(cases):
        report.error = f"{len(output.results)} results for {len(cases)} cases"
        return
    for index, (case, result) in enumerate(zip(cases, output.results, strict=True)):
        if result != case.expected:
            report.mismatches.append(f"#{index} {case.kernel}: {case.label}")
    for name, path in (required_paths or {}).items():
        if output.paths.get(name) != path:
            report.mismatches.append(f"path {name} is {output.paths.get(name)!r}, not {path!r}")


def check_target(target: targets.Target, cases: Sequence[Case], input_file: Path,
                 workdir: Path) -> TargetReport:
    """Build, run and compare one target."""
    report = TargetReport(target.name)
    try:
        executable = targets.build(target, workdir)
        output = targets.run(target, executable, input_file, workdir)
    except (targets.BuildFailure, targets.RunFailure) as exc:
        report.error = str(exc)
    else:
        compare(cases, output, report, target.required_paths)
    return report


def check_file(path: Path, cases: Sequence[Case]) -> TargetReport:
    """Compare an output file the harness wrote elsewhere (on a real board, say)."""
    report = TargetReport(path.name)
    try:
        output = parse_output(path.read_bytes())
    except (OSError, ProtocolError) as exc:
        report.error = str(exc)
        return report
    arm = output.paths.get("arch") in ARM_ARCHES
    compare(cases, output, report, targets.PORTABLE if arm else None)
    return report


def print_summary(cases: Sequence[Case], reports: Sequence[TargetReport]) -> None:
    per_kernel = Counter(case.kernel for case in cases)
    kats = sum(case.label.startswith("kat:") for case in cases)
    print(f"cases: {len(cases)} ({kats} from known-answer vectors); per kernel: "
          + ", ".join(f"{kernel} {count}" for kernel, count in sorted(per_kernel.items())))
    print(f"host wrappers (expectations): {host_paths()}")
    for report in reports:
        status = "OK" if report.ok else "FAIL"
        paths = " ".join(f"{key}={value}" for key, value in report.paths.items())
        print(f"{report.name:16} {status:4} {paths}")
        if report.error:
            print(f"    {report.error}")
        if report.name == "x86_64" and report.mismatches:
            print("    the host's own build of these sources disagrees with the installed "
                  "wrappers: are the kernels stale? (make kernels)")
        for line in report.mismatches[:MAX_LISTED]:
            print(f"    mismatch {line}")
        if len(report.mismatches) > MAX_LISTED:
            print(f"    ... {len(report.mismatches) - MAX_LISTED} more mismatches")


def check_wheels(pythons: Sequence[str]) -> None:
    """Print, per runtime dependency, the wheel found for each board platform (or none)."""
    for requirement in wheels.runtime_requirements():
        for platform in wheels.PLATFORMS:
            for python in pythons:
                result = wheels.find_wheel(requirement, platform, python)
                found = result.wheel or "no binary wheel on the indexes reached: builds there"
                if result.unreachable:
                    found += f" (unreachable, not consulted: {', '.join(result.unreachable)})"
                print(f"wheel {requirement:20} {platform:8} py{python}: {found}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default=",".join(targets.TARGETS),
                        help="comma-separated targets (default: all: %(default)s)")
    parser.add_argument("--seed", type=int, default=20261121,
                        help="seed of the random cases (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_COUNT} random trials per kernel family, not {FULL_COUNT}")
    parser.add_argument("--wheels", action="store_true",
                        help="also look up aarch64/armv7l wheels of the runtime dependencies")
    parser.add_argument("--python", action="append", default=None,
                        help="board Python version for --wheels (repeatable; default 3.11)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep cases.bin, harness-<target> and out-<target>.bin in DIR")
    parser.add_argument("--compare", type=Path, nargs="+", metavar="OUT",
                        help="build nothing: compare harness output files written elsewhere "
                             "(e.g. on a board: ./harness-aarch64 cases.bin OUT)")
    return parser.parse_args(argv)


def chosen_targets(spec: str) -> list[targets.Target]:
    """The targets named in ``spec``; ValueError for an unknown name."""
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if unknown := [name for name in names if name not in targets.TARGETS]:
        raise ValueError(f"unknown targets {unknown}; known: {list(targets.TARGETS)}")
    return [targets.TARGETS[name] for name in names]


def run_targets(chosen: Sequence[targets.Target], cases: Sequence[Case],
                workdir: Path) -> list[TargetReport]:
    input_file = workdir / "cases.bin"
    input_file.write_bytes(encode_input(list(cases)))
    return [check_target(target, cases, input_file, workdir) for target in chosen]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        chosen = chosen_targets(args.targets)
    except ValueError as exc:
        print(exc)
        return 2
    missing = [target for target in chosen if targets.missing_tools(target)]
    if missing and not args.compare:
        packages = sorted({package for target in missing for package in target.apt})
        print(f"missing tools for {[t.name for t in missing]}: "
              f"apt-get install -y {' '.join(packages)}")
        return 2
    kat: dict[str, Any] = json.loads(KAT.read_text())
    try:
        cases = all_cases(args.seed, QUICK_COUNT if args.quick else FULL_COUNT, kat)
    except HostDisagreement as exc:
        print(f"FAIL on the host, before any ARM build: {exc}")
        return 1
    if args.compare:
        reports = [check_file(path, cases) for path in args.compare]
    elif args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        reports = run_targets(chosen, cases, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="arm-check-") as tmp:
            reports = run_targets(chosen, cases, Path(tmp))
    print_summary(cases, reports)
    if args.wheels:
        check_wheels(args.python or ["3.11"])
    ok = all(report.ok for report in reports)
    print("ARM check: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1
