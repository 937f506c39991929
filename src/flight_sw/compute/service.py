"""Compute, mission service 129: jobs on stored objects (docs/compute.md).

Requests: (129,1)..(129,5) submit a job of each kind, (129,6) cancel, (129,7) report one job
in TM(129,8), (129,9) list the jobs in TM(129,10). A submission is verified in stages
(ECSS-E-ST-70-41C 6.1): acceptance (1,1)/(1,2) and start (1,3) when the job is queued,
progress (1,5) every ``progress_step`` percent with the percentage as step number, and
completion (1,7) only once the result object is committed, or (1,8) with the failure code
and the job id as data. A TM(129,8) job report follows the queueing (so the ground learns
the job id) and the end of every job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial
from typing import TypeVar

from ccsds.mission_db import MissionDatabase
from ccsds.pus import PusTc
from ccsds.pus_types import Value
from flight_sw.clock import Clock
from flight_sw.compute.dictionary import SERVICE
from flight_sw.compute.engine import JobEngine, JobNotFoundError, QueueFullError
from flight_sw.compute.jobs import Job, JobSpec, JobState
from flight_sw.compute.params import JobKind, Limits
from flight_sw.compute.reports import job_list, job_report
from flight_sw.compute.requests import check_input, job_id_data, job_spec, submit_subtype
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.hal.base import Hal
from flight_sw.scheduler import Scheduler
from flight_sw.services.arguments import Arguments, Rejections, integer, request_parser
from flight_sw.services.events import EventService
from flight_sw.services.verification import Emit, ErrorCode, Verification
from flight_sw.services.verification import Subtype as Verify
from flight_sw.storage.api import Store

GROUP = "compute"
PERIOD_S = 0.05
"""Period of the compute rate group."""
DEFAULT_BUDGET_S = 0.020
"""Time jobs may take per compute cycle until COMPUTE_BUDGET_MS says otherwise."""
T = TypeVar("T")


class Subtype(IntEnum):
    """Service 129 message subtypes besides the submissions (kind + 1)."""

    CANCEL = 6
    REPORT_JOB = 7
    JOB_REPORT = 8
    LIST_JOBS = 9
    JOB_LIST = 10


@dataclass
class ComputeCounters:
    """Requests refused or served by the service (the engine counts the jobs)."""

    rejected: Rejections = field(default_factory=Rejections)
    refused_submissions: int = 0
    reports: int = 0
    lists: int = 0


class ComputeService:
    """Service 129 over a :class:`JobEngine`: requests, verification, reports, events."""

    def __init__(self, engine: JobEngine, emit: Emit, events: EventService, clock: Clock,
                 database: MissionDatabase, *, budget_s: float = DEFAULT_BUDGET_S) -> None:
        self.engine = engine
        self.emit = emit
        self.events = events
        self.clock = clock
        self.database = database
        self.budget_s = budget_s
        self.counters = ComputeCounters()
        self._verifications: dict[int, Verification] = {}
        """Completion reports still owed, by job id."""
        self._requests: dict[int, bytes] = {}
        """Request id of the TC that submitted each known job."""
        engine.observer = self

    # ----------------------------------------------------------------------------- routing

    def register(self, dispatcher: Dispatcher) -> None:
        """Route every (129, x) request the dictionary defines."""
        for kind in JobKind:
            subtype = submit_subtype(kind)
            dispatcher.register(SERVICE, subtype, self._submit,
                                parse=self._parser(subtype, partial(self._accept, kind)))
        dispatcher.register(SERVICE, Subtype.CANCEL, self._cancel,
                            parse=self._parser(Subtype.CANCEL, self._active_job))
        dispatcher.register(SERVICE, Subtype.REPORT_JOB, self._report,
                            parse=self._parser(Subtype.REPORT_JOB, self._known_job))
        dispatcher.register(SERVICE, Subtype.LIST_JOBS, self._list)

    def _parser(self, subtype: int, check: Callable[[Arguments], T]) -> Callable[[PusTc], T]:
        parse = request_parser(self.database, SERVICE, subtype, self.counters.rejected, check)

        def counted(tc: PusTc) -> T:
            try:
                return parse(tc)
            except CommandError:
                if subtype <= len(JobKind):
                    self.counters.refused_submissions += 1
                raise

        return counted

    def step(self, now: float) -> None:
        """The compute rate group: advance jobs for at most the budget."""
        self.engine.step(now, self.budget_s)

    def apply_budget_ms(self, milliseconds: Value) -> None:
        """A change callback for COMPUTE_BUDGET_MS."""
        if isinstance(milliseconds, int | float) and not isinstance(milliseconds, bool) \
                and milliseconds > 0:
            self.budget_s = milliseconds / 1000

    # ----------------------------------------------------------------------------- requests

    def _accept(self, kind: JobKind, arguments: Arguments) -> JobSpec:
        spec = job_spec(kind, arguments)
        check_input(self.engine.store, spec, self.engine.limits)
        if len(self.engine.active) >= self.engine.max_active:
            raise CommandError(ErrorCode.JOB_QUEUE_FULL,
                               f"{self.engine.max_active} jobs are active already")
        return spec

    def _job_id(self, arguments: Arguments, active: bool) -> int:
        job_id = integer(arguments, "job_id")
        try:
            job = self.engine.job(job_id)
        except JobNotFoundError:
            raise CommandError(ErrorCode.JOB_NOT_FOUND, f"no job {job_id}",
                               job_id_data(job_id)) from None
        if active and not job.state.active:
            raise CommandError(ErrorCode.JOB_NOT_FOUND, f"job {job_id} is {job.state.name}",
                               job_id_data(job_id))
        return job_id

    def _active_job(self, arguments: Arguments) -> int:
        return self._job_id(arguments, active=True)

    def _known_job(self, arguments: Arguments) -> int:
        return self._job_id(arguments, active=False)

    def _submit(self, spec: JobSpec, verification: Verification) -> None:
        try:
            job = self.engine.submit(spec, self.clock.monotonic())
        except QueueFullError as error:
            raise CommandError(ErrorCode.JOB_QUEUE_FULL, str(error)) from None
        verification.defer()
        self._verifications[job.id] = verification
        self._requests[job.id] = verification.request.encode()
        self._send_report(job)

    def _cancel(self, job_id: int, _: Verification) -> None:
        self.engine.cancel(job_id, self.clock.monotonic())

    def _report(self, job_id: int, _: Verification) -> None:
        self._send_report(self.engine.job(job_id))

    def _list(self, _: None, __: Verification) -> None:
        self.counters.lists += 1
        self.emit(SERVICE, Subtype.JOB_LIST, job_list(self.engine.jobs()))

    def _send_report(self, job: Job) -> None:
        self.counters.reports += 1
        request = self._requests.get(job.id, bytes(4))
        self.emit(SERVICE, Subtype.JOB_REPORT, job_report(job, request))

    # ----------------------------------------------------------------------------- observer

    def job_started(self, job: Job, now: float) -> None:
        """(1,3) went out when the job was queued; nothing more to report."""

    def job_progressed(self, job: Job, percent: int) -> None:
        """(1,5) with the percentage reached as step number."""
        verification = self._verifications.get(job.id)
        if verification is not None:
            verification.progressed(percent)

    def job_finished(self, job: Job, now: float) -> None:
        """(1,7) or (1,8), an event, and the final job report."""
        verification = self._verifications.pop(job.id, None)
        kind = int(job.spec.kind)
        if job.state is JobState.COMPLETED:
            if verification is not None:
                verification.completed()
            self.events.raise_event("JOB_COMPLETED", now, job_id=job.id, kind=kind,
                                    result_size=job.result_size,
                                    cpu_time_ms=min(round(job.cpu_s * 1000), 0xFFFF_FFFF))
        else:
            code = job.error or ErrorCode.EXECUTION_FAILED
            if verification is not None:
                verification.failed(Verify.COMPLETION_FAILURE, code, job_id_data(job.id))
            self.events.raise_event("JOB_FAILED", now, job_id=job.id, kind=kind,
                                    error_code=int(code))
        self._send_report(job)
        known = {known.id for known in self.engine.jobs()}
        self._requests = {i: r for i, r in self._requests.items() if i in known}

    def dmr_mismatch(self, job: Job, first: bytes, second: bytes, now: float) -> None:
        """The JOB_DMR_MISMATCH event with both digests."""
        self.events.raise_event("JOB_DMR_MISMATCH", now, job_id=job.id,
                                kind=int(job.spec.kind), first_sha256=first,
                                second_sha256=second)

    # ----------------------------------------------------------------------------- telemetry

    def telemetry(self, now: float) -> dict[str, Value]:
        """The compute housekeeping parameters (a parameter pool source)."""
        engine, counters = self.engine, self.engine.counters
        current = engine.current
        return {
            "JOBS_QUEUED": min(engine.count(JobState.QUEUED), 0xFF),
            "JOBS_RUNNING": min(engine.count(JobState.RUNNING), 0xFF),
            "JOBS_DONE": counters.completed & 0xFFFF_FFFF,
            "JOBS_FAILED": counters.failed & 0xFFFF_FFFF,
            "JOBS_CANCELLED": counters.cancelled & 0xFFFF_FFFF,
            "DMR_MISMATCHES": counters.dmr_mismatches & 0xFFFF_FFFF,
            "JOBS_REJECTED": self.counters.refused_submissions & 0xFFFF_FFFF,
            "COMPUTE_CPU_TIME": round(counters.cpu_s * 1000) & 0xFFFF_FFFF,
            "COMPUTE_INPUT_READ": (counters.input_read >> 10) & 0xFFFF_FFFF,
            "COMPUTE_LOAD": round(engine.load * 200),
            "CURRENT_JOB": current.id if current is not None else 0,
            "CURRENT_JOB_PROGRESS": current.percent if current is not None else 0,
        }



def install_compute(  # noqa: PLR0917 (the positional order is the wiring contract)
        dispatcher: Dispatcher, emit: Emit, events: EventService, store: Store, hal: Hal,
        scheduler: Scheduler, clock: Clock, database: MissionDatabase, *,
        limits: Limits | None = None, max_active: int = 8) -> ComputeService:
    """Create the job engine and service 129, route its requests and run it every
    :data:`PERIOD_S` (the lead adds :meth:`ComputeService.telemetry` to the parameter pool
    and follows COMPUTE_BUDGET_MS with :meth:`ComputeService.apply_budget_ms`)."""
    engine = JobEngine(store, hal, limits=limits, max_active=max_active, period_s=PERIOD_S)
    service = ComputeService(engine, emit, events, clock, database)
    service.register(dispatcher)
    scheduler.add(GROUP, PERIOD_S, service.step, start=clock.monotonic())
    return service
