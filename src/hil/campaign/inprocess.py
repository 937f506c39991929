"""The in-process trial backend (the default): the flight software
(:class:`flight_sw.app.FlightSoftware` on an emulated board) in the worker process on a
simulated clock, so an hour of bench time takes about a second.

The workload calls the payload's object store and compute job engine directly (no link, no
telecommand encoding: the board backend covers that path); the injector flips the board's
raw regions below the EDAC layer (docs/icd.md section 13). Events are read where the
software emits its service 5 reports. A SoC functional interrupt (and a DRAM device
interrupt: estimate, the software's working memory) hangs the software as FAULT_HANG does;
the watchdog then resets it, a restart on the same state directory (an uncommanded exit,
status 4). A latch-up raises the board's current until FDIR power-cycles it (status 5).
Scheduler steps are ``step_s`` apart (rate groups skip the periods in between).
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import NDArray

from ccsds.config import LinkConfig
from ccsds.mission_db import decode_event
from flight_sw.app import FlightSoftware
from flight_sw.clock import SimulatedClock
from flight_sw.compute.engine import QueueFullError
from flight_sw.compute.jobs import JobSpec, JobState
from flight_sw.compute.params import HashParams
from flight_sw.hal.base import Hal
from flight_sw.hal.emulated import EmulatedHal
from flight_sw.storage.api import DataLostError, StorageError, StoreHealth
from flight_sw.storage.config import StoreConfig
from hil.campaign.scenario import Scenario
from hil.campaign.trial import (
    Plan,
    Tally,
    TrialResult,
    TrialSetupError,
    TrialSpec,
    finished,
    plan,
    timeline_times,
    upset_schedule,
)
from hil.radiation import Injector, UpsetKind

BACKEND = "inprocess"
EVENT_SERVICE = 5


class DeviceEventError(RuntimeError):
    """An event kind the in-process board cannot apply (counted by the injector)."""


class Payload:
    """The flight software on an emulated board in ``state_dir``, rebooted in place on a
    watchdog or latch-up reset, its events and EDAC counters summed over boots."""

    def __init__(self, scenario: Scenario, state_dir: Path, scrub_period_s: float,
                 tally: Tally) -> None:
        self.scenario = scenario
        self.state_dir = state_dir
        self.tally = tally
        self.clock = SimulatedClock()
        self.config = LinkConfig.baseline()
        self.store_config = StoreConfig(max_objects=64, scrub_period_s=scrub_period_s,
                                        scrub_min_period_s=min(120.0, scrub_period_s))
        self.hal = EmulatedHal(state_dir=state_dir, clock=self.clock,
                               storage_size=scenario.storage_octets)
        self.jobs: dict[int, str] = {}
        """Jobs of the current boot: id -> the upload name it hashes."""
        self.fsw = self._boot()
        self._base = self.fsw.store.health()

    def _boot(self) -> FlightSoftware:
        fsw = FlightSoftware(self.config, self.clock, cast(Hal, self.hal), self.state_dir,
                             allow_fault_injection=True, store_config=self.store_config)
        events = fsw.services.events
        forward = events.emit

        def tap(service: int, subtype: int, data: bytes) -> None:
            if service == EVENT_SERVICE:
                event, values = decode_event(fsw.database, data)
                words = values.get("count", 0)
                self.tally.event(event.name, words if isinstance(words, int) else 0)
            forward(service, subtype, data)

        events.emit = tap
        fsw.boot()
        return fsw

    def account(self) -> None:
        """Add this boot's EDAC corrections to the tally."""
        health: StoreHealth = self.fsw.store.health()
        self.tally.corrected_words += max(0, health.corrected_words - self._base.corrected_words)
        self._base = health

    def reboot(self, now: float) -> None:
        """The reset the board recorded (watchdog or latch-up) happens: nothing is flushed;
        running jobs are lost; the store recovers from its journal."""
        self.account()
        self.tally.jobs_interrupted += len(self.jobs)
        self.jobs.clear()
        self.hal.board.reboot(now)
        self.fsw = self._boot()
        self._base = self.fsw.store.health()

    def step(self, now: float) -> None:
        """Move the clock to ``now`` and run the software once; carry out a reset it or the
        watchdog asks for."""
        self.clock.now = max(self.clock.now, now)
        self.fsw.step(now)
        if self.hal.watchdog.check(now):
            self.tally.uncommanded_resets += 1
            self.reboot(now)
        elif self.fsw.stop_reason(now) is not None:
            self.reboot(now)

    def device_event(self, region: str, kind: UpsetKind, positions: NDArray[np.int64]) -> None:
        """The injector's callable for SEFI and latch-up events."""
        if kind is UpsetKind.SEFI:
            if not self.scenario.sefi:
                return
            self.tally.sefis += 1
            self.fsw.hang()
        elif kind is UpsetKind.LATCHUP:
            self.tally.latchups += 1
            board = self.hal.board
            self.hal.inject_latch_up(board.spec.power.latch_up_step_w, self.clock.now)
        else:
            raise DeviceEventError(f"{kind} on {region} is not a device event")

    def close(self) -> None:
        """Account the last boot and release the board's regions."""
        self.account()
        self.hal.close()


def _read_pass(payload: Payload, work: Plan, tally: Tally, lost: set[str]) -> None:
    """Read every object back against the SHA-256 kept aside."""
    store = payload.fsw.store
    for upload in work.uploads:
        tally.reads += 1
        try:
            data = store.get(upload.name)
        except DataLostError:
            lost.add(upload.name)
            continue
        except StorageError:
            tally.reported_errors += 1
            continue
        if hashlib.sha256(data).digest() != upload.digest:
            tally.wrong_data += 1


def _submit_job(payload: Payload, work: Plan, job: int) -> None:
    upload = work.job_input(job)
    spec = JobSpec(upload.name, f"campaign/job-{job:02d}", HashParams())
    try:
        submitted = payload.fsw.compute.engine.submit(spec, payload.clock.now)
    except QueueFullError:
        payload.tally.reported_errors += 1
        return
    payload.jobs[submitted.id] = upload.name


def _check_jobs(payload: Payload, work: Plan, tally: Tally, lost: set[str]) -> None:
    """Completed jobs' results against the truth; failed ones are reported errors."""
    digests = {upload.name: upload.digest for upload in work.uploads}
    engine, store = payload.fsw.compute.engine, payload.fsw.store
    for job_id, name in payload.jobs.items():
        job = engine.job(job_id)
        if job.state is JobState.COMPLETED:
            tally.jobs_completed += 1
            try:
                result = store.get(job.spec.output)
            except DataLostError:
                lost.add(job.spec.output)
                continue
            if result != digests[name]:
                tally.wrong_data += 1
        elif job.state is JobState.FAILED:
            tally.jobs_failed += 1
        else:
            tally.jobs_interrupted += 1


def _audit(payload: Payload, tally: Tally) -> None:
    """One pass of EDAC over the whole medium after the last read: the errors the trial
    left latent (the patrol had not reached them yet)."""
    store = payload.fsw.store
    found = store.medium.scrub(0, store.medium.data_octets // store.unit * store.unit)
    tally.latent_corrected_words = found.corrected
    tally.latent_uncorrectable_words = len(found.uncorrectable_words)


def _drive(payload: Payload, spec: TrialSpec, rng: np.random.Generator, tally: Tally,
           timeline: list[tuple[float, int, int, int]]) -> None:
    scenario = spec.scenario
    work = plan(scenario, rng)
    regions = payload.hal.memory_regions()
    schedule = upset_schedule(scenario, {name: region.bit_count
                                         for name, region in regions.items()}, rng)
    injector = Injector(schedule, regions={name: regions[name] for name in scenario.regions},
                        inject=payload.device_event)
    for upload in work.uploads:
        payload.fsw.store.put(upload.name, upload.data)
    jobs, reads, samples = list(work.job_times), list(work.read_times), list(
        timeline_times(scenario.duration_s))
    lost: set[str] = set()
    steps = int(np.ceil(scenario.duration_s / scenario.step_s))
    for index in range(steps + 1):
        now = min(scenario.duration_s, index * scenario.step_s)
        injector.advance(now)
        payload.step(now)
        while jobs and jobs[0] <= now:
            _submit_job(payload, work, len(work.job_times) - len(jobs))
            jobs.pop(0)
        while reads and reads[0] <= now and not payload.fsw.hung:
            _read_pass(payload, work, tally, lost)
            reads.pop(0)
        while samples and samples[0] <= now:
            payload.account()
            tally.upset_bits = injector.stats.bits_flipped + injector.stats.bits_stuck
            timeline.append((samples.pop(0), tally.upset_bits, tally.corrected_words,
                             tally.uncorrectable_words))
    if reads:  # the software was hung at the end: the watchdog resets it, then read
        payload.step(scenario.duration_s + payload.hal.board.watchdog.timeout_s)
        _read_pass(payload, work, tally, lost)
    _check_jobs(payload, work, tally, lost)
    _audit(payload, tally)
    tally.lost_objects = len(lost)
    tally.upset_events = injector.stats.events
    tally.upset_bits = injector.stats.bits_flipped + injector.stats.bits_stuck


def run_inprocess(spec: TrialSpec) -> TrialResult:
    """Run one trial in this process (see the module docstring); an exception the payload
    raises ends the trial as a crash with its message, one while it starts is a
    :class:`TrialSetupError`."""
    wall = time.perf_counter()
    rng = np.random.default_rng(spec.seed_sequence)
    tally = Tally()
    timeline: list[tuple[float, int, int, int]] = []
    exception = ""
    with tempfile.TemporaryDirectory(prefix="campaign-trial-") as state_dir:
        try:
            payload = Payload(spec.scenario, Path(state_dir), spec.scrub_period_s, tally)
        except Exception as exc:  # before any upset: the bench, not the trial, failed
            raise TrialSetupError(f"trial {spec.index}: the payload did not start: "
                                  f"{type(exc).__name__}: {exc}") from exc
        try:
            _drive(payload, spec, rng, tally, timeline)
        except Exception as exc:  # the software under test failed: a crash, with the reason
            exception = f"{type(exc).__name__}: {exc}"
        finally:
            payload.close()
    return finished(spec, BACKEND, tally, timeline=timeline, wall_s=time.perf_counter() - wall,
                    exception=exception)
