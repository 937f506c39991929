"""Shared fixtures: the shipped smoke campaign, run once per session."""

from __future__ import annotations

import pytest

from hil.campaign.runner import run_campaign
from hil.campaign.scenario import load_scenario
from hil.campaign.trial import TrialResult


@pytest.fixture(scope="session")
def smoke_results() -> list[TrialResult]:
    """The shipped smoke campaign (4 in-process trials) in two worker processes."""
    return run_campaign(load_scenario("smoke"), jobs=2)
