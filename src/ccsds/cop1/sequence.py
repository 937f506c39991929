"""Modulo-256 frame sequence number arithmetic shared by FOP-1 and FARM-1.

CCSDS 232.1-B-2 5.2.1 note and 6.1.8: V(S), V(R), N(S), N(R) and NN(R) are 8-bit counters,
so every comparison between them is made modulo 256.
"""

from __future__ import annotations

MODULUS = 256


def advance(number: int, step: int = 1) -> int:
    """``number + step`` modulo 256."""
    return (number + step) % MODULUS


def distance(start: int, end: int) -> int:
    """How many increments lead from ``start`` to ``end`` (0..255)."""
    return (end - start) % MODULUS


def in_span(number: int, start: int, end: int) -> bool:
    """``start <= number <= end`` along the modulo-256 sequence beginning at ``start``."""
    return distance(start, number) <= distance(start, end)
