"""What one trial is given and what it returns, and the parts both trial backends share:
the seeded workload plan, the observation tally and the timeline of cumulative counts."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from hil.campaign.classify import Observation, Outcome, classify, due_kind
from hil.campaign.scenario import Scenario
from hil.profiles import load_profile
from hil.radiation import EnvironmentModel, MemorySpec, UpsetSchedule

TIMELINE_BINS = 20
"""Samples of the cumulative counters per trial (plus one at the start)."""
ERROR_EVENTS = ("BLOCK_REPAIRED", "BLOCK_LOST", "JOB_FAILED", "JOB_DMR_MISMATCH",
                "LATCH_UP_DETECTED", "MEMORY_ERRORS_LIMIT")
"""Events that report an error (docs/icd.md sections 10, 11 and the compute service);
MEMORY_UNCORRECTABLE is counted in words on its own."""


class TrialSetupError(RuntimeError):
    """The bench could not set a trial up (configuration, board start, ground link): not
    an outcome of the trial; the campaign stops with this message."""


@dataclass(frozen=True)
class TrialSpec:
    """Trial ``index`` of a campaign; its random stream is SeedSequence(seed, (index,)),
    the same whatever the number of worker processes."""

    scenario: Scenario
    index: int

    @property
    def seed_sequence(self) -> np.random.SeedSequence:
        """The trial's own seed sequence (independent streams per trial)."""
        return np.random.SeedSequence(self.scenario.seed, spawn_key=(self.index,))

    @property
    def scrub_period_s(self) -> float:
        """Base patrol period of this trial."""
        return self.scenario.scrub_period_of(self.index)


@dataclass
class Tally:
    """Counts a backend gathers while a trial runs (mutable :class:`Observation`)."""

    upset_bits: int = 0
    upset_events: int = 0
    corrected_words: int = 0
    uncorrectable_words: int = 0
    reported_errors: int = 0
    lost_objects: int = 0
    wrong_data: int = 0
    uncommanded_resets: int = 0
    latchups: int = 0
    sefis: int = 0
    reads: int = 0
    jobs_completed: int = 0
    jobs_failed: int = 0
    jobs_interrupted: int = 0
    latent_corrected_words: int = 0
    latent_uncorrectable_words: int = 0
    """Errors still on the medium at the end, found by an audit pass after the last read
    (in-process backend; not part of the classification: the software never saw them)."""
    events: dict[str, int] = field(default_factory=dict)

    def event(self, name: str, words: int = 0) -> None:
        """An event report seen in telemetry."""
        self.events[name] = self.events.get(name, 0) + 1
        if name == "MEMORY_UNCORRECTABLE":
            self.uncorrectable_words += max(1, words)
        elif name in ERROR_EVENTS:
            self.reported_errors += 1

    def observation(self, exception: str = "", timed_out: bool = False) -> Observation:
        """The counts the classification rules read."""
        return Observation(self.upset_bits, self.corrected_words, self.uncorrectable_words,
                           self.reported_errors, self.lost_objects, self.wrong_data,
                           self.uncommanded_resets, exception, timed_out)


@dataclass
class TrialResult:
    """One classified trial, JSON-ready through :meth:`as_dict`."""

    index: int
    scrub_period_s: float
    outcome: Outcome
    backend: str
    observation: Observation
    tally: dict[str, Any] = field(default_factory=dict)
    timeline: list[tuple[float, int, int, int]] = field(default_factory=list)
    """(bench s, upset bits, corrected words, uncorrectable words), cumulative."""
    wall_s: float = 0.0

    @property
    def due_kind(self) -> str:
        """``repaired`` or ``lost`` for a DUE trial, else empty."""
        return due_kind(self.observation) if self.outcome is Outcome.DUE else ""

    def as_dict(self) -> dict[str, Any]:
        """Fields as plain JSON types."""
        return {"index": self.index, "scrub_period_s": self.scrub_period_s,
                "outcome": str(self.outcome), "due_kind": self.due_kind,
                "backend": self.backend, "observation": asdict(self.observation),
                "tally": self.tally, "timeline": [list(row) for row in self.timeline],
                "wall_s": self.wall_s}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialResult:
        """The inverse of :meth:`as_dict`."""
        return cls(int(data["index"]), float(data["scrub_period_s"]), Outcome(data["outcome"]),
                   str(data["backend"]), Observation(**data["observation"]),
                   dict(data["tally"]), [tuple(row) for row in data["timeline"]],
                   float(data["wall_s"]))


def finished(spec: TrialSpec, backend: str, tally: Tally, *, timeline: list[
        tuple[float, int, int, int]], wall_s: float, exception: str = "") -> TrialResult:
    """The classified result of a trial that ran to its end (or raised ``exception``)."""
    seen = tally.observation(exception)
    tally_dict = asdict(tally)
    return TrialResult(spec.index, spec.scrub_period_s, classify(seen), backend, seen,
                       tally_dict, timeline, wall_s)


def failed(spec: TrialSpec, backend: str, *, timed_out: bool, why: str,
           wall_s: float) -> TrialResult:
    """A trial the runner ended: a hang (deadline passed) or a crashed worker process."""
    seen = Observation(exception=why, timed_out=timed_out)
    return TrialResult(spec.index, spec.scrub_period_s, classify(seen), backend, seen,
                       wall_s=wall_s)


@dataclass(frozen=True)
class Upload:
    """An object of the workload and the SHA-256 kept aside as the truth."""

    name: str
    data: bytes

    @property
    def digest(self) -> bytes:
        """SHA-256 (FIPS 180-4) of the content."""
        return hashlib.sha256(self.data).digest()


@dataclass(frozen=True)
class Plan:
    """The workload of one trial on its bench clock: uploads at the start, jobs and read
    passes spread evenly, a last read pass at the end."""

    uploads: tuple[Upload, ...]
    job_times: tuple[float, ...]
    read_times: tuple[float, ...]

    def job_input(self, job: int) -> Upload:
        """The object job ``job`` hashes (round robin over the uploads)."""
        return self.uploads[job % len(self.uploads)]


def plan(scenario: Scenario, rng: np.random.Generator) -> Plan:
    """The seeded workload of a trial."""
    work, duration = scenario.workload, scenario.duration_s
    uploads = tuple(Upload(f"campaign/{index:02d}", rng.bytes(work.object_octets))
                    for index in range(work.uploads))
    jobs = tuple(duration * (index + 1) / (work.jobs + 1) for index in range(work.jobs))
    reads = tuple(duration * (index + 1) / (work.reads + 1) for index in range(work.reads))
    return Plan(uploads, jobs, (*reads, duration))


def timeline_times(duration_s: float) -> tuple[float, ...]:
    """Bench times at which the cumulative counters are sampled."""
    return tuple(duration_s * index / TIMELINE_BINS for index in range(TIMELINE_BINS + 1))


def upset_schedule(scenario: Scenario, region_bits: Mapping[str, int],
                   rng: np.random.Generator) -> UpsetSchedule:
    """The trial's seeded upsets (hil.radiation) on the scenario's exposed regions, whose
    sizes ``region_bits`` gives, and SoC SEFIs when the scenario has them."""
    exposed = [MemorySpec(name, memory, region_bits[name], name in scenario.latchup_regions)
               for name, memory in scenario.regions.items()]
    model = EnvironmentModel(load_profile(scenario.profile), scenario.condition,
                             scenario.acceleration)
    return model.schedule(exposed, scenario.duration_s, rng,
                          soc="soc" if scenario.sefi else None)
