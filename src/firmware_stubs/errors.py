"""Argument errors of the kernel wrappers (API misuse, not received-data errors)."""

from __future__ import annotations


class KernelArgumentError(ValueError):
    """A kernel wrapper was called with an argument it cannot accept (length, dtype, range)."""
