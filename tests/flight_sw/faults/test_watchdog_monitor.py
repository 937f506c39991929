"""The watchdog timer circuit beside the main loop: it acts when nothing kicks, and only then."""

from __future__ import annotations

from pathlib import Path

from flight_sw.clock import SimulatedClock
from flight_sw.hal.emulated import EmulatedHal
from flight_sw.runtime import WatchdogMonitor
from tests.flight_sw.faults.bench import SMALL_BOARD


def test_expiry_records_the_watchdog_cause_and_pulls_the_reset(tmp_path: Path) -> None:
    clock = SimulatedClock(now=100.0)
    hal = EmulatedHal(state_dir=tmp_path, clock=clock, spec=SMALL_BOARD)
    hal.watchdog.set_timeout(1.0)
    resets: list[float] = []
    monitor = WatchdogMonitor(hal.watchdog, clock, period_s=0.001,
                              on_expiry=lambda: resets.append(clock.now))
    monitor.start()
    try:
        clock.advance(0.9)
        hal.watchdog.kick(clock.now)  # a live application
        clock.advance(0.9)
        assert not monitor.expired.wait(0.05) and resets == []
        clock.advance(0.2)  # 1.1 s since the last kick: the application hung
        assert monitor.expired.wait(5.0)
    finally:
        monitor.stop()
    assert resets == [clock.now]
    hal.close()
    again = EmulatedHal(state_dir=tmp_path, clock=clock, spec=SMALL_BOARD)
    assert again.last_reset_cause().name == "WATCHDOG"
    again.close()


def test_a_stopped_monitor_never_acts(tmp_path: Path) -> None:
    clock = SimulatedClock()
    hal = EmulatedHal(state_dir=tmp_path, clock=clock, spec=SMALL_BOARD)
    monitor = WatchdogMonitor(hal.watchdog, clock, period_s=0.001,
                              on_expiry=lambda: None)
    monitor.start()
    monitor.stop()
    clock.advance(100.0)
    assert not monitor.expired.is_set()
    hal.close()
