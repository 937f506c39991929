"""One contract suite over every backend: emulated, and linux on a fake /proc + /sys tree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from firmware_stubs.board import (
    BoardArgumentError,
    BoardSpec,
    MemoryRegion,
    RegionKind,
    RegionSpec,
)
from flight_sw.hal import Hal, HalWatchdog, ResetCause, get_hal, storage_region
from flight_sw.hal.base import SensorRole, sensor_role, temperatures_by_role
from tests.flight_sw.hal.fakes import FakeClock, FakeLinuxTree

TIMEOUT = 4.0
MakeHal = Callable[[], Hal]


@pytest.fixture(params=["emulated", "linux"])
def make_hal(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> MakeHal:
    """A factory: each call is a process start on the same state dir."""
    state = tmp_path / "state"
    if request.param == "emulated":
        spec = BoardSpec(regions=(RegionSpec("sram", RegionKind.SRAM, 4096),
                                  RegionSpec("nand", RegionKind.NAND, 1 << 20, persistent=True)),
                         watchdog_timeout_s=TIMEOUT)
        return lambda: get_hal("emulated", state_dir=state, clock=clock, spec=spec)
    tree = FakeLinuxTree(tmp_path / "root")
    tree.add_zone(0, "cpu-thermal", "41000")
    return lambda: get_hal("linux", state_dir=state, clock=clock, root=tree.root,
                           storage_size=1 << 20, watchdog_timeout_s=TIMEOUT)


def test_is_a_hal(make_hal: MakeHal) -> None:
    hal = make_hal()
    assert isinstance(hal, Hal) and isinstance(hal.watchdog, HalWatchdog)
    assert hal.name in {"emulated", "linux"}
    hal.close()


def test_readings_are_plausible(make_hal: MakeHal, clock: FakeClock) -> None:
    hal = make_hal()
    hal.set_load(0.5)
    readings = hal.read_sensors(clock.now + 10.0)
    assert readings.temperatures_c and all(-60 < t < 150 for t in readings.temperatures_c.values())
    assert 0.0 <= readings.cpu_load <= 1.0
    assert 0.0 <= readings.memory_used_fraction <= 1.0
    assert readings.uptime_s >= 0.0
    assert readings.power_w is None or readings.power_w > 0.0
    with pytest.raises(BoardArgumentError):
        hal.set_load(1.5)
    hal.close()


def test_first_boot_is_power_on_and_commanded_reset_persists(make_hal: MakeHal,
                                                            clock: FakeClock) -> None:
    hal = make_hal()
    assert hal.last_reset_cause() == ResetCause.POWER_ON
    request = hal.reset(ResetCause.COMMANDED, clock.now)
    assert request.cause == ResetCause.COMMANDED
    hal.close()
    clock.now += 1.0
    again = make_hal()
    assert again.last_reset_cause() == ResetCause.COMMANDED
    assert again.boot_info().boot_count == 2
    again.close()


def test_missed_kicks_lead_to_a_watchdog_boot(make_hal: MakeHal, clock: FakeClock) -> None:
    hal = make_hal()
    assert hal.watchdog.enabled
    hal.watchdog.kick(clock.now + 1.0)
    assert not hal.watchdog.check(clock.now + 1.0 + TIMEOUT - 0.01)
    assert hal.watchdog.check(clock.now + 1.0 + TIMEOUT)
    hal.close()
    assert make_hal().last_reset_cause() == ResetCause.WATCHDOG


def test_memory_regions_take_bit_flips_and_keep_non_volatile_data(make_hal: MakeHal) -> None:
    hal = make_hal()
    regions = hal.memory_regions()
    assert regions and all(isinstance(r, MemoryRegion) for r in regions.values())
    storage = storage_region(hal)  # every backend has somewhere to keep data across restarts
    assert not storage.kind.volatile and storage.path is not None
    assert regions[storage.name] is storage
    positions = storage.flip_random(64, np.random.default_rng(5))
    image = storage.read(0, storage.size)
    hal.close()
    reopened = make_hal().memory_regions()[storage.name]
    assert reopened.read(0, reopened.size) == image
    reopened.flip_bits(positions)
    assert not np.count_nonzero(reopened.octets)


@pytest.mark.parametrize(
    ("name", "role"),
    [("soc", SensorRole.CPU), ("cpu-thermal", SensorRole.CPU), ("x86_pkg_temp", SensorRole.CPU),
     ("CPU-therm", SensorRole.CPU), ("board", SensorRole.BOARD), ("acpitz", SensorRole.BOARD)],
)
def test_sensor_roles_by_name(name: str, role: SensorRole) -> None:
    assert sensor_role(name) is role


def test_hottest_reading_of_each_role() -> None:
    readings = {"soc": 50.0, "cpu-thermal": 61.0, "board": 30.0}
    assert temperatures_by_role(readings) == {SensorRole.CPU: 61.0, SensorRole.BOARD: 30.0}
