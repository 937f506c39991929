"""Parameter sources: sensors reach the right dictionary parameters, raw values invert the
dictionary's calibrations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from firmware_stubs.board.reset import BootInfo, ResetCause
from flight_sw.board_telemetry import board_source, counters_source, raw_from_engineering
from flight_sw.dictionary import MISSION
from flight_sw.hal.base import SensorReadings


@dataclass
class ReadingsOnly:
    """Just the two HAL calls a board source makes; models nothing else of a board."""

    readings: SensorReadings

    def read_sensors(self, now: float) -> SensorReadings:
        return self.readings

    def boot_info(self) -> BootInfo:
        return BootInfo(boot_count=7, cause=ResetCause.WATCHDOG, booted_at=0.0, history=())


def test_sensors_go_to_their_parameters_by_role() -> None:
    readings = SensorReadings(temperatures_c={"board": 31.0, "soc": 64.5}, power_w=7.25,
                              cpu_load=0.5, memory_used_fraction=0.25, uptime_s=99.9)
    values = board_source(ReadingsOnly(readings), MISSION.parameter, lambda: 1)(0.0)  # type: ignore[arg-type]
    engineering = {name: MISSION.parameter(name).calibrate(float(values[name]))
                   for name in ("CPU_TEMP", "BOARD_TEMP", "POWER", "CPU_LOAD", "MEMORY_USED")}
    assert engineering == pytest.approx({"CPU_TEMP": 64.5, "BOARD_TEMP": 31.0, "POWER": 7.25,
                                         "CPU_LOAD": 50.0, "MEMORY_USED": 25.0})
    assert (values["UPTIME"], values["MODE"], values["BOOT_COUNT"], values["RESET_CAUSE"]) == \
        (99, 1, 7, 1)


def test_no_power_monitor_leaves_power_unreported() -> None:
    readings = SensorReadings(temperatures_c={}, power_w=None, cpu_load=0.0,
                              memory_used_fraction=0.0, uptime_s=0.0)
    values = board_source(ReadingsOnly(readings), MISSION.parameter, lambda: 0)(0.0)  # type: ignore[arg-type]
    assert "POWER" not in values and "CPU_TEMP" not in values


def test_raw_values_are_clamped_to_the_type() -> None:
    load = MISSION.parameter("CPU_LOAD")  # uint8, 0.5 % per step
    assert raw_from_engineering(load, 1000.0) == 255
    assert raw_from_engineering(load, -5.0) == 0


def test_counters_wrap_at_32_bits_and_flags_pass() -> None:
    source = counters_source(lambda: {"TCS_ACCEPTED": (1 << 32) + 5, "FARM_LOCKOUT": True})
    assert source(0.0) == {"TCS_ACCEPTED": 5, "FARM_LOCKOUT": True}
