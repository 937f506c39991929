"""Compute jobs: what was asked (:class:`JobSpec`) and where a job stands (:class:`Job`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from flight_sw.compute.params import JobKind, WorkloadParams
from flight_sw.services.verification import ErrorCode


class JobState(IntEnum):
    """Life of a job: QUEUED -> RUNNING -> COMPLETED | FAILED | CANCELLED."""

    QUEUED = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELLED = 4

    @property
    def active(self) -> bool:
        """Queued or running (not finished)."""
        return self in (JobState.QUEUED, JobState.RUNNING)


@dataclass(frozen=True)
class JobSpec:
    """A job as submitted."""

    input: str
    output: str
    params: WorkloadParams
    priority: int = 0
    """0 lowest .. 7 most urgent."""
    dmr: bool = False
    progress_step: int = 0
    """Report progress every this many percent (0: never)."""

    @property
    def kind(self) -> JobKind:
        """The workload, given by the parameters."""
        return self.params.kind


@dataclass
class Job:
    """One job and its outcome so far."""

    id: int
    spec: JobSpec
    submitted: float
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    """Fraction done, 0..1 (both runs of a DMR job together)."""
    cpu_s: float = 0.0
    input_read: int = 0
    """Input octets read (twice the object for a DMR job)."""
    slices: int = 0
    started: float | None = None
    finished: float | None = None
    result_size: int = 0
    result_sha256: bytes = field(default=bytes(32))
    error: ErrorCode | None = None
    message: str = ""

    @property
    def percent(self) -> int:
        """Progress in whole percent."""
        return min(100, int(self.progress * 100))
