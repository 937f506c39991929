"""The lumped thermal model against its closed form, and the power model."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_stubs.board import (
    BoardArgumentError,
    PowerModel,
    PowerParameters,
    ThermalNode,
    ThermalParameters,
)

PARAMS = ThermalParameters(heat_capacity_j_per_k=50.0, resistance_k_per_w=3.0, ambient_c=20.0)


def closed_form(t: float, power_w: float, start_c: float, p: ThermalParameters) -> float:
    """T(t) = T_env + P R + (T0 - T_env - P R) exp(-t / (R C)), solved by hand."""
    steady = p.ambient_c + power_w * p.resistance_k_per_w
    return steady + (start_c - steady) * math.exp(-t / (p.resistance_k_per_w
                                                          * p.heat_capacity_j_per_k))


@pytest.mark.parametrize("power_w", [0.0, 1.0, 7.5])
@pytest.mark.parametrize("start_c", [None, -40.0, 85.0])
def test_node_follows_the_closed_form(power_w: float, start_c: float | None) -> None:
    node = ThermalNode(PARAMS, start_c)
    origin = PARAMS.ambient_c if start_c is None else start_c
    elapsed = 0.0
    for dt in [0.1, 1.0, 10.0, 50.0, 150.0, 1000.0]:
        node.step(dt, power_w)
        elapsed += dt
        assert node.temperature_c == pytest.approx(closed_form(elapsed, power_w, origin, PARAMS),
                                                   rel=1e-12, abs=1e-9)


def test_node_agrees_with_a_numerical_integration_of_the_ode() -> None:
    """Independent check: explicit Euler on C dT/dt = P - (T - T_env)/R with tiny steps."""
    node, temperature, dt = ThermalNode(PARAMS), PARAMS.ambient_c, 0.01
    for _ in range(20_000):
        temperature += dt * (4.0 - (temperature - PARAMS.ambient_c) / 3.0) / 50.0
    node.step(200.0, 4.0)
    assert node.temperature_c == pytest.approx(temperature, abs=0.01)


def test_time_constant_and_steady_state() -> None:
    assert PARAMS.time_constant_s == 150.0
    assert PARAMS.steady_state_c(5.0) == 35.0
    node = ThermalNode(PARAMS)
    node.step(PARAMS.time_constant_s, 5.0)
    assert node.temperature_c == pytest.approx(20.0 + 15.0 * (1 - math.exp(-1)))
    node.step(1e9, 5.0)
    assert node.temperature_c == pytest.approx(35.0)


@given(st.lists(st.floats(0.0, 500.0), min_size=1, max_size=20), st.floats(0.0, 20.0))
def test_splitting_a_step_changes_nothing(steps: list[float], power_w: float) -> None:
    split, whole = ThermalNode(PARAMS), ThermalNode(PARAMS)
    for dt in steps:
        split.step(dt, power_w)
    whole.step(sum(steps), power_w)
    assert split.temperature_c == pytest.approx(whole.temperature_c, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(("elapsed", "power"), [(-1.0, 1.0), (math.nan, 1.0), (1.0, math.inf),
                                                ("x", 1.0)])
def test_bad_steps_are_rejected(elapsed: object, power: object) -> None:
    node = ThermalNode(PARAMS)
    with pytest.raises(BoardArgumentError):
        node.step(elapsed, power)  # type: ignore[arg-type]
    assert node.temperature_c == PARAMS.ambient_c


@pytest.mark.parametrize("kwargs", [{"heat_capacity_j_per_k": 0.0, "resistance_k_per_w": 1.0},
                                    {"heat_capacity_j_per_k": 1.0, "resistance_k_per_w": -1.0},
                                    {"heat_capacity_j_per_k": 1.0, "resistance_k_per_w": 1.0,
                                     "ambient_c": math.nan}])
def test_bad_thermal_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(BoardArgumentError):
        ThermalParameters(**kwargs)


@given(st.floats(0.0, 1.0))
def test_power_is_linear_in_load(load: float) -> None:
    model = PowerModel(PowerParameters(idle_w=2.0, full_load_w=10.0, latch_up_step_w=4.0))
    assert model.draw_w(load) == pytest.approx(2.0 + 8.0 * load)


def test_latch_up_adds_a_step_until_a_power_cycle() -> None:
    model = PowerModel(PowerParameters(idle_w=2.0, full_load_w=10.0, latch_up_step_w=4.0))
    assert not model.latched_up
    model.latch_up()
    assert model.latched_up and model.draw_w(0.5) == pytest.approx(10.0)
    model.latch_up(1.5)
    assert model.draw_w(0.0) == pytest.approx(3.5)
    model.power_cycle()
    assert not model.latched_up and model.draw_w(0.0) == pytest.approx(2.0)


@pytest.mark.parametrize("load", [-0.1, 1.1, math.nan, "full"])
def test_load_outside_zero_one_is_rejected(load: object) -> None:
    with pytest.raises(BoardArgumentError):
        PowerModel().draw_w(load)  # type: ignore[arg-type]


def test_bad_power_parameters() -> None:
    with pytest.raises(BoardArgumentError):
        PowerParameters(idle_w=5.0, full_load_w=4.0)
    with pytest.raises(BoardArgumentError):
        PowerParameters(idle_w=-1.0)
    with pytest.raises(BoardArgumentError):
        PowerModel().latch_up(0.0)
