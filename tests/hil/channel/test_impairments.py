"""Gap process, Gilbert-Elliott bit errors and octet slips: rates, bursts, chunking, counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.channel import BurstConfig, GapProcess, GilbertElliott, OctetSlips


def _bit_differences(a: bytes, b: bytes) -> int:
    return int(np.unpackbits(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())


def test_gap_process_rate_within_five_sigma() -> None:
    process = GapProcess(1e-3, np.random.default_rng(1))
    hits = process.hits(10_000_000)
    # Binomial(1e7, 1e-3): mean 1e4, sd ~100
    assert abs(len(hits) - 10_000) < 500
    assert np.all(np.diff(hits) > 0) and hits.min() >= 0 and hits.max() < 10_000_000


@given(st.lists(st.integers(0, 5000), max_size=30), st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_gap_process_chunking_gives_the_same_hits(spans: list[int], seed: int) -> None:
    whole = GapProcess(0.01, np.random.default_rng(seed)).hits(sum(spans))
    chunked_process = GapProcess(0.01, np.random.default_rng(seed))
    pieces, offset = [], 0
    for span in spans:
        pieces.append(chunked_process.hits(span) + offset)
        offset += span
    chunked = np.concatenate(pieces) if pieces else whole[:0]
    assert np.array_equal(whole, chunked)


def test_gap_process_extremes() -> None:
    assert len(GapProcess(0.0, np.random.default_rng(1)).hits(10**9)) == 0
    assert np.array_equal(GapProcess(1.0, np.random.default_rng(1)).hits(5), np.arange(5))
    with pytest.raises(ValueError, match="outside"):
        GapProcess(1.5, np.random.default_rng(1))


def test_independent_errors_flip_the_counted_bits_msb_first() -> None:
    channel = GilbertElliott(1e-3, BurstConfig(), np.random.default_rng(5))
    data = bytes(range(256)) * 1000
    out = channel.apply(data)
    assert _bit_differences(data, out) == channel.bits_flipped
    assert abs(channel.bits_flipped - 2048) < 5 * 45  # Binomial(2.048e6, 1e-3)
    assert channel.bursts == 0
    # alternating states, errors in every bad bit: line bits 1, 3, 5, 7 -- bit 0 of the line
    # is the most significant bit of octet 0
    alternating = GilbertElliott(0.0, BurstConfig(1.0, 1.0, 1.0), np.random.default_rng(1))
    assert alternating.apply(b"\x00") == bytes([0b01010101])
    assert alternating.bursts == 4


@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_impairments_do_not_depend_on_chunking(chunks: list[bytes], seed: int) -> None:
    burst = BurstConfig(0.01, 0.1, 0.3)
    whole_errors = GilbertElliott(1e-3, burst, np.random.default_rng(seed))
    whole_slips = OctetSlips(0.01, 0.01, np.random.default_rng(seed))
    whole = whole_slips.apply(whole_errors.apply(b"".join(chunks)))
    errors = GilbertElliott(1e-3, burst, np.random.default_rng(seed))
    slips = OctetSlips(0.01, 0.01, np.random.default_rng(seed))
    assert b"".join(slips.apply(errors.apply(chunk)) for chunk in chunks) == whole
    assert (errors.bits_flipped, errors.bursts) == (whole_errors.bits_flipped, whole_errors.bursts)


def test_burst_channel_matches_the_stationary_error_rate() -> None:
    burst = BurstConfig(p_good_to_bad=1e-4, p_bad_to_good=1e-2, ber_bad=0.5)
    channel = GilbertElliott(0.0, burst, np.random.default_rng(11))
    channel.apply(bytes(2_000_000))  # 16 Mbit
    bad_share = 1e-4 / (1e-4 + 1e-2)
    expected = 16e6 * bad_share * 0.5
    assert abs(channel.bits_flipped - expected) < 0.1 * expected
    # bursts: entries into the bad state, about once per 1/p_gb + 1/p_bg bits
    assert abs(channel.bursts - 16e6 / (1e4 + 100)) < 0.1 * 16e6 / (1e4 + 100)


def test_burst_errors_cluster() -> None:
    channel = GilbertElliott(0.0, BurstConfig(1e-5, 1e-2, 0.2), np.random.default_rng(3))
    positions = channel.error_positions(50_000_000)
    gaps = np.diff(positions)
    # inside bursts the gap is ~5 bits; between bursts ~1e5: errors are not memoryless
    assert np.median(gaps) < 20 and gaps.max() > 10_000


def test_burst_config_rejects_a_trap_and_bad_values() -> None:
    with pytest.raises(ValueError, match="trap"):
        BurstConfig(p_good_to_bad=0.1, p_bad_to_good=0.0)
    with pytest.raises(ValueError, match="outside"):
        BurstConfig(ber_bad=2.0)


def test_slips_drop_and_insert_at_their_rates() -> None:
    slips = OctetSlips(0.01, 0.005, np.random.default_rng(9))
    data = bytes(200_000)
    out = slips.apply(data)
    assert len(out) == len(data) - slips.dropped + slips.inserted
    assert abs(slips.dropped - 2000) < 5 * 45
    assert abs(slips.inserted - 1000) < 5 * 32


def test_drops_remove_the_right_octets() -> None:
    slips = OctetSlips(0.1, 0.0, np.random.default_rng(2))
    data = bytes(range(256)) * 4
    out = slips.apply(data)
    # what is left is the input with exactly `dropped` octets removed, order kept
    iterator = iter(data)
    assert all(octet in iterator for octet in out)
    assert len(out) == len(data) - slips.dropped
