"""Interleaved SECDED kernel against an independent numpy reference, on every path.

The reference builds the Hsiao check matrix from its documented construction (data bit 8k+j
has column rotl8(a_j, k)) and the interleaved layout by reshaping bit arrays: logical bit j
of word k of a group is physical bit j*D + k, i.e. a transpose of the (word, bit) matrix.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from firmware_stubs import secded
from firmware_stubs.errors import KernelArgumentError

REPRESENTATIVES = (0x07, 0x0B, 0x13, 0x23, 0x43, 0x15, 0x25, 0x1F)
COLUMNS = np.array(
    [((a << k) | (a >> (8 - k))) & 0xFF if k else a
     for k in range(8) for a in REPRESENTATIVES], dtype=np.uint8)
CORRECTABLE = set(COLUMNS.tolist()) | {1 << r for r in range(8)}
DEPTHS = (1, 2, 4, 8)


@pytest.fixture(params=secded.available_interleaved_paths(), autouse=True)
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test on every path the CPU offers (bmi2 and portable on x86-64 with BMI2)."""
    before = secded.interleaved_path()
    secded.select_interleaved_path(request.param)
    assert secded.interleaved_path() == request.param
    yield request.param
    secded.select_interleaved_path(before)


def bits_of(values: NDArray[np.generic], width: int) -> NDArray[np.uint8]:
    return np.unpackbits(values.view(np.uint8), bitorder="little").reshape(-1, width)


def ref_checks(words: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """Check octet = XOR of H's columns of the set data bits."""
    selected = bits_of(words, 64) * COLUMNS
    checks: NDArray[np.uint8] = np.bitwise_xor.reduce(selected, axis=1).astype(np.uint8)
    return checks


def interleave_bits(bits: NDArray[np.uint8], depth: int, width: int) -> NDArray[np.uint8]:
    """Rows of `width` bits per logical word -> the physical bit string of each group."""
    groups = bits.reshape(-1, depth, width)
    return np.ascontiguousarray(groups.transpose(0, 2, 1)).reshape(-1)


def deinterleave_bits(bits: NDArray[np.uint8], depth: int, width: int) -> NDArray[np.uint8]:
    groups = bits.reshape(-1, width, depth)
    return np.ascontiguousarray(groups.transpose(0, 2, 1)).reshape(-1)


def ref_encode(words: NDArray[np.uint64], depth: int
               ) -> tuple[NDArray[np.uint64], NDArray[np.uint8]]:
    physical = np.packbits(interleave_bits(bits_of(words, 64), depth, 64), bitorder="little")
    checks = np.packbits(interleave_bits(bits_of(ref_checks(words), 8), depth, 8),
                         bitorder="little")
    return physical.view(np.uint64), checks


def ref_decode(physical: NDArray[np.uint64], checks: NDArray[np.uint8], depth: int
               ) -> tuple[NDArray[np.uint64], NDArray[np.uint8]]:
    words = np.packbits(deinterleave_bits(bits_of(physical, 64), depth, 64), bitorder="little")
    octets = np.packbits(deinterleave_bits(bits_of(checks, 8), depth, 8), bitorder="little")
    return words.view(np.uint64), octets


def ref_classify(physical: NDArray[np.uint64], checks: NDArray[np.uint8], depth: int
                 ) -> tuple[list[int], list[int]]:
    """Logical indices of the words with a correctable and an uncorrectable syndrome."""
    words, octets = ref_decode(physical, checks, depth)
    syndromes = (ref_checks(words) ^ octets).tolist()
    corrected = [i for i, s in enumerate(syndromes) if s in CORRECTABLE]
    failed = [i for i, s in enumerate(syndromes) if s and s not in CORRECTABLE]
    return corrected, failed


def random_words(count: int, seed: int) -> NDArray[np.uint64]:
    return np.random.default_rng(seed).integers(0, 2**64, count, dtype=np.uint64,
                                                endpoint=False)


def flip_physical(physical: NDArray[np.uint64], checks: NDArray[np.uint8], depth: int,
                  positions: list[int]) -> None:
    """Flip bits of the physical bit string: data bits first (64 per word), then check bits
    numbered from 64 * len(physical) (8 per word), as the region lays them out."""
    data_bits = 64 * len(physical)
    for p in positions:
        if p < data_bits:
            physical[p // 64] ^= np.uint64(1 << (p % 64))
        else:
            q = p - data_bits
            checks[q // 8] ^= np.uint8(1 << (q % 8))


WORD_LISTS = st.tuples(st.sampled_from(DEPTHS), st.integers(0, 9)).flatmap(
    lambda shape: st.tuples(
        st.just(shape[0]),
        st.lists(st.integers(0, 2**64 - 1), min_size=shape[0] * shape[1],
                 max_size=shape[0] * shape[1]).map(lambda v: np.array(v, dtype=np.uint64))))


@given(WORD_LISTS)
def test_encode_matches_the_reference(case: tuple[int, NDArray[np.uint64]]) -> None:
    depth, words = case
    physical, checks = secded.encode_interleaved(words, depth)
    expected_words, expected_checks = ref_encode(words, depth)
    assert np.array_equal(physical, expected_words)
    assert np.array_equal(checks, expected_checks)
    decoded = np.empty_like(words)
    result = secded.check_interleaved(physical, checks, depth, decoded=decoded)
    assert (result.corrected, result.uncorrectable) == (0, 0)
    assert np.array_equal(decoded, words)


@pytest.mark.parametrize("depth", DEPTHS)
def test_depth_one_is_the_plain_layout_and_encode_works_in_place(depth: int) -> None:
    words = random_words(8 * 5, depth)
    plain = secded.encode(words)
    if depth == 1:
        physical, checks = secded.encode_interleaved(words, 1)
        assert np.array_equal(physical, words) and np.array_equal(checks, plain)
    inplace = words.copy()
    physical, _ = secded.encode_interleaved(inplace, depth, out_words=inplace)
    assert physical is inplace
    assert np.array_equal(inplace, ref_encode(words, depth)[0])


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("correct", [True, False])
def test_every_single_physical_bit_is_corrected(depth: int, correct: bool) -> None:
    """Each of the 72*D bits of a group (data and check) flipped alone, in a block body
    (group 1 of 16+ words) and in a tail."""
    words = random_words(24, 7 * depth)  # one 16-word kernel block and a tail
    physical, checks = secded.encode_interleaved(words, depth)
    n = len(words)
    for p in [*range(64 * depth, 128 * depth), *range(64 * (n - depth), 64 * n),
              *range(64 * n, 64 * n + 8 * depth)]:
        phys, chk = physical.copy(), checks.copy()
        flip_physical(phys, chk, depth, [p])
        expected, failed = ref_classify(phys, chk, depth)
        assert len(expected) == 1 and not failed
        scrub = secded.check_interleaved(phys.copy(), chk.copy(), depth, correct=correct)
        assert scrub.corrected_indices.tolist() == expected and scrub.uncorrectable == 0
        decoded = np.empty_like(words)
        result = secded.check_interleaved(phys, chk, depth, correct=correct, decoded=decoded)
        assert result.corrected == 1 and result.uncorrectable == 0
        assert result.corrected_indices.tolist() == expected
        assert np.array_equal(decoded, words)
        repaired = np.array_equal(phys, physical) and np.array_equal(chk, checks)
        assert repaired == correct


@pytest.mark.parametrize("depth", DEPTHS)
def test_scrub_finds_every_single_bit_of_a_long_run(depth: int) -> None:
    """The scrub path (no decoded output) over 40 words, long enough for the vectorised
    clean test (32-word runs) and a tail: each data and check bit flipped alone is found in
    the word the documented mapping names and repaired."""
    words = random_words(40, 17 * depth)
    physical, checks = secded.encode_interleaved(words, depth)
    for p in range(72 * len(words)):
        flip_physical(physical, checks, depth, [p])
        if p < 64 * len(words):
            group, bit = divmod(p, 64 * depth)
        else:
            group, bit = divmod(p - 64 * len(words), 8 * depth)
        result = secded.check_interleaved(physical, checks, depth)
        assert result.corrected_indices.tolist() == [group * depth + bit % depth]
        assert result.uncorrectable == 0
    assert np.array_equal(physical, ref_encode(words, depth)[0])
    assert np.array_equal(checks, ref_encode(words, depth)[1])


@pytest.mark.parametrize("depth", DEPTHS)
def test_clusters_of_depth_adjacent_bits_are_corrected_at_every_alignment(depth: int) -> None:
    words = random_words(4 * depth, 11 * depth)
    physical, checks = secded.encode_interleaved(words, depth)
    data_bits, check_bits = 64 * len(words), 8 * len(words)
    starts = [*range(data_bits - depth + 1),
              *range(data_bits, data_bits + check_bits - depth + 1)]
    for start in starts:
        phys, chk = physical.copy(), checks.copy()
        flip_physical(phys, chk, depth, list(range(start, start + depth)))
        decoded = np.empty_like(words)
        result = secded.check_interleaved(phys, chk, depth, decoded=decoded)
        assert result.uncorrectable == 0 and result.corrected == depth
        assert np.array_equal(decoded, words)
        assert np.array_equal(phys, physical) and np.array_equal(chk, checks)


@pytest.mark.parametrize("depth", [2, 4, 8])
def test_a_cluster_wider_than_the_depth_is_detected(depth: int) -> None:
    """D+1 adjacent bits inside one group put two errors in one codeword."""
    words = random_words(2 * depth, 13)
    physical, checks = secded.encode_interleaved(words, depth)
    phys, chk = physical.copy(), checks.copy()
    flip_physical(phys, chk, depth, list(range(3, 3 + depth + 1)))
    result = secded.check_interleaved(phys, chk, depth)
    assert result.uncorrectable == 1 and result.corrected == depth - 1
    assert result.uncorrectable_indices.tolist() == [3 % depth]


@settings(max_examples=150)
@given(st.sampled_from(DEPTHS), st.integers(0, 72), st.data())
def test_random_damage_is_classified_like_the_reference(
        depth: int, words: int, data: st.DataObject) -> None:
    """Fuzz: arbitrary flips (or garbage) anywhere; counts, indices, decoded words and the
    repaired memory agree with the reference syndrome decoder."""
    n = words - words % depth
    if data.draw(st.booleans()):
        physical = np.frombuffer(data.draw(st.binary(min_size=8 * n, max_size=8 * n)),
                                 dtype=np.uint64).copy()
        checks = np.frombuffer(data.draw(st.binary(min_size=n, max_size=n)),
                               dtype=np.uint8).copy()
    else:
        physical, checks = secded.encode_interleaved(random_words(n, words), depth)
        if n:
            flips = data.draw(st.lists(st.integers(0, 72 * n - 1), max_size=12))
            flip_physical(physical, checks, depth, flips)
    corrected, failed = ref_classify(physical, checks, depth)
    max_report = data.draw(st.integers(0, 80))
    scrub = secded.check_interleaved(physical.copy(), checks.copy(), depth, max_report=n)
    assert scrub.corrected_indices.tolist() == corrected  # scrub path (no decoded output)
    assert scrub.uncorrectable_indices.tolist() == failed
    decoded = np.empty(n, dtype=np.uint64)
    before = physical.copy(), checks.copy()
    result = secded.check_interleaved(physical, checks, depth, decoded=decoded,
                                      max_report=max_report)
    assert (result.corrected, result.uncorrectable) == (len(corrected), len(failed))
    assert result.corrected_indices.tolist() == corrected[:max_report]
    assert result.uncorrectable_indices.tolist() == failed[:max_report]
    raw_words, _ = ref_decode(*before, depth)
    again_words, _ = ref_decode(physical, checks, depth)
    assert np.array_equal(decoded, again_words)  # decoded = the repaired memory's words
    assert np.array_equal(decoded[failed], raw_words[failed])  # uncorrectable: as read
    again = secded.check_interleaved(physical, checks, depth, max_report=n)
    assert again.corrected == 0 and again.uncorrectable_indices.tolist() == failed


def test_read_only_memory_is_checked_without_correction() -> None:
    physical, checks = secded.encode_interleaved(random_words(16, 3), 4)
    physical[6] ^= np.uint64(1 << 33)
    physical.flags.writeable = checks.flags.writeable = False
    result = secded.check_interleaved(physical, checks, 4, correct=False)
    # physical word 6 = word 2 of group 1: group bit 2 * 64 + 33 = 161, logical word 161 % 4 = 1
    assert result.corrected_indices.tolist() == [5]
    with pytest.raises(KernelArgumentError, match="writable"):
        secded.check_interleaved(physical, checks, 4)


def test_argument_errors() -> None:
    words = np.zeros(8, dtype=np.uint64)
    checks = np.zeros(8, dtype=np.uint8)
    for depth in (0, 3, 16):
        with pytest.raises(KernelArgumentError, match="depth"):
            secded.encode_interleaved(words, depth)
        with pytest.raises(KernelArgumentError, match="depth"):
            secded.check_interleaved(words, checks, depth)
    with pytest.raises(KernelArgumentError, match="groups"):
        secded.encode_interleaved(np.zeros(6, dtype=np.uint64), 4)
    with pytest.raises(KernelArgumentError, match="must match"):
        secded.check_interleaved(words, checks[:4], 4)
    with pytest.raises(KernelArgumentError, match="items"):
        secded.check_interleaved(words, checks, 4, decoded=np.zeros(4, dtype=np.uint64))
    with pytest.raises(KernelArgumentError, match="items"):
        secded.encode_interleaved(words, 4, out_checks=np.zeros(9, dtype=np.uint8))
    with pytest.raises(KernelArgumentError, match="uint64"):
        secded.encode_interleaved(np.zeros(8, dtype=np.int64), 4)
    with pytest.raises(KernelArgumentError, match="max_report"):
        secded.check_interleaved(words, checks, 4, max_report=-1)
    with pytest.raises(KernelArgumentError, match="path"):
        secded.select_interleaved_path("avx9")
    assert secded.interleaved_path() in secded.available_interleaved_paths()
