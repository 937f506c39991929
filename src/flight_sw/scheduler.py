"""Rate groups on an injected clock: periodic tasks run when due, overruns counted.

A task that falls behind (the loop was busy or the process was stopped) runs once and skips
the periods it missed, counting them, rather than bursting to catch up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateGroup:
    """One periodic task."""

    name: str
    period_s: float
    task: Callable[[float], None]
    next_due: float
    runs: int = 0
    skipped_periods: int = 0


@dataclass
class Scheduler:
    """Runs rate groups from the main loop: ``run_due(now)`` after every wake-up."""

    groups: dict[str, RateGroup] = field(default_factory=dict)

    def add(self, name: str, period_s: float, task: Callable[[float], None], *,
            start: float = 0.0) -> RateGroup:
        """Run ``task(now)`` every ``period_s`` seconds from ``start``."""
        if period_s <= 0:
            raise ValueError(f"rate group {name!r}: period must be positive")
        if name in self.groups:
            raise ValueError(f"rate group {name!r} exists already")
        group = RateGroup(name, period_s, task, start)
        self.groups[name] = group
        return group

    def set_period(self, name: str, period_s: float, now: float) -> None:
        """Change a group's period; the next run is one new period from ``now``."""
        if period_s <= 0:
            raise ValueError(f"rate group {name!r}: period must be positive")
        group = self.groups[name]
        group.period_s = period_s
        group.next_due = now + period_s

    def remove(self, name: str) -> None:
        """Stop a group."""
        self.groups.pop(name, None)

    def run_due(self, now: float) -> int:
        """Run every group whose time has come; returns how many ran."""
        ran = 0
        for group in list(self.groups.values()):
            if now < group.next_due:
                continue
            missed = int((now - group.next_due) // group.period_s)
            group.skipped_periods += missed
            group.next_due += (missed + 1) * group.period_s
            group.runs += 1
            group.task(now)
            ran += 1
        return ran

    def next_deadline(self) -> float | None:
        """When the earliest group is due (None without groups)."""
        return min((g.next_due for g in self.groups.values()), default=None)
