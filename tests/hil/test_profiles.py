"""Profiles: every PROFILES.md row present with its numbers and sources; malformed files fail
with a ProfileError."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.profiles import (
    CONDITIONS,
    MEMORY_TYPES,
    ProfileError,
    load_profile,
    load_profile_file,
    parse_profile,
    profile_names,
)

EXPECTED = {  # PROFILES.md, Radiation table: SRAM, DRAM, NAND, SPE (SRAM; DRAM), SEFI, DRAM int.
    "lunar-transit": (1.2e-7, 1.2e-10, 1.2e-12, 30, 5, 0.05, 1e-4),
    "lunar-surface": (6e-8, 6e-11, 6e-13, 30, 5, 0.03, 5e-5),
    "lunar-lava-tube": (0.0, 0.0, 0.0, 1, 1, 0.0, 0.0),
    "leo-550": (4e-8, 2e-11, 2e-13, 3, 1.5, 0.015, 2e-5),
    "sso-750": (2e-7, 5e-11, 5e-13, 10, 3, 0.03, 3e-5),
    "iss-420": (2e-8, 1e-11, 1e-13, 2, 1.5, 0.01, 1e-5),
    "geo": (1e-7, 1e-10, 1e-12, 30, 5, 0.05, 1e-4),
}


def _data(name: str) -> str:
    return (resources.files("hil.profiles") / "data" / f"{name}.toml").read_text("utf-8")


def test_every_profile_of_profiles_md_is_shipped() -> None:
    assert set(profile_names()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_radiation_numbers_match_profiles_md(name: str) -> None:
    sram, dram, nand, spe_sram, spe_dram, sefi, dram_interrupt = EXPECTED[name]
    radiation = load_profile(name).radiation
    rates = radiation.upsets_per_bit_day
    assert (rates["sram"].value, rates["dram"].value, rates["nand"].value) == (sram, dram, nand)
    worst = radiation.solar_factor["worst-day"]
    assert (worst["sram"].value, worst["dram"].value) == (spe_sram, spe_dram)
    if name != "lunar-lava-tube":  # no SPE factor there: every condition is x1
        peak = radiation.solar_factor["peak"]["sram"].value
        assert 3 * spe_sram <= peak <= 10 * spe_sram  # peak 5 min: worst day x3..10
        assert 0.4 <= radiation.solar_factor["solar-max"]["sram"].value <= 0.6
    assert radiation.sefi_per_day.value == sefi
    assert radiation.dram_device_interrupt_per_day.value == dram_interrupt
    assert radiation.multi_bit["sram"].fraction.value == 0.10
    assert radiation.multi_bit["dram"].fraction.value == 0.05


def test_saa_and_polar_fractions() -> None:
    fractions = {name: {z.name: z.time_fraction.value for z in load_profile(name).radiation.zones}
                 for name in ("iss-420", "leo-550", "sso-750", "geo")}
    assert fractions == {"iss-420": {"saa": 0.07}, "leo-550": {"saa": 0.10},
                         "sso-750": {"saa": 0.11, "polar-north": 0.155, "polar-south": 0.155},
                         "geo": {}}


def test_link_numbers() -> None:
    lunar = load_profile("lunar-transit").link
    assert (lunar.light_time_min_s.value, lunar.light_time_s.value,
            lunar.light_time_max_s.value) == (1.21, 1.28, 1.35)
    assert (lunar.uplink_ber.value, lunar.downlink_ber.value) == (1e-5, 1e-6)
    sso = load_profile("sso-750").link.contact
    assert (sso.kind, sso.per_day.value, sso.duration_min_s.value, sso.duration_max_s.value) == \
        ("passes", 25, 600, 720)


def _leaves(table: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(table, dict):
        if "value" in table:
            return [(path, table)]
        return [leaf for key, item in table.items() for leaf in _leaves(item, f"{path}.{key}")]
    if isinstance(table, list):
        return [leaf for i, item in enumerate(table) for leaf in _leaves(item, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_number_has_a_source_tag(name: str) -> None:
    root = tomllib.loads(_data(name))
    leaves = _leaves(root)
    assert len(leaves) > 50
    for path, leaf in leaves:
        assert leaf["source"].startswith(("PROFILES.md: ", "estimate: ", "computed: ")), path
    # no bare numbers outside {value, source} tables except the cluster bit ranges
    bare = [key for key, item in root["link"].items() if isinstance(item, (int, float))]
    assert bare == []


def test_rate_lookup_and_its_errors() -> None:
    radiation = load_profile("leo-550").radiation
    assert radiation.rate_per_bit_s("sram", "worst-day") == pytest.approx(4e-8 * 3 / 86_400)
    with pytest.raises(ProfileError, match="memory type"):
        radiation.rate_per_bit_s("core", "quiet")
    with pytest.raises(ProfileError, match="solar condition"):
        radiation.rate_per_bit_s("sram", "flare")
    assert set(CONDITIONS) == set(radiation.solar_factor)
    assert set(MEMORY_TYPES) == set(radiation.upsets_per_bit_day)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('sram = { value = 4e-08, source', 'sram = { value = -1.0, source', "finite number"),
    ('source = "PROFILES.md: Radiation, row leo', 'sorce = "PROFILES.md: Radiation, row leo',
     "source tag"),
    ('kind = "passes"', 'kind = "sometimes"', "contact.kind"),
    ("bits = [2, 2]", "bits = [1, 2]", "bits"),
    ("probability = { value = 0.7,", "probability = { value = 0.6,", "sum to"),
    ('name = "leo-550"', "name = 5", "string name"),
])
def test_malformed_profiles_are_profile_errors(old: str, new: str, message: str) -> None:
    text = _data("leo-550")
    assert old in text
    with pytest.raises(ProfileError, match=message):
        parse_profile(text.replace(old, new, 1))


def test_unknown_profile_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no profile"):
        load_profile("mars")
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile_file(tmp_path / "missing.toml")
    own = tmp_path / "own.toml"
    own.write_text(_data("geo").replace('name = "geo"', 'name = "my-geo"'))
    assert load_profile_file(own).name == "my-geo"


@given(st.text(max_size=400))
@settings(max_examples=100)
def test_parse_profile_fuzz(text: str) -> None:
    with pytest.raises(ProfileError):
        parse_profile(text)


@given(st.integers(0, 40_000), st.binary(min_size=1, max_size=8))
@settings(max_examples=100, deadline=None)
def test_corrupted_profile_fuzz(offset: int, junk: bytes) -> None:
    text = _data("sso-750")
    offset %= len(text)
    corrupted = text[:offset] + junk.decode("latin-1") + text[offset + len(junk):]
    try:
        profile = parse_profile(corrupted)
    except ProfileError:
        return
    assert profile.radiation.orbit_period_s is None or profile.radiation.orbit_period_s.value > 0
