"""A windowless watchdog timer: software must kick it within ``timeout_s``.

The timer starts when armed (at power-on or reset) and restarts at every kick; it expires
once ``timeout_s`` has elapsed since the last kick or arming, as the Linux watchdog API
describes (kernel Documentation/watchdog/watchdog-api.rst, "keepalive"). Time is the ``now``
passed in (float seconds), never a clock read here.
"""

from __future__ import annotations

from firmware_stubs.board.validate import finite, positive


class Watchdog:
    """Timeout bookkeeping of one watchdog; it does not act on expiry, the board does."""

    def __init__(self, timeout_s: float, *, enabled: bool = True) -> None:
        self.timeout_s = positive(timeout_s, "watchdog timeout")
        self.enabled = enabled
        self.last_kick: float | None = None
        self.kicks = 0

    def arm(self, now: float) -> None:
        """Start counting from ``now`` (power-on or reset)."""
        self.last_kick = finite(now, "now")

    def kick(self, now: float) -> None:
        """Restart the countdown at ``now`` (arms a watchdog that was not armed)."""
        self.last_kick = finite(now, "now")
        self.kicks += 1

    def remaining_s(self, now: float) -> float | None:
        """Seconds left before expiry (negative once expired); None when disabled or unarmed."""
        if not self.enabled or self.last_kick is None:
            return None
        return self.last_kick + self.timeout_s - finite(now, "now")

    def expired(self, now: float) -> bool:
        """Whether the timeout has elapsed since the last kick (never when disabled/unarmed)."""
        remaining = self.remaining_s(now)
        return remaining is not None and remaining <= 0.0
