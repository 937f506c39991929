"""How parameter, argument and event values are stored in the archive and shown in CSV.

A value (:data:`ccsds.pus_types.Value`) is stored as a kind code plus an SQLite value, so a
round trip gives back the same Python type: numbers stay numbers in SQL (queries and plots
compare them), integers beyond SQLite's signed 64 bits are kept as decimal text, NaN (which
SQLite would turn into NULL) as NULL of the float kind, and a CUC time as its T-field preceded
by its explicit P-field (CCSDS 301.0-B-4 3.2), so its format travels with it. Mappings of
values (event data, command arguments) are stored as JSON built from the same kinds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import IntEnum

from ccsds.errors import DecodeError
from ccsds.pus_types import Value
from ccsds.timecode import CucTime

SqlValue = int | float | str | bytes | None
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


class ArchiveValueError(DecodeError):
    """A stored value does not match its kind (the archive file was altered or damaged)."""


class Kind(IntEnum):
    """The Python type of a stored value."""

    BOOL = 0
    INT = 1
    BIG_INT = 2
    FLOAT = 3
    STR = 4
    BYTES = 5
    TIME = 6


def to_sql(value: Value) -> tuple[Kind, SqlValue]:
    """The kind and SQLite value of ``value`` (TypeError for a type that is not a Value)."""
    if isinstance(value, float):
        return Kind.FLOAT, None if math.isnan(value) else value
    if isinstance(value, bool):
        return Kind.BOOL, int(value)
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return Kind.INT, value
        return Kind.BIG_INT, str(value)
    if isinstance(value, str):
        return Kind.STR, value
    if isinstance(value, bytes):
        return Kind.BYTES, value
    if isinstance(value, CucTime):
        return Kind.TIME, value.encode(p_field=True)
    raise TypeError(f"{type(value).__name__} is not a parameter value type")


def from_sql(kind: int, stored: SqlValue) -> Value:
    """The value stored as ``kind`` and ``stored`` (ArchiveValueError if they disagree)."""
    if kind == Kind.FLOAT:
        if stored is None:
            return math.nan
        if isinstance(stored, int | float) and not isinstance(stored, bool):
            return float(stored)
    elif kind == Kind.INT and type(stored) is int:
        return stored
    elif kind == Kind.BOOL and stored in (0, 1) and type(stored) is int:
        return bool(stored)
    elif ((kind == Kind.STR and isinstance(stored, str))
          or (kind == Kind.BYTES and isinstance(stored, bytes))):
        return stored
    elif kind == Kind.BIG_INT and isinstance(stored, str):
        try:
            return int(stored)
        except ValueError:
            pass
    elif kind == Kind.TIME and isinstance(stored, bytes):
        try:
            return CucTime.decode(stored)
        except DecodeError as exc:
            raise ArchiveValueError(f"stored CUC time: {exc}") from None
    raise ArchiveValueError(f"stored {type(stored).__name__} is not a value of kind {kind}")


def dumps_values(values: Mapping[str, Value]) -> str:
    """JSON of a mapping of values: ``{name: [kind, json value]}``, exact for every type."""
    return json.dumps({name: to_json_item(value) for name, value in values.items()},
                      separators=(",", ":"))


def to_json_item(value: Value) -> list[object]:
    """``[kind, json value]`` of one value: floats in hex, octets and CUC times in hex."""
    kind, stored = to_sql(value)
    if kind == Kind.FLOAT:
        return [kind, float.hex(value) if isinstance(value, float) else "nan"]
    if isinstance(stored, bytes):
        return [kind, stored.hex()]
    return [kind, stored]


def loads_values(text: str) -> dict[str, Value]:
    """The mapping :func:`dumps_values` wrote (ArchiveValueError if ``text`` is not one)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ArchiveValueError(f"stored values are not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ArchiveValueError("stored values are not a JSON object")
    return {name: from_json_item(name, item) for name, item in document.items()}


def from_json_item(name: str, item: object) -> Value:
    """The value of a :func:`to_json_item` pair (``name`` is for the error message)."""
    if not (isinstance(item, list) and len(item) == 2 and type(item[0]) is int):
        raise ArchiveValueError(f"stored value {name!r} is not a [kind, value] pair")
    kind, stored = item
    try:
        if kind == Kind.FLOAT and isinstance(stored, str):
            return float.fromhex(stored)
        if kind in (Kind.BYTES, Kind.TIME) and isinstance(stored, str):
            return from_sql(kind, bytes.fromhex(stored))
    except ValueError:
        raise ArchiveValueError(f"stored value {name!r}: bad {Kind(kind).name}") from None
    if kind in (Kind.FLOAT, Kind.BYTES, Kind.TIME):
        raise ArchiveValueError(f"stored value {name!r}: {kind} needs a string")
    if not isinstance(stored, int | str | None) or isinstance(stored, bool):
        raise ArchiveValueError(f"stored value {name!r}: unexpected {type(stored).__name__}")
    return from_sql(kind, stored)


def text(value: Value) -> str:
    """The CSV form: booleans ``true``/``false``, octets in hex, CUC times in seconds since
    the 1958 TAI epoch, numbers by ``repr`` (exact for floats)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, CucTime):
        return repr(value.seconds)
    return value if isinstance(value, str) else repr(value)


def plain(values: Mapping[str, Value]) -> str:
    """A mapping of values as JSON of their CSV forms (strings stay strings)."""
    return json.dumps({name: text(value) for name, value in values.items()},
                      separators=(",", ":"))
