"""An in-process, simulated-time link direction: line rate, light time, bit errors, outages.

Octets handed to :meth:`SimulatedLink.send` leave the transmitter at the line rate (a
transmitter queue, as on a real modem), travel for the one-way light time, suffer
independent bit errors, and arrive at the far end, where :meth:`receive` returns those whose
arrival time has come. Octets that would be on the line during an outage window are lost.
Time is passed in: the same object serves an accelerated simulation or a real-time loop.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hil.impairments import BitErrorChannel


@dataclass(frozen=True)
class Outage:
    """Loss of signal from ``start`` for ``duration`` seconds (simulation time)."""

    start: float
    duration: float

    def covers(self, begin: float, end: float) -> bool:
        """Whether a transmission on the line from ``begin`` to ``end`` overlaps the outage."""
        return begin < self.start + self.duration and end > self.start


@dataclass
class LinkStats:
    """What one direction carried."""

    octets_sent: int = 0
    octets_delivered: int = 0
    octets_lost_in_outage: int = 0
    bits_flipped: int = 0


@dataclass
class SimulatedLink:
    """One direction of a space link in simulated time."""

    rate_bps: float
    delay_s: float
    ber: float = 0.0
    outages: tuple[Outage, ...] = ()
    seed: int | None = None
    stats: LinkStats = field(default_factory=LinkStats)
    _errors: BitErrorChannel = field(init=False, repr=False)
    _line_free_at: float = field(default=0.0, init=False, repr=False)
    _in_flight: deque[tuple[float, bytes]] = field(default_factory=deque, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rate_bps <= 0 or self.delay_s < 0:
            raise ValueError("the line rate must be positive and the delay not negative")
        self._errors = BitErrorChannel(self.ber, seed=self.seed)

    def backlog_s(self, now: float) -> float:
        """Seconds of queued octets the transmitter still has to put on the line."""
        return max(0.0, self._line_free_at - now)

    def send(self, data: bytes, now: float) -> None:
        """Queue ``data`` for transmission at ``now``."""
        if not data:
            return
        begin = max(now, self._line_free_at)
        end = begin + len(data) * 8 / self.rate_bps
        self._line_free_at = end
        self.stats.octets_sent += len(data)
        if any(outage.covers(begin, end) for outage in self.outages):
            self.stats.octets_lost_in_outage += len(data)
            return
        self._in_flight.append((end + self.delay_s, self._errors.apply(data)))
        self.stats.bits_flipped = self._errors.bits_flipped

    def receive(self, now: float) -> bytes:
        """Octets that have arrived at the far end by ``now``."""
        arrived = []
        while self._in_flight and self._in_flight[0][0] <= now:
            arrived.append(self._in_flight.popleft()[1])
        data = b"".join(arrived)
        self.stats.octets_delivered += len(data)
        return data

    @property
    def idle(self) -> bool:
        """Nothing queued or in flight."""
        return not self._in_flight
