"""The outcome rules, table-driven: one label per trial, the most severe observation wins."""

from __future__ import annotations

import pytest

from hil.campaign.classify import SEVERITY, Observation, Outcome, classify, due_kind

CASES = [
    ("no upset at all", Observation(), Outcome.MASKED),
    ("upsets, nothing seen", Observation(upset_bits=12), Outcome.MASKED),
    ("EDAC corrected", Observation(upset_bits=3, corrected_words=3), Outcome.CORRECTED),
    ("uncorrectable word reported", Observation(upset_bits=3, corrected_words=1,
                                                uncorrectable_words=1), Outcome.DUE),
    ("block repaired event", Observation(reported_errors=1), Outcome.DUE),
    ("object lost", Observation(lost_objects=1, uncorrectable_words=4), Outcome.DUE),
    ("watchdog reset", Observation(uncommanded_resets=1, corrected_words=5), Outcome.CRASH),
    ("exception", Observation(exception="KeyError: 'x'"), Outcome.CRASH),
    ("crash with lost data", Observation(uncommanded_resets=1, lost_objects=2), Outcome.CRASH),
    ("wrong data", Observation(wrong_data=1, corrected_words=9), Outcome.SDC),
    ("wrong data and a crash", Observation(wrong_data=1, uncommanded_resets=1), Outcome.SDC),
    ("deadline passed", Observation(timed_out=True), Outcome.HANG),
    ("deadline passed after SDC", Observation(timed_out=True, wrong_data=2), Outcome.HANG),
]


@pytest.mark.parametrize(("why", "seen", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rules(why: str, seen: Observation, expected: Outcome) -> None:
    assert classify(seen) is expected, why


def test_severity_lists_every_class_once() -> None:
    assert sorted(SEVERITY) == sorted(Outcome)


def test_every_class_is_reachable() -> None:
    assert {expected for _, _, expected in CASES} == set(Outcome)


@pytest.mark.parametrize(("seen", "kind"), [
    (Observation(lost_objects=1), "lost"),
    (Observation(reported_errors=2), "repaired"),
    (Observation(uncorrectable_words=1), "repaired"),
])
def test_due_split(seen: Observation, kind: str) -> None:
    assert classify(seen) is Outcome.DUE
    assert due_kind(seen) == kind
