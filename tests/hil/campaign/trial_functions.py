"""Trial functions for the runner tests, importable by spawned worker processes. They
stand in for a backend and model nothing of the payload: a result made from the index, a
trial that never returns, a worker that dies, a trial that raises, a bench that cannot set
a trial up."""

from __future__ import annotations

import os
import threading

from hil.campaign.classify import Observation
from hil.campaign.trial import Tally, TrialResult, TrialSetupError, TrialSpec, finished

HANGING, DYING, RAISING = 1, 2, 3


def behave(spec: TrialSpec) -> TrialResult:
    """Trial HANGING blocks for ever, DYING ends its process, RAISING raises; any other
    returns ``corrected_words = index`` (so the parent can tell whose result it got)."""
    if spec.index == HANGING:
        threading.Event().wait()
    if spec.index == DYING:
        os._exit(3)
    if spec.index == RAISING:
        raise ValueError("bad trial")
    return finished(spec, "fake", Tally(corrected_words=spec.index), timeline=[],
                    wall_s=0.0)


def cannot_start(spec: TrialSpec) -> TrialResult:
    """Every trial fails to set up, as with a broken bench configuration."""
    raise TrialSetupError(f"trial {spec.index}: no bench")


def observed(result: TrialResult) -> Observation:
    """The observation, for assertions."""
    return result.observation
