"""The demo's settings are checked when built, and its generated file is what it says."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.mission_settings import DemoSettingsError, MissionDemoSettings, generated_file


def test_defaults_are_valid_and_upload_a_few_hundred_kib() -> None:
    assert MissionDemoSettings().file_size == 256 * 1024


def test_every_bad_setting_is_named_in_one_error() -> None:
    with pytest.raises(DemoSettingsError) as caught:
        MissionDemoSettings(file_size=0, soak_s=0.0, upset_bits=-1.0, scrub_period_s=9,
                            storage_size=12, one_way_delay_s=-1.0, compress_level=10,
                            step_timeout_s=0.0)
    text = str(caught.value)
    for part in ("file size 0", "soak 0.0 s", "upset bits -1.0", "scrub period 9 s",
                 "storage size 12", "light time -1.0 s", "compression level 10",
                 "step timeout 0.0 s"):
        assert part in text


def test_not_a_number_is_refused() -> None:
    with pytest.raises(DemoSettingsError, match="soak nan"):
        MissionDemoSettings(soak_s=float("nan"))


@settings(max_examples=25)
@given(st.integers(1, 20_000), st.integers(0, 2**32 - 1))
def test_generated_file_has_the_size_and_is_reproducible(size: int, seed: int) -> None:
    data = generated_file(size, seed)
    assert len(data) == size and data == generated_file(size, seed)
    data.decode("ascii")  # text


def test_generated_file_compresses_like_logs() -> None:
    data = generated_file(64 * 1024, 1)
    assert len(zlib.compress(data, 6)) < len(data) / 2
    assert generated_file(1024, 1) != generated_file(1024, 2)
