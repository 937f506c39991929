"""Campaign reports: JSON (every trial and the summary), Markdown, and PNG plots drawn with
matplotlib's Agg backend (no display): error counts over time, the scrub effect (corrected
words and DUE share against the patrol period), and the outcome distribution with 95 %
Wilson intervals (docs/campaigns.md, "Reading a report")."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from hil.campaign.classify import Outcome
from hil.campaign.scenario import Scenario
from hil.campaign.stats import Proportion, proportions, wilson
from hil.campaign.trial import TrialResult

JSON_NAME, MARKDOWN_NAME = "campaign.json", "campaign.md"
PLOTS = {"timeline": "errors-over-time.png", "scrub": "scrub-effect.png",
         "outcomes": "outcomes.png"}
REPORT_VERSION = 1


class ReportError(ValueError):
    """A report file that cannot be read back."""


@dataclass(frozen=True)
class Summary:
    """What a campaign found, over all its trials."""

    trials: int
    counts: dict[str, int]
    intervals: dict[str, Proportion]
    due: dict[str, int]
    """DUE trials split into ``repaired`` and ``lost``."""
    by_scrub_period: dict[float, dict[str, float]]
    totals: dict[str, int]
    wall_s: float


def summarise(results: list[TrialResult], wall_s: float = 0.0) -> Summary:
    """Counts, Wilson intervals (95 %), the DUE split and per-period figures."""
    counts = Counter(str(result.outcome) for result in results)
    classes = [str(outcome) for outcome in Outcome]
    due = Counter(result.due_kind for result in results if result.outcome is Outcome.DUE)
    periods: dict[float, dict[str, float]] = {}
    for period in sorted({result.scrub_period_s for result in results}):
        group = [result for result in results if result.scrub_period_s == period]
        periods[period] = {
            "trials": len(group),
            "mean_upset_bits": float(np.mean([r.observation.upset_bits for r in group])),
            "mean_corrected_words": float(np.mean([r.observation.corrected_words
                                                   for r in group])),
            "mean_uncorrectable_words": float(np.mean([r.observation.uncorrectable_words
                                                       for r in group])),
            "mean_latent_words": float(np.mean([
                r.tally.get("latent_corrected_words", 0)
                + r.tally.get("latent_uncorrectable_words", 0) for r in group])),
            **{f"share_{name}": sum(str(r.outcome) == name for r in group) / len(group)
               for name in classes}}
    fields = ("upset_bits", "corrected_words", "uncorrectable_words", "reported_errors",
              "lost_objects", "wrong_data", "uncommanded_resets")
    totals = {name: sum(int(getattr(r.observation, name)) for r in results) for name in fields}
    return Summary(len(results), {name: counts.get(name, 0) for name in classes},
                   proportions(counts, classes), {"repaired": due.get("repaired", 0),
                                                  "lost": due.get("lost", 0)},
                   periods, totals, wall_s)


def report_dict(scenario: Scenario, results: list[TrialResult], *, jobs: int,
                wall_s: float) -> dict[str, Any]:
    """The JSON document of a campaign."""
    summary = summarise(results, wall_s)
    scenario_dict = asdict(scenario)
    scenario_dict["regions"] = dict(scenario.regions)
    return {
        "version": REPORT_VERSION, "scenario": scenario_dict, "jobs": jobs,
        "summary": {"trials": summary.trials, "counts": summary.counts,
                    "intervals": {name: {"estimate": p.estimate, "low": p.low, "high": p.high,
                                         "confidence": p.confidence}
                                  for name, p in summary.intervals.items()},
                    "due": summary.due, "totals": summary.totals, "wall_s": summary.wall_s,
                    "by_scrub_period": {f"{period:g}": values for period, values
                                        in summary.by_scrub_period.items()}},
        "trials": [result.as_dict() for result in results]}


def load_results(path: str | Path) -> list[TrialResult]:
    """The trials of a JSON report written by :func:`write_report`."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
        if document.get("version") != REPORT_VERSION:
            raise ReportError(f"{path}: report version {document.get('version')!r}")
        return [TrialResult.from_dict(trial) for trial in document["trials"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportError(f"{path}: {exc}") from exc


def markdown(scenario: Scenario, summary: Summary, *, jobs: int) -> str:
    """The human-readable report."""
    lines = [f"# Campaign `{scenario.name}`", "", scenario.description, "",
             f"Profile `{scenario.profile}` ({scenario.condition}), {summary.trials} trials of "
             f"{scenario.duration_s:g} s at flux x{scenario.acceleration:g} "
             f"({scenario.exposure_s / 86_400:.2f} days of exposure each), backend "
             f"`{scenario.backend}`, {jobs} processes, {summary.wall_s:.1f} s wall.", "",
             "| outcome | trials | share | 95 % Wilson interval |", "|---|---:|---:|---|"]
    for name, interval in summary.intervals.items():
        lines.append(f"| {name} | {summary.counts[name]} | {100 * interval.estimate:.1f} % | "
                     f"{100 * interval.low:.1f} - {100 * interval.high:.1f} % |")
    lines += ["", f"DUE split: {summary.due['repaired']} repaired, {summary.due['lost']} lost.",
              "", "| scrub period (s) | trials | mean upset bits | mean corrected words | "
              "mean uncorrectable words | mean latent words | DUE share | SDC share |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for period, values in summary.by_scrub_period.items():
        lines.append(f"| {period:g} | {int(values['trials'])} | {values['mean_upset_bits']:.1f}"
                     f" | {values['mean_corrected_words']:.1f} | "
                     f"{values['mean_uncorrectable_words']:.2f} | "
                     f"{values['mean_latent_words']:.1f} | "
                     f"{100 * values['share_' + Outcome.DUE]:.1f} % | "
                     f"{100 * values['share_' + Outcome.SDC]:.1f} % |")
    totals = ", ".join(f"{name.replace('_', ' ')} {value}"
                       for name, value in summary.totals.items())
    lines += ["", f"Totals: {totals}.", "",
              "Plots: " + ", ".join(f"![{key}]({name})" for key, name in PLOTS.items()), ""]
    return "\n".join(lines)


def _plot_timeline(results: list[TrialResult], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 4))
    rows = [np.array(r.timeline, dtype=float) for r in results if r.timeline]
    if rows:
        length = min(len(row) for row in rows)
        stacked = np.stack([row[:length] for row in rows])
        times = stacked[0, :, 0]
        for column, label in ((1, "upset bits"), (2, "corrected words"),
                              (3, "uncorrectable words")):
            axes.plot(times, stacked[:, :, column].mean(axis=0), label=label)
        axes.legend()
    axes.set_xlabel("bench time in the trial (s)")
    axes.set_ylabel("cumulative count, mean over trials")
    axes.set_title("Error counts over time")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _plot_scrub(summary: Summary, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 4))
    periods = list(summary.by_scrub_period)
    values = list(summary.by_scrub_period.values())
    axes.plot(periods, [v["mean_corrected_words"] for v in values], "o-",
              label="corrected words / trial")
    axes.plot(periods, [v["mean_uncorrectable_words"] for v in values], "s-",
              label="uncorrectable words / trial")
    axes.plot(periods, [v["mean_latent_words"] for v in values], "d:",
              label="latent words at the end / trial")
    axes.set_xscale("log")
    axes.set_xticks(periods, [f"{period:g}" for period in periods])
    axes.minorticks_off()
    axes.set_yscale("symlog", linthresh=1.0)
    top = max([1.0, *(v[key] for v in values for key in (
        "mean_corrected_words", "mean_uncorrectable_words", "mean_latent_words"))])
    axes.set_ylim(0.0, top * 3)
    axes.set_xlabel("base patrol scrub period (s)")
    axes.set_ylabel("mean per trial (symlog)")
    share = axes.twinx()
    due = [wilson(round(v["share_" + Outcome.DUE] * v["trials"]), int(v["trials"]))
           for v in values]
    estimate = np.array([100 * p.estimate for p in due])
    share.errorbar(periods, estimate, yerr=[estimate - [100 * p.low for p in due],
                                            [100 * p.high for p in due] - estimate],
                   fmt="^--", color="red", capsize=4, label="DUE trials (%), 95 % CI")
    share.set_ylim(bottom=0)
    share.set_ylabel("DUE trials (%)")
    lines = axes.get_legend_handles_labels()
    more = share.get_legend_handles_labels()
    axes.legend(lines[0] + more[0], lines[1] + more[1])
    axes.set_title("Scrub effect")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _plot_outcomes(summary: Summary, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 4))
    names = list(summary.intervals)
    estimate = np.array([summary.intervals[n].estimate for n in names]) * 100
    low = np.array([summary.intervals[n].low for n in names]) * 100
    high = np.array([summary.intervals[n].high for n in names]) * 100
    axes.bar(names, estimate, yerr=[estimate - low, high - estimate], capsize=4)
    axes.set_ylabel("share of trials (%), 95 % Wilson interval")
    axes.set_title(f"Outcomes of {summary.trials} trials")
    axes.tick_params(axis="x", labelrotation=20)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_report(scenario: Scenario, results: list[TrialResult], out_dir: str | Path, *,
                 jobs: int, wall_s: float) -> dict[str, Path]:
    """Write the JSON, Markdown and PNG files into ``out_dir``; their paths by kind."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    summary = summarise(results, wall_s)
    paths = {"json": folder / JSON_NAME, "markdown": folder / MARKDOWN_NAME,
             **{key: folder / name for key, name in PLOTS.items()}}
    paths["json"].write_text(json.dumps(report_dict(scenario, results, jobs=jobs,
                                                    wall_s=wall_s), indent=1), "utf-8")
    paths["markdown"].write_text(markdown(scenario, summary, jobs=jobs), "utf-8")
    _plot_timeline(results, paths["timeline"])
    _plot_scrub(summary, paths["scrub"])
    _plot_outcomes(summary, paths["outcomes"])
    return paths
