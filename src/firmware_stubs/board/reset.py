"""Reset causes and the boot record kept across resets in the state directory.

A flight computer's reset controller keeps the cause of the last reset in a register that
survives the reset; software reads it at boot to tell a watchdog reset from a commanded one
or a power cycle. Here that register is a JSON file in the state directory: a reset request
stores the pending cause and the next boot consumes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from firmware_stubs.board.errors import BoardArgumentError, BoardStateError
from firmware_stubs.board.statefile import read_json, write_json_atomic
from firmware_stubs.board.validate import finite

BOOT_FILE = "boot.json"
HISTORY_LENGTH = 16
FORMAT_VERSION = 1


class ResetCause(StrEnum):
    """Why the board last (re)started."""

    POWER_ON = "power_on"
    WATCHDOG = "watchdog"
    COMMANDED = "commanded"
    LATCH_UP = "latch_up"
    UNKNOWN = "unknown"

    @property
    def power_cycles(self) -> bool:
        """Whether this reset removes power (clears latch-up and volatile memory)."""
        return self in (ResetCause.POWER_ON, ResetCause.LATCH_UP)


@dataclass(frozen=True)
class ResetRequest:
    """A reset asked for; the runtime (or the emulated board's :meth:`reboot`) carries it out."""

    cause: ResetCause
    requested_at: float

    @property
    def power_cycle(self) -> bool:
        """Whether carrying it out removes power."""
        return self.cause.power_cycles


@dataclass(frozen=True)
class BootEntry:
    """One boot in the history."""

    boot: int
    cause: ResetCause
    at: float


@dataclass(frozen=True)
class BootInfo:
    """The boot bookkeeping as of the current boot."""

    boot_count: int
    cause: ResetCause
    booted_at: float
    history: tuple[BootEntry, ...]
    """The last :data:`HISTORY_LENGTH` boots, oldest first, this one last."""


def _entry(raw: Any) -> BootEntry:
    try:
        return BootEntry(int(raw["boot"]), ResetCause(raw["cause"]), float(raw["at"]))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise BoardStateError(f"malformed boot history entry {raw!r}") from exc


class BootStore:
    """The boot record of one state directory.

    ``marker`` is an optional identity of the running system (the Linux ``boot_id``) kept to
    tell a process restart from a reboot. A state file that cannot be read is replaced at
    :meth:`boot` (cause ``unknown``) and counted in :attr:`corrupt_recoveries`.
    """

    def __init__(self, state_dir: str | Path, filename: str = BOOT_FILE) -> None:
        self.path = Path(state_dir) / filename
        self.corrupt_recoveries = 0

    def _load(self) -> dict[str, Any] | None:
        document = read_json(self.path)
        if document is None:
            return None
        try:
            if document["version"] != FORMAT_VERSION:
                raise BoardStateError(f"{self.path}: unsupported version {document['version']!r}")
            pending = document["pending_cause"]
            boot_count = int(document["boot_count"])
            if boot_count < 0:
                raise ValueError(f"negative boot count {boot_count}")
            return {
                "boot_count": boot_count,
                "pending_cause": None if pending is None else ResetCause(pending),
                "marker": document.get("marker"),
                "history": [_entry(raw) for raw in document["history"]],
            }
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise BoardStateError(f"{self.path} is not a boot record: {exc}") from exc

    def _save(self, boot_count: int, pending: ResetCause | None, marker: str | None,
              history: list[BootEntry]) -> None:
        write_json_atomic(self.path, {
            "version": FORMAT_VERSION,
            "boot_count": boot_count,
            "pending_cause": None if pending is None else pending.value,
            "marker": marker,
            "history": [{"boot": e.boot, "cause": e.cause.value, "at": e.at}
                        for e in history[-HISTORY_LENGTH:]],
        })

    def info(self) -> BootInfo | None:
        """The record of the latest boot, without booting; None before the first boot."""
        state = self._load()
        if state is None or not state["history"]:
            return None
        last: BootEntry = state["history"][-1]
        return BootInfo(state["boot_count"], last.cause, last.at, tuple(state["history"]))

    def pending(self) -> ResetCause | None:
        """The cause stored by :meth:`request` for the next boot, if any."""
        state = self._load()
        return None if state is None else state["pending_cause"]

    def request(self, cause: ResetCause | str, now: float) -> ResetRequest:
        """Store ``cause`` for the next boot and return the request."""
        try:
            reason = ResetCause(cause)
        except ValueError as exc:
            raise BoardArgumentError(f"unknown reset cause {cause!r}") from exc
        at = finite(now, "now")
        state = self._load_or_recover()
        self._save(state["boot_count"], reason, state["marker"], state["history"])
        return ResetRequest(reason, at)

    def boot(self, now: float, *, marker: str | None = None,
             hardware_cause: ResetCause | None = None) -> BootInfo:
        """Record a boot at ``now`` and return it.

        The cause is, in order: the pending request; ``hardware_cause`` (what the platform
        itself reports, e.g. a kernel reboot seen through ``marker``); ``power_on`` for the
        first boot of the state directory; else ``unknown`` (the software stopped without
        asking, e.g. a crash).
        """
        at = finite(now, "now")
        state = self._load_or_recover()
        if state["pending_cause"] is not None:
            cause = state["pending_cause"]
        elif hardware_cause is not None:
            cause = hardware_cause
        elif state["boot_count"] == 0 and not self.corrupt_recoveries:
            cause = ResetCause.POWER_ON
        else:
            cause = ResetCause.UNKNOWN
        count = state["boot_count"] + 1
        history = [*state["history"], BootEntry(count, cause, at)][-HISTORY_LENGTH:]
        self._save(count, None, marker, history)
        return BootInfo(count, cause, at, tuple(history))

    def marker(self) -> str | None:
        """The ``marker`` stored at the last boot."""
        state = self._load_or_recover()
        marker = state["marker"]
        return marker if isinstance(marker, str) else None

    def _load_or_recover(self) -> dict[str, Any]:
        try:
            state = self._load()
        except BoardStateError:
            self.corrupt_recoveries += 1
            state = None
        return state or {"boot_count": 0, "pending_cause": None, "marker": None, "history": []}
