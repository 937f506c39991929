"""The ``emulated`` HAL backend: an :class:`~firmware_stubs.board.EmulatedBoard` in process.

It does not model: CPU time actually used (the load is what the software reports), memory
actually allocated (used memory is a linear model of the load), sensor noise or quantisation,
per-component power rails, or the contents of volatile memory after a real power cycle
(zeroed here). Stuck bits and the thermal state do not survive a process restart.
A latch-up is seen by the software both as extra power and as the trip flag of a latching
current limiter (:data:`~flight_sw.hal.base.CURRENT_LIMITER`); the limiter does not cut the
current by itself, the FDIR power cycle does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from firmware_stubs.board.board import BoardSpec, EmulatedBoard
from firmware_stubs.board.validate import positive
from flight_sw.hal.base import (
    CURRENT_LIMITER,
    BootInfo,
    Clock,
    MemoryRegion,
    ResetCause,
    ResetRequest,
    SensorReadings,
)


class EmulatedWatchdog:
    """The emulated board's watchdog seen through :class:`~flight_sw.hal.base.HalWatchdog`."""

    def __init__(self, board: EmulatedBoard) -> None:
        self._board = board

    @property
    def enabled(self) -> bool:
        """Whether kicks are required."""
        return self._board.watchdog.enabled

    def kick(self, now: float) -> None:
        """Restart the countdown."""
        self._board.watchdog.kick(now)

    def check(self, now: float) -> bool:
        """Whether the watchdog expired (a watchdog reset is then pending for next boot)."""
        return self._board.check_watchdog(now)

    def set_timeout(self, timeout_s: float) -> None:
        """Change the time allowed between kicks."""
        self._board.watchdog.timeout_s = positive(timeout_s, "watchdog timeout")


def with_storage_size(spec: BoardSpec, size: int) -> BoardSpec:
    """``spec`` with its largest persistent region (the NAND, where the store lives) resized
    to ``size`` octets; the image file is sparse, so 4 GiB costs no write at start."""
    persistent = [region for region in spec.regions if region.persistent]
    if not persistent:
        return spec
    storage = max(persistent, key=lambda region: region.size)
    return replace(spec, regions=tuple(replace(region, size=size) if region is storage
                                       else region for region in spec.regions))


class EmulatedHal:
    """The HAL over an emulated board; constructing it boots the board at ``clock.monotonic()``.

    ``storage_size`` (octets) resizes the NAND region of ``spec`` (default board: 256 MiB).
    """

    name = "emulated"

    def __init__(self, *, state_dir: str | Path, clock: Clock,
                 spec: BoardSpec | None = None, storage_size: int | None = None) -> None:
        self.clock = clock
        spec = spec or BoardSpec()
        if storage_size is not None:
            spec = with_storage_size(spec, storage_size)
        self.board = EmulatedBoard(state_dir, spec, now=clock.monotonic())
        self.watchdog = EmulatedWatchdog(self.board)

    def read_sensors(self, now: float) -> SensorReadings:
        """Advance the thermal model to ``now`` and sample it."""
        board = self.board
        board.advance(now)
        return SensorReadings(
            temperatures_c=board.temperatures_c,
            power_w=board.power_w,
            cpu_load=board.load,
            memory_used_fraction=board.memory_used_fraction,
            uptime_s=board.uptime_s(now),
            extras={"latch_up_w": board.power.latch_up_w,
                    CURRENT_LIMITER: float(board.power.latched_up)},
        )

    def inject_latch_up(self, step_w: float, now: float) -> None:
        """Start a latch-up drawing ``step_w`` more, from ``now`` (fault injection)."""
        self.board.advance(now)
        self.board.latch_up(step_w)

    def set_load(self, fraction: float) -> None:
        """Set the load driving the power and thermal models from ``clock.monotonic()`` on."""
        self.board.set_load(fraction, now=self.clock.monotonic())

    def memory_regions(self) -> Mapping[str, MemoryRegion]:
        """The board's SRAM/DRAM/NAND-like regions by name."""
        return dict(self.board.regions)

    def reset(self, cause: ResetCause, now: float) -> ResetRequest:
        """Record ``cause`` for the next boot (a process restart or ``board.reboot``)."""
        return self.board.request_reset(cause, now)

    def last_reset_cause(self) -> ResetCause:
        """Why the current boot happened."""
        return self.board.boot_info.cause

    def boot_info(self) -> BootInfo:
        """Boot count, cause and history of this state dir."""
        return self.board.boot_info

    def close(self) -> None:
        """Flush and close the board's regions."""
        self.board.close()
