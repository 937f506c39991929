"""Byte-stream impairments of the link channel: independent bit errors at a given BER.

This is the first piece of the bench's link channel (rate, delay, bursts and outages join it
later). Errors are drawn with geometric gaps, so the cost is proportional to the number of
errors, not of bits, and a seed makes every run repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class BitErrorChannel:
    """Flips each bit independently with probability ``ber``."""

    ber: float
    seed: int | None = None
    bits_seen: int = 0
    bits_flipped: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)
    _gap: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.ber < 1.0:
            raise ValueError(f"bit error rate {self.ber} outside [0, 1)")
        self._rng = np.random.default_rng(self.seed)
        self._gap = self._next_gap()

    def _next_gap(self) -> int:
        """Bits to pass unharmed before the next error (-1: never)."""
        if self.ber == 0.0:
            return -1
        return int(self._rng.geometric(self.ber)) - 1

    def apply(self, data: bytes) -> bytes:
        """Return ``data`` with this channel's bit errors; state carries across calls."""
        total_bits = len(data) * 8
        if self._gap < 0 or self._gap >= total_bits:
            if self._gap >= 0:
                self._gap -= total_bits
            self.bits_seen += total_bits
            return data
        out = bytearray(data)
        position = self._gap
        while position < total_bits:
            out[position >> 3] ^= 0x80 >> (position & 7)
            self.bits_flipped += 1
            position += 1 + self._next_gap()
        self._gap = position - total_bits
        self.bits_seen += total_bits
        return bytes(out)

    @property
    def measured_ber(self) -> float:
        """Bit errors introduced so far per bit carried."""
        return self.bits_flipped / self.bits_seen if self.bits_seen else 0.0
