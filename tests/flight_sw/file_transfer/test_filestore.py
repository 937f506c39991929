"""ObjectFilestore: the CFDP filestore over the object store. Staged writes are checked
against ccsds.cfdp.MemoryFilestore as the reference; nothing reaches the store before commit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cfdp import FilestoreError, MemoryFilestore
from flight_sw.file_transfer import ObjectFilestore
from tests.flight_sw.storage_service.fakes import FakeStore

WRITES = st.lists(st.tuples(st.integers(0, 3000), st.binary(max_size=300)), max_size=20)


@given(WRITES)
def test_staged_writes_match_the_reference_and_commit_atomically(
        writes: list[tuple[int, bytes]]) -> None:
    store = FakeStore(capacity=1 << 16)
    store.put("obj", b"before")
    files, reference = ObjectFilestore(store), MemoryFilestore()
    files.create("obj")
    reference.create("obj")
    for offset, data in writes:
        files.write("obj", offset, data)
        reference.write("obj", offset, data)
        assert store.get("obj") == b"before"
    size = reference.size("obj")
    assert files.size("obj") == size
    assert files.read("obj", 0, size) == reference.read("obj", 0, size)
    info = files.commit("obj")
    assert store.get("obj") == bytes(reference.files["obj"]) and info.size == size
    assert files.staged == () and store.writers == []


def test_abort_leaves_the_store_unchanged() -> None:
    store = FakeStore()
    files = ObjectFilestore(store)
    files.write("new", 0, b"partial")  # created when missing
    assert files.exists("new") and not store.exists("new")
    assert files.abort("new") and not files.abort("new")
    assert not files.exists("new") and store.objects == {} and store.writers == []


def test_reads_of_objects_and_errors_as_filestore_errors() -> None:
    store = FakeStore()
    store.put("a", b"0123456789")
    store.put("lost", b"x")
    store.lose("lost")
    files = ObjectFilestore(store)
    assert files.size("a") == 10 and files.read("a", 2, 3) == b"234"
    for call in (lambda: files.size("missing"), lambda: files.read("lost", 0, 1),
                 lambda: files.create("/bad"), lambda: files.delete("missing")):
        with pytest.raises(FilestoreError):
            call()


def test_delete_drops_a_staged_file_before_an_object() -> None:
    store = FakeStore()
    store.put("a", b"kept")
    files = ObjectFilestore(store)
    files.create("a")
    files.delete("a")
    assert store.get("a") == b"kept" and files.staged == ()
    files.delete("a")
    assert not store.exists("a")


def test_requests_without_meaning_in_an_object_store_fail_cleanly() -> None:
    files = ObjectFilestore(FakeStore())
    assert not files.directory_exists("d")
    for call in (lambda: files.rename("a", "b"), lambda: files.append("a", "b"),
                 lambda: files.replace("a", "b"), lambda: files.create_directory("d"),
                 lambda: files.remove_directory("d")):
        with pytest.raises(FilestoreError):
            call()


def test_staging_is_bounded_by_free_space_and_the_ram_budget() -> None:
    files = ObjectFilestore(FakeStore(capacity=1000), max_staged_octets=1500)
    files.create("a")
    files.write("a", 0, bytes(1000))
    with pytest.raises(FilestoreError, match="free space"):
        files.write("a", 1000, b"x")
    files.create("b")
    with pytest.raises(FilestoreError, match="staging limit"):
        files.write("b", 0, bytes(600))
    with pytest.raises(FilestoreError, match="already"):
        files.create("a")


def test_commit_failure_drops_the_staging() -> None:
    store = FakeStore(capacity=100)
    files = ObjectFilestore(store)
    files.create("a")
    files.write("a", 0, bytes(80))
    store.put("other", bytes(50))  # the space went to another object meanwhile
    with pytest.raises(Exception, match="do not fit"):
        files.commit("a")
    assert files.staged == () and store.writers == [] and not store.exists("a")
