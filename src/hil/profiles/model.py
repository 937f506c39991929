"""Environment profiles as data: radiation, link and contact numbers, each with its source.

The numbers come from /work/shared/design/PROFILES.md (engineering defaults from flight data
and models: Alsat-1, UoSAT-2, Clementine, SOHO, JPL board-level guidance, CREME96 practice);
every value carries a ``source`` tag, ``"PROFILES.md: <row>, <reference>"`` or
``"estimate: <why>"``. See docs/radiation.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MEMORY_TYPES = ("sram", "dram", "nand")
CONDITIONS = ("quiet", "solar-max", "worst-week", "worst-day", "peak")
SECONDS_PER_DAY = 86_400.0


class ProfileError(ValueError):
    """A profile is missing, malformed, or asked for something it does not define."""


@dataclass(frozen=True)
class Sourced:
    """A number and where it comes from."""

    value: float
    source: str


@dataclass(frozen=True)
class ClusterSize:
    """Multi-bit clusters of ``low``..``high`` adjacent bits (uniform) with ``probability``."""

    low: int
    high: int
    probability: Sourced


@dataclass(frozen=True)
class MultiBitModel:
    """Share of upset events that are multi-bit clusters, and the cluster size distribution."""

    fraction: Sourced
    sizes: tuple[ClusterSize, ...]


@dataclass(frozen=True)
class OrbitZone:
    """A window of enhanced upset rate along the orbit (SAA, polar cap).

    ``time_fraction`` of each orbit from ``phase`` (fraction of the period), at
    ``enhancement`` times the rate outside all zones.
    """

    name: str
    time_fraction: Sourced
    enhancement: Sourced
    phase: Sourced


@dataclass(frozen=True)
class RadiationProfile:
    """Upset rates (per bit per day, orbit average, solar minimum), factors and events."""

    upsets_per_bit_day: Mapping[str, Sourced]
    solar_factor: Mapping[str, Mapping[str, Sourced]]
    multi_bit: Mapping[str, MultiBitModel]
    stuck_fraction: Sourced
    sefi_per_day: Sourced
    dram_device_interrupt_per_day: Sourced
    latchup_per_device_day: Sourced
    orbit_period_s: Sourced | None
    zones: tuple[OrbitZone, ...]

    def rate_per_bit_s(self, memory: str, condition: str = "quiet") -> float:
        """Orbit-average upsets per bit per second of ``memory`` under ``condition``."""
        if memory not in self.upsets_per_bit_day:
            raise ProfileError(f"no memory type {memory!r}; known: {', '.join(MEMORY_TYPES)}")
        if condition not in self.solar_factor:
            raise ProfileError(f"no solar condition {condition!r}; known: {', '.join(CONDITIONS)}")
        factor = self.solar_factor[condition][memory].value
        return self.upsets_per_bit_day[memory].value * factor / SECONDS_PER_DAY


@dataclass(frozen=True)
class ContactModel:
    """Ground contact: ``passes`` (``per_day`` passes of the given duration, LOS between) or
    ``continuous`` (``per_day`` gaps of the given duration, AOS otherwise)."""

    kind: str
    per_day: Sourced
    duration_min_s: Sourced
    duration_max_s: Sourced


@dataclass(frozen=True)
class BurstModel:
    """Two-state Gilbert-Elliott channel: per-bit transition probabilities, BER when bad."""

    p_good_to_bad: Sourced
    p_bad_to_good: Sourced
    ber_bad: Sourced


@dataclass(frozen=True)
class LinkProfile:
    """Light time, rates, raw bit error rates, burst model and contact plan."""

    light_time_s: Sourced
    light_time_min_s: Sourced
    light_time_max_s: Sourced
    uplink_bps: Sourced
    downlink_bps: Sourced
    uplink_ber: Sourced
    downlink_ber: Sourced
    burst: BurstModel
    contact: ContactModel


@dataclass(frozen=True)
class Profile:
    """One named mission environment."""

    name: str
    description: str
    radiation: RadiationProfile
    link: LinkProfile
    reference: Mapping[str, Sourced]
    """PROFILES.md numbers no model consumes (scrub periods, eclipses, ...), for reports."""
