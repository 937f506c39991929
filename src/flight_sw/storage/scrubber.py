"""Patrol scrub of the whole medium (docs/storage.md, "Scrubbing"): superblocks, checkpoints,
journal, object blocks and free blocks, at a rate that covers the medium once per period.

Called from the flight software's scheduler: :meth:`Scrubber.step` scrubs what the elapsed
time has earned (medium size / period per second) in slices of ``scrub_chunk_octets``, and
stops once ``budget_s`` of processing time is spent, so a call stays short. The period is
adaptive (PROFILES.md, "Scrubbing arithmetic": 10-60 min patrol, tightened to 1-5 min when
corrected-error rates rise): halved once in a pass when the corrected words of that pass
reach ``scrub_tighten_corrected``, doubled back toward the base after a pass with at most
``scrub_relax_corrected``. What EDAC cannot correct goes to the store's repair (erasure code,
relocation, metadata rewrite); events go to ``on_event``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flight_sw.storage.store import EventSink, ObjectStore


@dataclass(frozen=True)
class ScrubStep:
    """What one :meth:`Scrubber.step` did."""

    octets: int
    corrected: int
    uncorrectable: int
    passes_done: int
    progress: float
    """Fraction of the current pass done after the step."""
    period_s: float


class Scrubber:
    """Adaptive patrol scrubber of one :class:`ObjectStore`.

    ``on_event``, when given, becomes the store's event sink too, so BLOCK_REPAIRED,
    BLOCK_LOST, MEMORY_UNCORRECTABLE and SCRUB_PASS_DONE all reach one receiver.
    ``timer`` measures the processing budget of a step (not the patrol schedule, which follows
    the ``now`` given to :meth:`step`).
    """

    def __init__(self, store: ObjectStore, *, on_event: EventSink | None = None,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.store = store
        if on_event is not None:
            store.on_event = on_event
        self.config = store.config
        self._timer = timer
        self.total = store.medium.data_octets // store.unit * store.unit
        self.period_s = self.config.scrub_period_s
        self.position = 0
        self._credit = 0.0
        self._last: float | None = None
        self._pass_start = 0.0
        self._pass_corrected = 0
        self._pass_uncorrectable = 0
        self._pass_counters = (0, 0)
        self._tightened = False
        self._publish()

    def set_base_period(self, period_s: float) -> None:
        """Make ``period_s`` the base patrol period and run at it from now on (adaptation
        tightens from there and relaxes back to it)."""
        self.config = self.config.with_scrub_period(period_s)
        self.period_s = period_s
        self._publish()

    def _publish(self) -> None:
        self.store.scrub_progress = self.position / self.total
        self.store.scrub_period_s = self.period_s

    def _start_pass(self, now: float) -> None:
        counters = self.store.catalogue.counters
        self._pass_start, self._pass_corrected, self._pass_uncorrectable = now, 0, 0
        self._pass_counters = (counters.repaired_blocks, counters.lost_blocks)
        self._tightened = False

    def step(self, now: float, budget_s: float) -> ScrubStep:
        """Scrub what is due at ``now`` (store clock, seconds), within ``budget_s`` of
        processing time (at least one slice when anything is due)."""
        if self._last is None:
            self._last = now
            self._start_pass(now)
        self._credit = min(float(self.total),
                           self._credit + max(0.0, now - self._last) * self.total / self.period_s)
        self._last = now
        unit, started = self.store.unit, self._timer()
        octets = corrected = uncorrectable = passes = 0
        while True:
            due = math.ceil(self._credit / unit) * unit if self._credit >= 1 else 0
            length = min(self.config.scrub_chunk_octets, self.total - self.position, due)
            if length <= 0:
                break
            fixed, bad = self.store.scrub_span(self.position, length)
            self.position += length
            self._credit -= length
            octets, corrected, uncorrectable = octets + length, corrected + fixed, (
                uncorrectable + bad)
            self._pass_corrected += fixed
            self._pass_uncorrectable += bad
            self._adapt_within_pass()
            if self.position >= self.total:
                self._finish_pass(now)
                passes += 1
            if self._timer() - started >= budget_s:
                break
        self._publish()
        return ScrubStep(octets, corrected, uncorrectable, passes, self.position / self.total,
                         self.period_s)

    def _adapt_within_pass(self) -> None:
        if not self._tightened and self._pass_corrected >= self.config.scrub_tighten_corrected:
            self._tightened = True
            self.period_s = max(self.config.scrub_min_period_s, self.period_s / 2)

    def _finish_pass(self, now: float) -> None:
        with self.store.lock:
            self._close_pass(now)
        self.store.save_counters()
        self.position = 0
        self._start_pass(now)

    def _close_pass(self, now: float) -> None:
        store = self.store
        counters = store.catalogue.counters
        counters.scrub_passes += 1
        counters.last_pass_duration_s = now - self._pass_start
        if not self._tightened and self._pass_corrected <= self.config.scrub_relax_corrected:
            self.period_s = min(self.config.scrub_period_s, self.period_s * 2)
        repaired = counters.repaired_blocks - self._pass_counters[0]
        lost = counters.lost_blocks - self._pass_counters[1]
        store.on_event("SCRUB_PASS_DONE", passes=counters.scrub_passes,
                       duration_s=counters.last_pass_duration_s,
                       corrected=self._pass_corrected, uncorrectable=self._pass_uncorrectable,
                       repaired=repaired, lost=lost, period_s=self.period_s)
