"""The outcome of one trial (PROFILES.md, "Fault-injection campaigns"; fault model
ECSS-Q-ST-60-15C): masked, corrected, detected-uncorrectable (DUE: reported, then repaired
or lost), silent data corruption (SDC), crash or hang.

One label per trial, the most severe observation wins, in the order of :data:`SEVERITY`:
a hang first (the trial never finished, so nothing else is known), then SDC (wrong data
returned without an error: the failure the payload must never have, never hidden behind a
crash), then crash (a software exit nobody commanded: watchdog reset, an exception), then
DUE, then corrected (EDAC or scrub corrected, data intact), else masked (upsets, or none,
with no observable effect).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """Outcome classes of a trial, mildest first."""

    MASKED = "masked"
    CORRECTED = "corrected"
    DUE = "detected-uncorrectable"
    CRASH = "crash"
    SDC = "silent-corruption"
    HANG = "hang"


SEVERITY = (Outcome.HANG, Outcome.SDC, Outcome.CRASH, Outcome.DUE, Outcome.CORRECTED,
            Outcome.MASKED)
"""Most severe first: the first class whose rule holds labels the trial."""


@dataclass(frozen=True)
class Observation:
    """What a trial saw, counted by the runner (all counts >= 0)."""

    upset_bits: int = 0
    """Bits flipped or stuck by the injector."""
    corrected_words: int = 0
    """Words EDAC corrected (patrol scrub and reads)."""
    uncorrectable_words: int = 0
    """Words EDAC detected but could not correct (each one reported, MEMORY_UNCORRECTABLE)."""
    reported_errors: int = 0
    """Other error reports: events (BLOCK_REPAIRED, BLOCK_LOST, LATCH_UP_DETECTED, ...) and
    failure codes (DATA_LOST on a read, a failed compute job)."""
    lost_objects: int = 0
    """Reads refused with DATA_LOST (reported, not repaired)."""
    wrong_data: int = 0
    """Reads or job results that differ from the truth kept aside, with no error."""
    uncommanded_resets: int = 0
    """Software exits nobody commanded (watchdog after a functional interrupt)."""
    exception: str = ""
    """An exception that ended the trial (type: message), empty if none."""
    timed_out: bool = False
    """The trial's wall-clock deadline passed."""


def classify(seen: Observation) -> Outcome:
    """The outcome class of one trial (rules in the module docstring)."""
    if seen.timed_out:
        return Outcome.HANG
    if seen.wrong_data:
        return Outcome.SDC
    if seen.uncommanded_resets or seen.exception:
        return Outcome.CRASH
    if seen.uncorrectable_words or seen.reported_errors or seen.lost_objects:
        return Outcome.DUE
    if seen.corrected_words:
        return Outcome.CORRECTED
    return Outcome.MASKED


def due_kind(seen: Observation) -> str:
    """For a DUE trial: ``lost`` when an object could not be read back, else ``repaired``."""
    return "lost" if seen.lost_objects else "repaired"
