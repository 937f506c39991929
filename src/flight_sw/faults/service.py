"""Fault injection, mission service 131: upsets, stuck bits, hang and latch-up on request.

Faults act on the raw memory regions of the HAL (below any EDAC), so what the software above
sees is what a real upset would leave (ECSS-Q-ST-60-15C: single event upsets, multiple-bit
upsets, permanent stuck bits, functional interrupts, single event latch-up). Requests are
refused with (1,2) FAULT_INJECTION_DISABLED unless the software was started with
``--allow-fault-injection``. Random draws use numpy's PCG64 seeded by the request
(``numpy.random.default_rng(seed)``), and the positions touched are reported in TM(131,128)
(:mod:`.report`), so the bench can classify every outcome. docs/icd.md 13 is the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ccsds.mission_db import MissionDatabase
from ccsds.pus import PusTc
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.faults.dictionary import REPORT_SUBTYPE, SERVICE
from flight_sw.faults.positions import PositionsLengthError, decode_positions
from flight_sw.faults.report import fault_reports
from flight_sw.hal.base import Hal, LatchUpInjector, MemoryRegion
from flight_sw.services.arguments import Arguments, Rejections, integer, request_parser
from flight_sw.services.verification import Emit, ErrorCode, Verification

RaiseEvent = Callable[..., object]
"""``raise_event(name, now, **values)`` of the event service."""


class Subtype(IntEnum):
    """Service 131 request subtypes (also the ``kind`` of reports and events)."""

    FLIP_BITS = 1
    FLIP_RANDOM = 2
    FLIP_CLUSTERS = 3
    STICK_BITS = 4
    RELEASE_BITS = 5
    HANG = 6
    LATCH_UP = 7


@dataclass
class FaultCounters:
    """Outcomes of the service's requests."""

    injected: int = 0
    bits_flipped: int = 0
    refused: int = 0
    """Refused while disabled, or failed (unsupported latch-up)."""
    rejected: Rejections = field(default_factory=Rejections)
    """Refused for their arguments (region, positions, ranges)."""


@dataclass(frozen=True)
class BitRequest:
    """A request on the bits of one region."""

    region: MemoryRegion
    positions: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    count: int = 0
    cluster_bits: int = 1
    seed: int = 0
    value: int = 0


class FaultInjectionService:
    """Service 131 on one HAL; ``hang`` makes the application stop serving."""

    def __init__(self, hal: Hal, database: MissionDatabase, emit: Emit, *,
                 raise_event: RaiseEvent, now: Callable[[], float], hang: Callable[[], None],
                 enabled: bool) -> None:
        self.hal = hal
        self.database = database
        self.emit = emit
        self.raise_event = raise_event
        self.now = now
        self.hang = hang
        self.enabled = enabled
        self.counters = FaultCounters()

    # ----------------------------------------------------------------------------- routing

    def register(self, dispatcher: Dispatcher) -> None:
        """Route (131,1) .. (131,7) as the dictionary defines them."""
        routes: dict[Subtype, tuple[Callable[[Arguments], Any], Callable[[Any, Verification],
                                                                      None]]] = {
            Subtype.FLIP_BITS: (self._given_positions, self._flip_bits),
            Subtype.FLIP_RANDOM: (self._random_draw, self._flip_random),
            Subtype.FLIP_CLUSTERS: (self._cluster_draw, self._flip_clusters),
            Subtype.STICK_BITS: (self._stuck_positions, self._stick_bits),
            Subtype.RELEASE_BITS: (self._released_positions, self._release_bits),
            Subtype.HANG: (lambda _: None, self._hang),
            Subtype.LATCH_UP: (lambda arguments: integer(arguments, "step_mw") / 1000,
                               self._latch_up),
        }
        for subtype, (check, execute) in routes.items():
            dispatcher.register(SERVICE, subtype, execute,
                                parse=self._guarded(request_parser(
                                    self.database, SERVICE, subtype, self.counters.rejected,
                                    check)))

    def _guarded(self, parse: Callable[[PusTc], Any]) -> Callable[[PusTc], Any]:
        """Refuse every request, whatever its data, while fault injection is disabled."""

        def guarded(tc: PusTc) -> Any:
            if not self.enabled:
                self.counters.refused += 1
                raise CommandError(ErrorCode.FAULT_INJECTION_DISABLED,
                                   "started without --allow-fault-injection")
            return parse(tc)

        return guarded

    def telemetry(self) -> dict[str, int | bool]:
        """The service's housekeeping parameters by name."""
        return {"FAULT_INJECTION_ENABLED": self.enabled,
                "FAULTS_INJECTED": self.counters.injected,
                "FAULT_BITS_FLIPPED": self.counters.bits_flipped,
                "FAULTS_REFUSED": self.counters.refused}

    # ----------------------------------------------------------------------------- acceptance

    def _region(self, arguments: Arguments) -> MemoryRegion:
        name = arguments["region"]
        region = self.hal.memory_regions().get(name) if isinstance(name, str) else None
        if region is None:
            self.counters.rejected.unknown_id += 1
            raise CommandError(ErrorCode.UNKNOWN_MEMORY_REGION, f"no memory region {name!r}")
        return region

    def _positions(self, arguments: Arguments, region: MemoryRegion, *,
                   required: bool) -> NDArray[np.int64]:
        data = arguments["positions"]
        try:
            positions = decode_positions(data if isinstance(data, bytes) else b"")
        except PositionsLengthError as exc:
            self.counters.rejected.invalid_data += 1
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, str(exc)) from None
        if required and not positions.size:
            self.counters.rejected.invalid_data += 1
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, "no bit positions given")
        if positions.size and (positions.min() < 0 or positions.max() >= region.bit_count):
            self.counters.rejected.out_of_range += 1
            raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE,
                               f"a bit position is outside region {region.name!r} "
                               f"of {region.bit_count} bits")
        return positions

    def _given_positions(self, arguments: Arguments) -> BitRequest:
        region = self._region(arguments)
        return BitRequest(region, self._positions(arguments, region, required=True))

    def _stuck_positions(self, arguments: Arguments) -> BitRequest:
        region = self._region(arguments)
        return BitRequest(region, self._positions(arguments, region, required=True),
                          value=integer(arguments, "value"))

    def _released_positions(self, arguments: Arguments) -> BitRequest:
        region = self._region(arguments)
        return BitRequest(region, self._positions(arguments, region, required=False))

    def _random_draw(self, arguments: Arguments) -> BitRequest:
        return BitRequest(self._region(arguments), count=integer(arguments, "count"),
                          seed=integer(arguments, "seed"))

    def _cluster_draw(self, arguments: Arguments) -> BitRequest:
        region = self._region(arguments)
        cluster_bits = integer(arguments, "cluster_bits")
        if cluster_bits > region.bit_count:
            self.counters.rejected.out_of_range += 1
            raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE,
                               f"clusters of {cluster_bits} bits exceed region {region.name!r}")
        return BitRequest(region, count=integer(arguments, "clusters"),
                          cluster_bits=cluster_bits, seed=integer(arguments, "seed"))

    # ----------------------------------------------------------------------------- execution

    def _flip_bits(self, request: BitRequest, verification: Verification) -> None:
        request.region.flip_bits(request.positions)
        self._done(Subtype.FLIP_BITS, verification, request.positions, flipped=True)

    def _flip_random(self, request: BitRequest, verification: Verification) -> None:
        rng = np.random.default_rng(request.seed)
        positions = request.region.flip_random(request.count, rng)
        self._done(Subtype.FLIP_RANDOM, verification, positions, flipped=True)

    def _flip_clusters(self, request: BitRequest, verification: Verification) -> None:
        positions = cluster_positions(request.region.bit_count, request.count,
                                      request.cluster_bits, np.random.default_rng(request.seed))
        request.region.flip_bits(positions)
        self._done(Subtype.FLIP_CLUSTERS, verification, positions, flipped=True)

    def _stick_bits(self, request: BitRequest, verification: Verification) -> None:
        request.region.stick_bits(request.positions, request.value)
        self._done(Subtype.STICK_BITS, verification, request.positions)

    def _release_bits(self, request: BitRequest, verification: Verification) -> None:
        stuck = np.array(sorted(request.region.stuck_bits), dtype=np.int64)
        released = np.intersect1d(stuck, request.positions) if request.positions.size \
            else stuck
        request.region.release_bits(released)
        self._done(Subtype.RELEASE_BITS, verification, released)

    def _hang(self, _: None, verification: Verification) -> None:
        self._done(Subtype.HANG, verification, None)
        self.hang()

    def _latch_up(self, step_w: float, verification: Verification) -> None:
        if not isinstance(self.hal, LatchUpInjector):
            self.counters.refused += 1
            raise CommandError(ErrorCode.EXECUTION_FAILED,
                               f"latch-up injection is not supported by board {self.hal.name!r}")
        self.hal.inject_latch_up(step_w, self.now())
        self._done(Subtype.LATCH_UP, verification, None)

    def _done(self, kind: Subtype, verification: Verification,
              positions: NDArray[np.int64] | None, *, flipped: bool = False) -> None:
        """Count, report the positions touched (TM(131,128)) and raise FAULT_INJECTED."""
        self.counters.injected += 1
        count = 0 if positions is None else len(positions)
        if flipped:
            self.counters.bits_flipped += count
        if positions is not None:
            for report in fault_reports(verification.request, kind, positions):
                self.emit(SERVICE, REPORT_SUBTYPE, report.encode())
        self.raise_event("FAULT_INJECTED", self.now(), kind=int(kind), count=count)


def cluster_positions(bit_count: int, clusters: int, cluster_bits: int,
                      rng: np.random.Generator) -> NDArray[np.int64]:
    """``clusters`` runs of ``cluster_bits`` adjacent bits, each starting at a uniformly drawn
    position (with replacement) such that the run stays inside ``bit_count`` bits."""
    starts = rng.integers(0, bit_count - cluster_bits + 1, size=clusters, dtype=np.int64)
    return (starts[:, None] + np.arange(cluster_bits, dtype=np.int64)).reshape(-1)
