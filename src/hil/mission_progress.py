"""The demo's time keeping: wall-clock spans of its steps, transfer progress (from the
ground's CFDP callback or the board's housekeeping) and each transfer's summary."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ground_sw.records import ParameterSample, Record

Progress = Callable[[str], None]
"""Where progress lines go (the CLI prints them)."""
PROGRESS_POINTS = 100
"""Transfer progress samples kept in the summary."""


class Steps:
    """Wall-clock spans of the demo's steps, for the summary and the report."""

    def __init__(self, progress: Progress, clock: Callable[[], float] = time.time) -> None:
        self.progress = progress
        self.clock = clock
        self.start = clock()
        self.spans: list[dict[str, Any]] = []

    def elapsed(self) -> float:
        """Seconds since the first step's start."""
        return self.clock() - self.start

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        """A step: a line when it starts, its span and a line when it ends (not on failure)."""
        begin = self.clock()
        self.progress(f"[{begin - self.start:6.1f} s] {description} ...")
        yield
        end = self.clock()
        self.spans.append({"step": name, "start_s": round(begin - self.start, 2),
                           "duration_s": round(end - begin, 2)})
        self.progress(f"[{end - self.start:6.1f} s] {name}: done in {end - begin:.1f} s")


class ProgressTracker:
    """A transfer's progress: (s since start, octets) samples for the report, and a progress
    line each time another 1/``lines`` of the file has moved (integer arithmetic: no line
    lost to rounding)."""

    def __init__(self, name: str, steps: Steps, lines: int = 5) -> None:
        self.name, self.steps, self.lines = name, steps, lines
        self.samples: list[tuple[float, int]] = []
        self._next = 1
        """The next line is due when octets / size reaches _next / lines."""

    def __call__(self, octets: int, size: int | None) -> None:
        self.samples.append((round(self.steps.elapsed(), 3), octets))
        if size and octets * self.lines >= self._next * size:
            self.steps.progress(f"    {self.name}: {octets}/{size} octets")
            while self._next * size <= octets * self.lines:
                self._next += 1


def count(value: object) -> int:
    """An integer telemetry value (0 when absent or of another type)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class BoardReceived:
    """A ground listener feeding an upload's tracker from a board counter of octets received
    (CFDP_OCTETS_RECEIVED, ICD section 12): the ground's own progress counts octets handed
    to the link, not octets that arrived."""

    def __init__(self, tracker: ProgressTracker, parameter: str, size: int,
                 baseline: int) -> None:
        self.tracker, self.parameter, self.size, self.baseline = (tracker, parameter, size,
                                                                  baseline)
        self.octets = 0

    def on_record(self, record: Record) -> None:
        if isinstance(record, ParameterSample) and record.name == self.parameter:
            self.octets = min(self.size, max(0, count(record.raw) - self.baseline))
            self.tracker(self.octets, self.size)


def transfer_summary(ok: bool, size: int, seconds: float,
                     samples: Sequence[tuple[float, int]]) -> dict[str, Any]:
    """A transfer's outcome, time, goodput (file octets over the whole transaction, CFDP's
    closing exchange included) and at most :data:`PROGRESS_POINTS` + 1 progress samples (the
    last one always kept)."""
    stride = max(1, math.ceil(len(samples) / PROGRESS_POINTS))
    kept = list(samples[::stride])
    if samples and kept[-1] != samples[-1]:
        kept.append(samples[-1])
    return {"ok": ok, "octets": size, "time_s": round(seconds, 2),
            "goodput_bps": round(size * 8 / seconds) if seconds > 0 else None,
            "progress": kept}
