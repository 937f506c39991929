"""The radiation soak of the payload's object store: years of upsets, then every object read.

An :class:`~flight_sw.storage.store.ObjectStore` with its patrol
:class:`~flight_sw.storage.scrubber.Scrubber` runs on an emulated memory region on a
simulated clock. The region is filled with seeded objects whose SHA-256 the soak keeps on the
side. The seeded upset schedule of :class:`hil.radiation.EnvironmentModel` (a profile of
``src/hil/profiles/data`` under a solar condition: single-bit upsets, multiple-cell clusters
along a row, stuck bits; ECSS-Q-ST-60-15C fault model) is applied as the clock advances and
the scrubber patrols on the same clock. Afterwards the store is scrubbed once more, closed,
reopened from the medium (metadata recovery), and every object is read back and classified
as in a fault-injection campaign (PROFILES.md, "Scrubbing arithmetic"): intact, repaired,
reported lost (:class:`~flight_sw.storage.api.DataLostError`) or *silent corruption* (wrong
octets returned: must never happen).

Acceleration: the run delivers the per-bit fluence of ``years`` at the profile's rate, with the
flux raised ``acceleration`` times and the simulated clock running ``years / acceleration``.
The scrubber keeps its real periods, so it sees ``acceleration`` times more upsets per pass
than in flight: double errors accumulating in a word between two passes are about
``acceleration`` times likelier per upset than in flight (the soak is conservative there).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from firmware_stubs.board.memory import MemoryRegion, RegionKind
from flight_sw.storage.api import DataLostError, ObjectState, StorageError, StoreFullError
from flight_sw.storage.catalogue import BAD
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.scrubber import Scrubber
from flight_sw.storage.store import ObjectStore
from hil.profiles import CONDITIONS, MEMORY_TYPES, load_profile, profile_names
from hil.radiation import EnvironmentModel, Injector, MemorySpec, UpsetKind

SECONDS_PER_YEAR = 365.25 * 86_400.0
SOAK_STORE = StoreConfig(max_objects=64)
"""The flight defaults (4 KiB blocks, 8 + 2 stripes, interleave 4, 30 min patrol tightened
down to 2 min) with a catalogue sized for a few-MiB soak region."""


class SoakError(ValueError):
    """Soak settings the run cannot use."""


@dataclass(frozen=True)
class SoakSettings:
    """What one soak run exposes to what."""

    profile: str = "sso-750"
    condition: str = "worst-day"
    years: float = 10.0
    """Exposure delivered, in years at the profile's rate (fluence equivalence)."""
    acceleration: float = 50.0
    """Flux multiplier; the simulated clock runs ``years / acceleration``."""
    memory: str = "sram"
    """Memory type whose rates the store region takes (PROFILES.md columns)."""
    region_octets: int = 2 << 20
    fill: float = 0.7
    """Share of the store's capacity filled with objects before the run."""
    max_object_octets: int = 48 * 1024
    step_s: float = 120.0
    """Simulated seconds between injection/scrub steps (the shortest patrol period)."""
    seed: int = 1
    store: StoreConfig = field(default_factory=lambda: SOAK_STORE)

    def __post_init__(self) -> None:
        if self.profile not in profile_names():
            raise SoakError(f"no profile {self.profile!r}; known: {', '.join(profile_names())}")
        if self.condition not in CONDITIONS:
            raise SoakError(f"no condition {self.condition!r}; known: {', '.join(CONDITIONS)}")
        if self.memory not in MEMORY_TYPES:
            raise SoakError(f"memory {self.memory!r}: one of {', '.join(MEMORY_TYPES)}")
        for name in ("years", "acceleration", "step_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise SoakError(f"{name} must be positive and finite, not {value}")
        if not 0 < self.fill <= 1:
            raise SoakError(f"fill {self.fill} outside (0, 1]")
        if self.max_object_octets < 1:
            raise SoakError("max_object_octets must be >= 1")

    @property
    def simulated_s(self) -> float:
        """Length of the run on the simulated clock."""
        return self.years * SECONDS_PER_YEAR / self.acceleration


@dataclass
class SoakResult:
    """Counters and verdict of one soak run."""

    profile: str
    condition: str
    memory: str
    years: float
    acceleration: float
    simulated_s: float
    rate_per_bit_day: float
    rate_source: str
    region_bits: int
    objects: int
    object_octets: int
    expected_upset_bits: float
    """Bits the profile's rate delivers over ``years`` to the region (fluence target)."""
    upset_events: int = 0
    cluster_events: int = 0
    stuck_events: int = 0
    bits_flipped: int = 0
    bits_stuck: int = 0
    device_events_not_modelled: int = 0
    """SEFI/latch-up events of the schedule (a DRAM device interrupt): not applied."""
    corrected_words: int = 0
    uncorrectable_words: int = 0
    reported_uncorrectable_words: int = 0
    """Words of MEMORY_UNCORRECTABLE events (each uncorrectable word is reported)."""
    repaired_blocks: int = 0
    lost_blocks: int = 0
    retired_blocks: int = 0
    scrub_passes: int = 0
    final_scrub_period_s: float = 0.0
    unrepaired_words: int = 0
    """Uncorrectable words left on the medium at the end (outside retired blocks and objects
    reported lost) that the final patrol pass reported but the store did not repair."""
    unreported_words: int = 0
    """Uncorrectable words left on the medium at the end that the final patrol pass did not
    report (must be 0)."""
    intact: int = 0
    repaired: int = 0
    lost: int = 0
    silent_corruption: int = 0
    other_errors: int = 0
    reopen_error: str = ""
    """Why the store could not be reopened from the medium after the run (every object then
    counts in ``other_errors``)."""
    wall_s: float = 0.0

    @property
    def passed(self) -> bool:
        """No silent corruption, nothing unaccounted, every object classified."""
        return (self.silent_corruption == 0 and self.unreported_words == 0
                and self.other_errors == 0
                and self.intact + self.repaired + self.lost == self.objects)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields and the verdict."""
        return {**asdict(self), "passed": self.passed}


class _EventTally:
    """Store event sink: counts events and the uncorrectable words they report."""

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self.uncorrectable_words = 0
        self.blocks_reported: set[int] = set()
        """Blocks (-1: metadata) of MEMORY_UNCORRECTABLE events since the last clear."""

    def __call__(self, name: str, /, **values: int | float | str) -> None:
        self.events[name] += 1
        if name == "MEMORY_UNCORRECTABLE":
            self.uncorrectable_words += int(values.get("words", 0))
            self.blocks_reported.add(int(values.get("block", -1)))


def _fill(store: ObjectStore, settings: SoakSettings,
          rng: np.random.Generator) -> dict[str, bytes]:
    """Seeded objects of varied sizes up to ``fill`` of the capacity; name -> SHA-256."""
    digests: dict[str, bytes] = {}
    while store.health().used_bytes < settings.fill * store.health().capacity_bytes:
        size = int(rng.integers(1, settings.max_object_octets + 1))
        data = rng.bytes(size)
        name = f"soak/{len(digests):04d}"
        try:
            store.put(name, data)
        except StoreFullError:
            break
        digests[name] = hashlib.sha256(data).digest()
    return digests


def _residual_words(store: ObjectStore, reported: set[int]) -> tuple[int, int]:
    """Uncorrectable words left on the medium outside retired blocks and LOST objects, split
    into those in a block (-1: metadata) of ``reported`` and the others."""
    total = store.medium.data_octets // store.unit * store.unit
    known = unknown = 0
    for word in store.medium.scrub(0, total).uncorrectable_words:
        block = store.layout.block_at(word * 8)
        if block is not None and store.catalogue.owner[block] == BAD:
            continue
        owner = None if block is None else store.catalogue.owner_of(block)
        if owner is not None and owner.state is ObjectState.LOST:
            continue
        if (-1 if block is None else block) in reported:
            known += 1
        else:
            unknown += 1
    return known, unknown


def _classify(store: ObjectStore, digests: dict[str, bytes], result: SoakResult) -> None:
    """Read every object back and compare with the SHA-256 kept on the side."""
    for name, digest in digests.items():
        try:
            data = store.get(name)
        except DataLostError:
            result.lost += 1
            continue
        except StorageError:
            result.other_errors += 1
            continue
        if hashlib.sha256(data).digest() != digest:
            result.silent_corruption += 1
        elif store.info(name).state is ObjectState.REPAIRED:
            result.repaired += 1
        else:
            result.intact += 1


def run_soak(settings: SoakSettings) -> SoakResult:
    """One soak run (see the module docstring)."""
    wall = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    profile = load_profile(settings.profile)
    radiation = profile.radiation
    region = MemoryRegion.in_memory("mass", RegionKind(settings.memory), settings.region_octets)
    now = 0.0

    def clock() -> float:
        return now

    tally = _EventTally()
    store = ObjectStore.open(region, settings.store, clock=clock)
    digests = _fill(store, settings, rng)
    scrubber = Scrubber(store, on_event=tally, timer=lambda: 0.0)
    model = EnvironmentModel(profile, settings.condition, settings.acceleration)
    schedule = model.schedule([MemorySpec.of(region)], settings.simulated_s, rng, soc=None)
    injector = Injector(schedule, regions={region.name: region})
    per_bit_day = radiation.rate_per_bit_s(settings.memory, settings.condition) * 86_400.0
    result = SoakResult(
        settings.profile, settings.condition, settings.memory, settings.years,
        settings.acceleration, settings.simulated_s, per_bit_day,
        radiation.upsets_per_bit_day[settings.memory].source, region.bit_count, len(digests),
        sum(store.info(name).size for name in digests),
        per_bit_day * region.bit_count * settings.years * 365.25)
    steps = math.ceil(settings.simulated_s / settings.step_s)
    for index in range(1, steps + 1):
        now = min(settings.simulated_s, index * settings.step_s)
        injector.advance(now)
        scrubber.step(now, budget_s=math.inf)
    tally.blocks_reported.clear()
    now += store.scrub_period_s  # credit for the whole medium: every word scrubbed once more
    scrubber.step(now, budget_s=math.inf)
    _count(result, store, injector, tally)
    result.unrepaired_words, result.unreported_words = _residual_words(
        store, tally.blocks_reported)
    store.close()
    try:
        reopened = ObjectStore.open(region, settings.store, clock=clock)
    except StorageError as exc:
        result.reopen_error = f"{type(exc).__name__}: {exc}"
        result.other_errors = len(digests)
    else:
        _classify(reopened, digests, result)
        reopened.close()
    result.wall_s = time.perf_counter() - wall
    return result


def _count(result: SoakResult, store: ObjectStore, injector: Injector,
           tally: _EventTally) -> None:
    """Copy the injector's, the store's and the event sink's counters into ``result``."""
    schedule = injector.schedule
    result.upset_events = sum(schedule.count(kind) for kind in
                              (UpsetKind.BIT, UpsetKind.CLUSTER, UpsetKind.STUCK))
    result.cluster_events = schedule.count(UpsetKind.CLUSTER)
    result.stuck_events = schedule.count(UpsetKind.STUCK)
    result.device_events_not_modelled = (schedule.count(UpsetKind.SEFI)
                                         + schedule.count(UpsetKind.LATCHUP))
    result.bits_flipped, result.bits_stuck = injector.stats.bits_flipped, injector.stats.bits_stuck
    health = store.health()
    result.corrected_words, result.uncorrectable_words = (health.corrected_words,
                                                          health.uncorrectable_words)
    result.repaired_blocks, result.lost_blocks = health.repaired_blocks, health.lost_blocks
    result.retired_blocks, result.scrub_passes = health.bad_blocks, health.scrub_passes
    result.final_scrub_period_s = health.scrub_period_s
    result.reported_uncorrectable_words = tally.uncorrectable_words


# -- command line (``hil soak``) -------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``hil soak``."""
    defaults = SoakSettings()
    parser.add_argument("--profile", action="append", choices=profile_names(),
                        help="environment profile (repeatable; default sso-750 and "
                             "lunar-transit)")
    parser.add_argument("--condition", default=defaults.condition, choices=CONDITIONS)
    parser.add_argument("--years", type=float, default=defaults.years,
                        help="exposure in years at the profile's rate (default %(default)s)")
    parser.add_argument("--acceleration", type=float, default=defaults.acceleration,
                        help="flux multiplier; simulated time = years / acceleration")
    parser.add_argument("--memory", default=defaults.memory, choices=MEMORY_TYPES,
                        help="memory type the store region takes the rates of")
    parser.add_argument("--region-octets", type=int, default=defaults.region_octets)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")


def _line(result: SoakResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    return (f"{verdict} {result.profile} {result.condition} {result.memory}: "
            f"{result.years:g} y equivalent ({result.simulated_s / 86_400:.1f} d simulated), "
            f"{result.upset_events} upsets ({result.bits_flipped} bits flipped, "
            f"{result.cluster_events} clusters, {result.stuck_events} stuck), "
            f"{result.corrected_words} words corrected, {result.uncorrectable_words} "
            f"uncorrectable, {result.repaired_blocks} blocks repaired, {result.lost_blocks} "
            f"lost; objects {result.intact} intact / {result.repaired} repaired / "
            f"{result.lost} lost / {result.silent_corruption} SILENT; "
            f"{result.wall_s:.1f} s wall")


def run(args: argparse.Namespace) -> int:
    """Run ``hil soak``; 0 when every run passed."""
    known = {item.name for item in fields(SoakSettings)}
    options = {name: value for name, value in vars(args).items()
               if name in known and value is not None and name != "profile"}
    results = []
    for profile in args.profile or ["sso-750", "lunar-transit"]:
        try:
            settings = SoakSettings(profile=profile, **options)
        except SoakError as exc:
            print(f"hil soak: {exc}")
            return 2
        result = run_soak(settings)
        print(_line(result), flush=True)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps([result.as_dict() for result in results], indent=1))
    return 0 if all(result.passed for result in results) else 1
