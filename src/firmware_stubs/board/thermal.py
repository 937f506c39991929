"""A lumped (single-node) thermal model of a board component.

One heat capacity ``C`` (J/K) coupled to an environment at ``T_env`` through a thermal
resistance ``R`` (K/W), heated by the dissipated power ``P``: ``C dT/dt = P - (T - T_env)/R``
(the lumped-capacitance node of thermal network analysis, ECSS-E-HB-31-01 Part 1). For power
held constant over a step ``dt`` the exact solution is used,
``T(t+dt) = T_ss + (T(t) - T_ss) exp(-dt / (R C))`` with ``T_ss = T_env + P R``, so the model
is stable for any step length. Time is only ever the elapsed time passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware_stubs.board.validate import finite, non_negative, positive


@dataclass(frozen=True)
class ThermalParameters:
    """Constants of one thermal node."""

    heat_capacity_j_per_k: float
    resistance_k_per_w: float
    ambient_c: float = 25.0

    def __post_init__(self) -> None:
        positive(self.heat_capacity_j_per_k, "heat capacity")
        positive(self.resistance_k_per_w, "thermal resistance")
        finite(self.ambient_c, "ambient temperature")

    @property
    def time_constant_s(self) -> float:
        """``R C``: the time to close 63 % of the gap to steady state."""
        return self.heat_capacity_j_per_k * self.resistance_k_per_w

    def steady_state_c(self, power_w: float) -> float:
        """The temperature reached when ``power_w`` is dissipated for ever."""
        return self.ambient_c + finite(power_w, "power") * self.resistance_k_per_w


class ThermalNode:
    """The temperature of one component, stepped by elapsed time under a given power."""

    def __init__(self, parameters: ThermalParameters, temperature_c: float | None = None) -> None:
        self.parameters = parameters
        self.temperature_c = (parameters.ambient_c if temperature_c is None
                              else finite(temperature_c, "temperature"))

    def step(self, elapsed_s: float, power_w: float) -> float:
        """Advance by ``elapsed_s`` with ``power_w`` dissipated throughout; the new temperature."""
        elapsed = non_negative(elapsed_s, "elapsed time")
        target = self.parameters.steady_state_c(power_w)
        decay = math.exp(-elapsed / self.parameters.time_constant_s)
        self.temperature_c = target + (self.temperature_c - target) * decay
        return self.temperature_c
