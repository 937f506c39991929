"""Metadata codecs: round trips of entries, journal records and checkpoints, and hypothesis
fuzzing of every decoder (records, snapshots, superblocks, frames on the medium): garbage
gives None or RecordError, never another exception or a wrong record."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.api import DataLostError, ObjectState, StorageError
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.edac_memory import EdacMemory
from flight_sw.storage.framing import Frame, read_frame, seal
from flight_sw.storage.layout import Geometry
from flight_sw.storage.records import (
    Counters,
    Entry,
    JournalRecord,
    RecordError,
    RecordKind,
    Snapshot,
    decode_record,
    decode_snapshot,
    encode_record,
    encode_snapshot,
)
from flight_sw.storage.store import ObjectStore

u32 = st.integers(0, 2**32 - 1)
entries = st.builds(
    lambda name, size, sha, created, state, blocks: Entry(
        name, size, sha, created, state, np.array(blocks, np.uint32),
        np.array([b ^ 0x5A5A5A5A for b in blocks], np.uint32)),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
            min_size=1, max_size=16).filter(
        lambda name: name.isprintable() and name[0] != "/" and name[-1] != "/"),
    st.integers(0, 2**40), st.binary(min_size=32, max_size=32),
    st.floats(allow_nan=False), st.sampled_from(ObjectState), st.lists(u32, max_size=30))
counters = st.builds(Counters, *(st.integers(0, 2**63) for _ in range(5)),
                     st.floats(0, 1e6))


def same_entry(a: Entry, b: Entry) -> bool:
    return (a.name, a.size, a.sha256, a.created, a.state) == (
        b.name, b.size, b.sha256, b.created, b.state) and (
        np.array_equal(a.blocks, b.blocks) and np.array_equal(a.crcs, b.crcs))


@given(entries)
def test_upsert_round_trip(entry: Entry) -> None:
    record = decode_record(RecordKind.UPSERT, encode_record(
        JournalRecord(RecordKind.UPSERT, entry=entry)))
    assert record.entry is not None and same_entry(record.entry, entry)


@given(st.lists(u32, max_size=50), counters)
def test_retire_and_counters_round_trip(blocks: list[int], values: Counters) -> None:
    retire = decode_record(RecordKind.RETIRE, encode_record(
        JournalRecord(RecordKind.RETIRE, blocks=tuple(blocks))))
    assert retire.blocks == tuple(blocks)
    saved = decode_record(RecordKind.COUNTERS, encode_record(
        JournalRecord(RecordKind.COUNTERS, counters=values)))
    assert saved.counters == values


@given(st.lists(entries, max_size=5), st.lists(u32, max_size=10), counters)
def test_snapshot_round_trip(items: list[Entry], bad: list[int], values: Counters) -> None:
    back = decode_snapshot(encode_snapshot(Snapshot(items, bad, values)))
    assert back.bad_blocks == bad and back.counters == values
    assert all(same_entry(a, b) for a, b in zip(back.entries, items, strict=True))


@settings(max_examples=300)
@given(st.integers(0, 255), st.binary(max_size=200))
def test_record_decoder_fuzz(kind: int, payload: bytes) -> None:
    try:
        record = decode_record(kind, payload)
    except RecordError:
        return
    assert encode_record(record) == payload  # only exact encodings decode


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_snapshot_decoder_fuzz(payload: bytes) -> None:
    try:
        snapshot = decode_snapshot(payload)
    except RecordError:
        return
    assert encode_snapshot(snapshot) == payload


@given(st.binary(min_size=0, max_size=128))
def test_superblock_decoder_fuzz(octets: bytes) -> None:
    geometry = Geometry.decode(octets)
    assert geometry is None or geometry.encode()[:46] == octets[:46]  # fields + CRC


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=32, max_size=512), st.integers(0, 7), st.binary(max_size=100))
def test_frame_reader_fuzz(garbage: bytes, kind: int, payload: bytes) -> None:
    medium = EdacMemory(MemoryRegion.in_memory("m", "dram", 9 * 1024), interleave=4)
    sealed = seal(Frame(b"TEST", 77, 5, 1, kind, payload), 32)
    medium.write(0, sealed)
    found = read_frame(medium, 0, 1024, magic=b"TEST", format_id=77, unit=32)
    assert found is not None and found[0].payload == payload and found[1] == len(sealed)
    medium.write(0, garbage + bytes(-len(garbage) % 32))
    found = read_frame(medium, 0, 1024, magic=b"TEST", format_id=77, unit=32)
    assert found is None or seal(found[0], 32) == medium.read(0, found[1]).data
    assert read_frame(medium, 0, 1024, magic=b"TEST", format_id=78, unit=32) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**9), st.binary(min_size=1, max_size=96)),
                min_size=1, max_size=6))
def test_store_open_over_scribbled_metadata_fuzz(scribbles: list[tuple[int, bytes]]) -> None:
    """Arbitrary (EDAC-valid) octets over the metadata areas: opening either recovers a
    store whose objects all read back intact, or raises a StorageError."""
    region = MemoryRegion.in_memory("mass", "dram", 4 << 20)
    config = StoreConfig(max_objects=16)
    store = ObjectStore.open(region, config, clock=lambda: 0.0)
    contents = {f"o{index}": bytes([index]) * (index * 3000) for index in range(5)}
    for name, data in contents.items():
        store.put(name, data)
    store.delete("o1")
    for where, octets in scribbles:
        offset = where % store.layout.data_start // 32 * 32
        padded = octets + bytes(-len(octets) % 32)
        store.medium.write(offset, padded[:store.layout.data_start - offset])
    try:
        reopened = ObjectStore.open(region, config, clock=lambda: 0.0)
    except StorageError:
        return
    for name in reopened.names():  # a lost journal record may bring "o1" back: still intact
        with contextlib.suppress(DataLostError):
            assert reopened.get(name) == contents[name]
