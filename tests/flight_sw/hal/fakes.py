"""Test doubles: a settable clock and a fake Linux /proc + /sys tree.

The fake tree models only the files the linux backend reads, with the formats of proc(5)
and the sysfs ABI. It does not model: per-CPU lines or other /proc/stat fields, file
contents changing on their own between reads (the test rewrites them), permissions,
sysfs attributes that fail with EIO on read (a missing or non-numeric ``temp`` stands in),
hwmon voltage/current channels, or the kernel watchdog device's reboot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class FakeClock:
    """A monotonic clock the test moves by hand."""

    now: float = 0.0

    def monotonic(self) -> float:
        return self.now


class FakeLinuxTree:
    """A root directory holding the /proc and /sys files of a Linux board."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.set_cpu(user=100, nice=0, system=50, idle=800, iowait=50)
        self.set_meminfo(total_kb=1000, available_kb=250)
        self.set_uptime(1234.5)
        self.set_boot_id("boot-a")

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def set_cpu(self, *, user: int, nice: int, system: int, idle: int, iowait: int) -> None:
        self.write("proc/stat", f"cpu  {user} {nice} {system} {idle} {iowait} 0 0 0 0 0\n"
                                f"cpu0 {user} {nice} {system} {idle} {iowait} 0 0 0 0 0\n"
                                "intr 12345 0 0\nctxt 999\nbtime 1700000000\n")

    def set_meminfo(self, *, total_kb: int, available_kb: int | None,
                    free_kb: int = 100, buffers_kb: int = 20, cached_kb: int = 30) -> None:
        lines = [f"MemTotal:       {total_kb} kB", f"MemFree:        {free_kb} kB"]
        if available_kb is not None:
            lines.append(f"MemAvailable:   {available_kb} kB")
        lines += [f"Buffers:        {buffers_kb} kB", f"Cached:         {cached_kb} kB",
                  "HugePages_Total:       0"]
        self.write("proc/meminfo", "\n".join(lines) + "\n")

    def set_uptime(self, seconds: float) -> None:
        self.write("proc/uptime", f"{seconds:.2f} 4567.89\n")

    def set_boot_id(self, boot_id: str) -> None:
        self.write("proc/sys/kernel/random/boot_id", boot_id + "\n")

    def add_zone(self, index: int, kind: str | None, temp: str) -> None:
        zone = f"sys/class/thermal/thermal_zone{index}"
        self.write(f"{zone}/temp", temp)
        if kind is not None:
            self.write(f"{zone}/type", kind + "\n")

    def set_watchdog_bootstatus(self, flags: int) -> None:
        self.write("sys/class/watchdog/watchdog0/bootstatus", f"{flags}\n")
