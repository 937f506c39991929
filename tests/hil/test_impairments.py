"""Bit error channel: the error rate it promises, repeatability, and state across calls."""

import pytest

from hil.impairments import BitErrorChannel


def _bit_differences(a: bytes, b: bytes) -> int:
    return sum(bin(x ^ y).count("1") for x, y in zip(a, b, strict=True))


def test_measured_rate_matches_configured_rate() -> None:
    channel = BitErrorChannel(ber=1e-3, seed=7)
    data = bytes(200_000)
    flipped = _bit_differences(data, channel.apply(data))
    assert flipped == channel.bits_flipped
    # 1.6 Mbit at 1e-3: mean 1600, sd 40; allow 5 sd
    assert abs(flipped - 1600) < 200


def test_chunking_does_not_change_the_errors() -> None:
    data = bytes(range(256)) * 100
    whole = BitErrorChannel(ber=1e-2, seed=3).apply(data)
    chunked_channel = BitErrorChannel(ber=1e-2, seed=3)
    chunks = [chunked_channel.apply(data[i : i + 37]) for i in range(0, len(data), 37)]
    assert b"".join(chunks) == whole


def test_zero_rate_is_transparent() -> None:
    channel = BitErrorChannel(ber=0.0)
    assert channel.apply(b"\x12" * 1000) == b"\x12" * 1000
    assert channel.measured_ber == 0.0


def test_rate_out_of_range_rejected() -> None:
    with pytest.raises(ValueError, match="outside"):
        BitErrorChannel(ber=1.5)
