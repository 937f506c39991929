"""CLCW encoding and decoding, CCSDS 232.0-B-4 4.2.1.4 (layout in 232.1-B-2 4.2)."""

from __future__ import annotations

import construct as cs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cop1 import Clcw, ControlWordTypeError
from ccsds.errors import (
    DecodeError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)

# Independent declarative definition of the word, field by field from the standard.
CLCW_BITS = cs.BitStruct(
    "control_word_type" / cs.BitsInteger(1),
    "version" / cs.BitsInteger(2),
    "status_field" / cs.BitsInteger(3),
    "cop_in_effect" / cs.BitsInteger(2),
    "virtual_channel" / cs.BitsInteger(6),
    "spare1" / cs.BitsInteger(2),
    "no_rf_available" / cs.Flag,
    "no_bit_lock" / cs.Flag,
    "lockout" / cs.Flag,
    "wait" / cs.Flag,
    "retransmit" / cs.Flag,
    "farm_b_counter" / cs.BitsInteger(2),
    "spare2" / cs.BitsInteger(1),
    "report_value" / cs.BitsInteger(8),
)

clcws = st.builds(
    Clcw,
    virtual_channel=st.integers(0, 63),
    report_value=st.integers(0, 255),
    lockout=st.booleans(),
    wait=st.booleans(),
    retransmit=st.booleans(),
    farm_b_counter=st.integers(0, 3),
    no_rf_available=st.booleans(),
    no_bit_lock=st.booleans(),
    status_field=st.integers(0, 7),
    cop_in_effect=st.integers(0, 3),
)


@pytest.mark.parametrize(
    "clcw, expected",
    [
        # 0|00|000|01  000101|00  0|1|1|0|1|10|0  00101010, worked out by hand
        (Clcw(virtual_channel=5, report_value=0x2A, lockout=True, retransmit=True,
              farm_b_counter=2, no_bit_lock=True), "01146c2a"),
        # every field at its maximum: 0|00|111|11  111111|00  1|1|1|1|1|11|0  11111111
        (Clcw(virtual_channel=63, report_value=255, lockout=True, wait=True, retransmit=True,
              farm_b_counter=3, no_rf_available=True, no_bit_lock=True, status_field=7,
              cop_in_effect=3), "1ffcfeff"),
        # a FARM-1 at rest: COP-1 on VC 0, V(R) 0, no flag
        (Clcw(virtual_channel=0, report_value=0), "01000000"),
    ],
)
def test_known_answers(clcw: Clcw, expected: str) -> None:
    assert clcw.encode().hex() == expected
    assert Clcw.decode(bytes.fromhex(expected)) == clcw


@given(clcws)
def test_encoding_matches_declarative_layout(clcw: Clcw) -> None:
    fields = CLCW_BITS.parse(clcw.encode())
    assert (fields.control_word_type, fields.version, fields.spare1, fields.spare2) == (
        0, 0, 0, 0)
    for name in ("virtual_channel", "report_value", "lockout", "wait", "retransmit",
                 "farm_b_counter", "no_rf_available", "no_bit_lock", "status_field",
                 "cop_in_effect"):
        assert fields[name] == getattr(clcw, name), name


@given(clcws)
def test_round_trip(clcw: Clcw) -> None:
    assert Clcw.decode(clcw.encode()) == clcw
    assert Clcw.decode(bytearray(clcw.encode())) == clcw
    assert Clcw.decode(memoryview(clcw.encode())) == clcw


@given(clcws, st.integers(0, 3), st.integers(0, 1))
def test_spare_bits_are_ignored(clcw: Clcw, spare1: int, spare2: int) -> None:
    word = int.from_bytes(clcw.encode(), "big") | (spare1 << 16) | (spare2 << 8)
    assert Clcw.decode(word.to_bytes(4, "big")) == clcw


@given(clcws)
def test_fed_byte_at_a_time_every_prefix_is_truncated(clcw: Clcw) -> None:
    raw = clcw.encode()
    for end in range(len(raw)):
        with pytest.raises(TruncatedError):
            Clcw.decode(raw[:end])


@given(clcws, st.binary(min_size=1, max_size=8))
def test_trailing_octets_are_a_length_error(clcw: Clcw, tail: bytes) -> None:
    with pytest.raises(LengthError):
        Clcw.decode(clcw.encode() + tail)


@given(clcws)
def test_type_and_version_are_checked(clcw: Clcw) -> None:
    word = int.from_bytes(clcw.encode(), "big")
    with pytest.raises(ControlWordTypeError):
        Clcw.decode((word | 1 << 31).to_bytes(4, "big"))
    for version in (1, 2, 3):
        with pytest.raises(VersionError):
            Clcw.decode((word | version << 29).to_bytes(4, "big"))


@given(clcws, st.integers(0, 31))
def test_any_single_bit_error_decodes_or_raises_typed(clcw: Clcw, bit: int) -> None:
    word = int.from_bytes(clcw.encode(), "big") ^ (1 << bit)
    try:
        decoded = Clcw.decode(word.to_bytes(4, "big"))
    except DecodeError:
        assert bit >= 29  # only the type and version bits make a word undecodable
    else:
        assert decoded != clcw or bit in (8, 16, 17)  # spare bits change nothing


@given(st.binary(max_size=12))
def test_garbage_raises_only_typed_errors(raw: bytes) -> None:
    try:
        decoded = Clcw.decode(raw)
    except DecodeError:
        assert len(raw) != 4 or raw[0] & 0xE0
    else:  # whatever decodes re-encodes to the same word less its spare bits
        spare_mask = (0x3 << 16) | (1 << 8)
        assert decoded.encode() == (int.from_bytes(raw, "big") & ~spare_mask).to_bytes(4, "big")


@pytest.mark.parametrize(
    "field, value",
    [("virtual_channel", 64), ("report_value", 256), ("report_value", -1),
     ("farm_b_counter", 4), ("status_field", 8), ("cop_in_effect", 4)],
)
def test_out_of_range_fields_are_local_errors(field: str, value: int) -> None:
    arguments = {"virtual_channel": 0, "report_value": 0, field: value}
    with pytest.raises(LocalProtocolError):
        Clcw(**arguments)
