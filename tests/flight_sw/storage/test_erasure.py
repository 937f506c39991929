"""StripeCoder: every erasure pattern up to m losses, m + 1 losses raise, shortened stripes,
misuse, and a hypothesis round trip. Parity is checked by properties (linearity over GF(2^8),
zero-padding of shortened stripes, every block influencing parity), not zfec's own numbers."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flight_sw.storage.api import StorageError
from flight_sw.storage.erasure import ErasureArgumentError, StripeCoder, TooManyErasuresError


def stripe(count: int, length: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(length) for _ in range(count)]


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("data_count", range(1, 9))
def test_every_pattern_of_up_to_m_losses_rebuilds(data_count: int) -> None:
    coder = StripeCoder(8, 2)
    data = stripe(data_count, 37, data_count)
    blocks: list[bytes | None] = [*data, *coder.encode(data)]
    assert len(blocks) == data_count + 2
    for losses in range(3):
        for lost in itertools.combinations(range(len(blocks)), losses):
            damaged = [None if i in lost else b for i, b in enumerate(blocks)]
            assert coder.reconstruct(damaged, data_count) == data


@pytest.mark.parametrize("data_count", range(1, 9))
def test_more_losses_than_parity_raise(data_count: int) -> None:
    coder = StripeCoder(8, 2)
    data = stripe(data_count, 16, 100 + data_count)
    blocks: list[bytes | None] = [*data, *coder.encode(data)]
    for lost in itertools.combinations(range(len(blocks)), 3):
        damaged = [None if i in lost else b for i, b in enumerate(blocks)]
        with pytest.raises(TooManyErasuresError):
            coder.reconstruct(damaged, data_count)
    assert issubclass(TooManyErasuresError, StorageError)


def test_other_geometries_rebuild_every_pattern() -> None:
    for k, m in ((1, 1), (3, 3), (4, 1), (10, 4)):
        coder = StripeCoder(k, m)
        data = stripe(k, 9, k * 10 + m)
        blocks: list[bytes | None] = [*data, *coder.encode(data)]
        for lost in itertools.combinations(range(k + m), m):
            damaged = [None if i in lost else b for i, b in enumerate(blocks)]
            assert coder.reconstruct(damaged, k) == data


def test_code_is_linear_and_systematic() -> None:
    """Parity of a XOR b is parity(a) XOR parity(b) (a linear code over GF(2^8)); zero data
    has zero parity; one parity block of a (k, 1) MDS code is a scaled sum, so it changes
    whenever any one data block changes."""
    coder = StripeCoder(8, 2)
    a, b = stripe(8, 64, 1), stripe(8, 64, 2)
    pa, pb = coder.encode(a), coder.encode(b)
    pab = coder.encode([xor(x, y) for x, y in zip(a, b, strict=True)])
    assert pab == [xor(x, y) for x, y in zip(pa, pb, strict=True)]
    assert coder.encode([bytes(64)] * 8) == [bytes(64)] * 2
    single = StripeCoder(4, 1)
    base = single.encode(stripe(4, 8, 3))
    for index in range(4):
        changed = stripe(4, 8, 3)
        changed[index] = xor(changed[index], b"\x01" + bytes(7))
        assert single.encode(changed) != base


def test_shortened_stripe_is_the_zero_padded_full_stripe() -> None:
    coder = StripeCoder(8, 2)
    data = stripe(3, 20, 5)
    assert coder.encode(data) == coder.encode([*data, *[bytes(20)] * 5])


def test_intact_stripe_and_empty_blocks() -> None:
    coder = StripeCoder()
    data = stripe(8, 5, 6)
    assert coder.reconstruct([*data, None, None], 8) == data
    assert coder.encode([b""] * 4) == [b"", b""]
    assert coder.reconstruct([None, b"", b"", b"", b""], 3) == [b""] * 3


def test_bytes_like_blocks_are_accepted() -> None:
    coder = StripeCoder(2, 1)
    data = [bytearray(b"abcd"), memoryview(b"efgh")]
    parity = coder.encode(data)  # type: ignore[arg-type]
    assert coder.reconstruct([None, b"efgh", parity[0]], 2) == [b"abcd", b"efgh"]


@pytest.mark.parametrize(("k", "m"), [(0, 2), (8, 0), (250, 7), (-1, 1)])
def test_bad_geometry_is_refused(k: int, m: int) -> None:
    with pytest.raises(ErasureArgumentError):
        StripeCoder(k, m)


def test_malformed_stripes_are_refused() -> None:
    coder = StripeCoder(4, 2)
    with pytest.raises(ErasureArgumentError):
        coder.encode([])
    with pytest.raises(ErasureArgumentError):
        coder.encode([b"a"] * 5)
    with pytest.raises(ErasureArgumentError):
        coder.encode([b"ab", b"c"])
    with pytest.raises(ErasureArgumentError):
        coder.encode([b"ab", None])  # type: ignore[list-item]
    with pytest.raises(ErasureArgumentError):
        coder.encode([b"ab", 7])  # type: ignore[list-item]
    parity = coder.encode([b"ab", b"cd"])
    with pytest.raises(ErasureArgumentError):
        coder.reconstruct([b"ab", b"cd", *parity], 3)  # wrong count for data_count
    with pytest.raises(ErasureArgumentError):
        coder.reconstruct([b"ab", b"cd", *parity], 0)
    with pytest.raises(ErasureArgumentError):
        coder.reconstruct([b"ab", b"cde", *parity], 2)
    assert isinstance(ErasureArgumentError("x"), StorageError)


STRIPES = st.tuples(st.integers(1, 8), st.integers(0, 64)).flatmap(
    lambda shape: st.lists(st.binary(min_size=shape[1], max_size=shape[1]),
                           min_size=shape[0], max_size=shape[0]))


@given(STRIPES, st.data())
def test_round_trip_with_random_losses(data: list[bytes], draw: st.DataObject) -> None:
    coder = StripeCoder(8, 2)
    blocks: list[bytes | None] = [*data, *coder.encode(data)]
    lost = draw.draw(st.sets(st.integers(0, len(blocks) - 1), max_size=2))
    damaged = [None if i in lost else b for i, b in enumerate(blocks)]
    assert coder.reconstruct(damaged, len(data)) == data


@given(st.lists(st.one_of(st.none(), st.binary(max_size=8), st.integers()), max_size=12),
       st.integers(-2, 10))
def test_fuzzed_reconstruct_raises_only_storage_errors(
        blocks: list[object], data_count: int) -> None:
    coder = StripeCoder(8, 2)
    try:
        result = coder.reconstruct(blocks, data_count)  # type: ignore[arg-type]
    except StorageError:
        return
    assert len(result) == data_count
