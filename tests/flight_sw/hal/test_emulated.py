"""Emulated-backend specifics: load timing from the injected clock, latch-up, storage lookup."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from firmware_stubs.board import BoardSpec, RegionKind, RegionSpec, ThermalParameters
from flight_sw.hal import HalError, ResetCause, get_hal, storage_region
from flight_sw.hal.emulated import EmulatedHal
from tests.flight_sw.hal.fakes import FakeClock

SPEC = BoardSpec(regions=(RegionSpec("sram", RegionKind.SRAM, 4096),
                          RegionSpec("nand", RegionKind.NAND, 1 << 16, persistent=True)),
                 thermal={"soc": ThermalParameters(10.0, 5.0, ambient_c=20.0)})


def test_load_applies_from_the_clock_time_it_was_set(tmp_path: Path, clock: FakeClock) -> None:
    hal = EmulatedHal(state_dir=tmp_path, clock=clock, spec=SPEC)
    idle, full = SPEC.power.idle_w, SPEC.power.full_load_w
    clock.now += 30.0
    hal.set_load(1.0)  # idle for the first 30 s, full load from then on
    readings = hal.read_sensors(clock.now + 50.0)
    after_idle = 20.0 + idle * 5.0 * (1 - math.exp(-30.0 / 50.0))
    steady = 20.0 + full * 5.0
    expected = steady + (after_idle - steady) * math.exp(-1.0)
    assert readings.temperatures_c["soc"] == pytest.approx(expected)
    assert readings.cpu_load == 1.0 and readings.power_w == pytest.approx(full)
    assert readings.uptime_s == 80.0
    hal.close()


def test_latch_up_shows_in_power_and_extras(tmp_path: Path, clock: FakeClock) -> None:
    hal = EmulatedHal(state_dir=tmp_path, clock=clock, spec=SPEC)
    hal.board.latch_up(2.0)
    readings = hal.read_sensors(clock.now)
    assert readings.extras["latch_up_w"] == 2.0
    assert readings.power_w == pytest.approx(SPEC.power.idle_w + 2.0)
    assert hal.reset(ResetCause.LATCH_UP, clock.now).power_cycle
    hal.close()
    again = EmulatedHal(state_dir=tmp_path, clock=clock, spec=SPEC)
    assert again.last_reset_cause() == ResetCause.LATCH_UP
    assert again.read_sensors(clock.now).extras["latch_up_w"] == 0.0
    again.close()


def test_storage_region_is_the_nand_and_is_required(tmp_path: Path, clock: FakeClock) -> None:
    hal = get_hal("emulated", state_dir=tmp_path / "a", clock=clock, spec=SPEC)
    assert storage_region(hal).name == "nand"
    hal.close()
    volatile_only = BoardSpec(regions=(RegionSpec("sram", RegionKind.SRAM, 4096),))
    hal = get_hal("emulated", state_dir=tmp_path / "b", clock=clock, spec=volatile_only)
    with pytest.raises(HalError, match="non-volatile"):
        storage_region(hal)
    hal.close()
