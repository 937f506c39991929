"""Ground contact plan: when the link is up (AOS) and down (LOS), in seconds from run start.

A schedule is a sorted list of non-overlapping outages (LOS intervals). It is generated from
a profile's contact model, deterministically from a seed (``passes``: ``per_day`` passes of a
drawn duration, one in each equal slot of the day, LOS between; ``continuous``: contact with
``per_day`` gaps), or read from a schedule file of contact windows. Octets on the line while
any part of an outage lasts are lost (CCSDS 401.0-B: no signal, no data).
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hil.profiles.model import SECONDS_PER_DAY, ContactModel


class ScheduleError(ValueError):
    """A schedule file or window list is malformed."""


@dataclass(frozen=True)
class Window:
    """An interval ``[start, end)`` in seconds from run start (``end`` may be infinite)."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.end - self.start


class PassSchedule:
    """Outages (LOS intervals) and the contacts between them."""

    def __init__(self, outages: list[Window]) -> None:
        ordered = sorted(outages, key=lambda window: window.start)
        for earlier, later in itertools.pairwise(ordered):
            if later.start < earlier.end:
                raise ScheduleError(f"outages {earlier} and {later} overlap")
        for window in ordered:
            if not (math.isfinite(window.start) and window.end > window.start >= 0):
                raise ScheduleError(f"outage {window} is not a forward interval from t >= 0")
        self.outages = tuple(ordered)
        self._starts = [window.start for window in ordered]
        self._ends = [window.end for window in ordered]

    @classmethod
    def always_up(cls) -> PassSchedule:
        """No outage ever."""
        return cls([])

    @classmethod
    def generated(cls, contact: ContactModel, seed: int, days: int = 30) -> PassSchedule:
        """``days`` days of the profile's contact model, LOS after them; repeatable by seed."""
        rng = np.random.default_rng([seed, days])
        count = round(contact.per_day.value)
        low, high = contact.duration_min_s.value, contact.duration_max_s.value
        windows: list[Window] = []  # the passes (kind passes) or the gaps (kind continuous)
        slot = SECONDS_PER_DAY / count if count else SECONDS_PER_DAY
        for day in range(days):
            for index in range(count):
                length = float(rng.uniform(low, high)) if high > low else low
                start = day * SECONDS_PER_DAY + index * slot + float(rng.uniform(0, slot - length))
                if length > 0:
                    windows.append(Window(start, start + length))
        horizon = days * SECONDS_PER_DAY
        if contact.kind == "continuous":
            return cls([*windows, Window(horizon, math.inf)])
        return cls.from_contacts(windows)

    @classmethod
    def from_contacts(cls, contacts: list[Window]) -> PassSchedule:
        """The schedule whose only contacts are ``contacts`` (LOS before, between, after)."""
        outages, cursor = [], 0.0
        for contact in sorted(contacts, key=lambda window: window.start):
            if contact.start < cursor or not contact.end > contact.start:
                raise ScheduleError(f"contact {contact} overlaps another or is empty")
            if contact.start > cursor:
                outages.append(Window(cursor, contact.start))
            cursor = contact.end
        if math.isfinite(cursor):
            outages.append(Window(cursor, math.inf))
        return cls(outages)

    @classmethod
    def from_file(cls, path: str | Path) -> PassSchedule:
        """Contacts from a text file (see :func:`parse_contacts`)."""
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScheduleError(f"cannot read schedule {path}: {exc}") from exc
        return cls.from_contacts(parse_contacts(text))

    def in_outage(self, begin: float, end: float) -> bool:
        """Whether the line interval ``[begin, end)`` (or the instant ``begin`` when empty)
        overlaps an outage ``[start, end)``."""
        index = bisect.bisect_right(self._ends, begin)
        if index == len(self._starts):
            return False
        start = self._starts[index]
        return start < end or start <= begin

    def in_contact(self, time: float) -> bool:
        """Whether the link is up at ``time``."""
        return not self.in_outage(time, time)

    def contacts(self, start: float, end: float) -> list[Window]:
        """Contact windows (AOS, LOS) overlapping ``[start, end)``, clipped to it."""
        found, cursor = [], start
        first = bisect.bisect_right(self._ends, start)
        for outage in self.outages[first:]:
            if outage.start >= end:
                break
            if outage.start > cursor:
                found.append(Window(cursor, outage.start))
            cursor = max(cursor, outage.end)
        if cursor < end:
            found.append(Window(cursor, end))
        return found


def parse_contacts(text: str) -> list[Window]:
    """Contact windows from lines ``<aos_s> <los_s>`` (seconds from run start); blank lines
    and ``#`` comments are skipped; anything else is a :class:`ScheduleError`."""
    windows = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        problem = f"line {number}: expected '<aos_s> <los_s>' with 0 <= aos < los"
        if len(fields) != 2:
            raise ScheduleError(problem)
        try:
            aos, los = float(fields[0]), float(fields[1])
        except ValueError as exc:
            raise ScheduleError(problem) from exc
        if not (math.isfinite(aos) and aos >= 0 and los > aos):
            raise ScheduleError(problem)
        windows.append(Window(aos, los))
    return windows
