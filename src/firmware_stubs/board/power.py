"""Power draw of the board: idle plus load-proportional, plus a latch-up current step.

A single event latch-up (SEL) makes a parasitic thyristor conduct: the supply current jumps
and stays high until power is removed (ECSS-Q-ST-60-15C, 3.2 "single event latch-up"). The
model adds a constant step while latched; only :meth:`PowerModel.power_cycle` clears it.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_stubs.board.errors import BoardArgumentError
from firmware_stubs.board.validate import fraction, non_negative, positive


@dataclass(frozen=True)
class PowerParameters:
    """Constants of the power model (watts)."""

    idle_w: float = 2.5
    full_load_w: float = 6.5
    latch_up_step_w: float = 3.0

    def __post_init__(self) -> None:
        non_negative(self.idle_w, "idle power")
        positive(self.full_load_w, "full-load power")
        non_negative(self.latch_up_step_w, "latch-up step")
        if self.full_load_w < self.idle_w:
            raise BoardArgumentError(
                f"full-load power {self.full_load_w} W is below idle power {self.idle_w} W")


class PowerModel:
    """Power drawn for a compute load in [0, 1], with latch-up state."""

    def __init__(self, parameters: PowerParameters | None = None) -> None:
        self.parameters = parameters or PowerParameters()
        self.latch_up_w = 0.0

    @property
    def latched_up(self) -> bool:
        """Whether a latch-up current is flowing."""
        return self.latch_up_w > 0.0

    def draw_w(self, load: float) -> float:
        """Total power at compute load ``load`` (0 = idle, 1 = all cores busy)."""
        p = self.parameters
        return p.idle_w + (p.full_load_w - p.idle_w) * fraction(load, "load") + self.latch_up_w

    def latch_up(self, step_w: float | None = None) -> None:
        """Start a latch-up drawing ``step_w`` more (the configured step when None)."""
        step = self.parameters.latch_up_step_w if step_w is None else step_w
        self.latch_up_w = positive(step, "latch-up step")

    def power_cycle(self) -> None:
        """Remove and restore power: the latch-up current stops."""
        self.latch_up_w = 0.0
