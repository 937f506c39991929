"""One direction of the link channel, sans I/O: octets in at the sender, out at the receiver.

:meth:`Direction.push` hands octets to the transmitter at time ``now``; they go on the line
at the line rate (a transmitter queue drained at ``rate_bps``: a token bucket of one octet's
depth), in pieces of at most ``piece_s`` of line time, so the receiver sees a stream, not
whole chunks. Each piece meets the outage predicate of the pass schedule (lost when it
touches LOS), bit errors (Gilbert-Elliott), octet drops and insertions, then travels for the
one-way delay; :meth:`pop` returns the octets whose arrival time has come. Time is passed in:
the proxy feeds a monotonic clock, tests feed numbers.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from hil.channel.impairments import BurstConfig, GilbertElliott, OctetSlips
from hil.channel.passes import PassSchedule


class ChannelConfigError(ValueError):
    """A channel parameter is out of range."""


@dataclass(frozen=True)
class DirectionConfig:
    """Impairments of one direction; ``rate_bps`` None means no rate limit."""

    rate_bps: float | None
    delay_s: float = 0.0
    ber: float = 0.0
    burst: BurstConfig = field(default_factory=BurstConfig)
    drop_rate: float = 0.0
    insert_rate: float = 0.0
    piece_s: float = 0.001
    """Most line time one piece may take (granularity of delivery)."""
    max_queue_octets: int = 64 << 20
    """Octets the transmitter may hold; beyond it octets are refused and counted."""

    def __post_init__(self) -> None:
        if self.rate_bps is not None and not (math.isfinite(self.rate_bps) and self.rate_bps > 0):
            raise ChannelConfigError(f"line rate {self.rate_bps} bit/s must be positive")
        if not (math.isfinite(self.delay_s) and self.delay_s >= 0):
            raise ChannelConfigError(f"delay {self.delay_s} s must be finite and >= 0")
        for name in ("ber", "drop_rate", "insert_rate"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ChannelConfigError(f"{name} {getattr(self, name)} outside [0, 1)")
        if not self.piece_s > 0 or self.max_queue_octets <= 0:
            raise ChannelConfigError("piece_s and max_queue_octets must be positive")


@dataclass
class DirectionStats:
    """What one direction carried (live: read :meth:`Direction.stats` for a snapshot)."""

    octets_in: int = 0
    octets_out: int = 0
    bits_flipped: int = 0
    bursts: int = 0
    octets_dropped: int = 0
    octets_inserted: int = 0
    octets_lost_in_outage: int = 0
    octets_refused_queue_full: int = 0
    queue_octets: int = 0
    """Octets pushed but not yet popped (on the transmitter or in flight)."""


class Direction:
    """The sans-I/O pipeline of one direction."""

    def __init__(self, config: DirectionConfig, schedule: PassSchedule | None = None,
                 rng: np.random.Generator | None = None) -> None:
        self.config = config
        self.schedule = schedule or PassSchedule.always_up()
        rng = rng if rng is not None else np.random.default_rng()
        self._errors = GilbertElliott(config.ber, config.burst, rng)
        self._slips = OctetSlips(config.drop_rate, config.insert_rate, rng)
        self._piece_octets = (1 << 30 if config.rate_bps is None
                              else max(1, int(config.rate_bps * config.piece_s / 8)))
        self._line_free_at = -math.inf
        self._in_flight: deque[tuple[float, bytes]] = deque()
        self._counts = DirectionStats()

    def stats(self) -> DirectionStats:
        """A snapshot of the counters."""
        return replace(self._counts, bits_flipped=self._errors.bits_flipped,
                       bursts=self._errors.bursts, octets_dropped=self._slips.dropped,
                       octets_inserted=self._slips.inserted)

    def push(self, data: bytes, now: float) -> None:
        """The sender writes ``data`` at ``now``."""
        counts = self._counts
        counts.octets_in += len(data)
        room = self.config.max_queue_octets - counts.queue_octets
        if len(data) > room:
            counts.octets_refused_queue_full += len(data) - max(room, 0)
            data = data[:max(room, 0)]
        rate = self.config.rate_bps
        first = max(now, self._line_free_at)
        begin = first
        step = self._piece_octets
        for offset in range(0, len(data), step):
            piece = data[offset:offset + step]
            end = first if rate is None else first + (offset + len(piece)) * 8 / rate
            if self.schedule.in_outage(begin, end):
                counts.octets_lost_in_outage += len(piece)
            else:
                received = self._slips.apply(self._errors.apply(piece))
                if received:
                    self._in_flight.append((end + self.config.delay_s, received))
                    counts.queue_octets += len(received)
            begin = end
        self._line_free_at = begin

    def next_due(self) -> float | None:
        """Arrival time of the earliest octets in flight (None: nothing in flight)."""
        return self._in_flight[0][0] if self._in_flight else None

    def pop(self, now: float) -> bytes:
        """Octets that have reached the receiver by ``now``, in line order."""
        arrived = []
        while self._in_flight and self._in_flight[0][0] <= now:
            arrived.append(self._in_flight.popleft()[1])
        data = b"".join(arrived)
        self._counts.octets_out += len(data)
        self._counts.queue_octets -= len(data)
        return data
