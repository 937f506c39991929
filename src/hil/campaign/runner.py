"""Trials in parallel worker processes (:class:`concurrent.futures.ProcessPoolExecutor`).

Each trial runs the scenario's backend (:data:`BACKENDS`: ``inprocess`` by default, or
``board``) from its own seed, SeedSequence(campaign seed, (index,)), so results do not depend
on the number of workers or the order trials finish in. At most ``jobs`` trials are in the
pool at once, each with a wall-clock deadline from its submission:

- a trial past its deadline is a **hang**: the pool's processes are killed (a task cannot be
  cancelled once running) and the other trials in flight start again in a fresh pool;
- a worker process that dies (a crash of the interpreter or of a C kernel) breaks the pool:
  the trials in flight are run again one at a time, and one that breaks a pool on its own
  is a **crash**.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from hil.campaign.inprocess import run_inprocess
from hil.campaign.scenario import Scenario
from hil.campaign.trial import TrialResult, TrialSetupError, TrialSpec, failed

TrialFn = Callable[[TrialSpec], TrialResult]
Progress = Callable[[TrialResult, int, int], None]
"""Called in the parent for every finished trial: result, trials done, trials in all."""


def run_board(spec: TrialSpec) -> TrialResult:
    """The board backend (imported on use: it needs the ground station)."""
    from hil.campaign.board import run_board_trial  # noqa: PLC0415 (optional backend)

    return run_board_trial(spec)


BACKENDS: dict[str, TrialFn] = {"inprocess": run_inprocess, "board": run_board}


@dataclass
class _Flight:
    spec: TrialSpec
    deadline: float
    started: float


class TrialRunner:
    """Runs trial specs through ``trial`` in up to ``jobs`` processes."""

    def __init__(self, trial: TrialFn, *, jobs: int, timeout_s: float,
                 progress: Progress | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, not {jobs}")
        self.trial = trial
        self.jobs = jobs
        self.timeout_s = timeout_s
        self.progress = progress
        self.clock = clock
        self._results: dict[int, TrialResult] = {}
        self._total = 0

    def run(self, specs: Sequence[TrialSpec]) -> list[TrialResult]:
        """Every trial's result, in index order."""
        self._results, self._total = {}, len(specs)
        queue = deque(specs)
        while queue:
            suspects = self._pool(queue, self.jobs)
            for spec in suspects:  # isolate the trials of a broken pool
                self._pool(deque([spec]), 1)
        return [self._results[spec.index] for spec in specs]

    def _record(self, result: TrialResult) -> None:
        self._results[result.index] = result
        if self.progress is not None:
            self.progress(result, len(self._results), self._total)

    def _pool(self, queue: deque[TrialSpec], workers: int) -> list[TrialSpec]:
        """Run ``queue`` until empty or the pool breaks; returns the trials in flight when
        a worker died (with one worker: that trial is recorded as a crash instead)."""
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        flights: dict[Future[TrialResult], _Flight] = {}
        try:
            while queue or flights:
                while queue and len(flights) < workers:
                    spec = queue.popleft()
                    now = self.clock()
                    flights[executor.submit(self.trial, spec)] = _Flight(
                        spec, now + self.timeout_s, now)
                wait_s = max(0.0, min(f.deadline for f in flights.values()) - self.clock())
                done, _ = wait(list(flights), timeout=wait_s, return_when=FIRST_COMPLETED)
                broken = []
                for future in done:
                    flight = flights.pop(future)
                    if not self._collect(future, flight):
                        broken.append(flight)
                if broken:
                    if workers == 1:
                        self._record(failed(broken[0].spec, self.trial_name, timed_out=False,
                                            why="worker process died",
                                            wall_s=self.clock() - broken[0].started))
                        return []
                    return [flight.spec for flight in (*broken, *flights.values())]
                if self._expire(flights):
                    _kill(executor)
                    executor.shutdown(wait=True, cancel_futures=True)
                    executor = ProcessPoolExecutor(
                        workers, mp_context=multiprocessing.get_context("spawn"))
                    for flight in flights.values():
                        queue.appendleft(flight.spec)
                    flights.clear()
            return []
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    @property
    def trial_name(self) -> str:
        """The backend's name for results the runner makes itself."""
        names = {fn: name for name, fn in BACKENDS.items()}
        return names.get(self.trial, getattr(self.trial, "__name__", "custom"))

    def _collect(self, future: Future[TrialResult], flight: _Flight) -> bool:
        """Record a finished future; False when its worker died (the pool is broken)."""
        try:
            result = future.result()
        except BrokenProcessPool:
            return False
        except TrialSetupError:
            raise
        except Exception as exc:  # the trial function itself failed: a crash of the trial
            result = failed(flight.spec, self.trial_name, timed_out=False,
                            why=f"{type(exc).__name__}: {exc}",
                            wall_s=self.clock() - flight.started)
        self._record(result)
        return True

    def _expire(self, flights: dict[Future[TrialResult], _Flight]) -> bool:
        """Record every trial past its deadline as a hang; whether any was."""
        now, expired = self.clock(), False
        for future, flight in list(flights.items()):
            if now >= flight.deadline and not future.done():
                del flights[future]
                self._record(failed(flight.spec, self.trial_name, timed_out=True,
                                    why=f"no result within {self.timeout_s:g} s",
                                    wall_s=now - flight.started))
                expired = True
        return expired


def _kill(executor: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes (a running task cannot be cancelled otherwise)."""
    processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        process.kill()


def trial_specs(scenario: Scenario, trials: int | None = None) -> list[TrialSpec]:
    """Trials 0 .. n-1 of ``scenario`` (``trials`` overrides the scenario's count)."""
    return [TrialSpec(scenario, index) for index in range(trials or scenario.trials)]


def run_campaign(scenario: Scenario, *, trials: int | None = None, jobs: int = 2,
                 progress: Progress | None = None,
                 trial: TrialFn | None = None) -> list[TrialResult]:
    """Run ``scenario``'s trials with its backend (or ``trial``) in ``jobs`` processes."""
    runner = TrialRunner(trial or BACKENDS[scenario.backend], jobs=jobs,
                         timeout_s=scenario.trial_timeout_s, progress=progress)
    return runner.run(trial_specs(scenario, trials))
