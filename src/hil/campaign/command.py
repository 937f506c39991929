"""``hil campaign FILE [--trials N] [--jobs N] [--out DIR]``: run a fault-injection campaign
and write its report (docs/campaigns.md). FILE is a scenario file or the name of a shipped
scenario (``smoke``, ``sso-750-worst-day``, ``lunar-transit-quiet``, ...)."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

from hil.campaign.report import write_report
from hil.campaign.runner import run_campaign
from hil.campaign.scenario import ScenarioError, load_scenario
from hil.campaign.trial import TrialResult, TrialSetupError

Line = Callable[[str], None]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``hil campaign``."""
    parser.add_argument("file", help="scenario TOML file, or a shipped scenario's name")
    parser.add_argument("--trials", type=int, help="trials to run (default: the scenario's)")
    parser.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1),
                        help="worker processes (default: one per CPU, %(default)s)")
    parser.add_argument("--out", type=Path, help="report directory (default: "
                        "campaign-<scenario name> in the current directory)")


def progress_line(result: TrialResult, done: int, total: int) -> str:
    """One line per finished trial."""
    seen = result.observation
    return (f"[{done}/{total}] trial {result.index}: {result.outcome} "
            f"(scrub {result.scrub_period_s:g} s, {seen.upset_bits} upset bits, "
            f"{seen.corrected_words} corrected, {seen.uncorrectable_words} uncorrectable, "
            f"{seen.uncommanded_resets} resets; {result.wall_s:.1f} s)")


def run(args: argparse.Namespace, line: Line = print) -> int:
    """Run ``hil campaign``: 0 done without silent corruption, 1 with SDC trials, 2 on a
    bad scenario or option or when the bench cannot set a trial up."""
    try:
        scenario = load_scenario(args.file)
    except ScenarioError as exc:
        line(f"hil campaign: {exc}")
        return 2
    if (args.trials is not None and args.trials < 1) or args.jobs < 1:
        line("hil campaign: --trials and --jobs must be >= 1")
        return 2
    out = args.out or Path(f"campaign-{scenario.name}")
    started = time.perf_counter()
    try:
        results = run_campaign(scenario, trials=args.trials, jobs=args.jobs,
                               progress=lambda r, d, t: line(progress_line(r, d, t)))
    except TrialSetupError as exc:
        line(f"hil campaign: stopped: {exc}")
        return 2
    paths = write_report(scenario, results, out, jobs=args.jobs,
                         wall_s=time.perf_counter() - started)
    line(f"report: {paths['markdown']} (JSON {paths['json'].name}, plots "
         f"{', '.join(path.name for key, path in paths.items() if path.suffix == '.png')})")
    silent = sum(result.outcome == "silent-corruption" for result in results)
    return 1 if silent else 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m hil.campaign.command FILE``) until ``hil`` hooks it."""
    parser = argparse.ArgumentParser(prog="hil campaign", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
