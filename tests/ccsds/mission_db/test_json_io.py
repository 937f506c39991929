"""Canonical JSON export/load and the dictionary hash."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import DecodeError
from ccsds.mission_db import (
    DictionaryFormatError,
    Limits,
    dictionary_digest,
    dictionary_hash,
    dumps,
    from_dict,
    loads,
    to_dict,
)
from tests.ccsds.mission_db.sample_db import SAMPLE

REPO = Path(__file__).resolve().parents[3]


def test_round_trip_equals_original() -> None:
    loaded = loads(dumps(SAMPLE))
    assert loaded == SAMPLE
    assert dumps(loaded) == dumps(SAMPLE)
    assert loaded.hash() == SAMPLE.hash()


def test_canonical_form_is_sorted_and_ascii() -> None:
    text = dumps(SAMPLE)
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, indent=1) + "\n"
    assert text.isascii()


def test_hash_is_sha256_of_the_canonical_text() -> None:
    expected = hashlib.sha256(dumps(SAMPLE).encode()).hexdigest()
    assert dictionary_hash(SAMPLE) == SAMPLE.hash() == expected
    assert dictionary_digest(SAMPLE) == bytes.fromhex(expected)


def test_hash_is_stable_across_processes() -> None:
    program = ("from tests.ccsds.mission_db.sample_db import SAMPLE; print(SAMPLE.hash())")
    hashes = {
        subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                       check=True, cwd=REPO, env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
                       ).stdout.strip()
        for seed in ("0", "12345")
    }
    assert hashes == {SAMPLE.hash()}


@pytest.mark.parametrize("change", [
    lambda db: dataclasses.replace(db, version="0.2"),
    lambda db: dataclasses.replace(db, apid=101),
    lambda db: dataclasses.replace(db, parameters=(
        dataclasses.replace(db.parameters[0], limits=Limits(alarm_high=71.0)),
        *db.parameters[1:])),
    lambda db: dataclasses.replace(db, parameters=(
        dataclasses.replace(db.parameters[0], calibration=(-273.15, 0.0100001)),
        *db.parameters[1:])),
    lambda db: dataclasses.replace(db, commands=(
        dataclasses.replace(db.commands[0], critical=True), *db.commands[1:])),
    lambda db: dataclasses.replace(db, housekeeping=db.housekeeping[::-1]),
])
def test_a_changed_definition_changes_the_hash(change: object) -> None:
    changed = change(SAMPLE)  # type: ignore[operator]
    assert changed != SAMPLE
    assert changed.hash() != SAMPLE.hash()


@pytest.mark.parametrize("text", [
    "", "not json", "[]", "{}", '{"format": 2}', "1e999999",
    json.dumps({**to_dict(SAMPLE), "apid": "100x"}),
    json.dumps({**to_dict(SAMPLE), "commands": [{"name": "X"}]}),
    json.dumps({**to_dict(SAMPLE), "events": [[1, 2]]}),
    json.dumps({**to_dict(SAMPLE), "parameters": 5}),
    "[" * 100_000,
])
def test_malformed_documents(text: str) -> None:
    with pytest.raises(DictionaryFormatError):
        loads(text)


def test_duplicate_definitions_in_a_document_are_rejected() -> None:
    document = to_dict(SAMPLE)
    document["parameters"].append(document["parameters"][0])
    with pytest.raises(DictionaryFormatError, match="duplicate"):
        from_dict(document)


@given(data=st.data())
def test_mutated_documents_give_only_typed_errors(data: st.DataObject) -> None:
    document = to_dict(SAMPLE)
    section = data.draw(st.sampled_from(["commands", "parameters", "events", "housekeeping"]))
    items = document[section]
    item = items[data.draw(st.integers(0, len(items) - 1))]
    key = data.draw(st.sampled_from(sorted(item)))
    item[key] = data.draw(st.one_of(st.none(), st.integers(-5, 300), st.text(max_size=3),
                                    st.lists(st.integers(), max_size=2), st.booleans()))
    with contextlib.suppress(DecodeError):
        loads(json.dumps(document))
