"""Scenario files: the shipped ones load, every malformed key is a ScenarioError naming it,
and the loader never fails otherwise (hypothesis)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.campaign.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    loads_scenario,
    parse_scenario,
    scenario_names,
)

VALID: dict[str, Any] = {
    "name": "t", "profile": "leo-550", "condition": "worst-day", "duration_s": 600.0,
    "acceleration": 10.0, "trials": 3, "seed": 4,
    "radiation": {"regions": {"nand": "sram", "dram": "dram"}, "latchup_regions": ["dram"],
                  "sefi": False},
    "store": {"size_octets": 1 << 20, "scrub_periods_s": [60, 600.5]},
    "link": {"model": "ideal"},
    "workload": {"uploads": 2, "object_octets": 100, "jobs": 0, "reads": 3},
}


def test_shipped_scenarios_load() -> None:
    names = scenario_names()
    assert {"smoke", "sso-750-worst-day", "lunar-transit-quiet"} <= set(names)
    for name in names:
        assert load_scenario(name).name == name
    smoke = load_scenario("smoke")
    assert smoke.trials == 4 and smoke.scrub_periods_s == (120.0, 600.0)


def test_a_valid_table_gives_its_values() -> None:
    scenario = parse_scenario(VALID)
    assert scenario.profile == "leo-550" and scenario.regions == {"nand": "sram",
                                                                  "dram": "dram"}
    assert scenario.latchup_regions == ("dram",) and scenario.sefi is False
    assert scenario.scrub_periods_s == (60.0, 600.5)
    assert [scenario.scrub_period_of(i) for i in range(3)] == [60.0, 600.5, 60.0]
    assert scenario.exposure_s == 6000.0
    assert scenario.workload.reads == 3 and scenario.workload.jobs == 0


def test_defaults_fill_what_is_left_out() -> None:
    scenario = parse_scenario({"name": "n", "profile": "geo"})
    assert scenario == Scenario(name="n", profile="geo")


def _with(path: str, value: object) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    table = data
    for key in parents:
        table = table[key]
    table[last] = value
    return data


@pytest.mark.parametrize(("path", "value", "named"), [
    ("name", "", "name"),
    ("profile", "mars", "profile"),
    ("condition", "stormy", "condition"),
    ("duration_s", 0, "duration_s"),
    ("duration_s", float("inf"), "duration_s"),
    ("acceleration", -1.0, "acceleration"),
    ("acceleration", True, "acceleration"),
    ("trials", 0, "trials"),
    ("trials", 2.5, "trials"),
    ("seed", -1, "seed"),
    ("backend", "cloud", "backend"),
    ("step_s", 3600.0, "step_s"),
    ("radiation.regions", {"flash": "sram"}, "flash"),
    ("radiation.regions", {"nand": "rram"}, "nand"),
    ("radiation.regions", {}, "regions"),
    ("radiation.latchup_regions", ["sram"], "latchup_regions"),
    ("radiation.sefi", "yes", "sefi"),
    ("store.size_octets", 1000, "size_octets"),
    ("store.size_octets", 512 << 10, "size_octets"),
    ("store.size_octets", (1 << 20) + 4, "size_octets"),
    ("store.scrub_periods_s", [], "scrub_periods_s"),
    ("store.scrub_periods_s", [5.0], "scrub_periods_s"),
    ("store.scrub_periods_s", [100_000.0], "scrub_periods_s"),
    ("link.model", "laser", "model"),
    ("workload.uploads", 0, "uploads"),
    ("workload.object_octets", 0, "object_octets"),
    ("workload", [], "workload"),
    ("store.extra", 1, "extra"),
    ("typo", 1, "typo"),
])
def test_bad_values_name_their_key(path: str, value: object, named: str) -> None:
    with pytest.raises(ScenarioError, match=named):
        parse_scenario(_with(path, value))


def test_unreadable_files_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [")
    with pytest.raises(ScenarioError, match="TOML"):
        load_scenario(broken)


def test_a_directory_of_a_shipped_name_does_not_hide_it(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "smoke").mkdir()  # e.g. an output directory of an earlier run
    monkeypatch.chdir(tmp_path)
    assert load_scenario("smoke").name == "smoke"


def test_a_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\nprofile = "iss-420"\ntrials = 9\n[workload]\nreads = 0\n')
    scenario = load_scenario(path)
    assert (scenario.name, scenario.trials, scenario.workload.reads) == ("mine", 9, 0)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_any_text_loads_or_is_refused(text: str) -> None:
    try:
        scenario = loads_scenario(text)
    except ScenarioError:
        return
    assert isinstance(scenario, Scenario)


TOML_VALUES = st.recursive(
    st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["nand", "sram", "x", "model"]), inner, max_size=3),
    max_leaves=6)
PATHS = ["name", "profile", "condition", "duration_s", "acceleration", "trials", "seed",
         "backend", "trial_timeout_s", "step_s", "radiation", "radiation.regions",
         "radiation.latchup_regions", "radiation.sefi", "store", "store.size_octets",
         "store.scrub_periods_s", "link", "link.model", "workload", "workload.uploads",
         "workload.object_octets", "workload.jobs", "workload.reads"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), TOML_VALUES), min_size=1, max_size=3))
def test_fuzz_mutated_tables_load_or_are_refused(changes: list[tuple[str, object]]) -> None:
    data = copy.deepcopy(VALID)
    for path, value in changes:
        parent = data
        *parents, last = path.split(".")
        for key in parents:
            if not isinstance(parent.get(key), dict):
                parent[key] = {}
            parent = parent[key]
        parent[last] = value
    try:
        scenario = parse_scenario(data)
    except ScenarioError:
        return
    assert scenario.trials >= 1 and scenario.duration_s > 0
    assert all(period >= 10 for period in scenario.scrub_periods_s)


def test_shipped_files_are_plain_toml() -> None:
    folder = Path(__file__).parents[3] / "src" / "hil" / "campaign" / "scenarios"
    for path in folder.glob("*.toml"):
        assert tomllib.loads(path.read_text())["name"] == path.stem
