"""The ground's CFDP filestore over a real directory: operations and path traversal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cfdp import FilestoreError
from ground_sw.filestore import DirectoryFilestore


@pytest.fixture
def store(tmp_path: Path) -> DirectoryFilestore:
    return DirectoryFilestore(tmp_path / "files")


def test_files_round_trip_with_holes(store: DirectoryFilestore) -> None:
    store.write("a/b.bin", 4, b"xyz")
    assert store.exists("a/b.bin") and store.size("a/b.bin") == 7
    assert store.read("a/b.bin", 0, 100) == b"\0\0\0\0xyz"
    assert (store.root / "a" / "b.bin").read_bytes() == b"\0\0\0\0xyz"
    store.create("a/b.bin")
    assert store.size("a/b.bin") == 0


def test_rename_append_replace_delete(store: DirectoryFilestore) -> None:
    store.write("one", 0, b"1")
    store.write("two", 0, b"2")
    store.append("one", "two")
    assert store.read("one", 0, 10) == b"12"
    store.replace("two", "one")
    assert store.read("two", 0, 10) == b"12"
    with pytest.raises(FilestoreError, match="exists"):
        store.rename("one", "two")
    store.rename("one", "three")
    assert not store.exists("one") and store.exists("three")
    store.delete("three")
    with pytest.raises(FilestoreError):
        store.delete("three")
    with pytest.raises(FilestoreError):
        store.size("three")


def test_directories(store: DirectoryFilestore) -> None:
    store.create_directory("d")
    assert store.directory_exists("d") and not store.exists("d")
    with pytest.raises(FilestoreError):
        store.create_directory("d")
    store.remove_directory("d")
    assert not store.directory_exists("d")


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "a/../../escape", "", ".",
                                  "a\0b", "link/secret"])
def test_names_outside_the_root_are_refused(store: DirectoryFilestore, tmp_path: Path,
                                            name: str) -> None:
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", store.root / "link")
    with pytest.raises(FilestoreError, match="refused"):
        store.write(name, 0, b"x")
    assert list((tmp_path / "outside").iterdir()) == []


@given(st.text(max_size=40))
def test_fuzzed_names_never_leave_the_root(name: str) -> None:
    store = DirectoryFilestore(Path(os.environ.get("TMPDIR", "/tmp")) / "ground-fuzz-root")
    try:
        path = store.path(name)
    except FilestoreError:
        return
    assert path.is_relative_to(store.root) and path != store.root
