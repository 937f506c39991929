"""SA files: round trip, sequence number reserve, and a total loader."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import DecodeError
from ccsds.sdls.association import SaState, SaTable, ServiceType
from ccsds.sdls.errors import KeyFileError
from ccsds.sdls.sa_file import dumps_sa_table, loads_sa_table

from .helpers import make_sa


def _table() -> SaTable:
    return SaTable([
        make_sa(spi=1, arsn=17),
        make_sa(spi=2, virtual_channels=frozenset({1, 2}), service=ServiceType.AUTHENTICATION,
                iv_field_length=0, sn_field_length=4, pad_field_length=1, arsn_window=9,
                auth_mask=b"\x3f\xff", iv_fixed_field=b"\x01\x02\x03\x04"),
        make_sa(spi=3, key_id=None, state=SaState.UNKEYED),
    ])


def test_round_trip() -> None:
    table = _table()
    loaded = loads_sa_table(dumps_sa_table(table))
    assert list(loaded) == list(table)


def test_reserve_moves_the_saved_arsn_ahead() -> None:
    loaded = loads_sa_table(dumps_sa_table(_table(), reserve={1: 1000}))
    assert loaded.get(1).arsn == 1017
    assert loaded.get(2).arsn == 0


def _document() -> dict[str, object]:
    document: dict[str, object] = json.loads(dumps_sa_table(_table()))
    return document


@pytest.mark.parametrize(("field", "value"), [
    ("spi", "1"), ("spi", True), ("spi", 0), ("virtual_channels", [99]),
    ("virtual_channels", "0"), ("service", "encryption"), ("state", "armed"),
    ("iv_fixed_field", "zz"), ("iv_fixed_field", 5), ("key_id", None), ("arsn", -3),
    ("sn_field_length", 12),
])
def test_invalid_fields_are_rejected(field: str, value: object) -> None:
    document = _document()
    entries = document["associations"]
    assert isinstance(entries, list)
    entries[0][field] = value
    with pytest.raises(KeyFileError):
        loads_sa_table(json.dumps(document))


def test_invalid_documents_are_rejected() -> None:
    document = _document()
    entries = document["associations"]
    assert isinstance(entries, list)
    for text in ("", "[]", '{"format": "other", "associations": []}',
                 json.dumps({**document, "extra": 1}),
                 json.dumps({**document, "associations": [entries[0], entries[0]]}),
                 json.dumps({**document, "associations": [{**entries[0], "more": 1}]}),
                 json.dumps({**document, "associations": [7]}), "[" * 100000):
        with pytest.raises(KeyFileError):
            loads_sa_table(text)


@given(text=st.text(max_size=200))
def test_arbitrary_text_gives_a_typed_error(text: str) -> None:
    with pytest.raises(KeyFileError):
        loads_sa_table(text)


@given(entry=st.dictionaries(st.sampled_from(["spi", "virtual_channels", "service",
                                              "iv_fixed_field", "iv_field_length",
                                              "sn_field_length", "pad_field_length",
                                              "arsn_window", "auth_mask", "key_id", "state",
                                              "arsn"]),
                             st.one_of(st.none(), st.integers(-5, 2**70), st.text(max_size=8),
                                       st.lists(st.integers(-1, 70), max_size=3),
                                       st.booleans())))
def test_arbitrary_entries_give_a_typed_error_or_a_valid_sa(entry: dict[str, object]) -> None:
    text = json.dumps({"format": "sdls-sa/1", "associations": [entry]})
    try:
        table = loads_sa_table(text)
    except DecodeError:
        return
    assert loads_sa_table(dumps_sa_table(table)) is not None
