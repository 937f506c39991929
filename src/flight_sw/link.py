"""The payload's end of the space link: packets in from the uplink, CADUs out at the line rate.

Composes ccsds.board_link (CLTU extraction, FARM-1, segment reassembly; VC multiplexing, RS,
randomizer, ASM) with a token bucket that paces the downlink to the configured bit rate and
idle frames (ICD: VC 7) at a fixed interval, so the ground always receives a fresh CLCW.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsds.board_link import BoardDownlink, BoardUplink
from ccsds.config import LinkConfig


@dataclass
class DownlinkCounters:
    """What the downlink put on the line."""

    cadus: int = 0
    idle_cadus: int = 0
    octets: int = 0


class FlightLink:
    """Uplink receiver and paced downlink transmitter of the flight software.

    ``bit_rate`` None means unpaced (a pseudo-terminal, where the port sets no rate): every
    queued frame goes out at once, up to ``max_burst_frames`` per call.
    """

    def __init__(self, config: LinkConfig, *, bit_rate: float | None = None,
                 idle_interval_s: float = 1.0, max_burst_frames: int = 8) -> None:
        if bit_rate is not None and bit_rate <= 0:
            raise ValueError("the downlink bit rate must be positive")
        self.config = config
        self.uplink = BoardUplink(config)
        self.downlink = BoardDownlink(config)
        self.bit_rate = bit_rate
        self.idle_interval_s = idle_interval_s
        self.max_burst_frames = max_burst_frames
        self.counters = DownlinkCounters()
        self._cadu_bits = self.downlink.cadu_length * 8
        self._credit_bits = float(self._cadu_bits)  # the first frame may go at once
        self._last_credit: float | None = None
        self._last_output = float("-inf")

    def receive(self, data: bytes) -> list[bytes]:
        """Octets from the port; returns the space packets they complete."""
        return self.uplink.feed(data)

    def line_idle(self) -> list[bytes]:
        """The uplink went quiet: end any CLTU under way (CCSDS 231.0-B-4 receiver)."""
        return self.uplink.flush()

    def send(self, packet: bytes, virtual_channel: int) -> None:
        """Queue a space packet for the downlink."""
        self.downlink.queue_packet(virtual_channel, packet)

    def output(self, now: float) -> bytes:
        """The CADUs the line can carry by ``now`` (idle ones when nothing is queued)."""
        frames = self._frames_allowed(now)
        if frames == 0:
            return b""
        clcw = self.uplink.clcw()
        cadus = self.downlink.take_cadus(clcw, frames)
        sent = len(cadus) // self.downlink.cadu_length
        if not cadus and now - self._last_output >= self.idle_interval_s:
            cadus = self.downlink.idle_cadu(clcw)
            sent = 1
            self.counters.idle_cadus += 1
        if cadus:
            self._last_output = now
            self.counters.cadus += sent
            self.counters.octets += len(cadus)
            self._credit_bits -= sent * self._cadu_bits
        return cadus

    def _frames_allowed(self, now: float) -> int:
        if self.bit_rate is None:
            self._credit_bits = self.max_burst_frames * self._cadu_bits
            return self.max_burst_frames
        if self._last_credit is not None:
            self._credit_bits += (now - self._last_credit) * self.bit_rate
        self._last_credit = now
        self._credit_bits = min(self._credit_bits, self.max_burst_frames * self._cadu_bits)
        return max(0, int(self._credit_bits // self._cadu_bits))

    def seconds_until_next_frame(self) -> float:
        """How long until the token bucket allows another CADU (0 when it does now)."""
        if self.bit_rate is None:
            return 0.0
        missing = self._cadu_bits - self._credit_bits
        return max(0.0, missing / self.bit_rate)
