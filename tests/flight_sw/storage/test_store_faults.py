"""Faults below the EDAC (MemoryRegion.flip_bits / stick_bits): single errors corrected,
double errors in a word repaired through the erasure code, more than m damaged blocks in a
stripe reported as DataLostError with the object LOST (never wrong data), stuck bits retiring
a block, and damaged metadata copies recovered from the others."""

from __future__ import annotations

import random

import numpy as np
import pytest

from flight_sw.storage.api import DataLostError, ObjectState
from flight_sw.storage.catalogue import BAD
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.storage.store_support import (
    SMALL,
    Events,
    block_word,
    make_store,
    word_bits,
)

BLOCK = 4096


def content(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def test_single_bit_errors_are_corrected_by_edac() -> None:
    store, region, _ = make_store()
    data = content(3 * BLOCK)
    store.put("obj", data)
    for position in range(3):
        region.flip_bits(word_bits(store, block_word(store, "obj", position, 7), (13,)))
    assert store.get("obj") == data
    health = store.health()
    assert health.corrected_words == 3 and health.repaired_blocks == 0
    assert store.info("obj").state is ObjectState.INTACT
    region.flip_bits(word_bits(store, block_word(store, "obj", 4, 2), (50,)))  # parity block
    result = store.verify("obj")
    assert (result.corrected_words, result.repaired_blocks) == (1, 0)
    assert result.state is ObjectState.INTACT


def test_double_error_in_a_word_is_repaired_through_the_stripe() -> None:
    events = Events()
    store, region, _ = make_store(events=events)
    data = content(20 * BLOCK, 1)
    store.put("obj", data)
    block = int(store.catalogue.entry("obj").blocks[4])
    region.flip_bits(word_bits(store, block_word(store, "obj", 4, 100), (0, 1)))
    assert store.get("obj") == data
    assert store.info("obj").state is ObjectState.REPAIRED
    assert store.health().repaired_blocks == 1
    assert events.named("BLOCK_REPAIRED") == [{"block": block, "name": "obj", "relocated": 0}]
    # the block was rewritten: reading again finds nothing to repair
    assert store.verify("obj").repaired_blocks == 0


def test_two_lost_blocks_per_stripe_are_rebuilt_three_are_not() -> None:
    store, region, _ = make_store()
    data = content(8 * BLOCK, 2)
    store.put("two", data)
    store.put("three", data)
    for position in (0, 9):  # a data and a parity block
        region.flip_bits(word_bits(store, block_word(store, "two", position), (5, 9)))
    result = store.verify("two")
    assert (result.state, result.repaired_blocks) == (ObjectState.REPAIRED, 2)
    for position in (0, 3, 8):
        region.flip_bits(word_bits(store, block_word(store, "three", position), (5, 9)))
    with pytest.raises(DataLostError):
        store.get("three")
    assert store.info("three").state is ObjectState.LOST
    with pytest.raises(DataLostError):
        store.get("three")
    assert store.health().lost_blocks == 3
    assert store.verify("three").state is ObjectState.LOST


def test_partial_read_of_a_lost_object_serves_intact_stripes_only() -> None:
    store, region, _ = make_store()
    data = content(16 * BLOCK, 3)
    store.put("obj", data)
    for position in (0, 1, 2):  # first stripe beyond repair
        region.flip_bits(word_bits(store, block_word(store, "obj", position), (1, 2)))
    assert store.read("obj", 8 * BLOCK, 100) == data[8 * BLOCK:8 * BLOCK + 100]
    with pytest.raises(DataLostError):
        store.read("obj", 0, 10)


@pytest.mark.parametrize("seed", range(4))
def test_random_upsets_never_return_wrong_data(seed: int) -> None:
    store, region, _ = make_store()
    rng = np.random.default_rng(seed)
    objects = {f"o{index}": content(int(rng.integers(0, 12 * BLOCK)), index)
               for index in range(12)}
    for name, data in objects.items():
        store.put(name, data)
    region.flip_random(20_000 * (seed + 1), rng)
    outcomes = set()
    for name, data in objects.items():
        try:
            assert store.get(name) == data
            outcomes.add(store.info(name).state)
        except DataLostError:
            assert store.info(name).state is ObjectState.LOST
            outcomes.add(ObjectState.LOST)
    assert outcomes  # every object either intact/repaired or reported lost


def test_stuck_bits_retire_the_block_and_relocate_its_data() -> None:
    events = Events()
    store, region, _ = make_store(events=events)
    data = content(5 * BLOCK, 4)
    store.put("obj", data)
    old = int(store.catalogue.entry("obj").blocks[2])
    offset = block_word(store, "obj", 2, 3)
    original = int(np.frombuffer(data[2 * BLOCK + 24:2 * BLOCK + 32], "<u8")[0])
    stuck = [bit for bit in range(64) if not original >> bit & 1][:2]
    region.stick_bits(word_bits(store, offset, tuple(stuck)), 1)
    assert store.get("obj") == data
    entry = store.catalogue.entry("obj")
    assert int(entry.blocks[2]) != old and store.catalogue.owner[old] == BAD
    assert events.named("BLOCK_REPAIRED")[-1]["relocated"] == 1
    assert store.health().bad_blocks == 1
    reopened = ObjectStore.open(region, SMALL, clock=store.clock)
    assert reopened.get("obj") == data and reopened.health().bad_blocks == 1
    assert reopened.catalogue.owner[old] == BAD


def _wreck(store: ObjectStore, region: object, offset: int, octets: int) -> None:
    """Put a double error in every word of ``octets`` at data offset ``offset``."""
    positions = [bit for word in range(offset, offset + octets, 8)
                 for bit in word_bits(store, word, (3, 4))]
    region.flip_bits(positions)  # type: ignore[attr-defined]


def test_damaged_newest_checkpoint_copy_and_superblock_copies_recover() -> None:
    store, region, clock = make_store()
    store.put("obj", b"payload")
    store.checkpoint()
    layout = store.layout
    newest_pair = store.generation % 2
    _wreck(store, region, layout.checkpoint_slots[2 * newest_pair], 64)
    _wreck(store, region, layout.superblocks[0], 64)
    _wreck(store, region, layout.superblocks[1], 64)
    reopened = ObjectStore.open(region, SMALL, clock=clock)
    assert reopened.get("obj") == b"payload"


def test_damaged_journal_copy_a_is_read_from_copy_b() -> None:
    store, region, clock = make_store()
    store.put("first", b"1")
    store.put("second", b"2")  # both only in the journal (after the open's checkpoint)
    _wreck(store, region, store.layout.journals[0], store.journal.head)
    reopened = ObjectStore.open(region, SMALL, clock=clock)
    assert reopened.get("first") == b"1" and reopened.get("second") == b"2"


def test_both_journal_copies_damaged_loses_only_unreplayable_tail() -> None:
    store, region, clock = make_store()
    store.put("first", b"1")
    head = store.journal.head
    store.put("second", b"2")
    for base in store.layout.journals:
        _wreck(store, region, base + head, 32)
    reopened = ObjectStore.open(region, SMALL, clock=clock)
    assert list(reopened.names()) == ["first"]


@pytest.mark.parametrize("bits", [(0, 1, 2), (5, 17, 60), (8, 9, 10), (30, 31, 63)])
def test_triple_error_miscorrected_by_edac_is_caught_by_crc_and_repaired(
        bits: tuple[int, int, int]) -> None:
    store, region, _ = make_store()
    data = content(9 * BLOCK, 5)
    store.put("obj", data)
    region.flip_bits(word_bits(store, block_word(store, "obj", 3, 11), bits))
    assert store.get("obj") == data
    assert store.read("obj", 3 * BLOCK, BLOCK) == data[3 * BLOCK:4 * BLOCK]
    assert store.info("obj").state is ObjectState.REPAIRED


def _scribble(store: ObjectStore, name: str, positions: tuple[int, ...]) -> None:
    """Overwrite blocks with other (EDAC-valid) octets: what a block whose write never
    reached the medium holds after a power cut."""
    for position in positions:
        store.medium.write(block_word(store, name, position), bytes(BLOCK))


@pytest.mark.parametrize(("positions", "survives"), [((0, 9), True), ((0, 1, 9), False)])
def test_last_put_whose_blocks_did_not_reach_the_medium_is_rolled_back(
        positions: tuple[int, ...], survives: bool) -> None:
    store, region, clock = make_store()
    old, new = content(9 * BLOCK, 6), content(9 * BLOCK, 7)
    store.put("obj", old)
    store.put("obj", new)  # its record is the journal's last
    _scribble(store, "obj", positions)
    reopened = ObjectStore.open(region, SMALL, clock=clock)
    assert reopened.get("obj") == (new if survives else old)


def test_only_the_last_record_is_checked_for_durability() -> None:
    store, region, clock = make_store()
    store.put("obj", content(9 * BLOCK, 8))
    store.put("later", b"flushed the blocks of obj")
    _scribble(store, "obj", (0, 1, 9))  # damage after the fact: obj is committed
    reopened = ObjectStore.open(region, SMALL, clock=clock)
    with pytest.raises(DataLostError):
        reopened.get("obj")
    assert reopened.info("obj").state is ObjectState.LOST
