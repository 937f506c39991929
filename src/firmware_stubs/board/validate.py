"""Argument checks shared by the board models."""

from __future__ import annotations

import math

from firmware_stubs.board.errors import BoardArgumentError


def finite(value: float, what: str) -> float:
    """``value`` as a float if it is a finite real number."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise BoardArgumentError(f"{what} must be a number, not {value!r}") from exc
    if not math.isfinite(number):
        raise BoardArgumentError(f"{what} must be finite, not {number}")
    return number


def positive(value: float, what: str) -> float:
    """``value`` if it is finite and > 0."""
    number = finite(value, what)
    if number <= 0:
        raise BoardArgumentError(f"{what} must be > 0, not {number}")
    return number


def non_negative(value: float, what: str) -> float:
    """``value`` if it is finite and >= 0."""
    number = finite(value, what)
    if number < 0:
        raise BoardArgumentError(f"{what} must be >= 0, not {number}")
    return number


def fraction(value: float, what: str) -> float:
    """``value`` if it lies in [0, 1]."""
    number = finite(value, what)
    if not 0.0 <= number <= 1.0:
        raise BoardArgumentError(f"{what} must lie in [0, 1], not {number}")
    return number
