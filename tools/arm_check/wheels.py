"""Whether the runtime dependencies install on the board without a compiler.

Asks the package index (and piwheels.org for armv7l, as Raspberry Pi OS does), through
``pip download --only-binary=:all: --platform ...``, for a binary wheel of each
``[project] dependencies`` entry of pyproject.toml for a board's platform and Python version.
A dependency without one is built from its source distribution on the board (a compiler,
and whatever its build needs, must be installed there). The project itself always builds
there: its C kernels are compiled by cffi at install.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
GLIBC_MINOR = 35
"""Oldest board glibc: 2.35 (Jetson Linux 36 / Ubuntu 22.04); Raspberry Pi OS 12 has 2.36."""
PIWHEELS = "https://www.piwheels.org/simple"
"""Raspberry Pi OS configures pip with this index of armv7l (armhf) wheels."""


def _manylinux(arch: str) -> list[str]:
    """Every manylinux tag a board with glibc 2.GLIBC_MINOR accepts (PEP 600)."""
    return [f"manylinux_2_{minor}_{arch}" for minor in range(GLIBC_MINOR, 16, -1)]


PLATFORMS = {
    "aarch64": _manylinux("aarch64"),                   # 64-bit Raspberry Pi OS, Jetson Linux
    "armv7l": [*_manylinux("armv7l"), "linux_armv7l"],  # 32-bit Raspberry Pi OS (armhf)
}
EXTRA_INDEX = {"aarch64": [], "armv7l": ["--extra-index-url", PIWHEELS]}
TIMEOUT_S = 300.0
_UNREACHABLE = re.compile(r"HTTPSConnection\(host='([^']+)'")


@dataclass(frozen=True)
class WheelResult:
    """The outcome for one requirement on one platform and Python version."""

    requirement: str
    platform: str
    python: str
    wheel: str | None
    """The wheel's file name, or None when no index consulted has a binary for the platform."""
    unreachable: tuple[str, ...] = ()
    """Index hosts pip could not reach (their answer is unknown)."""


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The ``[project] dependencies`` of pyproject.toml."""
    document = tomllib.loads(pyproject.read_text())
    requirements: list[str] = document["project"]["dependencies"]
    return requirements


def find_wheel(requirement: str, platform: str, python: str) -> WheelResult:
    """The binary wheel ``pip`` picks for ``platform`` and ``python``, if the index has one."""
    with tempfile.TemporaryDirectory(prefix="armwheels-") as dest:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--retries", "1",
                   "--timeout", "20",
                   "--only-binary=:all:", *EXTRA_INDEX[platform],
                   *(flag for tag in PLATFORMS[platform] for flag in ("--platform", tag)),
                   "--python-version", python, "--implementation", "cp", "-d", dest,
                   requirement]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            return WheelResult(requirement, platform, python, None, ("pip timed out",))
        wheels = sorted(path.name for path in Path(dest).glob("*.whl"))
    found = wheels[0] if done.returncode == 0 and wheels else None
    hosts = sorted(set(_UNREACHABLE.findall(done.stdout + done.stderr)))
    return WheelResult(requirement, platform, python, found, tuple(hosts))
