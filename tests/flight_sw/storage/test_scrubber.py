"""Scrubber with an injected clock and timer: the patrol covers the medium once per period,
corrects single errors everywhere (objects, free space, metadata), repairs or reports what
EDAC cannot correct, adapts its period to the corrected-error rate, and reports counters and
events."""

from __future__ import annotations

import random

import pytest

from flight_sw.storage.api import ObjectState
from flight_sw.storage.catalogue import BAD
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.scrubber import Scrubber
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.storage.store_support import (
    SMALL,
    Events,
    block_word,
    make_store,
    word_bits,
)

BLOCK = 4096
CONFIG = StoreConfig(max_objects=64, scrub_period_s=100.0, scrub_min_period_s=25.0,
                     scrub_tighten_corrected=4, scrub_relax_corrected=1,
                     scrub_chunk_octets=64 * 1024)


def frozen_timer() -> float:
    """Processing time that never advances: a step is bounded only by what is due."""
    return 0.0


def scrubber(events: Events | None = None) -> tuple[Scrubber, ObjectStore, object]:
    events = events or Events()
    store, region, _ = make_store(config=CONFIG)
    return Scrubber(store, on_event=events, timer=frozen_timer), store, region


def test_patrol_rate_follows_the_period() -> None:
    scrub, store, _ = scrubber()
    total = scrub.total
    assert scrub.step(0.0, 1.0).octets == 0
    step = scrub.step(25.0, 1.0)  # a quarter of the period earns a quarter of the medium
    assert total // 4 - CONFIG.scrub_chunk_octets <= step.octets <= total // 4
    assert step.progress == pytest.approx(step.octets / total)
    assert store.health().scrub_progress == step.progress


def test_full_pass_reports_counters_and_event() -> None:
    events = Events()
    scrub, store, _ = scrubber(events)
    scrub.step(0.0, 1.0)
    done = sum(scrub.step(float(t), 1.0).passes_done for t in range(10, 101, 10))
    assert done == 1
    assert store.medium.counters.scrubbed_octets == store.medium.data_octets  # type: ignore[attr-defined]
    health = store.health()
    assert health.scrub_passes == 1 and health.last_pass_duration_s == pytest.approx(100.0)
    (event,) = events.named("SCRUB_PASS_DONE")
    assert event["passes"] == 1 and event["corrected"] == 0 and event["lost"] == 0


def test_budget_bounds_a_step() -> None:
    store = make_store(config=CONFIG)[0]
    ticks = iter(range(1000))
    scrub = Scrubber(store, timer=lambda: float(next(ticks)))
    scrub.step(0.0, 0.5)
    step = scrub.step(1000.0, 0.5)  # everything is due, one slice fits the budget
    assert step.octets == CONFIG.scrub_chunk_octets


def test_single_errors_everywhere_are_corrected() -> None:
    events = Events()
    scrub, store, region = scrubber(events)
    store.put("obj", random.Random(1).randbytes(3 * BLOCK))
    layout = store.layout
    offsets = [block_word(store, "obj", 1), layout.superblocks[0], layout.journals[1] + 64,
               layout.block_offset(layout.total_blocks - 1)]  # object, metadata, free block
    for offset in offsets:
        region.flip_bits(word_bits(store, offset, (40,)))  # type: ignore[attr-defined]
    scrub.step(0.0, 1.0)
    scrub.step(100.0, 1.0)
    assert store.health().corrected_words == len(offsets)
    assert events.named("SCRUB_PASS_DONE")[0]["corrected"] == len(offsets)
    assert store.verify("obj").corrected_words == 0


def test_uncorrectable_object_block_is_repaired_by_the_patrol() -> None:
    events = Events()
    scrub, store, region = scrubber(events)
    data = random.Random(2).randbytes(10 * BLOCK)
    store.put("obj", data)
    block = int(store.catalogue.entry("obj").blocks[9])  # a parity block
    region.flip_bits(word_bits(store, block_word(store, "obj", 9, 5), (7, 8)))  # type: ignore[attr-defined]
    scrub.step(0.0, 1.0)
    scrub.step(100.0, 1.0)
    assert events.named("MEMORY_UNCORRECTABLE")[0]["block"] == block
    assert events.named("BLOCK_REPAIRED") == [{"block": block, "name": "obj", "relocated": 0}]
    assert events.named("SCRUB_PASS_DONE")[0]["repaired"] == 1
    assert store.info("obj").state is ObjectState.REPAIRED and store.get("obj") == data


def test_beyond_repair_is_reported_lost() -> None:
    events = Events()
    scrub, store, region = scrubber(events)
    store.put("obj", random.Random(3).randbytes(4 * BLOCK))
    for position in range(3):
        region.flip_bits(word_bits(store, block_word(store, "obj", position), (1, 2)))  # type: ignore[attr-defined]
    scrub.step(0.0, 1.0)
    scrub.step(100.0, 1.0)
    assert len(events.named("BLOCK_LOST")) == 3
    assert store.info("obj").state is ObjectState.LOST
    health = store.health()
    assert health.lost_blocks == 3
    scrub.step(200.0, 1.0)  # the next pass does not report the same loss again
    assert len(events.named("BLOCK_LOST")) == 3 and len(events.named("MEMORY_UNCORRECTABLE")) == 3
    assert store.health().uncorrectable_words == health.uncorrectable_words


def test_free_block_that_does_not_keep_data_is_retired() -> None:
    events = Events()
    scrub, store, region = scrubber(events)
    block = store.layout.total_blocks - 2
    offset = store.layout.block_offset(block)
    region.stick_bits(word_bits(store, offset, (0, 1)), 1)  # type: ignore[attr-defined]
    scrub.step(0.0, 1.0)
    scrub.step(100.0, 1.0)
    assert store.catalogue.owner[block] == BAD and store.health().bad_blocks == 1
    scrub.step(200.0, 1.0)  # a retired block is not reported again
    assert events.named("SCRUB_PASS_DONE")[1]["uncorrectable"] == 0


def test_damaged_journal_area_is_rewritten_and_store_still_opens() -> None:
    events = Events()
    scrub, store, region = scrubber(events)
    store.put("obj", b"x")
    region.flip_bits(word_bits(store, store.layout.journals[0], (9, 10)))  # type: ignore[attr-defined]
    scrub.step(0.0, 1.0)
    scrub.step(100.0, 1.0)
    assert events.named("MEMORY_UNCORRECTABLE")[0]["block"] == -1
    scrub.step(200.0, 1.0)
    assert events.named("SCRUB_PASS_DONE")[1]["uncorrectable"] == 0
    reopened = ObjectStore.open(region, SMALL, clock=store.clock)  # type: ignore[arg-type]
    assert reopened.get("obj") == b"x"


def test_period_tightens_with_corrected_errors_and_relaxes_after() -> None:
    scrub, store, region = scrubber()
    scrub.step(0.0, 1.0)
    data_offset = store.layout.block_offset(0)
    region.flip_bits([bit for word in range(10)  # type: ignore[attr-defined]
                      for bit in word_bits(store, data_offset + 64 * word, (20,))])
    scrub.step(100.0, 1.0)
    assert scrub.period_s == 50.0 and store.health().scrub_period_s == 50.0
    scrub.step(150.0, 1.0)  # a clean pass at the tighter period
    assert scrub.period_s == 100.0
    for _ in range(3):  # repeated bursts floor at the minimum period
        region.flip_bits([bit for word in range(10)  # type: ignore[attr-defined]
                          for bit in word_bits(store, data_offset + 64 * word, (20,))])
        scrub.step(scrub._last + scrub.period_s, 1.0)  # type: ignore[operator]
    assert scrub.period_s == CONFIG.scrub_min_period_s


def test_a_new_base_period_sets_the_pace_and_reaches_housekeeping() -> None:
    scrub, store, _ = scrubber()
    scrub.set_base_period(10.0)
    assert (scrub.config.scrub_period_s, scrub.config.scrub_min_period_s) == (10.0, 10.0)
    assert store.health().scrub_period_s == 10.0
    scrub.step(0.0, 1.0)
    assert scrub.step(5.0, 1.0).octets == pytest.approx(scrub.total / 2, rel=0.01)
    scrub.set_base_period(200.0)
    assert scrub.config.scrub_period_s == 200.0 and scrub.period_s == 200.0
