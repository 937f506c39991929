"""Findings of the radiation soak (docs/reliability.md), fixed in the store: a double error in
a word's check bits (data and CRC-32C intact) gets its block rewritten by the scrub or a read
and is not reported again; a word corrected pass after pass (a stuck cell) retires its block
so the patrol relaxes again; an uncorrectable word is counted once per detection."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from flight_sw.storage.api import ObjectState
from flight_sw.storage.catalogue import BAD
from flight_sw.storage.config import StoreConfig, StoreConfigError
from flight_sw.storage.scrubber import Scrubber
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.storage.store_support import (
    SMALL,
    Events,
    block_word,
    check_bits,
    make_store,
    word_bits,
)

BLOCK = SMALL.block_size
CONFIG = StoreConfig(max_objects=64, scrub_period_s=100.0, scrub_min_period_s=25.0,
                     scrub_tighten_corrected=4, scrub_relax_corrected=1,
                     scrub_chunk_octets=64 * 1024)
PASSES = CONFIG.retire_corrected_passes


def setup(size: int = 5 * BLOCK) -> tuple[Scrubber, ObjectStore, Any, Events, bytes]:
    events = Events()
    store, region, _ = make_store(config=CONFIG, events=events)
    data = random.Random(size).randbytes(size)
    store.put("obj", data)
    scrubber = Scrubber(store, timer=lambda: 0.0)
    scrubber.step(0.0, 1.0)
    return scrubber, store, region, events, data


def one_pass(scrubber: Scrubber) -> dict[str, Any]:
    """Step the patrol by its period until a pass ends; the pass's SCRUB_PASS_DONE values."""
    events = Events()
    sink, scrubber.store.on_event = scrubber.store.on_event, events
    try:
        while not scrubber.step(scrubber._last + scrubber.period_s, 1.0).passes_done:  # type: ignore[operator]
            pass
    finally:
        scrubber.store.on_event = sink
    sink("SCRUB_PASS_DONE", **events.named("SCRUB_PASS_DONE")[0])
    for name, values in events.seen[:-1]:
        sink(name, **values)
    return events.named("SCRUB_PASS_DONE")[0]


def residual(store: ObjectStore) -> tuple[int, ...]:
    """Uncorrectable words on the medium, by an EDAC scrub of everything."""
    return store.medium.scrub(0, store.medium.data_octets).uncorrectable_words


def unset_bits(data: bytes, at: int, count: int) -> tuple[int, ...]:
    """Bit numbers (0..63) that are 0 in the little-endian word of ``data`` at ``at``."""
    word = int(np.frombuffer(data[at:at + 8], "<u8")[0])
    return tuple(bit for bit in range(64) if not word >> bit & 1)[:count]


# -- 1. double errors in check bits --------------------------------------------------------------

def test_check_bit_double_error_is_rewritten_by_the_patrol_and_not_reported_again() -> None:
    scrubber, store, region, events, data = setup()
    block = int(store.catalogue.entry("obj").blocks[1])
    region.flip_bits(check_bits(store, block_word(store, "obj", 1, 17), (2, 5)))
    assert len(residual(store)) == 1
    first = one_pass(scrubber)
    assert (first["uncorrectable"], first["repaired"]) == (1, 1)
    assert events.named("MEMORY_UNCORRECTABLE")[0]["block"] == block
    assert events.named("BLOCK_REPAIRED") == [{"block": block, "name": "obj", "relocated": 0}]
    assert residual(store) == ()
    second = one_pass(scrubber)
    assert (second["uncorrectable"], second["repaired"]) == (0, 0)
    assert store.get("obj") == data and store.health().uncorrectable_words == 1


@pytest.mark.parametrize("operation", [
    lambda store: store.get("obj"),
    lambda store: store.read("obj", BLOCK + 200, 10),
    lambda store: store.verify("obj"),
])
def test_check_bit_double_error_is_rewritten_by_a_read(
        operation: Callable[[ObjectStore], object]) -> None:
    _, store, region, _, data = setup()
    region.flip_bits(check_bits(store, block_word(store, "obj", 1, 30), (0, 7)))
    operation(store)
    assert residual(store) == ()
    health = store.health()
    assert (health.repaired_blocks, health.uncorrectable_words) == (1, 1)
    assert store.get("obj") == data and store.info("obj").state is ObjectState.REPAIRED


def test_check_bit_double_error_beside_a_failed_block_is_rewritten_with_the_repair() -> None:
    _, store, region, _, data = setup()
    region.flip_bits(word_bits(store, block_word(store, "obj", 0, 3), (9, 10)))  # CRC fails
    region.flip_bits(check_bits(store, block_word(store, "obj", 5, 3), (1, 4)))  # parity, CRC ok
    assert store.get("obj") == data
    assert residual(store) == () and store.health().repaired_blocks == 2


# -- 3. each uncorrectable word counted once --------------------------------------------------

@pytest.mark.parametrize("operation", [
    lambda store, scrubber: one_pass(scrubber),
    lambda store, scrubber: store.get("obj"),
    lambda store, scrubber: store.read("obj", 2 * BLOCK, 100),
    lambda store, scrubber: store.verify("obj"),
])
def test_an_uncorrectable_word_is_counted_once(
        operation: Callable[[ObjectStore, Scrubber], object]) -> None:
    scrubber, store, region, _, data = setup()
    region.flip_bits(word_bits(store, block_word(store, "obj", 2, 40), (3, 33)))
    operation(store, scrubber)
    assert store.health().uncorrectable_words == 1
    assert residual(store) == ()
    one_pass(scrubber)  # repaired: nothing left to count
    assert store.get("obj") == data and store.health().uncorrectable_words == 1


# -- 2. persistent correctable errors ------------------------------------------------------------

def test_a_stuck_cell_in_an_object_block_retires_the_block_and_the_patrol_relaxes() -> None:
    scrubber, store, region, events, data = setup()
    old = int(store.catalogue.entry("obj").blocks[3])
    stuck = [bit for word in range(5) for bit in word_bits(  # five words, one stuck bit each
        store, block_word(store, "obj", 3, 64 * word),
        unset_bits(data, 3 * BLOCK + 512 * word, 1))]
    region.stick_bits(stuck, 1)
    passes = [one_pass(scrubber) for _ in range(PASSES)]
    assert [done["corrected"] for done in passes] == [5] * PASSES
    assert scrubber.period_s == CONFIG.scrub_min_period_s
    entry = store.catalogue.entry("obj")
    assert store.catalogue.owner[old] == BAD and int(entry.blocks[3]) != old
    assert events.named("BLOCK_REPAIRED") == [{"block": old, "name": "obj", "relocated": 1}]
    assert [one_pass(scrubber)["corrected"] for _ in range(3)] == [0, 0, 0]
    assert scrubber.period_s == CONFIG.scrub_period_s  # relaxed back to the base
    health = store.health()
    assert (health.corrected_words, health.bad_blocks) == (5 * PASSES, 1)
    assert store.get("obj") == data
    reopened = ObjectStore.open(region, CONFIG, clock=store.clock)
    assert reopened.get("obj") == data and reopened.catalogue.owner[old] == BAD


def test_a_stuck_cell_in_a_free_block_retires_it() -> None:
    scrubber, store, region, _, _ = setup()
    block = store.layout.total_blocks - 3
    region.stick_bits(word_bits(store, store.layout.block_offset(block) + 800, (11,)), 1)
    for _ in range(PASSES - 1):
        one_pass(scrubber)
    assert store.catalogue.owner[block] != BAD
    one_pass(scrubber)
    assert store.catalogue.owner[block] == BAD
    assert one_pass(scrubber)["corrected"] == 0


def test_a_stuck_metadata_cell_stops_counting_as_corrected() -> None:
    scrubber, store, region, _, _ = setup()
    offset = store.layout.journals[1] + 16 * BLOCK  # far beyond the journal head
    region.stick_bits(word_bits(store, offset, (21,)), 1)
    counts = [one_pass(scrubber)["corrected"] for _ in range(PASSES + 2)]
    assert counts == [1] * (PASSES - 1) + [0] * 3
    assert store.health().corrected_words == PASSES - 1


def test_transient_upsets_in_one_word_on_passes_apart_retire_nothing() -> None:
    scrubber, store, region, _, _ = setup()
    bits = word_bits(store, block_word(store, "obj", 2, 9), (44,))
    for flip in [True] * (PASSES - 1) + [False] + [True] * (PASSES - 1):
        if flip:
            region.flip_bits(bits)
        one_pass(scrubber)
    assert store.health().bad_blocks == 0


def test_the_retirement_threshold_is_validated() -> None:
    with pytest.raises(StoreConfigError):
        StoreConfig(retire_corrected_passes=1)
