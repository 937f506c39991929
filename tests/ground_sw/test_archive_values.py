"""Stored value encoding: exact round trips through SQLite and JSON, typed errors on damage."""

from __future__ import annotations

import math
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.pus_types import Value
from ccsds.timecode import CucFormat, CucTime
from ground_sw.archive_values import (
    ArchiveValueError,
    Kind,
    dumps_values,
    from_sql,
    loads_values,
    plain,
    text,
    to_sql,
)


@st.composite
def _cuc(draw: st.DrawFn) -> CucTime:
    fmt = draw(st.builds(CucFormat, st.integers(1, 7), st.integers(0, 10)))
    return CucTime(draw(st.integers(0, fmt.coarse_limit - 1)),
                   draw(st.integers(0, (1 << fmt.fine_bits) - 1)), fmt)


values = st.one_of(st.booleans(), st.integers(-(1 << 80), 1 << 80), st.floats(), st.text(),
                   st.binary(), _cuc())


def _same(left: Value, right: Value) -> bool:
    return type(left) is type(right) and repr(left) == repr(right)


@given(values)
def test_values_survive_an_sqlite_column(value: Value) -> None:
    kind, stored = to_sql(value)
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE t (v)")
        db.execute("INSERT INTO t VALUES (?)", (stored,))
        (back,) = db.execute("SELECT v FROM t").fetchone()
    assert _same(from_sql(kind, back), value)


@given(st.dictionaries(st.text(), values, max_size=5))
def test_value_maps_survive_json(mapping: dict[str, Value]) -> None:
    back = loads_values(dumps_values(mapping))
    assert list(back) == list(mapping)
    assert all(_same(back[name], mapping[name]) for name in mapping)


def test_numbers_stay_numbers_in_sql() -> None:
    assert to_sql(3) == (Kind.INT, 3)
    assert to_sql(True) == (Kind.BOOL, 1)
    assert to_sql(2.5) == (Kind.FLOAT, 2.5)
    assert to_sql(math.nan) == (Kind.FLOAT, None)
    assert to_sql(1 << 64) == (Kind.BIG_INT, "18446744073709551616")


def test_a_type_that_is_not_a_value_is_refused() -> None:
    with pytest.raises(TypeError):
        to_sql([1])  # type: ignore[arg-type]


@given(st.integers(-3, 10), st.one_of(st.none(), st.integers(), st.floats(), st.text(),
                                      st.binary()))
def test_fuzz_stored_columns_decode_or_raise_a_typed_error(kind: int, stored: object) -> None:
    try:
        value = from_sql(kind, stored)  # type: ignore[arg-type]
    except ArchiveValueError:
        return
    assert isinstance(value, bool | int | float | str | bytes | CucTime)


@given(st.text() | st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                                lambda inner: st.lists(inner, max_size=3)
                                | st.dictionaries(st.text(), inner, max_size=3)).map(str))
def test_fuzz_stored_json_decodes_or_raises_a_typed_error(document: str) -> None:
    try:
        mapping = loads_values(document)
    except ArchiveValueError:
        return
    assert isinstance(mapping, dict)


@pytest.mark.parametrize("document", ["[]", '{"a": 1}', '{"a": [3, 1.5]}', '{"a": [5, "zz"]}',
                                      '{"a": [6, "00"]}', '{"a": [1, "1"]}', "[" * 100_000])
def test_damaged_json_is_a_typed_error(document: str) -> None:
    with pytest.raises(ArchiveValueError):
        loads_values(document)


def test_csv_text_forms() -> None:
    assert [text(v) for v in (True, 7, 0.1, "x", b"\x01\xff")] == ["true", "7", "0.1", "x",
                                                                    "01ff"]
    assert text(CucTime(10, 0x8000)) == "10.5"
    assert plain({"a": b"\x00", "b": False}) == '{"a":"00","b":"false"}'
