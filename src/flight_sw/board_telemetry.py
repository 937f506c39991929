"""Parameter sources: what the board, the link and the software report in housekeeping.

Each source returns raw values by dictionary parameter name (the ground applies the
calibrations the dictionary defines; raw values here are their inverse).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ccsds.mission_db import Parameter
from ccsds.pus_types import Value, parse_type
from firmware_stubs.board.reset import ResetCause
from flight_sw.hal.base import Hal, SensorRole, temperatures_by_role

_UINT32 = 0xFFFFFFFF
_RESET_CAUSES = tuple(ResetCause)
_TEMPERATURE_PARAMETERS = {SensorRole.CPU: "CPU_TEMP", SensorRole.BOARD: "BOARD_TEMP"}


def raw_from_engineering(parameter: Parameter, value: float) -> int:
    """The raw integer whose linear calibration gives ``value`` (clamped to the type range)."""
    if len(parameter.calibration) != 2:
        raise ValueError(f"{parameter.name}: only linear calibrations are inverted")
    offset, gain = parameter.calibration
    low, high = parse_type(parameter.type).value_range()
    return int(min(max(round((value - offset) / gain), low), high))


def reset_cause_value(cause: ResetCause) -> int:
    """The RESET_CAUSE enumeration value of ``cause``."""
    return _RESET_CAUSES.index(cause)


def board_source(hal: Hal, parameter: Callable[[str], Parameter],
                 mode: Callable[[], int]) -> Callable[[float], Mapping[str, Value]]:
    """Health from the HAL: temperatures, power, load, uptime, mode, boot record."""

    def sample(now: float) -> Mapping[str, Value]:
        readings = hal.read_sensors(now)
        boot = hal.boot_info()
        values: dict[str, Value] = {
            "CPU_LOAD": raw_from_engineering(parameter("CPU_LOAD"), readings.cpu_load * 100),
            "MEMORY_USED": raw_from_engineering(parameter("MEMORY_USED"),
                                                readings.memory_used_fraction * 100),
            "UPTIME": int(readings.uptime_s) & _UINT32,
            "MODE": mode(),
            "BOOT_COUNT": min(boot.boot_count, 0xFFFF),
            "RESET_CAUSE": reset_cause_value(boot.cause),
        }
        for role, celsius in temperatures_by_role(readings.temperatures_c).items():
            name = _TEMPERATURE_PARAMETERS[role]
            values[name] = raw_from_engineering(parameter(name), celsius)
        if readings.power_w is not None:
            values["POWER"] = raw_from_engineering(parameter("POWER"), readings.power_w)
        return values

    return sample


def counters_source(counters: Callable[[], Mapping[str, int | bool]]
                    ) -> Callable[[float], Mapping[str, Value]]:
    """Counters wrap at 32 bits, as the dictionary's counter parameters do; flags pass."""

    def sample(now: float) -> Mapping[str, Value]:
        return {name: value if isinstance(value, bool) else value & _UINT32
                for name, value in counters().items()}

    return sample
