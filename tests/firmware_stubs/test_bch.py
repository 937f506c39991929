"""BCH(63,56) kernel: CCSDS 231.0-B-4 section 3 vectors, SEC mode, robustness."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.randomizer import tc_randomize
from firmware_stubs import bch
from firmware_stubs.errors import KernelArgumentError

GENERATOR = 0b11000101  # x^7 + x^6 + x^2 + 1, CCSDS 231.0-B-4 3.2.2


def reference_codeblock(info: bytes) -> bytes:
    """Bit-serial long division, independent of the kernel's table-driven one."""
    remainder = int.from_bytes(info, "big") << 7
    for shift in range(55, -1, -1):
        if remainder >> (shift + 7) & 1:
            remainder ^= GENERATOR << shift
    return info + bytes([(~remainder & 0x7F) << 1])


def flip(block: bytes, *bits: int) -> bytes:
    out = bytearray(block)
    for bit in bits:
        out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def cltu_body(cltu: bytes, kat: dict[str, Any]) -> bytes:
    start = bytes.fromhex(kat["cltu_sequences"]["start"])
    tail = bytes.fromhex(kat["cltu_sequences"]["tail"])
    assert cltu.startswith(start) and cltu.endswith(tail)
    return cltu[len(start):-len(tail)]


def test_known_codeblocks(kat: dict[str, Any]) -> None:
    for info_hex, parity_hex in kat["bch_63_56_codeblocks"]["cases"]:
        info = bytes.fromhex(info_hex)
        assert bch.encode(info) == info + bytes.fromhex(parity_hex)
        result = bch.decode(info + bytes.fromhex(parity_hex))
        assert result == bch.BchDecodeResult(info, 1, 0, False)


@pytest.mark.parametrize("name", ["cltu_plain", "cltu_randomized"])
def test_cltu_vectors(kat: dict[str, Any], name: str) -> None:
    vector = kat[name]
    frame = bytes.fromhex(vector["tc_frame"])
    cltu = bytes.fromhex(vector["cltu"])
    body = cltu_body(cltu, kat)
    result = bch.decode(body + bytes.fromhex(kat["cltu_sequences"]["tail"]))
    assert result.blocks == len(body) // 8 and result.stopped and result.corrected == 0
    # the randomizer covers the frame only; CLTU fill octets are added after it (231.0-B-4)
    head, fill = result.data[: len(frame)], result.data[len(frame):]
    assert (head if name == "cltu_plain" else tc_randomize(head)) == frame
    assert fill == bytes.fromhex(kat["cltu_sequences"]["fill_octet"]) * len(fill)
    assert bch.encode(result.data) == body


def test_tail_sequence_is_uncorrectable(kat: dict[str, Any]) -> None:
    tail = bytes.fromhex(kat["cltu_sequences"]["tail"])
    assert bch.decode(tail) == bch.BchDecodeResult(b"", 0, 0, True)


@given(st.binary(max_size=7 * 40).map(lambda b: b[: len(b) - len(b) % 7]))
def test_encode_matches_reference_and_round_trips(info: bytes) -> None:
    encoded = bch.encode(info)
    expected = b"".join(reference_codeblock(info[i:i + 7]) for i in range(0, len(info), 7))
    assert encoded == expected
    assert bch.decode(encoded) == bch.BchDecodeResult(info, len(info) // 7, 0, False)


def test_every_single_bit_error_is_corrected() -> None:
    rng = random.Random(1)
    for _ in range(20):
        info = rng.randbytes(7)
        block = reference_codeblock(info)
        for bit in range(63):
            result = bch.decode(flip(block, bit))
            assert result == bch.BchDecodeResult(info, 1, 1, False), bit
        # the filler bit is ignored (SEC mode)
        assert bch.decode(flip(block, 63)) == bch.BchDecodeResult(info, 1, 0, False)


def test_every_double_bit_error_is_detected() -> None:
    rng = random.Random(2)
    for _ in range(3):
        block = reference_codeblock(rng.randbytes(7))
        for first, second in itertools.combinations(range(63), 2):
            result = bch.decode(flip(block, first, second) + block)
            assert result == bch.BchDecodeResult(b"", 0, 0, True), (first, second)


def test_corrected_blocks_counted_in_a_stream() -> None:
    rng = random.Random(3)
    info = rng.randbytes(7 * 10)
    stream = bytearray(bch.encode(info))
    for block in (1, 4, 9):
        stream[block * 8 + rng.randrange(8)] ^= 1 << rng.randrange(1, 8)
    assert bch.decode(stream) == bch.BchDecodeResult(info, 10, 3, False)


def test_max_blocks_and_partial_block() -> None:
    info = bytes(range(21))
    stream = bch.encode(info)
    assert bch.decode(stream, max_blocks=2) == bch.BchDecodeResult(info[:14], 2, 0, False)
    assert bch.decode(stream, max_blocks=0) == bch.BchDecodeResult(b"", 0, 0, False)
    assert bch.decode(stream + stream[:5]) == bch.BchDecodeResult(info, 3, 0, False)


def test_byte_at_a_time_feeding_consumes_whole_blocks_only() -> None:
    info = bytes(range(35))
    stream = bch.encode(info)
    received = bytearray()
    decoded = bytearray()
    for octet in stream:
        received.append(octet)
        result = bch.decode(received)
        assert not result.stopped
        decoded += result.data
        del received[: result.blocks * bch.CODEBLOCK_LENGTH]
    assert bytes(decoded) == info and not received


@given(st.binary(max_size=200), st.integers(-1, 30))
def test_garbage_never_raises(garbage: bytes, max_blocks: int) -> None:
    result = bch.decode(garbage, max_blocks)
    limit = len(garbage) // 8 if max_blocks == -1 else min(len(garbage) // 8, max_blocks)
    assert len(result.data) == 7 * result.blocks
    assert result.corrected <= result.blocks <= limit
    assert result.stopped or result.blocks == limit
    # what was decoded re-encodes to codeblocks within one bit of the received ones
    for i in range(result.blocks):
        block = bch.encode(result.data[7 * i:7 * i + 7])
        received = garbage[8 * i:8 * i + 8]
        diff = int.from_bytes(block, "big") ^ int.from_bytes(received, "big")
        assert (diff >> 1).bit_count() <= 1


@given(st.binary(min_size=7, max_size=70).map(lambda b: b[: len(b) - len(b) % 7]),
       st.integers(0, 10))
def test_truncated_stream_decodes_whole_blocks(info: bytes, cut: int) -> None:
    stream = bch.encode(info)
    truncated = stream[: max(0, len(stream) - cut)]
    result = bch.decode(truncated)
    assert result.blocks == len(truncated) // 8 and not result.stopped
    assert result.data == info[: 7 * result.blocks]


def test_buffer_types() -> None:
    info = bytes(range(14))
    expected = bch.encode(info)
    for buffer in (bytearray(info), memoryview(info), np.frombuffer(info, np.uint8)):
        assert bch.encode(buffer) == expected
    assert bch.decode(np.frombuffer(expected, np.uint8)).data == info
    assert bch.decode(memoryview(expected)[8:]).data == info[7:]


def test_argument_errors() -> None:
    with pytest.raises(KernelArgumentError, match="multiple of 7"):
        bch.encode(bytes(8))
    with pytest.raises(KernelArgumentError, match="max_blocks"):
        bch.decode(bytes(8), max_blocks=-2)
    assert issubclass(KernelArgumentError, ValueError)
