"""The job engine: a priority queue of compute jobs advanced cooperatively.

The flight software runs in one thread, so :meth:`JobEngine.step` advances jobs by bounded
slices (one input chunk each, :class:`~flight_sw.compute.params.Limits`) until its time
budget is spent, always the most urgent active job first (higher priority, then earlier
submission): a job submitted with a higher priority preempts a running one at the next
slice. A DMR job runs its workload twice, re-reading the input, and commits its result only
when both digests agree (the second run only hashes its result). The result object is
committed before the job counts as completed. The engine reports its duty cycle to the HAL
(``set_load``) and accounts the process CPU time of every slice to its job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Protocol

from flight_sw.compute import workloads
from flight_sw.compute.jobs import Job, JobSpec, JobState
from flight_sw.compute.params import Limits
from flight_sw.compute.source import (
    InputSource,
    ResultSink,
    Workload,
    WorkloadError,
    storage_error_code,
)
from flight_sw.hal.base import Hal
from flight_sw.services.verification import ErrorCode
from flight_sw.storage.api import ObjectInfo, StorageError, Store

MAX_JOB_ID = 0xFFFF


class JobNotFoundError(LookupError):
    """No job has that id (or it is no longer in the history)."""


class QueueFullError(RuntimeError):
    """The engine holds its maximum of active jobs."""


class DmrMismatchError(Exception):
    """The two runs of a DMR job gave different results."""

    def __init__(self, first: bytes, second: bytes) -> None:
        super().__init__("the two runs disagree")
        self.first = first
        self.second = second


class JobObserver(Protocol):
    """Who is told of a job's milestones (the service turns them into reports)."""

    def job_started(self, job: Job, now: float) -> None:
        """The job's first slice is about to run."""

    def job_progressed(self, job: Job, percent: int) -> None:
        """The job reached ``percent`` (a multiple of its progress step)."""

    def job_finished(self, job: Job, now: float) -> None:
        """The job completed (result committed), failed or was cancelled."""

    def dmr_mismatch(self, job: Job, first: bytes, second: bytes, now: float) -> None:
        """The two runs of a DMR job gave these different result digests."""


class _Silent:
    """An observer that ignores everything."""

    def job_started(self, job: Job, now: float) -> None:
        pass

    def job_progressed(self, job: Job, percent: int) -> None:
        pass

    def job_finished(self, job: Job, now: float) -> None:
        pass

    def dmr_mismatch(self, job: Job, first: bytes, second: bytes, now: float) -> None:
        pass


@dataclass
class EngineCounters:
    """Totals since start."""

    submitted: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    dmr_mismatches: int = 0
    internal_errors: int = 0
    """Jobs failed by an unexpected exception in a workload."""
    slices: int = 0
    steps: int = 0
    cpu_s: float = 0.0
    input_read: int = 0


@dataclass
class _Running:
    """A started job's computation and what it already reported."""

    execution: Generator[float, None, ObjectInfo]
    reported_percent: int = 0


class JobEngine:
    """Queued compute jobs over a store, run in slices from the main loop."""

    def __init__(self, store: Store, hal: Hal, *, limits: Limits | None = None,
                 max_active: int = 8, history: int = 32, period_s: float = 0.05,
                 observer: JobObserver | None = None,
                 timer: Callable[[], float] = time.perf_counter,
                 cpu_clock: Callable[[], float] = time.process_time) -> None:
        self.store = store
        self.hal = hal
        self.limits = limits or Limits()
        self.max_active = max_active
        self.history = history
        self.period_s = period_s
        """Period of :meth:`step` calls: the load reported is busy time over it."""
        self.observer: JobObserver = observer or _Silent()
        self.timer = timer
        self.cpu_clock = cpu_clock
        self.counters = EngineCounters()
        self.load = 0.0
        self.current: Job | None = None
        """The job advanced last."""
        self._jobs: dict[int, Job] = {}
        self._running: dict[int, _Running] = {}
        self._next_id = 1

    # ----------------------------------------------------------------------------- queue

    @property
    def active(self) -> list[Job]:
        """Queued and running jobs, most urgent first."""
        jobs = [job for job in self._jobs.values() if job.state.active]
        return sorted(jobs, key=lambda job: (-job.spec.priority, job.submitted, job.id))

    def jobs(self) -> list[Job]:
        """Every known job (active and recent finished ones), by id."""
        return sorted(self._jobs.values(), key=lambda job: job.id)

    def job(self, job_id: int) -> Job:
        """The job ``job_id`` (JobNotFoundError if unknown)."""
        try:
            return self._jobs[job_id]
        except KeyError:
            raise JobNotFoundError(f"no job {job_id}") from None

    def count(self, state: JobState) -> int:
        """Known jobs in ``state``."""
        return sum(job.state is state for job in self._jobs.values())

    def submit(self, spec: JobSpec, now: float) -> Job:
        """Queue a job (QueueFullError when ``max_active`` jobs are active)."""
        if len(self.active) >= self.max_active:
            raise QueueFullError(f"{self.max_active} jobs are active")
        job = Job(self._allocate_id(), spec, now)
        self._jobs[job.id] = job
        self.counters.submitted += 1
        self._trim_history()
        return job

    def cancel(self, job_id: int, now: float) -> Job:
        """Stop an active job; nothing is stored (JobNotFoundError if none is active)."""
        job = self.job(job_id)
        if not job.state.active:
            raise JobNotFoundError(f"job {job_id} is {job.state.name}, not active")
        running = self._running.pop(job.id, None)
        if running is not None:
            running.execution.close()
        self.counters.cancelled += 1
        self._finish(job, JobState.CANCELLED, now)
        return job

    def _allocate_id(self) -> int:
        for _ in range(MAX_JOB_ID):
            job_id = self._next_id
            self._next_id = job_id % MAX_JOB_ID + 1
            if job_id not in self._jobs:
                return job_id
        raise QueueFullError("no free job id")  # only if the history held every id

    def _trim_history(self) -> None:
        finished = [job for job in self.jobs() if not job.state.active]
        for job in sorted(finished, key=lambda j: j.finished or 0.0)[:-self.history or None]:
            del self._jobs[job.id]

    # ----------------------------------------------------------------------------- running

    def step(self, now: float, budget_s: float) -> int:
        """Advance the most urgent job by slices until ``budget_s`` (measured with
        ``timer``) is spent or no job is active; at least one slice runs if a job is
        active. Returns the number of slices run."""
        self.counters.steps += 1
        started = self.timer()
        slices = 0
        while self.active:
            self._slice(self.active[0], now)
            slices += 1
            if self.timer() - started >= budget_s:
                break
        busy = self.timer() - started if slices else 0.0
        self._report_load(min(1.0, busy / self.period_s))
        return slices

    def _report_load(self, load: float) -> None:
        if load != self.load or load:
            self.hal.set_load(load)
        self.load = load

    def _slice(self, job: Job, now: float) -> None:
        self.current = job
        running = self._running.get(job.id)
        if running is None:
            job.state, job.started = JobState.RUNNING, now
            self.observer.job_started(job, now)
            running = self._running[job.id] = _Running(self._execute(job))
        cpu = self.cpu_clock()
        try:
            job.progress = next(running.execution)
        except StopIteration as done:
            self._complete(job, done.value, now)
        except DmrMismatchError as mismatch:
            self.counters.dmr_mismatches += 1
            self.observer.dmr_mismatch(job, mismatch.first, mismatch.second, now)
            self._fail(job, ErrorCode.EXECUTION_FAILED, str(mismatch), now)
        except WorkloadError as error:
            self._fail(job, error.code, str(error), now)
        except StorageError as error:
            self._fail(job, storage_error_code(error), str(error), now)
        except Exception as error:  # a workload bug must not stop the flight software
            self.counters.internal_errors += 1
            self._fail(job, ErrorCode.EXECUTION_FAILED, f"internal error: {error!r}", now)
        finally:
            used = max(0.0, self.cpu_clock() - cpu)
            job.cpu_s += used
            job.slices += 1
            self.counters.cpu_s += used
            self.counters.slices += 1
        if job.state is JobState.RUNNING:
            self._report_progress(job, running)

    def _report_progress(self, job: Job, running: _Running) -> None:
        step = job.spec.progress_step
        if not step:
            return
        for percent in range(running.reported_percent + step, job.percent + 1, step):
            running.reported_percent = percent
            self.observer.job_progressed(job, percent)

    def _execute(self, job: Job) -> Generator[float, None, ObjectInfo]:
        """The job's whole computation: one run, or two compared (DMR), then the commit.
        The first run streams its result to a writer of the output object, committed only
        when the job succeeds (aborted otherwise, also when the generator is closed). The
        result is sealed under the input's key at rest, if any (docs/storage.md, "Data at
        rest"): a result derived from a sealed object is never stored in clear."""
        runs = 2 if job.spec.dmr else 1
        key_id = self.store.info(job.spec.input).key_id
        writer = self.store.writer(job.spec.output, key_id=key_id)
        digests: list[bytes] = []
        try:
            for run in range(runs):
                sink = ResultSink(self.limits.max_result_octets, writer if run == 0 else None)
                source = InputSource(self.store, job.spec.input)
                work = workloads.start(job.spec.params, source, sink, self.limits)
                yield from self._scaled(job, source, work, run, runs)
                digests.append(sink.digest())
                if digests[-1] != digests[0]:
                    raise DmrMismatchError(digests[0], digests[-1])
            info = writer.commit()
        except BaseException:
            writer.abort()
            raise
        return info

    def _scaled(self, job: Job, source: InputSource, work: Workload, run: int,
                runs: int) -> Generator[float, None, None]:
        """Run ``work`` as run ``run`` of ``runs``, counting input read, yielding the
        job's overall progress."""
        read = 0
        try:
            for fraction in work:
                self._count_read(job, source.position - read)
                read = source.position
                yield (run + fraction) / runs
            self._count_read(job, source.position - read)
        finally:
            work.close()

    def _count_read(self, job: Job, octets: int) -> None:
        job.input_read += octets
        self.counters.input_read += octets

    def _complete(self, job: Job, info: ObjectInfo, now: float) -> None:
        job.progress = 1.0
        job.result_size, job.result_sha256 = info.size, info.sha256
        self.counters.completed += 1
        self._finish(job, JobState.COMPLETED, now)

    def _fail(self, job: Job, code: ErrorCode, message: str, now: float) -> None:
        job.error, job.message = code, message
        self.counters.failed += 1
        self._finish(job, JobState.FAILED, now)

    def _finish(self, job: Job, state: JobState, now: float) -> None:
        job.state, job.finished = state, now
        self._running.pop(job.id, None)
        self._trim_history()
        self.observer.job_finished(job, now)
