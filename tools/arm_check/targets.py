"""Build the kernels + harness for a target and run it (natively or under qemu-user).

Flags are those of src/firmware_stubs/_buildutil.py (what ``pip install .`` passes to the C
compiler on that machine) plus ``-Werror``: a warning fails the check. Cross builds link
``-static`` so that qemu-user needs no target sysroot.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from arm_check.protocol import HarnessOutput, parse_output
from firmware_stubs import _buildutil

HARNESS = Path(__file__).resolve().with_name("harness.c")
RUN_TIMEOUT_S = 600.0
BUILD_TIMEOUT_S = 300.0
PORTABLE = {"rs": "portable", "secded": "portable", "secded_il": "portable"}


class Prerequisite(Exception):
    """A compiler or emulator is missing; ``apt`` names the Debian packages providing it."""


class BuildFailure(Exception):
    """The compiler failed or said anything at all (a warning is a failure)."""


class RunFailure(Exception):
    """The harness exited non-zero, timed out or wrote a malformed output file."""


@dataclass(frozen=True)
class Target:
    """One build of the harness and how to run it."""

    name: str
    compiler: str
    machine: str
    """``platform.machine()`` of the board, selecting _buildutil's flags."""
    extra_flags: tuple[str, ...] = ()
    runner: tuple[str, ...] = ()
    harness_args: tuple[str, ...] = ()
    apt: tuple[str, ...] = ("gcc",)
    required_paths: dict[str, str] | None = None
    """Kernel paths that must be active (the portable ones, on ARM)."""


CROSS_APT = ("qemu-user",)
TARGETS = {
    target.name: target
    for target in (
        Target("aarch64", "aarch64-linux-gnu-gcc", "aarch64", ("-static",),
               ("qemu-aarch64",), apt=("gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross",
                                       *CROSS_APT), required_paths=PORTABLE),
        # 32-bit Raspberry Pi OS: ARMv6 + VFP, hard float, so it also runs on a Pi Zero / 1
        Target("armhf", "arm-linux-gnueabihf-gcc", "armv7l",
               ("-static", "-march=armv6+fp", "-marm"), ("qemu-arm",),
               apt=("gcc-arm-linux-gnueabihf", "libc6-dev-armhf-cross", *CROSS_APT),
               required_paths=PORTABLE),
        # the host's fast paths (SSE2 RS; AVX2/BMI2 SECDED when the CPU has them)
        Target("x86_64", "gcc", "x86_64"),
        # the code ARM runs, on the host: portable RS compiled in, portable SECDED selected
        Target("x86_64-portable", "gcc", "x86_64", ("-DRS_PORTABLE",),
               harness_args=("portable",), required_paths=PORTABLE),
        # the same with undefined-behaviour and address sanitizers (UB is what differs by ISA),
        # at -O1 to keep the instrumented build short
        Target("x86_64-ubsan", "gcc", "x86_64",
               ("-DRS_PORTABLE", "-O1", "-g", "-fsanitize=undefined,address",
                "-fno-sanitize-recover=all"),
               harness_args=("portable",), required_paths=PORTABLE),
    )
}


def compile_flags(target: Target) -> list[str]:
    """_buildutil's flags as they are on ``target.machine``, then -Werror and the extras."""
    with mock.patch.object(platform, "machine", return_value=target.machine):
        flags = _buildutil.compile_args()
    return [*flags, "-Werror", *target.extra_flags]


def missing_tools(target: Target) -> list[str]:
    """The target's compiler and runner executables that are not on PATH."""
    return [tool for tool in (target.compiler, *target.runner[:1]) if shutil.which(tool) is None]


def build(target: Target, workdir: Path, csrc: Path = _buildutil.CSRC) -> Path:
    """Compile every kernel in ``csrc`` with the harness into one executable for ``target``."""
    if missing := missing_tools(target):
        raise Prerequisite(f"{target.name}: {', '.join(missing)} not found; "
                           f"apt-get install -y {' '.join(target.apt)}")
    sources = sorted(csrc.glob("*.c"))
    executable = workdir / f"harness-{target.name}"
    command = [target.compiler, *compile_flags(target), "-I", str(csrc),
               *map(str, sources), str(HARNESS), "-o", str(executable)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise BuildFailure(f"{target.name}: compiler timed out") from exc
    said = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or said:
        raise BuildFailure(f"{target.name}: {' '.join(command)}\n{said}")
    return executable


def run(target: Target, executable: Path, input_file: Path, workdir: Path) -> HarnessOutput:
    """Run the harness on ``input_file`` and parse what it wrote."""
    output_file = workdir / f"out-{target.name}.bin"
    command = [*target.runner, str(executable), str(input_file), str(output_file),
               *target.harness_args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise RunFailure(f"{target.name}: harness timed out after {RUN_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        raise RunFailure(f"{target.name}: harness exit status {done.returncode}: "
                         f"{done.stderr.strip()[-2000:]}")
    try:
        return parse_output(output_file.read_bytes())
    except (OSError, ValueError) as exc:
        raise RunFailure(f"{target.name}: {exc}") from exc
