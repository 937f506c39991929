"""The dictionary on the ground: file and installed export, hash, mismatch, bad files."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.mission_db import MissionDatabase
from ground_sw.dictionary import (
    Dictionary,
    DictionaryMismatch,
    export_installed,
    load_dictionary,
    parse_dictionary,
    resolve_dictionary,
)
from ground_sw.errors import DictionaryLoadError


def test_hash_is_sha256_of_the_exported_file(exported: Dictionary, exported_path: Path) -> None:
    assert exported.hash == hashlib.sha256(exported_path.read_bytes()).hexdigest()
    assert exported.matches(hashlib.sha256(exported_path.read_bytes()).digest())
    assert exported.matches(exported.hash.upper())
    assert not exported.matches(bytes(32))


def test_installed_export_equals_the_file(exported: Dictionary) -> None:
    installed = export_installed()
    assert installed.digest == exported.digest
    assert installed.database == exported.database


def test_resolve_accepts_every_source(exported: Dictionary, exported_path: Path) -> None:
    assert resolve_dictionary(exported) is exported
    assert resolve_dictionary(exported_path).digest == exported.digest
    assert resolve_dictionary(str(exported_path)).digest == exported.digest
    assert resolve_dictionary(exported.database).digest == exported.digest


def test_a_modified_dictionary_has_another_hash(exported: Dictionary,
                                                exported_path: Path) -> None:
    document = json.loads(exported_path.read_text())
    document["version"] = "modified"
    modified = parse_dictionary(json.dumps(document), "modified")
    assert not modified.matches(exported.digest)
    mismatch = DictionaryMismatch(modified.hash, exported.hash, "the BOOT event")
    assert "dictionary mismatch" in str(mismatch) and "BOOT" in str(mismatch)


def test_missing_and_malformed_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DictionaryLoadError, match="cannot read"):
        load_dictionary(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1}')
    with pytest.raises(DictionaryLoadError, match=r"bad\.json"):
        load_dictionary(bad)


def test_a_failing_export_command_is_a_clear_error() -> None:
    with pytest.raises(DictionaryLoadError, match="exited with 3"):
        export_installed((sys.executable, "-c", "import sys; sys.exit(3)"))
    with pytest.raises(DictionaryLoadError, match="cannot run"):
        export_installed(("/nonexistent/flight-sw",))


@given(st.binary(max_size=200) | st.text(max_size=200))
def test_parse_never_raises_anything_but_a_load_error(text: bytes | str) -> None:
    try:
        parsed = parse_dictionary(text, "fuzz")
    except DictionaryLoadError:
        return
    assert isinstance(parsed.database, MissionDatabase)
