"""Typed errors of the emulated board hardware.

``firmware_stubs`` sits below ``ccsds`` and cannot import its errors, so the board has its
own small family, split the same way: misuse of the API vs. bad persisted state.
"""

from __future__ import annotations


class BoardError(Exception):
    """Base class of every error raised by :mod:`firmware_stubs.board`."""


class BoardArgumentError(BoardError, ValueError):
    """The caller passed a value the hardware cannot take (address, size, fraction, time)."""


class BoardStateError(BoardError):
    """A persisted file (memory image, boot record) is missing, corrupt or inconsistent."""
