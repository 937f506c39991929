"""Reading profiles from TOML: ``src/hil/profiles/data/<name>.toml`` or any file.

Every number is an inline table ``{ value = <number>, source = "<tag>" }``; anything else
(a bare number, a missing source, a negative rate, an unknown contact kind) is a
:class:`ProfileError` naming the key, never a crash.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

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

CONTACT_KINDS = ("passes", "continuous")


def _table(parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise ProfileError(f"{where}.{key}: expected a table")
    return value


def _sourced(parent: dict[str, Any], key: str, where: str, *,
             fraction: bool = False) -> Sourced:
    item = _table(parent, key, where)
    value, source = item.get("value"), item.get("source")
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise ProfileError(f"{where}.{key}.value: expected a finite number >= 0")
    if fraction and value > 1:
        raise ProfileError(f"{where}.{key}.value: a fraction must not exceed 1")
    if not isinstance(source, str) or not source.strip():
        raise ProfileError(f"{where}.{key}.source: every value needs a source tag")
    return Sourced(float(value), source)


def _per_memory(parent: dict[str, Any], key: str, where: str) -> dict[str, Sourced]:
    table = _table(parent, key, where)
    return {memory: _sourced(table, memory, f"{where}.{key}") for memory in MEMORY_TYPES}


def _multi_bit(table: dict[str, Any], where: str) -> MultiBitModel:
    sizes_raw = table.get("sizes")
    if not isinstance(sizes_raw, list) or not sizes_raw:
        raise ProfileError(f"{where}.sizes: expected a non-empty array of tables")
    sizes = []
    for index, entry in enumerate(sizes_raw):
        here = f"{where}.sizes[{index}]"
        if not isinstance(entry, dict):
            raise ProfileError(f"{here}: expected a table")
        bits = entry.get("bits")
        if (not isinstance(bits, list) or len(bits) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) for b in bits)
                or not 2 <= bits[0] <= bits[1] <= 64):
            raise ProfileError(f"{here}.bits: expected [low, high] with 2 <= low <= high <= 64")
        sizes.append(ClusterSize(bits[0], bits[1],
                                 _sourced(entry, "probability", here, fraction=True)))
    total = sum(size.probability.value for size in sizes)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ProfileError(f"{where}.sizes: probabilities sum to {total}, not 1")
    return MultiBitModel(_sourced(table, "fraction", where, fraction=True), tuple(sizes))


def _zones(orbit: dict[str, Any], where: str) -> tuple[OrbitZone, ...]:
    raw = orbit.get("zones", [])
    if not isinstance(raw, list):
        raise ProfileError(f"{where}.zones: expected an array of tables")
    zones = []
    for index, entry in enumerate(raw):
        here = f"{where}.zones[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ProfileError(f"{here}: expected a table with a name")
        zones.append(OrbitZone(entry["name"], _sourced(entry, "time_fraction", here, fraction=True),
                               _sourced(entry, "enhancement", here),
                               _sourced(entry, "phase", here, fraction=True)))
    if sum(zone.time_fraction.value for zone in zones) >= 1.0:
        raise ProfileError(f"{where}.zones: the zones cover the whole orbit")
    return tuple(zones)


def _radiation(root: dict[str, Any]) -> RadiationProfile:
    where = "radiation"
    radiation = _table(root, where, "profile")
    factors = _table(radiation, "solar_factor", where)
    multi = _table(radiation, "multi_bit", where)
    events = _table(radiation, "events", where)
    orbit = radiation.get("orbit")
    if orbit is not None and not isinstance(orbit, dict):
        raise ProfileError(f"{where}.orbit: expected a table")
    period = None if orbit is None else _sourced(orbit, "period_s", f"{where}.orbit")
    if period is not None and period.value <= 0:
        raise ProfileError(f"{where}.orbit.period_s: must be positive")
    return RadiationProfile(
        upsets_per_bit_day=_per_memory(radiation, "upsets_per_bit_day", where),
        solar_factor={c: _per_memory(factors, c, f"{where}.solar_factor") for c in CONDITIONS},
        multi_bit={m: _multi_bit(_table(multi, m, f"{where}.multi_bit"), f"{where}.multi_bit.{m}")
                   for m in MEMORY_TYPES},
        stuck_fraction=_sourced(events, "stuck_fraction", f"{where}.events", fraction=True),
        sefi_per_day=_sourced(events, "sefi_per_day", f"{where}.events"),
        dram_device_interrupt_per_day=_sourced(events, "dram_device_interrupt_per_day",
                                               f"{where}.events"),
        latchup_per_device_day=_sourced(events, "latchup_per_device_day", f"{where}.events"),
        orbit_period_s=period,
        zones=() if orbit is None else _zones(orbit, f"{where}.orbit"))


def _link(root: dict[str, Any]) -> LinkProfile:
    link = _table(root, "link", "profile")
    burst, contact = _table(link, "burst", "link"), _table(link, "contact", "link")
    kind = contact.get("kind")
    if kind not in CONTACT_KINDS:
        raise ProfileError(f"link.contact.kind: expected one of {', '.join(CONTACT_KINDS)}")
    contact_model = ContactModel(kind, *(_sourced(contact, key, "link.contact") for key in
                                         ("per_day", "duration_min_s", "duration_max_s")))
    if contact_model.duration_min_s.value > contact_model.duration_max_s.value:
        raise ProfileError("link.contact: duration_min_s exceeds duration_max_s")
    if contact_model.per_day.value * contact_model.duration_max_s.value >= 86_400.0:
        raise ProfileError("link.contact: the windows do not fit in a day")
    values = {key: _sourced(link, key, "link") for key in (
        "light_time_s", "light_time_min_s", "light_time_max_s", "uplink_bps", "downlink_bps")}
    if values["uplink_bps"].value <= 0 or values["downlink_bps"].value <= 0:
        raise ProfileError("link: the line rates must be positive")
    bers = {key: _sourced(link, key, "link", fraction=True)
            for key in ("uplink_ber", "downlink_ber")}
    return LinkProfile(**values, **bers, burst=BurstModel(
        *(_sourced(burst, key, "link.burst", fraction=True)
          for key in ("p_good_to_bad", "p_bad_to_good", "ber_bad"))), contact=contact_model)


def parse_profile(text: str) -> Profile:
    """A profile from TOML text; :class:`ProfileError` on anything malformed."""
    try:
        root = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ProfileError(f"not valid TOML: {exc}") from exc
    name, description = root.get("name"), root.get("description", "")
    if not isinstance(name, str) or not name or not isinstance(description, str):
        raise ProfileError("profile: expected a string name and description")
    reference_raw = root.get("reference", {})
    if not isinstance(reference_raw, dict):
        raise ProfileError("reference: expected a table")
    reference = {key: _sourced(reference_raw, key, "reference") for key in reference_raw}
    return Profile(name, description, _radiation(root), _link(root), reference)


def profile_names() -> tuple[str, ...]:
    """Names of the profiles shipped with the bench."""
    data = resources.files("hil.profiles") / "data"
    return tuple(sorted(entry.name[:-5] for entry in data.iterdir()
                        if entry.name.endswith(".toml")))


def load_profile(name: str) -> Profile:
    """A shipped profile by name (``lunar-transit``, ``leo-550``, ...)."""
    if name not in profile_names():
        raise ProfileError(f"no profile {name!r}; known: {', '.join(profile_names())}")
    text = (resources.files("hil.profiles") / "data" / f"{name}.toml").read_text("utf-8")
    return parse_profile(text)


def load_profile_file(path: str | Path) -> Profile:
    """A profile from a TOML file of one's own (same format as the shipped ones)."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    return parse_profile(text)
