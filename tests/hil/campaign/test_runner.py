"""The runner: trials in worker processes, deterministic per trial seed; a trial past its
deadline is a hang, a worker that dies is a crash, an exception is a crash; the others are
unaffected."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hil.campaign.classify import Outcome
from hil.campaign.inprocess import run_inprocess
from hil.campaign.runner import TrialRunner, trial_specs
from hil.campaign.scenario import load_scenario
from hil.campaign.trial import TrialResult, TrialSetupError
from tests.hil.campaign import trial_functions
from tests.hil.campaign.trial_functions import DYING, HANGING, RAISING


def test_smoke_campaign_end_to_end(smoke_results: list[TrialResult]) -> None:
    assert [result.index for result in smoke_results] == [0, 1, 2, 3]
    assert [result.scrub_period_s for result in smoke_results] == [120.0, 600.0] * 2
    for result in smoke_results:
        seen = result.observation
        assert result.backend == "inprocess" and not seen.exception and not seen.timed_out
        assert seen.upset_bits > 0  # two days at worst-day rates hit a 1 MiB store
        assert seen.wrong_data == 0  # the store never returns damaged octets (docs/icd.md)
        assert seen.corrected_words <= seen.upset_bits
        assert len(result.timeline) == 21 and result.timeline[-1][0] == 900.0
        cumulative = [row[1] for row in result.timeline]
        assert cumulative == sorted(cumulative) and cumulative[-1] == seen.upset_bits
        if seen.uncommanded_resets:
            assert result.outcome is Outcome.CRASH
            assert result.tally["events"]["WATCHDOG_RESET"] == seen.uncommanded_resets
            assert result.tally["sefis"] >= seen.uncommanded_resets


def test_a_trial_is_the_same_in_a_pool_and_alone(smoke_results: list[TrialResult]) -> None:
    spec = trial_specs(load_scenario("smoke"))[2]
    alone = run_inprocess(spec)
    assert alone.observation == smoke_results[2].observation
    assert alone.timeline == smoke_results[2].timeline


def test_trials_override_and_progress() -> None:
    seen: list[tuple[int, int, int]] = []
    runner = TrialRunner(trial_functions.behave, jobs=2, timeout_s=60.0,
                         progress=lambda r, done, total: seen.append((r.index, done, total)))
    scenario = replace(load_scenario("smoke"), trials=50)
    specs = [spec for spec in trial_specs(scenario, 9) if spec.index not in (1, 2, 3)]
    results = runner.run(specs)
    assert [r.observation.corrected_words for r in results] == [0, 4, 5, 6, 7, 8]
    assert sorted(done for _, done, _ in seen) == list(range(1, 7))
    assert {total for _, _, total in seen} == {6}


def test_hang_crash_and_exception_are_classified() -> None:
    runner = TrialRunner(trial_functions.behave, jobs=2, timeout_s=6.0)
    results = runner.run(trial_specs(load_scenario("smoke"), 5))
    outcome = {result.index: result.outcome for result in results}
    assert outcome[HANGING] is Outcome.HANG
    assert outcome[DYING] is Outcome.CRASH
    assert "died" in results[DYING].observation.exception
    assert outcome[RAISING] is Outcome.CRASH
    assert "ValueError: bad trial" in results[RAISING].observation.exception
    for index in (0, 4):  # the others ran to their end, whatever happened beside them
        expected = Outcome.CORRECTED if index else Outcome.MASKED
        assert outcome[index] is expected
        assert trial_functions.observed(results[index]).corrected_words == index


def test_a_bench_that_cannot_set_trials_up_stops_the_campaign() -> None:
    runner = TrialRunner(trial_functions.cannot_start, jobs=2, timeout_s=60.0)
    with pytest.raises(TrialSetupError, match="no bench"):
        runner.run(trial_specs(load_scenario("smoke"), 4))


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="jobs"):
        TrialRunner(trial_functions.behave, jobs=0, timeout_s=1.0)
