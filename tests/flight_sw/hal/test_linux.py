"""The linux backend on a fake /proc + /sys tree (see fakes.py for what it does not model)
and, read-only, on this host's real /proc and /sys."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from firmware_stubs.board import BoardArgumentError, RegionKind
from flight_sw.hal import ResetCause, SensorReadError
from flight_sw.hal.linux import LinuxHal, WatchdogDeviceError
from flight_sw.hal.procfs import WDIOF_CARDRESET, parse_cpu_times
from tests.flight_sw.hal.fakes import FakeClock, FakeLinuxTree

SMALL = 1 << 16


def _hal(tree: FakeLinuxTree, state: Path, clock: FakeClock, **options: object) -> LinuxHal:
    return LinuxHal(state_dir=state, clock=clock, root=tree.root, storage_size=SMALL,
                    **options)  # type: ignore[arg-type]


def test_sensor_readings_from_the_fake_tree(fake_linux: FakeLinuxTree, tmp_path: Path,
                                            clock: FakeClock) -> None:
    fake_linux.add_zone(0, "cpu-thermal", "45123\n")
    fake_linux.add_zone(1, "gpu-thermal", "-2500\n")
    fake_linux.add_zone(2, "cpu-thermal", "50000\n")  # a repeated type gets the zone number
    fake_linux.add_zone(10, None, "30000\n")  # no type file: named after the zone
    fake_linux.add_zone(3, "broken", "N/A\n")  # unreadable zones are skipped and counted
    fake_linux.write("sys/class/hwmon/hwmon0/power1_input", "2500000\n")
    fake_linux.write("sys/class/hwmon/hwmon1/power1_input", "500000\n")
    hal = _hal(fake_linux, tmp_path / "state", clock)
    readings = hal.read_sensors(clock.now)
    assert readings.temperatures_c == {"cpu-thermal": 45.123, "gpu-thermal": -2.5,
                                       "cpu-thermal_2": 50.0, "thermal_zone10": 30.0}
    assert hal.thermal_zones.skipped_reads == 1
    assert readings.power_w == pytest.approx(3.0)
    assert readings.cpu_load == pytest.approx(150 / 1000)  # since boot on the first read
    assert readings.memory_used_fraction == pytest.approx(0.75)
    assert readings.uptime_s == 1234.5
    hal.close()


def test_cpu_load_comes_from_deltas_between_reads(fake_linux: FakeLinuxTree, tmp_path: Path,
                                                  clock: FakeClock) -> None:
    hal = _hal(fake_linux, tmp_path, clock)
    hal.read_sensors(0.0)
    fake_linux.set_cpu(user=160, nice=0, system=70, idle=850, iowait=60)
    assert hal.read_sensors(1.0).cpu_load == pytest.approx(80 / 140)
    assert hal.read_sensors(2.0).cpu_load == pytest.approx(80 / 140)  # no ticks: unchanged
    fake_linux.set_cpu(user=160, nice=0, system=70, idle=950, iowait=60)
    assert hal.read_sensors(3.0).cpu_load == 0.0
    hal.close()


def test_no_power_monitor_and_old_meminfo(fake_linux: FakeLinuxTree, tmp_path: Path,
                                          clock: FakeClock) -> None:
    fake_linux.set_meminfo(total_kb=1000, available_kb=None, free_kb=300, buffers_kb=50,
                           cached_kb=150)
    hal = _hal(fake_linux, tmp_path, clock)
    readings = hal.read_sensors(0.0)
    assert readings.power_w is None and readings.temperatures_c == {}
    assert readings.memory_used_fraction == pytest.approx(0.5)
    hal.close()


@pytest.mark.parametrize(("relative", "text"), [
    ("proc/stat", ""), ("proc/stat", "cpu  a b c d\n"), ("proc/stat", "cpu  1 2\n"),
    ("proc/stat", "cpu  1 2 3 -4 5\n"), ("proc/meminfo", "MemFree: 10 kB\n"),
    ("proc/meminfo", "\x00\xff"), ("proc/uptime", ""), ("proc/uptime", "nan 1\n"),
    ("proc/uptime", "-1 2\n"),
])
def test_malformed_proc_files_raise_sensor_read_error(fake_linux: FakeLinuxTree, tmp_path: Path,
                                                      clock: FakeClock, relative: str,
                                                      text: str) -> None:
    hal = _hal(fake_linux, tmp_path, clock)
    fake_linux.write(relative, text)
    with pytest.raises(SensorReadError):
        hal.read_sensors(0.0)
    (fake_linux.root / relative).unlink()
    with pytest.raises(SensorReadError):
        hal.read_sensors(0.0)
    hal.close()


def test_reset_causes_across_process_restarts_and_reboots(fake_linux: FakeLinuxTree,
                                                         tmp_path: Path,
                                                         clock: FakeClock) -> None:
    state = tmp_path / "state"

    def boot() -> ResetCause:
        hal = _hal(fake_linux, state, clock)
        cause = hal.last_reset_cause()
        hal.close()
        return cause

    assert boot() == ResetCause.POWER_ON  # first boot of the state dir
    assert boot() == ResetCause.UNKNOWN  # same kernel boot, nobody asked: a crash
    hal = _hal(fake_linux, state, clock)
    request = hal.reset(ResetCause.COMMANDED, clock.now)
    assert request.cause == ResetCause.COMMANDED and not request.power_cycle
    hal.close()
    assert boot() == ResetCause.COMMANDED
    fake_linux.set_boot_id("boot-b")
    assert boot() == ResetCause.POWER_ON  # the kernel rebooted
    fake_linux.set_boot_id("boot-c")
    fake_linux.set_watchdog_bootstatus(WDIOF_CARDRESET)
    assert boot() == ResetCause.WATCHDOG  # ... because of the hardware watchdog
    hal = _hal(fake_linux, state, clock)
    assert hal.boot_info().boot_count == 7  # the six above and this one
    hal.close()


def test_software_watchdog_deadline_leads_to_a_watchdog_boot(fake_linux: FakeLinuxTree,
                                                             tmp_path: Path,
                                                             clock: FakeClock) -> None:
    hal = _hal(fake_linux, tmp_path, clock, watchdog_timeout_s=5.0)
    assert hal.watchdog.enabled
    hal.watchdog.kick(101.0)
    assert not hal.watchdog.check(105.9)
    assert hal.watchdog.check(106.0)
    hal.close()
    assert _hal(fake_linux, tmp_path, clock).last_reset_cause() == ResetCause.WATCHDOG


def test_watchdog_device_gets_keepalives_and_magic_close(fake_linux: FakeLinuxTree,
                                                         tmp_path: Path,
                                                         clock: FakeClock) -> None:
    device = tmp_path / "watchdog"  # a plain file records what would go to /dev/watchdog
    hal = _hal(fake_linux, tmp_path / "state", clock, watchdog_device=device)
    hal.watchdog.kick(1.0)
    hal.watchdog.kick(2.0)
    hal.close()
    assert device.read_bytes() == b"\0\0V"
    with pytest.raises(WatchdogDeviceError):
        _hal(fake_linux, tmp_path / "state", clock, watchdog_device=tmp_path / "no" / "dev")


def test_no_watchdog_device_by_default(fake_linux: FakeLinuxTree, tmp_path: Path,
                                       clock: FakeClock) -> None:
    hal = _hal(fake_linux, tmp_path, clock)
    assert hal.watchdog.device_path is None
    hal.close()


def test_storage_region_is_file_backed_and_persistent(fake_linux: FakeLinuxTree, tmp_path: Path,
                                                      clock: FakeClock) -> None:
    hal = _hal(fake_linux, tmp_path, clock)
    (storage,) = hal.memory_regions().values()
    assert (storage.name, storage.kind, storage.size) == ("storage", RegionKind.STORAGE, SMALL)
    storage.write(8, b"survives")
    storage.flip_bits([0])
    hal.close()
    again = _hal(fake_linux, tmp_path, clock).memory_regions()["storage"]
    assert again.read(0, 16) == b"\x01" + bytes(7) + b"survives"


def test_set_load_is_a_checked_hint(fake_linux: FakeLinuxTree, tmp_path: Path,
                                    clock: FakeClock) -> None:
    hal = _hal(fake_linux, tmp_path, clock)
    hal.set_load(0.25)
    assert hal.reported_load == 0.25
    with pytest.raises(BoardArgumentError):
        hal.set_load(-1.0)
    hal.close()


def test_proc_stat_parser_takes_the_aggregate_line() -> None:
    text = "cpu0 1 1 1 1\ncpu  10 20 30 400 40 5 6 7 8 9\n"
    times = parse_cpu_times(text)
    assert (times.busy, times.total) == (10 + 20 + 30 + 5 + 6 + 7, 518)


def test_runs_on_this_host(tmp_path: Path) -> None:
    """Read-only on the real /proc and /sys: plausible ranges, no device opened."""
    if not Path("/proc/stat").exists():
        pytest.fail("this test needs a Linux host")
    hal = LinuxHal(state_dir=tmp_path, clock=FakeClock(0.0), storage_size=SMALL)
    first = hal.read_sensors(0.0)
    second = hal.read_sensors(1.0)
    for readings in (first, second):
        assert 0.0 <= readings.cpu_load <= 1.0
        assert 0.0 < readings.memory_used_fraction < 1.0
        assert readings.uptime_s > 0.0
        assert all(-60.0 < t < 150.0 for t in readings.temperatures_c.values())
        assert readings.power_w is None or 0.0 <= readings.power_w < 1000.0
    assert second.uptime_s >= first.uptime_s
    assert hal.last_reset_cause() == ResetCause.POWER_ON
    assert not math.isnan(first.cpu_load)
    hal.close()


def test_watchdog_timeout_changes_the_deadline(fake_linux: FakeLinuxTree, tmp_path: Path,
                                               clock: FakeClock) -> None:
    hal = _hal(fake_linux, tmp_path, clock, watchdog_timeout_s=5.0)
    hal.watchdog.set_timeout(2.0)
    hal.watchdog.kick(10.0)
    assert not hal.watchdog.check(11.9)
    assert hal.watchdog.check(12.0)
    hal.close()


def test_watchdog_timeout_on_a_device_without_the_ioctl_is_a_device_error(
        fake_linux: FakeLinuxTree, tmp_path: Path, clock: FakeClock) -> None:
    device = tmp_path / "watchdog"  # a plain file: the kernel answers ENOTTY to the ioctl
    hal = _hal(fake_linux, tmp_path / "state", clock, watchdog_device=device)
    with pytest.raises(WatchdogDeviceError, match="timeout"):
        hal.watchdog.set_timeout(3.0)
    hal.close()
