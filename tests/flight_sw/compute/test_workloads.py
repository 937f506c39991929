"""The workloads against independent computations: hashlib, zlib/lzma, numpy, bytes.count."""

from __future__ import annotations

import hashlib
import io
import lzma
import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flight_sw.compute.inference import Model
from flight_sw.compute.params import (
    Algorithm,
    CompressParams,
    DecompressParams,
    HashParams,
    InferenceParams,
    Limits,
    SearchParams,
)
from flight_sw.compute.source import WorkloadError
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.compute.helpers import finish

SMALL = Limits(chunk_octets=1000, slice_macs=1 << 16, slice_weights=100,
               max_result_octets=1 << 22)
TEXT = b"".join(b"line %d %s\n" % (i, b"needle" * (i % 3)) for i in range(2000))
DECODERS = {Algorithm.ZLIB: zlib.decompress, Algorithm.LZMA: lzma.decompress}
ENCODERS = {Algorithm.ZLIB: zlib.compress, Algorithm.LZMA: lzma.compress}


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 54_321])
def test_sha256_matches_hashlib_in_bounded_slices(size: int) -> None:
    data = bytes(i * 7 % 251 for i in range(size))
    result, fractions = finish(HashParams(), data, SMALL)
    assert result == hashlib.sha256(data).digest()
    assert len(fractions) == math.ceil(size / SMALL.chunk_octets)
    assert fractions == sorted(fractions) and fractions[-1:] in ([], [1.0])


@pytest.mark.parametrize("algorithm", list(Algorithm))
@pytest.mark.parametrize("level", [0, 1, 9])
def test_compress_round_trips_through_the_stdlib(algorithm: Algorithm, level: int) -> None:
    result, _ = finish(CompressParams(algorithm, level), TEXT, SMALL)
    assert DECODERS[algorithm](result) == TEXT
    if level:
        assert len(result) < len(TEXT) // 3


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_decompress_reverses_the_stdlib(algorithm: Algorithm) -> None:
    result, fractions = finish(DecompressParams(algorithm), ENCODERS[algorithm](TEXT), SMALL)
    assert result == TEXT
    # output is bounded per slice: at least one slice per output chunk
    assert len(fractions) >= len(TEXT) // SMALL.chunk_octets


def test_a_decompression_bomb_stops_at_the_result_limit_in_bounded_slices() -> None:
    bomb = zlib.compress(bytes(50 << 20), 9)  # ~50 kB expanding to 50 MiB
    limits = Limits(chunk_octets=1 << 16, max_result_octets=1 << 20)
    with pytest.raises(WorkloadError) as caught:
        finish(DecompressParams(Algorithm.ZLIB), bomb, limits)
    assert caught.value.code is ErrorCode.EXECUTION_FAILED


@pytest.mark.parametrize(("algorithm", "data"), [
    (Algorithm.ZLIB, b"not zlib at all"),
    (Algorithm.ZLIB, zlib.compress(TEXT)[:-10]),
    (Algorithm.ZLIB, zlib.compress(TEXT) + b"tail"),
    (Algorithm.ZLIB, zlib.compress(TEXT) + zlib.compress(TEXT)),
    (Algorithm.LZMA, b"\xfd7zXZ\x00garbage"),
    (Algorithm.LZMA, lzma.compress(TEXT)[:-4]),
    (Algorithm.LZMA, lzma.compress(TEXT) + b"tail"),
    (Algorithm.ZLIB, b""),
])
def test_bad_compressed_data_fails_with_a_typed_error(algorithm: Algorithm, data: bytes) -> None:
    with pytest.raises(WorkloadError) as caught:
        finish(DecompressParams(algorithm), data, SMALL)
    assert caught.value.code is ErrorCode.EXECUTION_FAILED


@given(st.sampled_from(list(Algorithm)), st.binary(max_size=3000),
       st.integers(min_value=0, max_value=40), st.integers(0, 255))
def test_decompress_fuzz_returns_the_original_or_a_typed_error(
        algorithm: Algorithm, data: bytes, cut: int, flip: int) -> None:
    """Any octets: the decoded original, or WorkloadError, never another exception."""
    encoded = bytearray(ENCODERS[algorithm](data))
    damaged = bytes(encoded[:max(0, len(encoded) - cut)])
    if flip and damaged:
        position = flip % len(damaged)
        damaged = damaged[:position] + bytes([damaged[position] ^ flip]) + damaged[position + 1:]
    try:
        result, _ = finish(DecompressParams(algorithm), damaged, SMALL)
    except WorkloadError as error:
        assert error.code is ErrorCode.EXECUTION_FAILED
    else:
        assert result == DECODERS[algorithm](damaged)


@given(st.sampled_from(list(Algorithm)), st.binary(max_size=500))
def test_decompress_fuzz_arbitrary_octets(algorithm: Algorithm, data: bytes) -> None:
    try:
        result, _ = finish(DecompressParams(algorithm), data, SMALL)
    except WorkloadError:
        return
    assert result == DECODERS[algorithm](data)


# ----------------------------------------------------------------------------- inference

def _reference_mlp(data: bytes, params: InferenceParams) -> np.ndarray:
    """The documented model computed in one go, straight from the docs/compute.md rule."""
    rng = np.random.default_rng(params.seed)
    w1 = rng.standard_normal((params.inputs, params.hidden), dtype=np.float32)
    b1 = rng.standard_normal(params.hidden, dtype=np.float32)
    w2 = rng.standard_normal((params.hidden, params.outputs), dtype=np.float32)
    b2 = rng.standard_normal(params.outputs, dtype=np.float32)
    rows = -(-len(data) // params.inputs)
    x = np.zeros(rows * params.inputs, dtype=np.float64)
    x[:len(data)] = np.frombuffer(data, dtype=np.uint8) / 255.0
    x = x.reshape(rows, params.inputs)
    hidden = np.tanh(x @ (w1 / math.sqrt(params.inputs)) + b1)
    result: np.ndarray = hidden @ (w2 / math.sqrt(params.hidden)) + b2
    return result


def _load_npy(octets: bytes) -> np.ndarray:
    return np.load(io.BytesIO(octets), allow_pickle=False)


@pytest.mark.parametrize(("size", "params"), [
    (5000, InferenceParams(seed=7, inputs=16, hidden=32, outputs=4)),
    (4999, InferenceParams(seed=1, inputs=64, hidden=8, outputs=3)),
    (1, InferenceParams(seed=0, inputs=3, hidden=1, outputs=1)),
    (0, InferenceParams(seed=5, inputs=3, hidden=2, outputs=2)),
])
def test_inference_matches_numpy_directly(size: int, params: InferenceParams) -> None:
    data = bytes((i * 31 + 7) % 256 for i in range(size))
    result, fractions = finish(params, data, SMALL)
    matrix = _load_npy(result)
    assert matrix.dtype == np.dtype("<f4")
    assert matrix.shape == (-(-size // params.inputs), params.outputs)
    np.testing.assert_allclose(matrix, _reference_mlp(data, params), rtol=1e-4, atol=1e-5)
    macs = params.hidden * (params.inputs + params.outputs)
    rows_per_slice = max(1, min(SMALL.chunk_octets // params.inputs, SMALL.slice_macs // macs))
    weights = (params.inputs * params.hidden, params.hidden, params.hidden * params.outputs,
               params.outputs)
    setup = sum(-(-count // SMALL.slice_weights) for count in weights)
    assert len(fractions) == setup + -(-matrix.shape[0] // rows_per_slice)
    assert fractions[:setup] == [0.0] * setup


_SHAPES = st.builds(InferenceParams, st.integers(0, 2**32 - 1), st.integers(1, 9),
                    st.integers(1, 6), st.integers(1, 4))


@given(st.binary(max_size=200), _SHAPES, st.integers(1, 1 << 12))
def test_inference_fuzz_any_input_and_shape(data: bytes, params: InferenceParams,
                                            slice_macs: int) -> None:
    result, _ = finish(params, data, Limits(chunk_octets=64, slice_macs=slice_macs))
    np.testing.assert_allclose(_load_npy(result), _reference_mlp(data, params).reshape(
        -1, params.outputs), rtol=1e-4, atol=1e-5)


def test_weights_drawn_in_slices_equal_one_draw() -> None:
    """A 4096 x 1024 layer is drawn over many slices, value for value the same."""
    params = InferenceParams(seed=11, inputs=4096, hidden=1024, outputs=3)
    whole = np.random.default_rng(11).standard_normal((4096, 1024), dtype=np.float32)
    setup = Model.seeded(params, block=1 << 16)
    slices = 0
    while True:
        try:
            next(setup)
            slices += 1
        except StopIteration as done:
            model = done.value
            break
    assert slices >= (4096 * 1024) >> 16
    np.testing.assert_array_equal(model.w1, whole / np.float32(64))


def test_inference_is_deterministic_and_seeded() -> None:
    data = bytes(range(256)) * 8
    params = InferenceParams(seed=3, inputs=8, hidden=8, outputs=2)
    assert finish(params, data, SMALL)[0] == finish(params, data, SMALL)[0]
    other = InferenceParams(seed=4, inputs=8, hidden=8, outputs=2)
    assert finish(other, data, SMALL)[0] != finish(params, data, SMALL)[0]


def test_inference_refuses_a_result_over_the_limit_before_computing() -> None:
    params = InferenceParams(seed=3, inputs=1, hidden=1, outputs=1024)
    with pytest.raises(WorkloadError):
        finish(params, bytes(2000), SMALL)


# ----------------------------------------------------------------------------- search

def _decode_search(result: bytes) -> tuple[int, list[int]]:
    (count,) = struct.unpack_from(">Q", result)
    lines = [n for (n,) in struct.iter_unpack(">I", result[8:])]
    return count, lines


def _reference_lines(data: bytes, pattern: bytes) -> list[int]:
    return [number for number, line in enumerate(data.split(b"\n"), 1) if pattern in line]


@pytest.mark.parametrize("pattern", [b"needle", b"e", b"line 1", b"needleneedle", b"\n"])
def test_search_matches_bytes_count_and_split(pattern: bytes) -> None:
    count, lines = _decode_search(finish(SearchParams(pattern), TEXT, SMALL)[0])
    assert count == TEXT.count(pattern)
    if b"\n" not in pattern:
        assert lines == _reference_lines(TEXT, pattern)


@given(st.binary(max_size=400), st.binary(min_size=1, max_size=5),
       st.integers(min_value=1, max_value=17))
def test_search_fuzz_any_chunking(data: bytes, pattern: bytes, chunk: int) -> None:
    limits = Limits(chunk_octets=chunk)
    count, lines = _decode_search(finish(SearchParams(pattern), data, limits)[0])
    assert count == data.count(pattern)
    expected: list[int] = []
    position = 0
    while (hit := data.find(pattern, position)) >= 0:  # the start line of every match
        line = data.count(b"\n", 0, hit) + 1
        if not expected or expected[-1] != line:
            expected.append(line)
        position = hit + len(pattern)
    assert lines == expected


@given(st.lists(st.sampled_from([b"ab", b"\n", b"x", b"aba"]), max_size=60),
       st.integers(1, 9))
def test_search_newline_free_pattern_lines_match_split(parts: list[bytes], chunk: int) -> None:
    data = b"".join(parts)
    _, lines = _decode_search(finish(SearchParams(b"ab"), data, Limits(chunk_octets=chunk))[0])
    assert lines == _reference_lines(data, b"ab")
