"""Housekeeping, PUS service 3 (ECSS-E-ST-70-41C 6.3).

One rate group per housekeeping parameter report structure, at the structure's collection
interval while periodic generation is enabled (6.3.3.2); each report TM(3,25) is the
structure id followed by the parameters' raw values (6.3.3.2, 8.3.2.3), sampled from the
parameter pool just before. Requests: (3,5)/(3,6) enable/disable periodic generation
(6.3.3.5), (3,27) one-shot report (6.3.3.8), (3,31) modify the collection interval (6.3.3.4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial

from ccsds.errors import LocalProtocolError
from ccsds.mission_db import (
    ArgumentError,
    DictionaryError,
    HousekeepingStructure,
    MissionDatabase,
    encode_housekeeping,
)
from flight_sw.clock import Clock
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.parameters import ParameterPool
from flight_sw.scheduler import Scheduler
from flight_sw.services.arguments import Arguments, Rejections, integer, request_parser
from flight_sw.services.verification import Emit, ErrorCode, Verification

SERVICE = 3


class Subtype(IntEnum):
    """Service 3 message subtypes used by the mission."""

    ENABLE_PERIODIC = 5
    DISABLE_PERIODIC = 6
    PARAMETER_REPORT = 25
    ONE_SHOT = 27
    MODIFY_INTERVAL = 31


@dataclass
class HousekeepingCounters:
    """Every outcome of the service."""

    reports: int = 0
    one_shots: int = 0
    enables: int = 0
    disables: int = 0
    interval_changes: int = 0
    encode_failures: int = 0
    rejected: Rejections = field(default_factory=Rejections)


@dataclass
class StructureState:
    """A structure's generation state."""

    structure: HousekeepingStructure
    enabled: bool
    interval_s: float
    write_interval_ms: Callable[[int], None] | None = None
    """Where (3,31) stores a new interval when a settable parameter holds it."""


class HousekeepingService:
    """Periodic and on-request housekeeping reports of every structure of the dictionary."""

    def __init__(self, database: MissionDatabase, pool: ParameterPool, scheduler: Scheduler,
                 emit: Emit, clock: Clock) -> None:
        self.database = database
        self.pool = pool
        self.scheduler = scheduler
        self.emit = emit
        self.clock = clock
        self.counters = HousekeepingCounters()
        self._sampled_at: float | None = None
        self.structures = {s.id: StructureState(s, False, float(s.interval_s))
                           for s in database.housekeeping}
        now = clock.monotonic()
        for state in self.structures.values():
            if state.structure.enabled:
                self._start(state, now)

    # ----------------------------------------------------------------------------- actions

    def state(self, structure_id: int) -> StructureState:
        """The state of a structure (LocalProtocolError if the dictionary lacks it)."""
        try:
            return self.structures[structure_id]
        except KeyError:
            raise DictionaryError(f"no housekeeping structure id {structure_id}") from None

    def report(self, structure_id: int, now: float) -> None:
        """Sample the pool (once per instant) and emit one TM(3,25) of the structure."""
        structure = self.state(structure_id).structure
        if self._sampled_at != now:
            self.pool.sample(now)
            self._sampled_at = now
        try:
            data = encode_housekeeping(self.database, structure,
                                       self.pool.values(structure.parameters))
        except ArgumentError:
            self.counters.encode_failures += 1
            return
        self.counters.reports += 1
        self.emit(SERVICE, Subtype.PARAMETER_REPORT, data)

    def enable(self, structure_id: int, now: float) -> None:
        """Start periodic generation: the first report one interval from ``now``."""
        state = self.state(structure_id)
        self.counters.enables += 1
        if not state.enabled:
            self._start(state, now)

    def _start(self, state: StructureState, now: float) -> None:
        state.enabled = True
        self.scheduler.add(self._group(state), state.interval_s,
                           partial(self.report, state.structure.id), start=now + state.interval_s)

    def disable(self, structure_id: int, now: float) -> None:
        """Stop periodic generation."""
        state = self.state(structure_id)
        self.counters.disables += 1
        state.enabled = False
        self.scheduler.remove(self._group(state))

    def set_interval(self, structure_id: int, interval_s: float, now: float) -> None:
        """Change the collection interval; the next report one new interval from ``now``."""
        if not interval_s > 0:
            raise LocalProtocolError(f"interval {interval_s} s is not positive")
        state = self.state(structure_id)
        self.counters.interval_changes += 1
        state.interval_s = interval_s
        if state.enabled:
            self.scheduler.set_period(self._group(state), interval_s, now)

    def apply_interval_ms(self, structure_id: int, interval_ms: object) -> None:
        """A change callback for an interval parameter (milliseconds), applied now."""
        if isinstance(interval_ms, int | float) and interval_ms > 0:
            self.set_interval(structure_id, interval_ms / 1000, self.clock.monotonic())

    def bind_interval(self, structure_id: int, write_ms: Callable[[int], None]) -> None:
        """Make (3,31) store the structure's interval through ``write_ms`` (a settable
        parameter, whose change callback is expected to call :meth:`apply_interval_ms`)."""
        self.state(structure_id).write_interval_ms = write_ms

    @staticmethod
    def _group(state: StructureState) -> str:
        return f"hk.{state.structure.name}"

    # ----------------------------------------------------------------------------- requests

    def register(self, dispatcher: Dispatcher) -> None:
        """Route (3,5), (3,6), (3,27) and (3,31) as the dictionary defines them."""
        now = self.clock.monotonic
        routes: tuple[tuple[Subtype, Callable[[int, float], None]], ...] = (
            (Subtype.ENABLE_PERIODIC, self.enable),
            (Subtype.DISABLE_PERIODIC, self.disable),
            (Subtype.ONE_SHOT, self._one_shot),
        )
        for subtype, action in routes:
            def execute(structure_id: int, _: Verification,
                        action: Callable[[int, float], None] = action) -> None:
                action(structure_id, now())

            dispatcher.register(SERVICE, subtype, execute, parse=request_parser(
                self.database, SERVICE, subtype, self.counters.rejected, self._structure_id))
        dispatcher.register(SERVICE, Subtype.MODIFY_INTERVAL, self._modify_interval,
                            parse=request_parser(self.database, SERVICE,
                                                 Subtype.MODIFY_INTERVAL,
                                                 self.counters.rejected, self._new_interval))

    def _one_shot(self, structure_id: int, now: float) -> None:
        self.counters.one_shots += 1
        self.report(structure_id, now)

    def _structure_id(self, arguments: Arguments) -> int:
        structure_id = integer(arguments, "structure_id")
        if structure_id not in self.structures:
            raise self.counters.rejected.unknown("housekeeping structure", structure_id)
        return structure_id

    def _new_interval(self, arguments: Arguments) -> tuple[int, int]:
        return self._structure_id(arguments), integer(arguments, "interval_ms")

    def _modify_interval(self, request: tuple[int, int], _: Verification) -> None:
        structure_id, interval_ms = request
        write = self.state(structure_id).write_interval_ms
        if write is None:
            self.set_interval(structure_id, interval_ms / 1000, self.clock.monotonic())
            return
        try:
            write(interval_ms)
        except LocalProtocolError as exc:
            raise CommandError(ErrorCode.EXECUTION_FAILED, str(exc)) from None
