"""Configuration of the object store (docs/storage.md): geometry of the medium and the
patrol-scrub schedule. Geometry (block size, stripe shape, interleave) is written to the
superblock at format time; a reopened store keeps what the medium says."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flight_sw.storage.api import StorageError

WORD_OCTETS = 8
"""EDAC word: SECDED (72,64) protects 64-bit words."""


class StoreConfigError(StorageError, ValueError):
    """A store configuration value is out of range."""


@dataclass(frozen=True)
class StoreConfig:
    """Geometry and scrub schedule of an :class:`~flight_sw.storage.store.ObjectStore`."""

    block_size: int = 4096
    """Octets per block: the unit of allocation, CRC-32C and erasure coding."""
    data_blocks: int = 8
    """k: data blocks of a full stripe."""
    parity_blocks: int = 2
    """m: parity blocks of every stripe (a stripe survives m lost blocks)."""
    interleave: int = 4
    """EDAC word interleaving (words per interleave group)."""
    max_objects: int = 4096
    """Catalogue capacity; sizes the checkpoint slots."""
    scrub_period_s: float = 1800.0
    """Patrol period at the base rate: a full pass over the medium takes this long."""
    scrub_min_period_s: float = 120.0
    """Shortest patrol period the adaptation may reach (PROFILES.md: 1-5 min when tightened)."""
    scrub_tighten_corrected: int = 16
    """Corrected words within one pass at or above which the period is halved."""
    scrub_relax_corrected: int = 2
    """Corrected words in a pass at or below which the period doubles back toward the base."""
    scrub_chunk_octets: int = 1 << 20
    """Octets scrubbed per EDAC call of the patrol (one slice of a scheduler step)."""
    retire_corrected_passes: int = 3
    """A word corrected on this many consecutive patrol passes (the cell does not keep the
    value EDAC writes back: a stuck bit) retires its data block, the data moved elsewhere;
    in a metadata area it stops counting as a corrected error (docs/storage.md)."""

    def __post_init__(self) -> None:
        group = WORD_OCTETS * self.interleave
        if self.interleave < 1:
            raise StoreConfigError(f"interleave must be >= 1, not {self.interleave}")
        if self.block_size < group or self.block_size % group:
            raise StoreConfigError(
                f"block_size {self.block_size} must be a positive multiple of {group} "
                f"(8-octet words x interleave {self.interleave})")
        if self.data_blocks < 1 or self.parity_blocks < 1 or (
                self.data_blocks + self.parity_blocks > 256):
            raise StoreConfigError("need 1 <= data_blocks, 1 <= parity_blocks, k + m <= 256")
        if self.max_objects < 1:
            raise StoreConfigError(f"max_objects must be >= 1, not {self.max_objects}")
        if not 0 < self.scrub_min_period_s <= self.scrub_period_s:
            raise StoreConfigError("need 0 < scrub_min_period_s <= scrub_period_s")
        if self.scrub_relax_corrected >= self.scrub_tighten_corrected:
            raise StoreConfigError("scrub_relax_corrected must be below scrub_tighten_corrected")
        if self.retire_corrected_passes < 2:
            raise StoreConfigError("retire_corrected_passes must be >= 2 (one pass corrects "
                                   "any transient upset)")
        if self.scrub_chunk_octets < group or self.scrub_chunk_octets % group:
            raise StoreConfigError(f"scrub_chunk_octets must be a multiple of {group}")

    def with_scrub_period(self, period_s: float) -> StoreConfig:
        """This configuration with ``period_s`` as the base patrol period (the minimum period
        lowered to it when it is shorter, so adaptation still has room)."""
        return replace(self, scrub_period_s=period_s,
                       scrub_min_period_s=min(self.scrub_min_period_s, period_s))

    @property
    def write_unit(self) -> int:
        """Alignment of every write to the EDAC memory (8 octets x interleave)."""
        return WORD_OCTETS * self.interleave
