"""Countdown timers driven by the caller's clock (sans-I/O; CCSDS 727.0-B-5 4.1.5 timers)."""

from __future__ import annotations


class Countdown:
    """A one-shot timer: started with an interval, tested with ``expired(now)``.

    ``expirations`` counts how often it has fired since :meth:`reset_count`, for the limits
    of the positive ACK (4.7.1), NAK (4.6.4.8) and check (4.6.3.3) procedures.
    """

    __slots__ = ("deadline", "expirations", "interval")

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.deadline: float | None = None
        self.expirations = 0

    @property
    def running(self) -> bool:
        """Whether the timer is started and has not been stopped."""
        return self.deadline is not None

    def start(self, now: float) -> None:
        """(Re)start the timer to fire ``interval`` seconds after ``now``."""
        self.deadline = now + self.interval

    def stop(self) -> None:
        """Stop the timer without firing."""
        self.deadline = None

    def reset_count(self) -> None:
        """Forget past expirations."""
        self.expirations = 0

    def fire(self, now: float) -> bool:
        """True once when the running timer is due; it then stops and counts the expiration."""
        if self.deadline is None or now < self.deadline:
            return False
        self.deadline = None
        self.expirations += 1
        return True
