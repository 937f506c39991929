"""Measurement helpers and the results record shared by every benchmark module.

A benchmark module ``benchmarks/bench_<area>.py`` defines ``run(recorder: Recorder) -> None``
and calls :meth:`Recorder.add` once per figure. Peers (independent implementations) are
measured in the same run so that ratios compare like with like on this machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Figure:
    """One measured figure with its target and, where measured, a peer's figure."""

    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    peer: str | None = None
    peer_value: float | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None when the figure has no target)."""
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def ratio(self) -> float | None:
        """How many times better than the peer (>1 means better), when a peer was measured."""
        if not self.peer_value or not self.value:
            return None
        if self.higher_is_better:
            return self.value / self.peer_value
        return self.peer_value / self.value

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form including the derived ``met`` and ``ratio``."""
        return {**asdict(self), "met": self.met, "ratio": self.ratio}


@dataclass
class Recorder:
    """Collects the figures of one benchmark run."""

    quick: bool = False
    figures: list[Figure] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, **kwargs: object) -> Figure:
        """Record a figure; keyword arguments are the optional :class:`Figure` fields."""
        figure = Figure(name=name, value=value, unit=unit, **kwargs)  # type: ignore[arg-type]
        self.figures.append(figure)
        return figure


def best_rate(work: Callable[[], object], units_per_call: float, *, seconds: float = 0.5,
              repeats: int = 5) -> float:
    """Best observed units per second of ``work`` over ``repeats`` timed batches.

    Each batch calls ``work`` until ``seconds`` have passed; the best batch is reported,
    as the least disturbed by the rest of the machine.
    """
    work()  # warm caches and lazy tables
    best = 0.0
    for _ in range(repeats):
        calls = 0
        start = time.perf_counter()
        elapsed = 0.0
        while elapsed < seconds:
            work()
            calls += 1
            elapsed = time.perf_counter() - start
        best = max(best, calls * units_per_call / elapsed)
    return best


def call_latencies(work: Callable[[], object], count: int) -> list[float]:
    """Wall time in seconds of each of ``count`` calls of ``work``."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ``samples``."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=1000, method="inclusive")[int(fraction * 1000) - 1]
