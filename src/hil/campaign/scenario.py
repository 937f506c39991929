"""Campaign scenario files (TOML): what to expose, to what, how often, and how to run it.

A scenario names a mission profile and solar condition (``src/hil/profiles``), the memory
regions the environment hits (each with the memory type whose rates it takes), the trial
length on the bench clock and the flux acceleration, the workload every trial runs (uploads,
compute jobs, read-back passes), the patrol-scrub periods the trials are spread over, the
number of trials and the campaign seed. Anything malformed is a :class:`ScenarioError`
naming the key: unknown keys too, so a typo never silently falls back to a default.
The outcome classes follow PROFILES.md ("Fault-injection campaigns") and the fault model
ECSS-Q-ST-60-15C; see docs/campaigns.md.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hil.profiles import CONDITIONS, MEMORY_TYPES, profile_names

BACKENDS = ("inprocess", "board")
"""Trial runners: the payload in the worker process on a simulated clock (default), or
``flight-sw run`` behind a pty commanded by the ground station in real time."""
BOARD_REGIONS = ("sram", "dram", "nand")
"""Regions of the emulated board (docs/icd.md section 13); ``nand`` holds the object store."""
MAX_TRIALS = 1_000_000
BOARD_MIN_STORAGE = 4 << 20
"""``flight-sw run`` formats its store with the flight catalogue (4096 objects): about
2.5 MiB of metadata, so the board backend needs a larger region."""


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names the key."""


@dataclass(frozen=True)
class Workload:
    """What every trial does with the payload."""

    uploads: int = 4
    """Objects stored at the start of the trial (seeded content, SHA-256 kept aside)."""
    object_octets: int = 16_384
    jobs: int = 2
    """SHA-256 compute jobs (service 129) over the uploaded objects, spread over the trial."""
    reads: int = 1
    """Read-back passes of every object during the trial (one more always ends it)."""


@dataclass(frozen=True)
class Scenario:
    """One campaign, as read from its TOML file (see docs/campaigns.md for each key)."""

    name: str
    profile: str
    condition: str = "quiet"
    description: str = ""
    duration_s: float = 3600.0
    """Bench-clock seconds of one trial (simulated on the in-process backend)."""
    acceleration: float = 1000.0
    """Flux multiplier: a trial delivers ``duration_s * acceleration`` seconds of exposure."""
    trials: int = 100
    seed: int = 1
    backend: str = "inprocess"
    trial_timeout_s: float = 120.0
    """Wall seconds a trial may take before it is classified a hang."""
    step_s: float = 5.0
    """Simulated seconds between two steps of the in-process payload (below the watchdog)."""
    regions: Mapping[str, str] = field(default_factory=lambda: {"nand": "sram"})
    """Region -> memory type whose upset rates it takes (PROFILES.md columns)."""
    latchup_regions: tuple[str, ...] = ()
    sefi: bool = True
    """Whether SoC functional interrupts (and DRAM device interrupts) are injected."""
    storage_octets: int = 2 << 20
    scrub_periods_s: tuple[float, ...] = (1800.0,)
    """Base patrol periods; trial ``i`` takes ``scrub_periods_s[i % len]``."""
    link: str = "ideal"
    """Link between ground and board (board backend): ``ideal`` or ``profile`` (the
    profile's channel: light time, rates, bit errors and bursts, hil.channel)."""
    workload: Workload = field(default_factory=Workload)

    @property
    def exposure_s(self) -> float:
        """Environment seconds one trial delivers."""
        return self.duration_s * self.acceleration

    def scrub_period_of(self, trial: int) -> float:
        """The base patrol period of trial ``trial``."""
        return self.scrub_periods_s[trial % len(self.scrub_periods_s)]


_TOP = {"name", "description", "profile", "condition", "duration_s", "acceleration", "trials",
        "seed", "backend", "trial_timeout_s", "step_s", "radiation", "store", "link",
        "workload"}
_SECTIONS = {"radiation": {"regions", "latchup_regions", "sefi"},
             "store": {"size_octets", "scrub_periods_s"},
             "link": {"model"},
             "workload": {"uploads", "object_octets", "jobs", "reads"}}


def _number(table: Mapping[str, Any], key: str, where: str, default: float, *,
            low: float = 0.0, high: float = math.inf) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not low < value <= high:
        raise ScenarioError(f"{where}{key}: expected a finite number in ({low:g}, {high:g}],"
                            f" not {value!r}")
    return float(value)


def _integer(table: Mapping[str, Any], key: str, where: str, default: int, *,
             low: int = 0, high: int = 2**63 - 1) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScenarioError(f"{where}{key}: expected an integer in [{low}, {high}], "
                            f"not {value!r}")
    return value


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None,
          choices: tuple[str, ...] | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ScenarioError(f"{where}{key}: expected a string")
    if choices is not None and value not in choices:
        raise ScenarioError(f"{where}{key}: {value!r} is not one of {', '.join(choices)}")
    return value


def _section(root: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    table = root.get(name, {})
    if not isinstance(table, dict):
        raise ScenarioError(f"{name}: expected a table")
    unknown = sorted(set(table) - _SECTIONS[name])
    if unknown:
        raise ScenarioError(f"{name}: unknown key(s) {', '.join(unknown)}")
    return table


def _regions(radiation: Mapping[str, Any]) -> dict[str, str]:
    regions = radiation.get("regions", {"nand": "sram"})
    if not isinstance(regions, dict) or not regions:
        raise ScenarioError("radiation.regions: expected a non-empty table region = memory")
    for region, memory in regions.items():
        if region not in BOARD_REGIONS:
            raise ScenarioError(f"radiation.regions.{region}: no such region; known: "
                                f"{', '.join(BOARD_REGIONS)}")
        if memory not in MEMORY_TYPES:
            raise ScenarioError(f"radiation.regions.{region}: memory type {memory!r}; known: "
                                f"{', '.join(MEMORY_TYPES)}")
    return dict(regions)


def _latchup(radiation: Mapping[str, Any], regions: Mapping[str, str]) -> tuple[str, ...]:
    latchup = radiation.get("latchup_regions", [])
    if not isinstance(latchup, list) or not all(
            isinstance(name, str) and name in regions for name in latchup):
        raise ScenarioError("radiation.latchup_regions: expected names of exposed regions")
    return tuple(latchup)


def _periods(store: Mapping[str, Any]) -> tuple[float, ...]:
    periods = store.get("scrub_periods_s", [1800.0])
    if not isinstance(periods, list) or not periods:
        raise ScenarioError("store.scrub_periods_s: expected a non-empty array of seconds")
    # (128,15) STORE_SCRUB_CONTROL takes 10..86 400 s (docs/icd.md section 11)
    table = {str(index): value for index, value in enumerate(periods)}
    return tuple(_number(table, str(index), "store.scrub_periods_s[]", 0.0, low=9.999,
                         high=86_400.0) for index in range(len(periods)))


def _workload(root: Mapping[str, Any]) -> Workload:
    table, where = _section(root, "workload"), "workload."
    defaults = Workload()
    uploads = _integer(table, "uploads", where, defaults.uploads, low=1, high=64)
    return Workload(
        uploads=uploads,
        object_octets=_integer(table, "object_octets", where, defaults.object_octets,
                               low=1, high=1 << 20),
        jobs=_integer(table, "jobs", where, defaults.jobs, high=64),
        reads=_integer(table, "reads", where, defaults.reads, high=100))


def parse_scenario(data: Mapping[str, Any]) -> Scenario:
    """A scenario from decoded TOML; :class:`ScenarioError` on anything it cannot run."""
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise ScenarioError(f"unknown key(s) {', '.join(map(str, unknown))}")
    radiation, store, link = (_section(data, name) for name in ("radiation", "store", "link"))
    regions = _regions(radiation)
    sefi = radiation.get("sefi", True)
    if not isinstance(sefi, bool):
        raise ScenarioError("radiation.sefi: expected true or false")
    scenario = Scenario(
        name=_text(data, "name", "", None),
        description=_text(data, "description", "", ""),
        profile=_text(data, "profile", "", None, profile_names()),
        condition=_text(data, "condition", "", "quiet", CONDITIONS),
        duration_s=_number(data, "duration_s", "", 3600.0, high=365.25 * 86_400),
        acceleration=_number(data, "acceleration", "", 1000.0, high=1e12),
        trials=_integer(data, "trials", "", 100, low=1, high=MAX_TRIALS),
        seed=_integer(data, "seed", "", 1),
        backend=_text(data, "backend", "", "inprocess", BACKENDS),
        trial_timeout_s=_number(data, "trial_timeout_s", "", 120.0, high=86_400.0),
        step_s=_number(data, "step_s", "", 5.0, high=4.0 * 60),
        regions=regions, latchup_regions=_latchup(radiation, regions), sefi=sefi,
        storage_octets=_integer(store, "size_octets", "store.", 2 << 20,
                                low=1 << 20, high=1 << 30),
        scrub_periods_s=_periods(store),
        link=_text(link, "model", "link.", "ideal", ("ideal", "profile")),
        workload=_workload(data))
    if scenario.storage_octets % 8:
        raise ScenarioError("store.size_octets: must be a multiple of 8")
    if scenario.backend == "board" and scenario.storage_octets < BOARD_MIN_STORAGE:
        raise ScenarioError(f"store.size_octets: the board backend needs at least "
                            f"{BOARD_MIN_STORAGE} octets (the flight catalogue's metadata)")
    return scenario


def loads_scenario(text: str) -> Scenario:
    """A scenario from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}") from exc
    return parse_scenario(data)


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a file, or a shipped one by name (``smoke``, ``sso-750-worst-day``)."""
    candidate = Path(path)
    if not candidate.is_file() and str(path) in scenario_names():
        text = (resources.files("hil.campaign") / "scenarios" / f"{path}.toml").read_text(
            "utf-8")
        return loads_scenario(text)
    try:
        text = candidate.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from exc
    return loads_scenario(text)


def scenario_names() -> tuple[str, ...]:
    """Names of the scenarios shipped in ``hil/campaign/scenarios``."""
    folder = resources.files("hil.campaign") / "scenarios"
    return tuple(sorted(entry.name[:-5] for entry in folder.iterdir()
                        if entry.name.endswith(".toml")))
