"""CRC-32C kernel: catalogue check value, continuation, buffer types, independent reference."""

from __future__ import annotations

from typing import Any

import crcmod.predefined
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from firmware_stubs.crc32c import crc32c

REFERENCE = crcmod.predefined.mkPredefinedCrcFun("crc-32c")


def test_catalogue_check_value(kat: dict[str, Any]) -> None:
    vector = kat["crc32c"]
    assert crc32c(vector["input_ascii"].encode()) == int(vector["crc"], 16)
    assert crc32c(b"") == 0


@given(st.binary(max_size=300))
def test_matches_independent_implementation(data: bytes) -> None:
    assert crc32c(data) == REFERENCE(data)


@given(st.binary(max_size=100), st.binary(max_size=100))
def test_continuation(first: bytes, second: bytes) -> None:
    assert crc32c(second, crc32c(first)) == crc32c(first + second)


@given(st.binary(min_size=1, max_size=64), st.integers(0, 15))
def test_buffer_types_and_alignment(data: bytes, offset: int) -> None:
    padded = bytes(offset) + data
    expected = REFERENCE(data)
    assert crc32c(memoryview(padded)[offset:]) == expected
    assert crc32c(bytearray(data)) == expected
    assert crc32c(np.frombuffer(data, dtype=np.uint8)) == expected


def test_numpy_arrays_of_wider_items_are_checksummed_as_octets() -> None:
    words = np.arange(64, dtype=np.uint64)
    assert crc32c(words) == REFERENCE(words.tobytes())
    matrix = np.arange(48, dtype=np.uint16).reshape(6, 8)
    assert crc32c(matrix) == REFERENCE(matrix.tobytes())
    assert crc32c(matrix[:, ::2]) == REFERENCE(np.ascontiguousarray(matrix[:, ::2]).tobytes())
