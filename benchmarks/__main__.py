"""Run the benchmarks, print a table and write ``benchmarks/results.json``.

    python -m benchmarks [--only SUBSTRING] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

from benchmarks.harness import Figure, Recorder

HERE = Path(__file__).resolve().parent


def _modules(only: str | None) -> list[str]:
    names = sorted(path.stem for path in HERE.glob("bench_*.py"))
    return [name for name in names if only is None or only in name]


def _format(figure: Figure) -> str:
    met = {None: "-", True: "yes", False: "NO"}[figure.met]
    sense = ">=" if figure.higher_is_better else "<="
    target = "-" if figure.target is None else f"{sense} {figure.target:g}"
    peer = "-"
    if figure.peer is not None and figure.ratio is not None:
        peer = f"{figure.peer}: {figure.peer_value:.4g} ({figure.ratio:.2f}x)"
    return f"{figure.name:<52} {figure.value:>12.4g} {figure.unit:<9} {target:<12} {met:<4} {peer}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", help="run only modules whose name contains this")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for smoke tests")
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)

    recorder = Recorder(quick=args.quick)
    failures = []
    print(f"{'figure':<52} {'value':>12} {'unit':<9} {'target':<12} {'met':<4} peer (ratio)")
    for name in _modules(args.only):
        before = len(recorder.figures)
        try:
            importlib.import_module(f"benchmarks.{name}").run(recorder)
        except Exception:  # a broken benchmark is reported, the others still run
            failures.append(name)
            traceback.print_exc()
        for figure in recorder.figures[before:]:
            print(_format(figure), flush=True)

    document = {
        "machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                    "processor": platform.processor() or platform.machine()},
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "figures": [figure.as_dict() for figure in recorder.figures],
        "failed_modules": failures,
    }
    args.json.write_text(json.dumps(document, indent=1))
    missed = [f.name for f in recorder.figures if f.met is False]
    print(f"\n{len(recorder.figures)} figures, {len(missed)} below target, "
          f"{len(failures)} modules failed; written to {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
