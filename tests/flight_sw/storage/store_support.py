"""Shared helpers of the object-store tests: a store on an in-memory region with a settable
clock, and raw bit positions of logical EDAC words (the interleaved layout documented in
flight_sw.storage.edac_memory), so faults are injected below the EDAC as radiation would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.store import ObjectStore

SMALL = StoreConfig(max_objects=64)
"""A configuration whose metadata fits a few-MiB test region."""


@dataclass
class Clock:
    """A settable store clock."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Events:
    """Collects store events as (name, values)."""

    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, name: str, /, **values: Any) -> None:
        self.seen.append((name, values))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [values for event, values in self.seen if event == name]


def make_store(size: int = 4 << 20, config: StoreConfig = SMALL,
               events: Events | None = None) -> tuple[ObjectStore, MemoryRegion, Clock]:
    region = MemoryRegion.in_memory("mass", "dram", size)
    clock = Clock()
    return ObjectStore.open(region, config, clock=clock, on_event=events), region, clock


def raw_bit(store: ObjectStore, offset: int, bit: int) -> int:
    """Raw region bit position of data bit ``bit`` (0..63) of the logical word at data-space
    octet ``offset``."""
    depth = store.layout.geometry.interleave
    word = offset // 8
    return (word // depth) * 64 * depth + bit * depth + word % depth


def word_bits(store: ObjectStore, offset: int, bits: tuple[int, ...]) -> list[int]:
    """Raw positions of several data bits of one logical word."""
    return [raw_bit(store, offset, bit) for bit in bits]


def block_word(store: ObjectStore, name: str, position: int, word: int = 0) -> int:
    """Data-space octet offset of word ``word`` of block-list position ``position`` of an
    object."""
    block = int(store.catalogue.entry(name).blocks[position])
    return store.layout.block_offset(block) + 8 * word


def check_bits(store: ObjectStore, offset: int, bits: tuple[int, ...]) -> list[int]:
    """Raw positions of check bits (0..7) of the logical word at data-space octet ``offset``:
    bit ``r * D + k`` of its group's check octets (flight_sw.storage.edac_memory layout)."""
    depth = store.layout.geometry.interleave
    word = offset // 8
    group_checks = (store.medium.data_octets + (word // depth) * depth) * 8
    return [group_checks + bit * depth + word % depth for bit in bits]
