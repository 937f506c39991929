"""ObjectStore as the services see it: round trips (hypothesis over names and sizes, empty
and multi-stripe objects), replace and delete, partial reads, streamed puts, names, a full
store, reopening, and a 4 GiB sparse file-backed medium."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.api import (
    InvalidNameError,
    ObjectNotFoundError,
    ObjectState,
    StorageError,
    Store,
    StoreFullError,
)
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.errors import (
    InvalidDataError,
    InvalidRangeError,
    StoreClosedError,
    WriterClosedError,
)
from flight_sw.storage.layout import StoreFormatError
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.storage.store_support import SMALL, Clock, make_store

BLOCK = 4096
STRIPE = 8 * BLOCK

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
                min_size=1, max_size=20).filter(
    lambda name: name.isprintable() and not name.startswith("/") and not name.endswith("/"))
sizes = st.sampled_from([0, 1, BLOCK - 1, BLOCK, BLOCK + 1, STRIPE - 1, STRIPE, STRIPE + 1,
                         3 * STRIPE + 5]) | st.integers(0, 4 * STRIPE)


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed * 1_000_003 + size).randbytes(size)


def test_store_satisfies_the_api_protocol() -> None:
    store: Store = make_store()[0]
    assert store.list() == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, size=sizes)
def test_round_trip(name: str, size: int) -> None:
    store, _, clock = make_store()
    clock.now = 12.5
    data = payload(size)
    info = store.put(name, data)
    assert info.size == size and info.sha256 == hashlib.sha256(data).digest()
    assert info.created == 12.5 and info.state is ObjectState.INTACT
    data_blocks = -(-size // BLOCK)
    assert info.blocks == data_blocks + 2 * -(-data_blocks // 8)
    assert store.get(name) == data
    assert store.info(name) == info and store.exists(name)
    assert store.health().used_bytes == info.blocks * BLOCK


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 3 * STRIPE), data=st.data())
def test_partial_read_matches_slice(size: int, data: st.DataObject) -> None:
    store = make_store()[0]
    content = payload(size, 1)
    store.put("obj", content)
    offset = data.draw(st.integers(0, size))
    length = data.draw(st.integers(0, size - offset))
    assert store.read("obj", offset, length) == content[offset:offset + length]


def test_read_outside_object_is_a_typed_error() -> None:
    store = make_store()[0]
    store.put("obj", b"abc")
    for offset, length in ((-1, 1), (0, 4), (3, 1), (1, -1), (0.5, 1), ("0", 1)):
        with pytest.raises(InvalidRangeError):
            store.read("obj", offset, length)  # type: ignore[arg-type]


def test_malformed_arguments_are_typed_errors() -> None:
    store = make_store()[0]
    with pytest.raises(InvalidDataError):
        store.put("obj", "text is not octets")  # type: ignore[arg-type]
    with pytest.raises(ObjectNotFoundError):
        store.get(["not", "a", "name"])  # type: ignore[arg-type]
    assert not store.exists(["x"])  # type: ignore[arg-type]
    with pytest.raises(InvalidNameError):
        store.list(3)  # type: ignore[arg-type]
    writer = store.writer("obj")
    with pytest.raises(InvalidRangeError):
        writer.write(-1, b"x")
    with pytest.raises(InvalidDataError):
        writer.write(0, 42)  # type: ignore[arg-type]
    assert store.list() == []


def test_replace_frees_old_blocks_and_delete_frees_all() -> None:
    store = make_store()[0]
    free = store.health().free_bytes
    store.put("a", payload(3 * STRIPE))
    store.put("a", payload(BLOCK, 2))
    assert store.get("a") == payload(BLOCK, 2)
    assert store.health().free_bytes == free - 3 * BLOCK
    store.delete("a")
    assert not store.exists("a") and store.health().free_bytes == free
    with pytest.raises(ObjectNotFoundError):
        store.get("a")
    with pytest.raises(ObjectNotFoundError):
        store.delete("a")


def test_list_and_names_are_sorted_and_filtered() -> None:
    store = make_store()[0]
    for name in ("img/2", "img/1", "log/a", "b"):
        store.put(name, name.encode())
    assert [info.name for info in store.list("img/")] == ["img/1", "img/2"]
    assert list(store.names()) == ["b", "img/1", "img/2", "log/a"]


@pytest.mark.parametrize("name", ["", "a" * 65, "/lead", "trail/", "nul\x00", "tab\t", 7])
def test_bad_names_are_refused(name: object) -> None:
    store = make_store()[0]
    with pytest.raises(InvalidNameError):
        store.put(name, b"x")  # type: ignore[arg-type]
    assert store.list() == []


def test_name_of_64_utf8_octets_is_accepted() -> None:
    store = make_store()[0]
    name = "é" * 32
    store.put(name, b"x")
    assert store.get(name) == b"x"


def test_full_store_refuses_and_changes_nothing() -> None:
    store = make_store()[0]
    store.put("keep", b"k")
    health = store.health()
    with pytest.raises(StoreFullError):
        store.put("big", bytes(health.free_bytes))
    assert store.health() == health and store.list()[0].name == "keep"
    # what is left still fits a large object (blocks were given back)
    store.put("big", bytes(health.free_bytes * 8 // 10 // STRIPE * STRIPE))


def test_catalogue_capacity_is_enforced() -> None:
    store = make_store(config=StoreConfig(max_objects=3))[0]
    for index in range(3):
        store.put(f"o{index}", b"")
    with pytest.raises(StoreFullError):
        store.put("o3", b"")
    store.put("o0", b"replacing is fine")


def test_streamed_put_out_of_order_then_commit() -> None:
    store = make_store()[0]
    content = payload(2 * STRIPE + 100, 3)
    writer = store.writer("stream", len(content))
    pieces = [(offset, content[offset:offset + 5000]) for offset in range(0, len(content), 5000)]
    for offset, piece in reversed(pieces):
        writer.write(offset, piece)
    assert not store.exists("stream")
    assert writer.commit().sha256 == hashlib.sha256(content).digest()
    assert store.get("stream") == content
    with pytest.raises(WriterClosedError):
        writer.write(0, b"late")


def test_streamed_put_abort_leaves_store_unchanged() -> None:
    store = make_store()[0]
    store.put("stream", b"old")
    writer = store.writer("stream")
    writer.write(0, b"new")
    writer.abort()
    assert store.get("stream") == b"old"
    with pytest.raises(WriterClosedError):
        writer.commit()


def test_reopen_keeps_objects_and_counters(tmp_path: Path) -> None:
    path = tmp_path / "mass.img"
    contents = {f"obj{index}": payload(index * 7000, index) for index in range(6)}
    with MemoryRegion.file_backed("mass", "storage", path, 4 << 20) as region:
        store = ObjectStore.open(region, SMALL, clock=Clock())
        for name, content in contents.items():
            store.put(name, content)
        store.delete("obj2")
        store.catalogue.counters.corrected_words = 5
        store.close()
        with pytest.raises(StoreClosedError):
            store.put("x", b"")
    del contents["obj2"]
    with MemoryRegion.file_backed("mass", "storage", path, 4 << 20) as region:
        store = ObjectStore.open(region, SMALL, clock=Clock())
        assert list(store.names()) == sorted(contents)
        assert all(store.get(name) == content for name, content in contents.items())
        assert store.health().corrected_words == 5


def test_many_small_puts_cycle_through_checkpoints() -> None:
    store, region, clock = make_store()
    journal = store.layout.journal_octets
    written = 0
    index = 0
    while written < 3 * journal:  # the journal fills and is checkpointed several times
        store.put(f"n{index % 40}", payload(index % 300, index))
        written += 200
        index += 1
    expected = {f"n{i % 40}": payload(i % 300, i) for i in range(index)}
    reopened = ObjectStore.open(region, SMALL, clock=clock)
    assert {name: reopened.get(name) for name in reopened.names()} == expected


def test_config_mismatch_with_medium_is_refused() -> None:
    _, region, clock = make_store()
    with pytest.raises(StoreFormatError):
        ObjectStore.open(region, StoreConfig(max_objects=64, data_blocks=4), clock=clock)


def test_non_blank_unformatted_medium_is_not_formatted_over() -> None:
    region = MemoryRegion.in_memory("mass", "dram", 4 << 20)
    region.write(100, b"someone else's data")
    with pytest.raises(StoreFormatError):
        ObjectStore.open(region, SMALL, clock=Clock())
    assert region.read(100, 19) == b"someone else's data"


def test_four_gib_sparse_medium_formats_lazily(tmp_path: Path) -> None:
    path = tmp_path / "big.img"
    size = 4 << 30
    with MemoryRegion.file_backed("mass", "storage", path, size) as region:
        store = ObjectStore.open(region, StoreConfig(), clock=Clock())
        health = store.health()
        assert health.capacity_bytes > (7 << 30) // 2
        content = payload(3 * STRIPE + 1, 9)
        store.put("big-store", content)
        store.close()
    assert path.stat().st_blocks * 512 < 64 << 20  # sparse: only metadata and one object
    with MemoryRegion.file_backed("mass", "storage", path, size) as region:
        assert ObjectStore.open(region, StoreConfig(), clock=Clock()).get("big-store") == content


def test_errors_are_storage_errors() -> None:
    for error in (InvalidRangeError, InvalidDataError, StoreClosedError, StoreFormatError,
                  WriterClosedError):
        assert issubclass(error, StorageError)
