"""Line impairments of one direction: bit errors (independent or in bursts), octet slips.

Bit errors follow the two-state Gilbert-Elliott channel (Gilbert 1960, Elliott 1963): a good
and a bad state with per-bit transition probabilities and a bit error rate each; with
``p_good_to_bad = 0`` it is the memoryless binary symmetric channel at ``ber_good``. PROFILES.md
(Links) asks for bursts because post-decoder errors come in bursts. Bits are numbered in line
order, most significant bit of each octet first (CCSDS 131.0-B-5 / 231.0-B-4 bit numbering).
Octet drops and insertions model receiver slips (bit/octet synchronisation loss).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hil.channel.gaps import GapProcess

_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class BurstConfig:
    """Gilbert-Elliott parameters: per-bit transition probabilities and the bad-state BER."""

    p_good_to_bad: float = 0.0
    p_bad_to_good: float = 1.0
    ber_bad: float = 0.0

    def __post_init__(self) -> None:
        for name in ("p_good_to_bad", "p_bad_to_good", "ber_bad"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} {value} outside [0, 1]")
        if self.p_bad_to_good == 0.0 and self.p_good_to_bad > 0.0:
            raise ValueError("p_bad_to_good 0 would trap the channel in the bad state")


class GilbertElliott:
    """Bit error positions of successive chunks; counts bits flipped and bursts."""

    def __init__(self, ber_good: float, burst: BurstConfig, rng: np.random.Generator) -> None:
        self._errors = (GapProcess(ber_good, rng), GapProcess(burst.ber_bad, rng))
        self._leave = (burst.p_good_to_bad, burst.p_bad_to_good)
        self._rng = rng.spawn(1)[0]
        self.bad = False
        self.bits_flipped = 0
        self.bursts = 0
        """Entries into the bad state."""
        self._left = self._sojourn()

    def _sojourn(self) -> int:
        """Bits until the current state is left (-1: never)."""
        leave = self._leave[self.bad]
        return -1 if leave == 0.0 else int(self._rng.geometric(leave))

    def error_positions(self, bits: int) -> NDArray[np.int64]:
        """Sorted positions in ``[0, bits)`` of the errors in the next ``bits`` bits."""
        found = []
        start = 0
        while start < bits:
            span = bits - start if self._left < 0 else min(self._left, bits - start)
            hits = self._errors[self.bad].hits(span)
            if len(hits):
                found.append(hits + start)
            start += span
            if self._left >= 0:
                self._left -= span
                if self._left == 0:
                    self.bad = not self.bad
                    self.bursts += self.bad
                    self._left = self._sojourn()
        positions = np.concatenate(found) if found else _EMPTY
        self.bits_flipped += len(positions)
        return positions

    def apply(self, data: bytes) -> bytes:
        """``data`` with the errors of the next ``8 * len(data)`` bits."""
        positions = self.error_positions(len(data) * 8)
        if not len(positions):
            return data
        octets = np.frombuffer(data, dtype=np.uint8).copy()
        masks = np.right_shift(0x80, positions & 7).astype(np.uint8)
        np.bitwise_xor.at(octets, positions >> 3, masks)
        return octets.tobytes()


class OctetSlips:
    """Drops each octet with probability ``drop_rate``; inserts a random octet before each
    with probability ``insert_rate``."""

    def __init__(self, drop_rate: float, insert_rate: float, rng: np.random.Generator) -> None:
        self._drops = GapProcess(drop_rate, rng)
        self._inserts = GapProcess(insert_rate, rng)
        self._rng = rng.spawn(1)[0]
        self.dropped = 0
        self.inserted = 0

    def apply(self, data: bytes) -> bytes:
        """``data`` after this chunk's drops and insertions."""
        drops, inserts = self._drops.hits(len(data)), self._inserts.hits(len(data))
        if not len(drops) and not len(inserts):
            return data
        octets = np.frombuffer(data, dtype=np.uint8)
        if len(inserts):
            junk = (self._rng.random(len(inserts)) * 256).astype(np.uint8)  # one draw each
            octets = np.insert(octets, inserts, junk)
            drops = drops + np.searchsorted(inserts, drops, side="right")
        if len(drops):
            octets = np.delete(octets, drops)
        self.dropped += len(drops)
        self.inserted += len(inserts)
        return octets.tobytes()
