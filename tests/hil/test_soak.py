"""The radiation soak of the object store (hil.soak): a one-year version in the default run,
the full one (HIL_SOAK_YEARS, default 10) marked soak."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flight_sw.storage.api import DataLostError, ObjectInfo, ObjectState
from flight_sw.storage.layout import StoreFormatError
from flight_sw.storage.store import ObjectStore
from hil.soak import SoakError, SoakResult, SoakSettings, _classify, add_arguments, run, run_soak

# PROFILES.md, Radiation table: SRAM upsets/bit/day x SPE worst-day factor (SRAM)
WORST_DAY_SRAM = {"sso-750": 2e-7 * 10, "lunar-transit": 1.2e-7 * 30}


def _check(result: SoakResult, profile: str, years: float) -> None:
    assert result.rate_per_bit_day == pytest.approx(WORST_DAY_SRAM[profile])
    expected_bits = WORST_DAY_SRAM[profile] * result.region_bits * years * 365.25
    # the bits hit follow the schedule's Poisson arrivals: within 6 sigma of the fluence target
    # (cluster sizes add variance; sigma taken on the event count, scaled by the mean size)
    mean_size = result.bits_flipped / result.upset_events
    sigma = mean_size * math.sqrt(expected_bits / mean_size) + mean_size
    assert abs(result.bits_flipped + result.bits_stuck - expected_bits) < 6 * sigma
    assert result.cluster_events > 0 and result.corrected_words > 0
    assert result.silent_corruption == 0
    assert result.unreported_words == 0
    assert result.other_errors == 0
    assert result.intact + result.repaired + result.lost == result.objects > 10
    assert result.reported_uncorrectable_words <= result.uncorrectable_words
    assert result.passed


@pytest.mark.parametrize("profile", ["sso-750", "lunar-transit"])
def test_one_year_worst_day_soak_loses_nothing_silently(profile: str) -> None:
    result = run_soak(SoakSettings(profile=profile, years=1.0, acceleration=400.0))
    _check(result, profile, 1.0)
    assert result.simulated_s == pytest.approx(365.25 * 86_400 / 400)
    # multi-bit clusters wider than the interleave defeat SECDED: the erasure code repaired
    assert result.uncorrectable_words > 0 and result.repaired_blocks > 0


def test_same_seed_same_run() -> None:
    first = run_soak(SoakSettings(years=0.1, acceleration=400.0, seed=7))
    again = run_soak(SoakSettings(years=0.1, acceleration=400.0, seed=7))
    assert (first.upset_events, first.bits_flipped, first.corrected_words) == (
        again.upset_events, again.bits_flipped, again.corrected_words)


class _WrongStore:
    """Fake store for the classifier: ``get`` returns fixed octets or raises DataLostError;
    it models no medium, EDAC or catalogue."""

    def __init__(self, contents: dict[str, bytes | None]) -> None:
        self.contents = contents

    def get(self, name: str) -> bytes:
        data = self.contents[name]
        if data is None:
            raise DataLostError(name)
        return data

    def info(self, name: str) -> ObjectInfo:
        return ObjectInfo(name, 0, b"", 0.0, ObjectState.INTACT, 0)


def test_classifier_flags_wrong_octets_as_silent_corruption() -> None:
    digests = {name: hashlib.sha256(name.encode()).digest() for name in ("a", "b", "c")}
    store = _WrongStore({"a": b"a", "b": b"not b", "c": None})
    result = SoakResult("p", "c", "sram", 1, 1, 1, 1, "s", 1, 3, 3, 1)
    _classify(store, digests, result)  # type: ignore[arg-type]
    assert (result.intact, result.silent_corruption, result.lost) == (1, 1, 1)
    assert not result.passed


@settings(max_examples=60, deadline=None)
@given(years=st.floats(allow_nan=True, allow_infinity=True),
       acceleration=st.floats(allow_nan=True, allow_infinity=True),
       fill=st.floats(allow_nan=True), profile=st.text(max_size=20),
       memory=st.sampled_from(["sram", "dram", "nand", "nor", ""]))
def test_settings_accept_or_refuse_with_a_typed_error(years: float, acceleration: float,
                                                        fill: float, profile: str,
                                                        memory: str) -> None:
    try:
        made = SoakSettings(profile=profile, years=years, acceleration=acceleration, fill=fill,
                            memory=memory)
    except SoakError:
        return
    assert made.simulated_s > 0 and 0 < made.fill <= 1


def test_cli_writes_json_and_reports_success(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "soak.json"
    args = parser.parse_args(["--profile", "lunar-transit", "--years", "0.2",
                              "--acceleration", "400", "--json", str(out)])
    assert run(args) == 0
    (record,) = json.loads(out.read_text())
    assert record["profile"] == "lunar-transit" and record["passed"] is True
    assert record["silent_corruption"] == 0
    assert "PASS lunar-transit" in capsys.readouterr().out


def test_cli_refuses_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args(["--years", "-1"])) == 2
    assert "years" in capsys.readouterr().out


@pytest.mark.soak
@pytest.mark.parametrize("profile", ["sso-750", "lunar-transit"])
def test_full_soak(profile: str) -> None:
    years = float(os.environ.get("HIL_SOAK_YEARS", "10"))
    result = run_soak(SoakSettings(profile=profile, years=years))
    _check(result, profile, years)


def test_a_store_that_cannot_be_reopened_fails_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = ObjectStore.open
    calls: list[int] = []

    def open_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 1:
            raise StoreFormatError("no valid superblock")
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ObjectStore, "open", open_once)
    result = run_soak(SoakSettings(years=0.05, acceleration=400.0))
    assert result.reopen_error.startswith("StoreFormatError")
    assert result.other_errors == result.objects and not result.passed
