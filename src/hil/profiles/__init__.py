"""Mission environment profiles (PROFILES.md as data): radiation, link, contact plan."""

from hil.profiles.loader import load_profile, load_profile_file, parse_profile, profile_names
from hil.profiles.model import (
    CONDITIONS,
    MEMORY_TYPES,
    BurstModel,
    ClusterSize,
    ContactModel,
    LinkProfile,
    MultiBitModel,
    OrbitZone,
    Profile,
    ProfileError,
    RadiationProfile,
    Sourced,
)

__all__ = [
    "CONDITIONS", "MEMORY_TYPES", "BurstModel", "ClusterSize", "ContactModel", "LinkProfile",
    "MultiBitModel", "OrbitZone", "Profile", "ProfileError", "RadiationProfile", "Sourced",
    "load_profile", "load_profile_file", "parse_profile", "profile_names",
]
