"""Readers of the Linux /proc and /sys files the ``linux`` HAL backend samples.

Every path is taken under a ``root`` prefix so tests can point it at a fake tree. Formats:
proc(5) for /proc/stat, /proc/meminfo, /proc/uptime and /proc/sys/kernel/random/boot_id;
the kernel's sysfs ABI for thermal zones (``temp`` in millidegrees Celsius), hwmon
(``power*_input`` in microwatts) and the watchdog class (``bootstatus`` flags of
include/uapi/linux/watchdog.h).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from flight_sw.hal.base import SensorReadError

WDIOF_CARDRESET = 0x0020
"""bootstatus flag: the last reboot was caused by the watchdog card."""


def _natural(text: str) -> int | None:
    """``text`` as a non-negative decimal integer, or None."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


class ProcFs:
    """Text of /proc and /sys files under ``root``."""

    def __init__(self, root: str | Path = "/") -> None:
        self.root = Path(root)

    def path(self, relative: str) -> Path:
        """``relative`` (e.g. ``"proc/stat"``) under the root."""
        return self.root / relative

    def read(self, relative: str) -> str:
        """The file's text; :class:`SensorReadError` when it cannot be read."""
        try:
            return self.path(relative).read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise SensorReadError(f"cannot read {self.path(relative)}: {exc}") from exc

    def read_optional(self, relative: str) -> str | None:
        """The file's text, or None when it is missing or unreadable."""
        try:
            return self.read(relative)
        except SensorReadError:
            return None


@dataclass(frozen=True)
class CpuTimes:
    """Aggregate CPU time in clock ticks: busy and total (idle = total - busy)."""

    busy: int
    total: int


def parse_cpu_times(stat: str) -> CpuTimes:
    """The ``cpu`` line of /proc/stat: user nice system idle iowait irq softirq steal ...

    Idle time is ``idle + iowait``; ``guest`` fields are already counted in ``user``.
    """
    for line in stat.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            try:
                ticks = [int(value) for value in fields[1:9]]
            except ValueError as exc:
                raise SensorReadError(f"malformed cpu line in /proc/stat: {line!r}") from exc
            if len(ticks) < 4 or min(ticks) < 0:
                raise SensorReadError(f"malformed cpu line in /proc/stat: {line!r}")
            idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
            return CpuTimes(busy=sum(ticks) - idle, total=sum(ticks))
    raise SensorReadError("no cpu line in /proc/stat")


def parse_memory_used_fraction(meminfo: str) -> float:
    """``1 - MemAvailable / MemTotal`` from /proc/meminfo (MemFree + Buffers + Cached on
    kernels before 3.14, which lack MemAvailable)."""
    values: dict[str, int] = {}
    for line in meminfo.splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        value = _natural(words[0]) if words else None
        if value is not None:
            values[key.strip()] = value
    total = values.get("MemTotal", 0)
    if total <= 0:
        raise SensorReadError("no MemTotal in /proc/meminfo")
    available = values.get("MemAvailable")
    if available is None:
        available = sum(values.get(key, 0) for key in ("MemFree", "Buffers", "Cached"))
    return min(1.0, max(0.0, 1.0 - available / total))


def parse_uptime(uptime: str) -> float:
    """Seconds since boot: the first field of /proc/uptime."""
    try:
        seconds = float(uptime.split(maxsplit=1)[0])
    except (IndexError, ValueError) as exc:
        raise SensorReadError(f"malformed /proc/uptime: {uptime!r}") from exc
    if not (math.isfinite(seconds) and seconds >= 0.0):
        raise SensorReadError(f"malformed /proc/uptime: {uptime!r}")
    return seconds


class CpuLoadMeter:
    """CPU load from the difference of two /proc/stat samples.

    The first sample gives the average since boot; an interval with no elapsed ticks keeps
    the previous figure.
    """

    def __init__(self) -> None:
        self._previous: CpuTimes | None = None
        self.load = 0.0

    def update(self, times: CpuTimes) -> float:
        """Fold in a new sample; the busy fraction since the previous one (0..1)."""
        previous = self._previous or CpuTimes(0, 0)
        busy, total = times.busy - previous.busy, times.total - previous.total
        if total > 0 and busy >= 0:
            self.load = min(1.0, busy / total)
        self._previous = times
        return self.load


@dataclass
class ThermalZones:
    """Temperatures of /sys/class/thermal/thermal_zone*, named by their ``type``."""

    fs: ProcFs
    skipped_reads: int = 0
    """Zones whose ``temp`` could not be read or parsed (some drivers return EIO)."""

    def read(self) -> dict[str, float]:
        """Degrees Celsius by zone type (``type_N`` when a type repeats)."""
        base = self.fs.path("sys/class/thermal")
        zones = sorted(base.glob("thermal_zone*"), key=lambda p: (len(p.name), p.name))
        readings: dict[str, float] = {}
        for zone in zones:
            relative = f"sys/class/thermal/{zone.name}"
            try:
                millidegrees = int(self.fs.read(f"{relative}/temp").strip())
            except (SensorReadError, ValueError):
                self.skipped_reads += 1
                continue
            kind = (self.fs.read_optional(f"{relative}/type") or zone.name).strip() or zone.name
            if kind in readings:
                kind = f"{kind}_{zone.name.removeprefix('thermal_zone')}"
            readings[kind] = millidegrees / 1000.0
        return readings


def read_power_w(fs: ProcFs) -> float | None:
    """Sum of hwmon ``power*_input`` sensors in watts; None when the board has none."""
    total, found = 0.0, False
    for sensor in sorted(fs.path("sys/class/hwmon").glob("hwmon*/power*_input")):
        microwatts = _natural(fs.read_optional(str(sensor.relative_to(fs.root))) or "")
        if microwatts is not None:
            total += microwatts / 1e6
            found = True
    return total if found else None


def read_boot_id(fs: ProcFs) -> str | None:
    """The kernel's random boot id (changes at every boot), if available."""
    text = fs.read_optional("proc/sys/kernel/random/boot_id")
    return (text or "").strip() or None


def watchdog_reset_last_boot(fs: ProcFs) -> bool:
    """Whether watchdog0's bootstatus says the last reboot was a watchdog reset."""
    text = fs.read_optional("sys/class/watchdog/watchdog0/bootstatus")
    try:
        return text is not None and bool(int(text.strip(), 0) & WDIOF_CARDRESET)
    except ValueError:
        return False
