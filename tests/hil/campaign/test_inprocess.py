"""The in-process backend: each fault path reaches its outcome (SEFI -> watchdog reset ->
crash, latch-up -> FDIR power cycle -> DUE, upsets in memory the software does not use ->
masked), and the read-back check tells wrong octets and lost objects apart."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np

from flight_sw.storage.api import DataLostError
from hil.campaign.classify import Outcome
from hil.campaign.inprocess import _read_pass, run_inprocess
from hil.campaign.scenario import Scenario, Workload
from hil.campaign.trial import Plan, Tally, TrialSpec, Upload, plan

SMALL = Workload(uploads=2, object_octets=2048, jobs=1, reads=1)


def _scenario(**values: object) -> Scenario:
    base = Scenario(name="t", profile="geo", condition="peak", duration_s=600.0,
                    storage_octets=1 << 20, workload=SMALL, seed=11)
    return Scenario(**{**base.__dict__, **values})


def test_sefis_hang_the_software_until_the_watchdog_resets_it() -> None:
    scenario = _scenario(acceleration=100.0, regions={"sram": "sram"}, sefi=True)
    result = run_inprocess(TrialSpec(scenario, 0))
    seen, tally = result.observation, result.tally
    assert tally["sefis"] >= 1 and seen.uncommanded_resets >= 1
    assert tally["events"]["BOOT"] == seen.uncommanded_resets + 1
    assert tally["events"]["WATCHDOG_RESET"] == seen.uncommanded_resets
    assert result.outcome is Outcome.CRASH
    assert seen.wrong_data == 0 and seen.lost_objects == 0  # the store survives resets


def test_latch_up_is_detected_and_power_cycled() -> None:
    scenario = _scenario(profile="lunar-transit", condition="quiet", acceleration=5e5,
                         regions={"sram": "sram"}, latchup_regions=("sram",), sefi=False)
    result = run_inprocess(TrialSpec(scenario, 0))
    seen, tally = result.observation, result.tally
    assert tally["latchups"] >= 1
    assert tally["events"]["LATCH_UP_DETECTED"] >= 1
    assert tally["events"]["BOOT"] >= 2 and seen.uncommanded_resets == 0
    assert result.outcome is Outcome.DUE and result.due_kind == "repaired"


def test_upsets_in_unused_memory_are_masked() -> None:
    scenario = _scenario(profile="sso-750", condition="worst-day", acceleration=1e5,
                         regions={"dram": "dram"}, sefi=False)
    result = run_inprocess(TrialSpec(scenario, 0))
    assert result.observation.upset_bits > 0
    assert result.observation.corrected_words == 0
    assert result.outcome is Outcome.MASKED


class _Store:
    """A stand-in for the object store's read path only: returns set octets or raises
    DataLostError; models nothing else (no EDAC, no catalogue)."""

    def __init__(self, contents: dict[str, bytes | None]) -> None:
        self.contents = contents

    def get(self, name: str) -> bytes:
        data = self.contents[name]
        if data is None:
            raise DataLostError(name)
        return data


def test_read_back_counts_wrong_octets_and_lost_objects() -> None:
    uploads = (Upload("a", b"alpha"), Upload("b", b"bravo"), Upload("c", b"charlie"))
    work = Plan(uploads, (), (1.0,))
    store = _Store({"a": b"alpha", "b": b"bravO", "c": None})
    payload = SimpleNamespace(fsw=SimpleNamespace(store=store))
    tally, lost = Tally(), set[str]()
    _read_pass(payload, work, tally, lost)  # type: ignore[arg-type]
    assert (tally.reads, tally.wrong_data, lost) == (3, 1, {"c"})
    assert tally.observation().wrong_data == 1


def test_the_plan_is_seeded() -> None:
    scenario = _scenario()
    first = plan(scenario, np.random.default_rng(5))
    again = plan(scenario, np.random.default_rng(5))
    assert first == again and len(first.uploads) == 2
    assert first.read_times == (300.0, 600.0) and first.job_times == (300.0,)
    assert first.uploads[0].digest == hashlib.sha256(first.uploads[0].data).digest()
