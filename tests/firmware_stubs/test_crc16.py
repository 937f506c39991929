"""CRC-16/CCITT-FALSE kernel: catalogue check value, continuation, buffer types, references."""

from __future__ import annotations

import binascii
from typing import Any

import crcmod.predefined
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from firmware_stubs.crc16 import crc16_ccitt

REFERENCE = crcmod.predefined.mkPredefinedCrcFun("crc-ccitt-false")


def test_catalogue_check_value(kat: dict[str, Any]) -> None:
    vector = kat["crc16_ccitt_false"]
    assert crc16_ccitt(vector["input_ascii"].encode()) == int(vector["crc"], 16)
    assert crc16_ccitt(b"") == 0xFFFF


@given(st.binary(max_size=2000))
def test_matches_independent_implementations(data: bytes) -> None:
    assert crc16_ccitt(data) == REFERENCE(data) == binascii.crc_hqx(data, 0xFFFF)


@given(st.binary(max_size=100), st.binary(max_size=100))
def test_continuation(first: bytes, second: bytes) -> None:
    assert crc16_ccitt(second, crc16_ccitt(first)) == crc16_ccitt(first + second)


@given(st.binary(min_size=1, max_size=64), st.integers(0, 15))
def test_buffer_types_and_alignment(data: bytes, offset: int) -> None:
    padded = bytes(offset) + data
    expected = REFERENCE(data)
    assert crc16_ccitt(memoryview(padded)[offset:]) == expected
    assert crc16_ccitt(bytearray(data)) == expected
    assert crc16_ccitt(np.frombuffer(data, dtype=np.uint8)) == expected


def test_a_frame_with_its_crc_appended_checks_to_zero() -> None:
    frame = bytes(range(200))
    assert crc16_ccitt(frame + crc16_ccitt(frame).to_bytes(2, "big")) == 0
