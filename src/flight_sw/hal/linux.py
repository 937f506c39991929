"""The ``linux`` HAL backend: a real Raspberry Pi or Jetson (or any Linux host).

Sensors come from /sys and /proc (:mod:`.procfs`) under an injectable ``root``. The watchdog
is a software deadline that records a watchdog reset for the runtime, like the emulated one;
only when ``watchdog_device`` is given (e.g. ``/dev/watchdog``) does a kick also write to the
kernel watchdog, whose expiry reboots the board -- never by default. Closing writes the magic
character ``V`` first so the driver disarms (kernel Documentation/watchdog/watchdog-api.rst,
"Magic Close"), unless the kernel was built with ``nowayout``. Memory: one file-backed
storage region in the state dir. Reset requests are persisted; the runtime restarts the
process. A kernel reboot is told from a process restart by the kernel's ``boot_id``.

When the software hangs, the runtime's watchdog circuit ends the process on the software
deadline (exit status 4, cause ``watchdog``). The exit closes an open kernel watchdog device
without the magic character, so its timer keeps running and the kernel reboots the board
unless the restarted software reopens and kicks it in time; the next boot then reads the
cause from ``bootstatus``. There is no latch-up injection on a real board (service 131
refuses it).
"""

from __future__ import annotations

import array
import fcntl
import math
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from firmware_stubs.board.memory import MemoryRegion, RegionKind
from firmware_stubs.board.reset import BootStore
from firmware_stubs.board.supervisor import WatchdogSupervisor
from firmware_stubs.board.validate import fraction, positive
from firmware_stubs.board.watchdog import Watchdog
from flight_sw.hal.base import (
    STORAGE_REGION,
    BootInfo,
    Clock,
    HalError,
    ResetCause,
    ResetRequest,
    SensorReadings,
)
from flight_sw.hal.procfs import (
    CpuLoadMeter,
    ProcFs,
    ThermalZones,
    parse_cpu_times,
    parse_memory_used_fraction,
    parse_uptime,
    read_boot_id,
    read_power_w,
    watchdog_reset_last_boot,
)

DEFAULT_STORAGE_SIZE = 256 << 20


_WDIOC_SETTIMEOUT = 0xC0045706
"""_IOWR('W', 6, int) of linux/watchdog.h."""


class WatchdogDeviceError(HalError):
    """The kernel watchdog device could not be opened or written."""


class LinuxWatchdog:
    """Software deadline plus, when configured, the kernel watchdog device."""

    def __init__(self, supervisor: WatchdogSupervisor, device: str | Path | None) -> None:
        self.supervisor = supervisor
        self.device_path = None if device is None else Path(device)
        self._device: BinaryIO | None = None
        if self.device_path is not None:
            try:  # opening the device starts the kernel timer
                self._device = self.device_path.open("wb", buffering=0)
            except OSError as exc:
                raise WatchdogDeviceError(f"cannot open {self.device_path}: {exc}") from exc

    @property
    def enabled(self) -> bool:
        """Whether kicks are required."""
        return self.supervisor.watchdog.enabled

    def kick(self, now: float) -> None:
        """Restart the deadline and keep the kernel watchdog alive."""
        self.supervisor.watchdog.kick(now)
        self._write(b"\0")

    def check(self, now: float) -> bool:
        """Whether the software deadline passed (a watchdog reset is then pending)."""
        return self.supervisor.check(now)

    def set_timeout(self, timeout_s: float) -> None:
        """Change the deadline and, with a device, the kernel timer (WDIOC_SETTIMEOUT,
        whole seconds, at least 1)."""
        self.supervisor.watchdog.timeout_s = positive(timeout_s, "watchdog timeout")
        if self._device is None:
            return
        seconds = array.array("i", [max(1, math.ceil(timeout_s))])
        try:
            fcntl.ioctl(self._device.fileno(), _WDIOC_SETTIMEOUT, seconds, True)
        except OSError as exc:
            raise WatchdogDeviceError(f"cannot set the timeout of {self.device_path}: "
                                      f"{exc}") from exc

    def _write(self, octets: bytes) -> None:
        if self._device is None:
            return
        try:
            self._device.write(octets)
        except OSError as exc:
            raise WatchdogDeviceError(f"cannot write {self.device_path}: {exc}") from exc

    def close(self) -> None:
        """Disarm the kernel watchdog (magic close) and release the device."""
        if self._device is not None:
            try:
                self._write(b"V")
            finally:
                self._device.close()
                self._device = None


class LinuxHal:
    """The HAL of a real Linux board; constructing it records a boot at ``clock.monotonic()``."""

    name = "linux"

    def __init__(self, *, state_dir: str | Path, clock: Clock, root: str | Path = "/",
                 storage_size: int = DEFAULT_STORAGE_SIZE,
                 watchdog_device: str | Path | None = None,
                 watchdog_timeout_s: float = 30.0) -> None:
        self.clock = clock
        self.fs = ProcFs(root)
        self.thermal_zones = ThermalZones(self.fs)
        self.cpu_meter = CpuLoadMeter()
        self.reported_load = 0.0
        state = Path(state_dir)
        self.boot_store = BootStore(state)
        supervisor = WatchdogSupervisor(Watchdog(watchdog_timeout_s), self.boot_store)
        now = clock.monotonic()
        self._boot = self._record_boot(now)
        supervisor.rearm(now)
        self._storage = MemoryRegion.file_backed(STORAGE_REGION, RegionKind.STORAGE,
                                                 state / f"{STORAGE_REGION}.img", storage_size)
        try:
            self.watchdog = LinuxWatchdog(supervisor, watchdog_device)
        except WatchdogDeviceError:
            self._storage.close()
            raise

    def _record_boot(self, now: float) -> BootInfo:
        marker = read_boot_id(self.fs)
        hardware_cause = None
        if marker is not None and marker != self.boot_store.marker():
            hardware_cause = (ResetCause.WATCHDOG if watchdog_reset_last_boot(self.fs)
                              else ResetCause.POWER_ON)
        return self.boot_store.boot(now, marker=marker, hardware_cause=hardware_cause)

    def read_sensors(self, now: float) -> SensorReadings:
        """Thermal zones, hwmon power, CPU load since the last call, memory use, uptime."""
        return SensorReadings(
            temperatures_c=self.thermal_zones.read(),
            power_w=read_power_w(self.fs),
            cpu_load=self.cpu_meter.update(parse_cpu_times(self.fs.read("proc/stat"))),
            memory_used_fraction=parse_memory_used_fraction(self.fs.read("proc/meminfo")),
            uptime_s=parse_uptime(self.fs.read("proc/uptime")),
        )

    def set_load(self, load: float) -> None:
        """Kept as a hint only: the real load is measured from /proc/stat."""
        self.reported_load = fraction(load, "load")

    def memory_regions(self) -> Mapping[str, MemoryRegion]:
        """The file-backed storage region."""
        return {STORAGE_REGION: self._storage}

    def reset(self, cause: ResetCause, now: float) -> ResetRequest:
        """Record ``cause`` for the next boot; the runtime restarts the process."""
        return self.boot_store.request(cause, now)

    def last_reset_cause(self) -> ResetCause:
        """Why the current boot (process start) happened."""
        return self._boot.cause

    def boot_info(self) -> BootInfo:
        """Boot count, cause and history of this state dir."""
        return self._boot

    def close(self) -> None:
        """Flush the storage region and disarm the kernel watchdog if one was opened."""
        try:
            self.watchdog.close()
        finally:
            self._storage.close()
