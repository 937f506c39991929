"""Where things live on the medium (docs/storage.md, "Layout"): three superblock copies, four
checkpoint slots (two generations x two copies), two journal copies and the data blocks.

Every area starts on a block boundary, so every write is aligned to the EDAC write unit. The
layout is a pure function of the superblock's geometry; the superblock itself is at block 0,
block 1 and the medium's last block, far enough apart that one damaged area spares a copy.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from firmware_stubs.crc32c import crc32c
from flight_sw.storage.api import MAX_NAME_OCTETS, StorageError
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.records import SEAL_OCTETS, SHA256_OCTETS

SUPERBLOCK_MAGIC = b"SPSB"
LAYOUT_VERSION = 2
"""Version 2: checkpoint slots sized for sealed entries (data at rest, key id and nonce per
object). Version 1 media (plaintext objects only) are still opened and written."""
SUPPORTED_VERSIONS = (1, 2)
SUPERBLOCK_COPIES = 3
CHECKPOINT_SLOTS = 4
"""Two generations (even/odd) of two copies each."""
JOURNAL_COPIES = 2
ENTRY_OVERHEAD_V1 = 1 + MAX_NAME_OCTETS + 21 + SHA256_OCTETS
"""Largest fixed part of a plaintext catalogue entry (name, size, time, state, count, hash)."""
ENTRY_OVERHEAD = ENTRY_OVERHEAD_V1 + SEAL_OCTETS
"""... and of a sealed one (key id, nonce, key check): what version 2 reserves per entry."""
BLOCK_REFERENCE = 8
"""Octets a block costs in the metadata (its number and its CRC-32C)."""
MIN_JOURNAL_OCTETS = 256 * 1024

_SUPERBLOCK = struct.Struct("<4sHQIIIIIQ")


class StoreFormatError(StorageError):
    """The medium is too small for the geometry, or its superblock disagrees with the
    configuration on a layout-critical value."""


@dataclass(frozen=True)
class Geometry:
    """Layout-critical parameters, written in the superblock at format time."""

    format_id: int
    """Random per format: records of an earlier format of the same medium are not replayed."""
    block_size: int
    data_blocks: int
    parity_blocks: int
    interleave: int
    max_objects: int
    data_octets: int
    version: int = LAYOUT_VERSION
    """Layout version the medium was formatted with (1: no sealed objects)."""

    @classmethod
    def from_config(cls, config: StoreConfig, format_id: int, data_octets: int,
                    version: int = LAYOUT_VERSION) -> Geometry:
        return cls(format_id, config.block_size, config.data_blocks, config.parity_blocks,
                   config.interleave, config.max_objects, data_octets, version)

    @property
    def holds_sealed(self) -> bool:
        """Whether the catalogue has room for sealed entries (layout version 2 on)."""
        return self.version >= 2

    def encode(self) -> bytes:
        """The superblock: fields then CRC-32C, zero-padded to one block."""
        body = _SUPERBLOCK.pack(SUPERBLOCK_MAGIC, self.version, self.format_id,
                                self.block_size, self.data_blocks, self.parity_blocks,
                                self.interleave, self.max_objects, self.data_octets)
        sealed = body + struct.pack("<I", crc32c(body))
        return sealed + bytes(self.block_size - len(sealed))

    @staticmethod
    def authentic_version(octets: bytes) -> int | None:
        """The layout version of an authentic superblock copy (magic and CRC-32C good), else
        None; tells a medium of another version from a damaged one."""
        size = _SUPERBLOCK.size
        if len(octets) < size + 4:
            return None
        body = octets[:size]
        (crc,) = struct.unpack_from("<I", octets, size)
        magic, version = struct.unpack_from("<4sH", body)
        if crc32c(body) != crc or magic != SUPERBLOCK_MAGIC:
            return None
        assert isinstance(version, int)
        return version

    @classmethod
    def decode(cls, octets: bytes) -> Geometry | None:
        """The geometry in a superblock copy, or None if the copy is not a valid one of a
        supported version."""
        if Geometry.authentic_version(octets) not in SUPPORTED_VERSIONS:
            return None
        _, version, format_id, block_size, data_blocks, parity_blocks, interleave, \
            max_objects, data_octets = _SUPERBLOCK.unpack(octets[:_SUPERBLOCK.size])
        geometry = cls(format_id, block_size, data_blocks, parity_blocks, interleave,
                       max_objects, data_octets, version)
        try:
            StoreConfig(block_size=geometry.block_size, data_blocks=geometry.data_blocks,
                        parity_blocks=geometry.parity_blocks, interleave=geometry.interleave,
                        max_objects=geometry.max_objects)
        except StorageError:
            return None
        return geometry


def _blocks_for(octets: int, block_size: int) -> int:
    return -(-octets // block_size)


@dataclass(frozen=True)
class Layout:
    """Octet offsets (in the EDAC data space) of every area."""

    geometry: Geometry
    superblocks: tuple[int, ...]
    checkpoint_slots: tuple[int, ...]
    checkpoint_octets: int
    journals: tuple[int, ...]
    journal_octets: int
    data_start: int
    total_blocks: int
    """Data blocks (the allocation space)."""

    @classmethod
    def plan(cls, geometry: Geometry) -> Layout:
        """The layout of a medium of ``geometry.data_octets`` octets."""
        size = geometry.block_size
        medium_blocks = geometry.data_octets // size
        slot_blocks = _blocks_for(
            size + medium_blocks * BLOCK_REFERENCE + geometry.max_objects * (
                ENTRY_OVERHEAD if geometry.holds_sealed else ENTRY_OVERHEAD_V1), size)
        journal_blocks = _blocks_for(
            max(MIN_JOURNAL_OCTETS, medium_blocks * BLOCK_REFERENCE + 16 * size), size)
        metadata = 2 + CHECKPOINT_SLOTS * slot_blocks + JOURNAL_COPIES * journal_blocks
        total = medium_blocks - metadata - 1
        if total < geometry.data_blocks + geometry.parity_blocks:
            raise StoreFormatError(
                f"a medium of {geometry.data_octets} octets leaves {max(total, 0)} data blocks "
                f"after {metadata + 1} metadata blocks; the store needs at least one stripe")
        slots = tuple((2 + index * slot_blocks) * size for index in range(CHECKPOINT_SLOTS))
        journal_base = 2 + CHECKPOINT_SLOTS * slot_blocks
        journals = tuple((journal_base + index * journal_blocks) * size
                         for index in range(JOURNAL_COPIES))
        return cls(geometry, (0, size, (medium_blocks - 1) * size), slots, slot_blocks * size,
                   journals, journal_blocks * size, metadata * size, total)

    def block_offset(self, block: int) -> int:
        """Octet offset of data block ``block``."""
        return self.data_start + block * self.geometry.block_size

    def block_at(self, offset: int) -> int | None:
        """The data block holding octet ``offset``, or None in a metadata area."""
        block = (offset - self.data_start) // self.geometry.block_size
        return block if offset >= self.data_start and block < self.total_blocks else None
