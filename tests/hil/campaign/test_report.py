"""Reports: the JSON parses back to the same trials with consistent counts and intervals,
the Markdown carries the tables, the PNGs are images; the JSON reader refuses anything
else with a ReportError (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.campaign.classify import Observation, Outcome
from hil.campaign.report import ReportError, load_results, summarise, write_report
from hil.campaign.scenario import load_scenario
from hil.campaign.stats import wilson
from hil.campaign.trial import TrialResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_report_files_round_trip(smoke_results: list[TrialResult], tmp_path: Path) -> None:
    scenario = load_scenario("smoke")
    paths = write_report(scenario, smoke_results, tmp_path / "out", jobs=2, wall_s=1.5)
    document = json.loads(paths["json"].read_text())
    assert document["scenario"]["name"] == "smoke" and document["jobs"] == 2
    summary = document["summary"]
    assert summary["trials"] == 4 and sum(summary["counts"].values()) == 4
    assert set(summary["counts"]) == {str(outcome) for outcome in Outcome}
    for name, count in summary["counts"].items():
        expected = wilson(count, 4)
        assert summary["intervals"][name]["low"] == pytest.approx(expected.low)
        assert summary["intervals"][name]["high"] == pytest.approx(expected.high)
    assert set(summary["by_scrub_period"]) == {"120", "600"}
    assert summary["totals"]["upset_bits"] == sum(r.observation.upset_bits
                                                  for r in smoke_results)
    reread = load_results(paths["json"])
    assert [r.as_dict() for r in reread] == [r.as_dict() for r in smoke_results]
    text = paths["markdown"].read_text()
    assert "| outcome | trials | share | 95 % Wilson interval |" in text
    assert text.count("\n| 120 |") == 1 and "errors-over-time.png" in text
    for key in ("timeline", "scrub", "outcomes"):
        assert paths[key].read_bytes()[:8] == PNG_SIGNATURE
        image = matplotlib.image.imread(paths[key])
        assert image.shape[0] > 100 and image.shape[1] > 100


def test_summary_of_made_up_trials() -> None:
    results = [TrialResult(i, 60.0 if i % 2 else 600.0, outcome, "fake", seen)
               for i, (outcome, seen) in enumerate([
                   (Outcome.DUE, Observation(lost_objects=1)),
                   (Outcome.DUE, Observation(reported_errors=1)),
                   (Outcome.MASKED, Observation(upset_bits=4)),
                   (Outcome.CORRECTED, Observation(upset_bits=2, corrected_words=2))])]
    summary = summarise(results)
    assert summary.counts[Outcome.DUE] == 2 and summary.due == {"repaired": 1, "lost": 1}
    assert summary.by_scrub_period[60.0]["share_" + Outcome.DUE] == 0.5
    assert summary.by_scrub_period[600.0]["mean_upset_bits"] == 2.0


def test_a_missing_or_foreign_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReportError):
        load_results(tmp_path / "none.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": 99, "trials": []}))
    with pytest.raises(ReportError, match="version"):
        load_results(other)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(
                        ["version", "trials", "index", "outcome", "observation", "tally",
                         "timeline", "wall_s", "backend", "scrub_period_s"]), inner,
                        max_size=6), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(document=st.one_of(JSON, st.builds(lambda trials: {"version": 1, "trials": trials},
                                          st.lists(JSON, max_size=2))))
def test_fuzz_reader_refuses_or_reads(document: object, tmp_path_factory:
                                      pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "report.json"
    path.write_text(json.dumps(document))
    try:
        results = load_results(path)
    except ReportError:
        return
    assert all(isinstance(result, TrialResult) for result in results)
