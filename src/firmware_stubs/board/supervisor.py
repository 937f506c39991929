"""The watchdog wired to the reset controller: expiry records a watchdog reset for next boot.

Shared by the emulated board and the Linux HAL's software deadline so that a simulated hang
ends the same way on both: :meth:`WatchdogSupervisor.check` turns true, the cause
``watchdog`` is stored once, and the runtime restarts into a boot that reports it.
"""

from __future__ import annotations

from firmware_stubs.board.reset import BootStore, ResetCause
from firmware_stubs.board.watchdog import Watchdog


class WatchdogSupervisor:
    """A :class:`Watchdog` whose expiry requests a watchdog reset in a :class:`BootStore`."""

    def __init__(self, watchdog: Watchdog, boot_store: BootStore) -> None:
        self.watchdog = watchdog
        self.boot_store = boot_store
        self.expiries = 0
        self._fired = False

    def rearm(self, now: float) -> None:
        """Start a fresh countdown at boot."""
        self.watchdog.arm(now)
        self._fired = False

    def check(self, now: float) -> bool:
        """Whether the watchdog has expired; the first expiry stores the pending cause."""
        if not self.watchdog.expired(now):
            return False
        if not self._fired:
            self._fired = True
            self.expiries += 1
            self.boot_store.request(ResetCause.WATCHDOG, now)
        return True
