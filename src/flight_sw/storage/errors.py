"""Errors of the store implementation beyond those of :mod:`flight_sw.storage.api` (all are
:class:`api.StorageError`), and the argument checks that raise them."""

from __future__ import annotations

import operator

from flight_sw.storage.api import Buffer, StorageError


class InvalidRangeError(StorageError, ValueError):
    """An offset or length that is not an integer, is negative, or lies past the object."""


class InvalidDataError(StorageError, TypeError):
    """Object data that is not a flat buffer of octets."""


class StoreClosedError(StorageError):
    """The store was closed."""


class WriterClosedError(StorageError):
    """The streamed put was already committed or aborted."""


def as_octets(data: Buffer) -> memoryview:
    """``data`` as a flat octet view (no copy), else :class:`InvalidDataError`."""
    try:
        view = memoryview(data)
        return view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"object data must be a buffer of octets, not "
                               f"{type(data).__name__}: {exc}") from exc


def as_count(value: object, what: str) -> int:
    """``value`` as a non-negative integer, else :class:`InvalidRangeError`."""
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError as exc:
        raise InvalidRangeError(f"{what} must be an integer, not {type(value).__name__}") from exc
    if number < 0:
        raise InvalidRangeError(f"{what} must be >= 0, not {number}")
    return int(number)
