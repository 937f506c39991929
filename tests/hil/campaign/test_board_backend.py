"""The board backend end to end: ``flight-sw run`` on a real pty, restarted by its session,
commanded by the ground station from a worker process: uploads and reads by CFDP, a
SHA-256 job, upsets by service 131, each acknowledged by a FAULT_INJECTED event."""

from __future__ import annotations

from hil.campaign.classify import Outcome
from hil.campaign.runner import run_campaign
from hil.campaign.scenario import loads_scenario

BOARD_SCENARIO = """
name = "board-test"
profile = "sso-750"
condition = "worst-day"
duration_s = 4.0
acceleration = 6000.0
trials = 1
seed = 3
backend = "board"
trial_timeout_s = 150.0
[radiation]
regions = { nand = "sram" }
sefi = false
[store]
size_octets = 4194304
scrub_periods_s = [10.0]
[workload]
uploads = 1
object_octets = 2048
jobs = 1
reads = 0
"""


def test_one_board_trial() -> None:
    (result,) = run_campaign(loads_scenario(BOARD_SCENARIO), jobs=1)
    seen, tally = result.observation, result.tally
    assert result.backend == "board" and seen.exception == "" and not seen.timed_out
    assert tally["upset_events"] > 0 and seen.upset_bits >= tally["upset_events"]
    assert tally["events"]["FAULT_INJECTED"] == tally["upset_events"]
    assert tally["reads"] == 1 and tally["jobs_completed"] == 1
    assert seen.wrong_data == 0 and seen.uncommanded_resets == 0
    assert result.outcome in (Outcome.MASKED, Outcome.CORRECTED, Outcome.DUE)
    assert [row[0] for row in result.timeline][-1] == 4.0
