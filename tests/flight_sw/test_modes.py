"""Modes and FDIR rules: boot outcome, over-temperature, repeated uncorrectable errors."""

from __future__ import annotations

from typing import Any

import pytest

from firmware_stubs.board.reset import ResetCause
from flight_sw.modes import FdirRules, Mode, ModeManager


class Events:
    """Collects raised events as (name, values)."""

    def __init__(self) -> None:
        self.raised: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, now: float, **values: Any) -> None:
        self.raised.append((name, values))


@pytest.mark.parametrize(
    ("cause", "mode"),
    [(ResetCause.POWER_ON, Mode.NOMINAL), (ResetCause.COMMANDED, Mode.NOMINAL),
     (ResetCause.UNKNOWN, Mode.NOMINAL), (ResetCause.WATCHDOG, Mode.SAFE),
     (ResetCause.LATCH_UP, Mode.SAFE)],
)
def test_boot_ends_in_safe_only_after_a_suspect_reset(cause: ResetCause, mode: Mode) -> None:
    events = Events()
    modes = ModeManager(events)
    assert modes.mode is Mode.BOOT
    assert modes.complete_boot(cause, 0.0) is mode
    assert events.raised == [("MODE_CHANGED", {"previous": 2, "current": int(mode)})]


def test_over_temperature_goes_safe_with_one_event_per_excursion() -> None:
    events = Events()
    modes = ModeManager(events, FdirRules(overtemp_threshold_c=80.0))
    modes.complete_boot(ResetCause.POWER_ON, 0.0)
    modes.check_temperatures({"cpu": 85.0, "board": 40.0}, 1.0)
    modes.check_temperatures({"cpu": 86.0, "board": 40.0}, 2.0)  # same excursion
    assert modes.mode is Mode.SAFE
    names = [name for name, _ in events.raised]
    assert names == ["MODE_CHANGED", "OVER_TEMPERATURE", "MODE_CHANGED"]
    assert events.raised[1][1]["temperature_ck"] == 35815
    modes.command(Mode.NOMINAL, 3.0)
    modes.check_temperatures({"cpu": 70.0, "board": 40.0}, 4.0)  # cooled down
    modes.check_temperatures({"cpu": 81.0, "board": 40.0}, 5.0)  # a new excursion
    assert [name for name, _ in events.raised].count("OVER_TEMPERATURE") == 2
    assert modes.mode is Mode.SAFE and modes.safe_entries == 2


def test_repeated_uncorrectable_errors_within_the_window_go_safe() -> None:
    modes = ModeManager(Events(), FdirRules(uncorrectable_limit=3, uncorrectable_window_s=100))
    modes.complete_boot(ResetCause.POWER_ON, 0.0)
    modes.record_uncorrectable(1, 0.0)
    modes.record_uncorrectable(1, 150.0)  # the first has left the window
    assert modes.mode is Mode.NOMINAL
    modes.record_uncorrectable(2, 160.0)
    assert modes.mode is Mode.SAFE


def test_boot_cannot_be_commanded() -> None:
    modes = ModeManager(Events())
    with pytest.raises(ValueError, match="BOOT"):
        modes.command(Mode.BOOT, 0.0)


def test_over_temperature_event_names_the_sensor_role() -> None:
    events = Events()
    modes = ModeManager(events, FdirRules(overtemp_threshold_c=80.0))
    modes.complete_boot(ResetCause.POWER_ON, 0.0)
    modes.check_temperatures({"board": 90.0, "soc": 40.0}, 1.0)
    modes.check_temperatures({"board": 90.0, "soc": 95.0}, 2.0)
    sensors = [values["sensor"] for name, values in events.raised if name == "OVER_TEMPERATURE"]
    assert sensors == [1, 0]  # BOARD, then CPU (the dictionary's sensor enumeration)


def test_uncorrectable_limit_raises_one_event_per_excursion() -> None:
    events = Events()
    modes = ModeManager(events, FdirRules(uncorrectable_limit=2, uncorrectable_window_s=10))
    modes.complete_boot(ResetCause.POWER_ON, 0.0)
    modes.record_uncorrectable(2, 1.0)
    modes.record_uncorrectable(1, 2.0)  # still the same excursion
    limits = [values for name, values in events.raised if name == "MEMORY_ERRORS_LIMIT"]
    assert limits == [{"count": 2, "window_s": 10}] and modes.mode is Mode.SAFE
    modes.command(Mode.NOMINAL, 3.0)
    modes.record_uncorrectable(0, 20.0)  # the window emptied
    modes.record_uncorrectable(5, 21.0)
    assert [name for name, _ in events.raised].count("MEMORY_ERRORS_LIMIT") == 2
    assert modes.mode is Mode.SAFE


def test_current_limiter_trip_asks_for_one_power_cycle() -> None:
    events = Events()
    modes = ModeManager(events)
    modes.complete_boot(ResetCause.POWER_ON, 0.0)
    assert not modes.check_power(5.0, False, 1.0)
    assert modes.check_power(5.5, True, 2.0)
    assert not modes.check_power(5.5, True, 3.0)  # asked once; the power cycle follows
    assert events.raised[-1] == ("LATCH_UP_DETECTED", {"power_mw": 5500, "current_limiter": 1})


def test_power_above_the_limit_must_hold_for_the_hold_time() -> None:
    events = Events()
    modes = ModeManager(events, FdirRules(power_limit_w=8.0, power_limit_time_s=2.0))
    modes.complete_boot(ResetCause.POWER_ON, 0.0)
    assert not modes.check_power(9.0, False, 10.0)
    assert not modes.check_power(9.0, False, 11.5)
    assert not modes.check_power(7.0, False, 11.9)  # a dip restarts the hold time
    assert not modes.check_power(9.0, False, 12.0)
    assert not modes.check_power(None, False, 13.0)  # no power monitor: no verdict
    assert not modes.check_power(9.0, False, 14.0)
    assert not modes.check_power(9.0, False, 15.9)
    assert modes.check_power(9.0, False, 16.0)
    assert events.raised[-1] == ("LATCH_UP_DETECTED", {"power_mw": 9000, "current_limiter": 0})
    assert modes.mode is Mode.NOMINAL  # the power cycle, not a mode change, is the recovery
