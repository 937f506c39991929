"""Parameter samples stored as series: one row per parameter per writer batch.

Housekeeping brings tens of parameters per packet, so a row (and an index entry) per sample
would make the archive's ingest rate that of SQLite's B-tree inserts. The writer instead
stores the samples of one parameter taken in one batch as one row of columns: times and
on-board times as little-endian float64 arrays, raw and engineering values as int64 or
float64 arrays when every value of the batch is of that type (else a JSON list of
:func:`~ground_sw.archive_values.to_json_item` pairs), limit states as one text when they are
all the same (else a JSON list). Samples in a row are sorted by time (stable: arrival order
kept at equal times); ``first``/``last`` bound them for the (name, first) and (first) indexes.

An on-board time of NaN is read back as None (NaN marks "no on-board time" in the array).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from ccsds.pus_types import Value
from ground_sw.archive_values import ArchiveValueError, from_json_item, to_json_item
from ground_sw.records import ParameterSample

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_F8 = np.dtype("<f8")
_I8 = np.dtype("<i8")

SeriesRow = tuple[int, float, float, int, bytes, bytes, int, bytes | str, int, bytes | str,
                  str | None, str | None]
"""name id, first, last, count, times, onboard, raw form, raw, eng form, eng, limit, limits"""


class Form(IntEnum):
    """How a column of values is stored."""

    INT64 = 0
    FLOAT64 = 1
    JSON = 2


def encode_values(values: Sequence[Value]) -> tuple[Form, bytes | str]:
    """The most compact exact form of a column of values."""
    types = set(map(type, values))
    if types == {float}:
        return Form.FLOAT64, np.array(values, dtype=_F8).tobytes()
    if types == {int}:
        integers: Sequence[int] = values  # type: ignore[assignment]
        if min(integers) >= _INT64_MIN and max(integers) <= _INT64_MAX:
            return Form.INT64, np.array(integers, dtype=_I8).tobytes()
    return Form.JSON, json.dumps([to_json_item(value) for value in values],
                                 separators=(",", ":"))


def decode_values(form: object, stored: object, count: int) -> list[Value]:
    """The column :func:`encode_values` stored (ArchiveValueError if it is damaged)."""
    if form in (Form.INT64, Form.FLOAT64) and isinstance(stored, bytes):
        return _array(stored, _I8 if form == Form.INT64 else _F8, count).tolist()  # type: ignore[no-any-return]
    if form == Form.JSON and isinstance(stored, str):
        try:
            items = json.loads(stored)
        except (ValueError, RecursionError):
            items = None
        if isinstance(items, list) and len(items) == count:
            return [from_json_item("sample", item) for item in items]
    raise ArchiveValueError(f"stored parameter values of form {form!r} are damaged")


def _array(stored: bytes, dtype: np.dtype[np.generic], count: int) -> npt.NDArray[np.generic]:
    if len(stored) != count * dtype.itemsize:
        raise ArchiveValueError(f"{len(stored)} octets for {count} stored samples")
    return np.frombuffer(stored, dtype=dtype)


def series_row(name_id: int, samples: Sequence[ParameterSample]) -> SeriesRow:
    """The row of one parameter's samples (TypeError/ValueError for a sample that is not
    storable: a time that is not a number or is NaN, a limit that is not text)."""
    times = np.array([s.time for s in samples], dtype=_F8)
    if np.isnan(times).any():
        raise ValueError("a parameter sample has no time (NaN)")
    if (times[1:] < times[:-1]).any():
        order = np.argsort(times, kind="stable")
        times = times[order]
        samples = [samples[int(index)] for index in order]
    onboard = np.array([s.onboard_time for s in samples], dtype=_F8)
    limits = [s.limit for s in samples]
    if set(map(type, limits)) != {str}:
        raise TypeError("a limit state is not text")
    uniform = limits.count(limits[0]) == len(limits)
    raw_form, raw = encode_values([s.raw for s in samples])
    eng_form, eng = encode_values([s.engineering for s in samples])
    return (name_id, float(times[0]), float(times[-1]), len(samples), times.tobytes(),
            onboard.tobytes(), raw_form, raw, eng_form, eng, limits[0] if uniform else None,
            None if uniform else json.dumps(limits))


def samples_of(name: str, row: Sequence[object]) -> list[ParameterSample]:
    """The samples of a stored row (count, times, onboard, raw form, raw, eng form, eng,
    limit, limits); ArchiveValueError if it is damaged."""
    count, times, onboard, raw_form, raw, eng_form, eng, limit, limits = row
    if type(count) is not int or count < 1:
        raise ArchiveValueError(f"stored sample count {count!r}")
    if not isinstance(times, bytes) or not isinstance(onboard, bytes):
        raise ArchiveValueError("stored sample times are not BLOBs")
    time_list = _array(times, _F8, count).tolist()
    onboard_array = _array(onboard, _F8, count)
    onboard_list = [None if missing else value  # NaN: no on-board time
                    for value, missing in zip(onboard_array.tolist(),
                                              np.isnan(onboard_array).tolist(), strict=True)]
    raws = decode_values(raw_form, raw, count)
    engs = decode_values(eng_form, eng, count)
    return [ParameterSample(*fields) for fields in zip(
        time_list, [name] * count, raws, engs, _limits(limit, limits, count), onboard_list,
        strict=True)]


def _limits(limit: object, limits: object, count: int) -> list[str]:
    if isinstance(limit, str):
        return [limit] * count
    try:
        states = json.loads(limits) if isinstance(limits, str) else None
    except (ValueError, RecursionError):
        states = None
    if (isinstance(states, list) and len(states) == count
            and all(isinstance(state, str) for state in states)):
        return states
    raise ArchiveValueError("stored limit states are damaged")
