"""TC transfer frames, CCSDS 232.0-B-4 section 4.1."""

from __future__ import annotations

import binascii
from typing import Any

import pytest
from construct import BitsInteger, BitStruct, Bytes, Flag, GreedyBytes, Struct, this
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import (
    ChecksumError,
    DecodeError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)
from ccsds.tc_frame import (
    FECF_LENGTH,
    MAX_FRAME_LENGTH,
    PRIMARY_HEADER_LENGTH,
    FrameTypeError,
    TcFrame,
    frame_length_field,
)

# Declarative definition of 232.0-B-4 4.1.2, independent of the hand-written codec.
HEADER = BitStruct(
    "version" / BitsInteger(2),
    "bypass" / Flag,
    "control_command" / Flag,
    "spare" / BitsInteger(2),
    "spacecraft_id" / BitsInteger(10),
    "virtual_channel" / BitsInteger(6),
    "length_minus_one" / BitsInteger(10),
    "sequence_number" / BitsInteger(8),
)
FRAME_WITH_FECF = Struct(
    "header" / HEADER,
    "data" / Bytes(this.header.length_minus_one + 1 - PRIMARY_HEADER_LENGTH - FECF_LENGTH),
    "fecf" / Bytes(FECF_LENGTH),
    "rest" / GreedyBytes,
)


def fecf(data: bytes) -> bytes:
    """CRC-16/CCITT-FALSE by the standard library (binascii), not the project's CRC."""
    return binascii.crc_hqx(data, 0xFFFF).to_bytes(2, "big")


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


@st.composite
def tc_frames(draw: st.DrawFn, max_data: int = MAX_FRAME_LENGTH - 7) -> TcFrame:
    bypass = draw(st.booleans())
    return TcFrame(
        spacecraft_id=draw(st.integers(0, 0x3FF)),
        virtual_channel=draw(st.integers(0, 63)),
        sequence_number=draw(st.integers(0, 255)),
        data=draw(st.binary(max_size=max_data)),
        bypass=bypass,
        control_command=bypass and draw(st.booleans()),
    )


def test_kat_frame_with_fecf(kat: dict[str, Any]) -> None:
    raw = bytes.fromhex(kat["cltu_plain"]["tc_frame"])  # carries FECF 0x1546
    frame = TcFrame.decode(raw)
    assert (frame.spacecraft_id, frame.virtual_channel, frame.sequence_number) == (123, 0, 0x1F)
    assert frame.is_ad and not frame.bypass and not frame.control_command
    assert frame.data == raw[5:-2]
    assert raw[-2:] == bytes.fromhex("1546") == fecf(raw[:-2])
    assert frame.encode() == raw


def test_kat_frame_without_fecf(kat: dict[str, Any]) -> None:
    raw = bytes.fromhex(kat["cltu_randomized"]["tc_frame"])
    frame = TcFrame.decode(raw, fecf=False)
    assert frame == TcFrame(123, 1, 0, bytes(range(1, 11)))
    assert frame.encode(fecf=False) == raw


@given(tc_frames())
def test_header_matches_declarative_definition(frame: TcFrame) -> None:
    raw = frame.encode()
    parsed = FRAME_WITH_FECF.parse(raw)
    header = parsed.header
    assert header.version == 0 and header.spare == 0
    assert (header.bypass, header.control_command) == (frame.bypass, frame.control_command)
    assert header.spacecraft_id == frame.spacecraft_id
    assert header.virtual_channel == frame.virtual_channel
    assert header.sequence_number == frame.sequence_number
    assert header.length_minus_one + 1 == len(raw) == frame_length_field(raw)
    assert parsed.data == frame.data and parsed.rest == b""
    assert parsed.fecf == fecf(raw[:-2])


@given(tc_frames(), st.booleans(), st.binary(max_size=20))
def test_round_trip_with_trailing_octets(frame: TcFrame, with_fecf: bool, trailer: bytes
                                         ) -> None:
    raw = frame.encode(fecf=with_fecf)
    assert TcFrame.decode(raw + trailer, fecf=with_fecf) == frame
    assert TcFrame.decode(memoryview(bytearray(raw)), fecf=with_fecf) == frame


@given(tc_frames(max_data=100), st.data())
def test_every_single_bit_error_is_caught(frame: TcFrame, data: st.DataObject) -> None:
    raw = frame.encode()
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    damaged = flip(raw, bit)
    try:
        decoded = TcFrame.decode(damaged)
    except DecodeError:
        return
    # a flip in the spare bits is the only change the decoder may let through
    assert 4 <= bit <= 5 and decoded == frame


@given(tc_frames(max_data=100), st.data())
def test_truncation_is_typed(frame: TcFrame, data: st.DataObject) -> None:
    raw = frame.encode()
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(TruncatedError):
        TcFrame.decode(raw[:cut])


@given(st.binary(max_size=64), st.booleans())
def test_garbage_gives_only_typed_errors(raw: bytes, with_fecf: bool) -> None:
    try:
        frame = TcFrame.decode(raw, fecf=with_fecf)
    except DecodeError:
        return
    expected = bytearray(raw[: frame_length_field(raw)])
    expected[0] &= ~0x0C  # the spare bits, which the decoder does not keep
    assert frame.encode(fecf=with_fecf) == expected


def test_version_other_than_zero() -> None:
    raw = bytearray(TcFrame(1, 2, 3, b"abc").encode())
    for version in (1, 2, 3):
        raw[0] = (raw[0] & 0x3F) | (version << 6)
        with pytest.raises(VersionError):
            TcFrame.decode(bytes(raw[:-2]) + fecf(bytes(raw[:-2])))


def test_length_field_too_short_for_header_and_fecf() -> None:
    for total in range(1, PRIMARY_HEADER_LENGTH + FECF_LENGTH):
        raw = bytes([0, 42, 0, total - 1, 0]) + bytes(10)
        with pytest.raises(LengthError):
            TcFrame.decode(raw)
    assert TcFrame.decode(bytes([0, 42, 0, 4, 0]), fecf=False).data == b""


def test_length_field_beyond_the_octets() -> None:
    raw = TcFrame(42, 0, 0, bytes(50)).encode()
    with pytest.raises(TruncatedError):
        TcFrame.decode(raw[:-1])
    with pytest.raises(TruncatedError):
        frame_length_field(raw[:4])


def test_fecf_mismatch() -> None:
    raw = TcFrame(42, 0, 7, b"payload").encode()
    with pytest.raises(ChecksumError):
        TcFrame.decode(raw[:-1] + bytes([raw[-1] ^ 1]))


def test_control_command_without_bypass() -> None:
    with pytest.raises(LocalProtocolError):
        TcFrame(42, 0, 0, b"\x00", bypass=False, control_command=True)
    body = bytes([0x10, 42, 0, 7, 0, 0])  # flags '01', length 8 with FECF
    with pytest.raises(FrameTypeError):
        TcFrame.decode(body + fecf(body))


def test_frame_types() -> None:
    assert TcFrame(42, 0, 0, b"x").is_ad
    assert not TcFrame(42, 0, 0, b"x", bypass=True).is_ad
    assert not TcFrame(42, 0, 0, b"\x00", bypass=True, control_command=True).is_ad


@pytest.mark.parametrize(
    "fields",
    [
        {"spacecraft_id": 1024},
        {"spacecraft_id": -1},
        {"virtual_channel": 64},
        {"sequence_number": 256},
        {"sequence_number": -1},
    ],
)
def test_field_ranges(fields: dict[str, int]) -> None:
    values: dict[str, Any] = {"spacecraft_id": 42, "virtual_channel": 0, "sequence_number": 0,
                              "data": b""}
    with pytest.raises(LocalProtocolError):
        TcFrame(**{**values, **fields})


def test_maximum_length() -> None:
    largest = TcFrame(42, 0, 0, bytes(MAX_FRAME_LENGTH - 7))
    assert len(largest.encode()) == MAX_FRAME_LENGTH
    assert TcFrame.decode(largest.encode()) == largest
    with pytest.raises(LocalProtocolError):
        TcFrame(42, 0, 0, bytes(MAX_FRAME_LENGTH - 6)).encode()
    assert len(TcFrame(42, 0, 0, bytes(MAX_FRAME_LENGTH - 5)).encode(fecf=False)) == 1024
