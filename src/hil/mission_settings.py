"""What the mission demo does (:class:`MissionDemoSettings`, checked when built) and the file
it uploads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIN_SCRUB_PERIOD_S, MAX_SCRUB_PERIOD_S = 10, 86_400
"""STORE_SCRUB_CONTROL's base period range (docs/icd.md section 11)."""
_WORDS = ("nominal", "thermal", "power", "link", "frame", "store", "scrub", "upset", "repair",
          "job", "orbit", "lunar", "archive", "backup")


class DemoSettingsError(ValueError):
    """A demo setting out of range (the message names each one)."""


@dataclass(frozen=True)
class MissionDemoSettings:
    """What the demo does; the defaults are ``hil demo``'s (about 2 minutes here)."""

    file_size: int = 256 * 1024
    """About 50 s at 64 kbit/s: the ground paces its CFDP PDUs to FOP-1's window, so the
    upload's length is bounded by the step timeout, not by CFDP's ACK timers."""
    profile: str = "lunar-transit"
    condition: str = "worst-day"
    upset_bits: float = 8000.0
    """Expected upset bits over the soak: sets the acceleration factor of the environment."""
    soak_s: float = 30.0
    scrub_period_s: int = MIN_SCRUB_PERIOD_S
    """STORE_SCRUB_CONTROL base period during the soak (the ICD's minimum, 10 s)."""
    storage_size: int = 4 << 20
    one_way_delay_s: float | None = None
    """Override of the profile's light time (tests); None: the profile's."""
    bursts: bool = True
    seed: int = 1
    compress_level: int = 6
    work_dir: Path | None = None
    """Board state, dictionary, mission file and archive (None: a temporary directory)."""
    capture_dir: Path | None = None
    """Keep the raw link captures (up.bin/.idx, down.bin/.idx) here."""
    report: Path | None = None
    """Write the PNG report here (None: no report)."""
    step_timeout_s: float = 150.0

    def __post_init__(self) -> None:
        problems = [text for bad, text in (
            (self.file_size < 1, f"file size {self.file_size} must be at least 1 octet"),
            (not self.soak_s > 0, f"soak {self.soak_s} s must be positive"),
            (not self.upset_bits >= 0, f"upset bits {self.upset_bits} must be >= 0"),
            (not MIN_SCRUB_PERIOD_S <= self.scrub_period_s <= MAX_SCRUB_PERIOD_S,
             f"scrub period {self.scrub_period_s} s outside {MIN_SCRUB_PERIOD_S}.."
             f"{MAX_SCRUB_PERIOD_S} (ICD section 11)"),
            (self.storage_size <= 0 or self.storage_size % 8,
             f"storage size {self.storage_size} must be a positive multiple of 8"),
            (self.one_way_delay_s is not None and not self.one_way_delay_s >= 0,
             f"light time {self.one_way_delay_s} s must be >= 0"),
            (not 0 <= self.compress_level <= 9,
             f"compression level {self.compress_level} outside 0..9"),
            (not self.step_timeout_s > 0,
             f"step timeout {self.step_timeout_s} s must be positive")) if bad]
        if problems:
            raise DemoSettingsError("; ".join(problems))


def generated_file(size: int, seed: int) -> bytes:
    """``size`` octets of log-like text: compressible, as archive data usually is."""
    rng = np.random.default_rng(seed)
    words = np.array(_WORDS)
    lines: list[str] = []
    total, index = 0, 0
    while total < size:
        picked = " ".join(words[rng.integers(0, len(words), 4)])
        line = f"{index:08d} {rng.integers(0, 1 << 20):07d} {picked} {rng.random():.6f}\n"
        lines.append(line)
        total += len(line)
        index += 1
    return "".join(lines).encode()[:size]
