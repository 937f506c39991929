"""SECDED (72,64) Hsiao kernel: code properties, single/double errors, both paths, misuse."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from firmware_stubs import secded
from firmware_stubs.errors import KernelArgumentError

WORDS = st.lists(st.integers(0, 2**64 - 1), max_size=70).map(
    lambda values: np.array(values, dtype=np.uint64))


@pytest.fixture(params=secded.available_paths(), autouse=True)
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run every test on every path the CPU offers (AVX2 and portable on x86-64)."""
    before = secded.active_path()
    secded.select_path(request.param)
    assert secded.active_path() == request.param
    yield request.param
    secded.select_path(before)


def columns() -> list[int]:
    """H's 72 columns: the check octets of the 64 unit words, then the 8 check bits."""
    units = np.array([1 << b for b in range(64)], dtype=np.uint64)
    return [int(c) for c in secded.encode(units)] + [1 << r for r in range(8)]


def random_words(count: int, seed: int) -> NDArray[np.uint64]:
    return np.random.default_rng(seed).integers(0, 2**64, count, dtype=np.uint64,
                                                endpoint=False)


def flip(words: NDArray[np.uint64], checks: NDArray[np.uint8], index: int, bit: int) -> None:
    """Flip codeword bit 0..63 (data) or 64..71 (check) of word ``index``."""
    if bit < 64:
        words[index] ^= np.uint64(1 << bit)
    else:
        checks[index] ^= np.uint8(1 << (bit - 64))


def test_parity_check_matrix_is_hsiao() -> None:
    """Distinct odd-weight columns, 56 of weight 3 and 8 of weight 5, rows of 26 ones."""
    h = columns()
    assert len(set(h)) == 72 and all(c.bit_count() % 2 for c in h)
    assert sorted(c.bit_count() for c in h[:64]) == [3] * 56 + [5] * 8
    assert [sum(c >> r & 1 for c in h[:64]) for r in range(8)] == [26] * 8


@given(WORDS, WORDS)
def test_encode_is_linear(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> None:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    assert np.array_equal(secded.encode(a ^ b), secded.encode(a) ^ secded.encode(b))
    # and agrees with the column sum of H
    h = columns()
    for word, check in zip(a.tolist(), secded.encode(a).tolist(), strict=True):
        expected = 0
        for bit in range(64):
            if word >> bit & 1:
                expected ^= h[bit]
        assert check == expected


@given(WORDS)
def test_clean_round_trip(words: NDArray[np.uint64]) -> None:
    checks = secded.encode(words)
    result = secded.check(words, checks)
    assert (result.corrected, result.uncorrectable) == (0, 0)
    assert result.corrected_indices.size == result.uncorrectable_indices.size == 0


@pytest.mark.parametrize("correct", [True, False])
def test_every_single_bit_error_is_corrected(correct: bool) -> None:
    original = random_words(72 * 3, 1)
    checks = secded.encode(original)
    words, received = original.copy(), checks.copy()
    for index in range(len(words)):
        flip(words, received, index, index % 72)
    corrupted = (words.copy(), received.copy())
    result = secded.check(words, received, correct=correct)
    assert result.corrected == len(words) and result.uncorrectable == 0
    assert np.array_equal(result.corrected_indices, np.arange(len(words)))
    if correct:
        assert np.array_equal(words, original) and np.array_equal(received, checks)
        assert secded.check(words, received).corrected == 0
    else:
        assert np.array_equal(words, corrupted[0]) and np.array_equal(received, corrupted[1])


def test_every_double_bit_error_is_detected() -> None:
    pairs = list(itertools.combinations(range(72), 2))
    original = random_words(len(pairs), 2)
    words, checks = original.copy(), secded.encode(original)
    for index, (first, second) in enumerate(pairs):
        flip(words, checks, index, first)
        flip(words, checks, index, second)
    corrupted = (words.copy(), checks.copy())
    result = secded.check(words, checks, max_report=len(pairs))
    assert result.uncorrectable == len(pairs) and result.corrected == 0
    assert np.array_equal(result.uncorrectable_indices, np.arange(len(pairs)))
    # uncorrectable words are left untouched
    assert np.array_equal(words, corrupted[0]) and np.array_equal(checks, corrupted[1])


@given(st.integers(0, 60), st.data())
def test_counts_and_indices_at_any_length(count: int, data: st.DataObject) -> None:
    """Errors anywhere (block bodies and tails) are found, counted and reported in order."""
    words = random_words(count, count)
    checks = secded.encode(words)
    original = (words.copy(), checks.copy())
    singles, doubles = set(), set()
    if count:
        indices = data.draw(st.lists(st.integers(0, count - 1), unique=True, max_size=count))
        for index in indices:
            bits = data.draw(st.lists(st.integers(0, 71), unique=True, min_size=1, max_size=2))
            for bit in bits:
                flip(words, checks, index, bit)
            (singles if len(bits) == 1 else doubles).add(index)
    max_report = data.draw(st.integers(0, 8))
    result = secded.check(words, checks, max_report=max_report)
    assert (result.corrected, result.uncorrectable) == (len(singles), len(doubles))
    assert result.corrected_indices.tolist() == sorted(singles)[:max_report]
    assert result.uncorrectable_indices.tolist() == sorted(doubles)[:max_report]
    repaired = np.ones(count, dtype=bool)
    repaired[list(doubles)] = False
    assert np.array_equal(words[repaired], original[0][repaired])
    assert np.array_equal(checks[repaired], original[1][repaired])


@given(st.binary(max_size=8 * 40), st.data())
def test_garbage_is_classified_like_the_syndrome_says(raw: bytes, data: st.DataObject) -> None:
    words = np.frombuffer(raw[: len(raw) - len(raw) % 8], dtype=np.uint64).copy()
    checks = np.frombuffer(data.draw(st.binary(min_size=len(words), max_size=len(words))),
                           dtype=np.uint8).copy()
    syndromes = (secded.encode(words) ^ checks).tolist()
    correctable = set(columns())
    expected_corrected = [i for i, s in enumerate(syndromes) if s in correctable]
    expected_failed = [i for i, s in enumerate(syndromes) if s and s not in correctable]
    result = secded.check(words, checks, max_report=len(words))
    assert result.corrected_indices.tolist() == expected_corrected
    assert result.uncorrectable_indices.tolist() == expected_failed
    again = secded.check(words, checks, max_report=len(words))
    assert again.corrected == 0
    assert again.uncorrectable_indices.tolist() == expected_failed


def test_read_only_arrays_can_be_checked_without_correction() -> None:
    words = random_words(20, 3)
    checks = secded.encode(words)
    words[7] ^= np.uint64(1 << 9)
    words.flags.writeable = checks.flags.writeable = False
    result = secded.check(words, checks, correct=False)
    assert result.corrected == 1 and result.corrected_indices.tolist() == [7]
    with pytest.raises(KernelArgumentError, match="writable"):
        secded.check(words, checks)


@pytest.mark.parametrize(
    ("words", "match"),
    [
        (np.zeros(4, dtype=np.int64), "uint64"),
        (np.zeros(4, dtype=np.uint32), "uint64"),
        (np.zeros(4, dtype=">u8"), "uint64"),
        (np.zeros((2, 2), dtype=np.uint64), r"shape \(2, 2\)"),
        (np.zeros(8, dtype=np.uint64)[::2], "not contiguous"),
        ([0, 1, 2, 3], "numpy array"),
        (b"\x00" * 32, "numpy array"),
    ],
)
def test_wrong_arrays_are_rejected(words: object, match: str) -> None:
    with pytest.raises(KernelArgumentError, match=match):
        secded.encode(words)  # type: ignore[arg-type]
    with pytest.raises(KernelArgumentError, match=match):
        secded.check(words, np.zeros(4, dtype=np.uint8))  # type: ignore[arg-type]


def test_check_argument_errors() -> None:
    words = np.zeros(4, dtype=np.uint64)
    with pytest.raises(KernelArgumentError, match="must match"):
        secded.check(words, np.zeros(3, dtype=np.uint8))
    with pytest.raises(KernelArgumentError, match="uint8"):
        secded.check(words, np.zeros(4, dtype=np.int8))  # type: ignore[arg-type]
    with pytest.raises(KernelArgumentError, match="max_report"):
        secded.check(words, secded.encode(words), max_report=-1)
    with pytest.raises(KernelArgumentError, match="path"):
        secded.select_path("sse9")
    assert secded.active_path() in secded.available_paths()
