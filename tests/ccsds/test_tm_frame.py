"""TM transfer frames (CCSDS 132.0-B-3 4.1): round trips, header layout, every error path."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from spacepackets.ccsds.tm_frame import TmTransferFrame

from ccsds.errors import (
    ChecksumError,
    DecodeError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)
from ccsds.tm_frame import (
    FHP_IDLE_DATA,
    FrameFormatError,
    TmFrame,
    data_field_length,
    fecf_valid,
)

ICD_LENGTH = 1115


def crc16_bitwise(data: bytes) -> int:
    """Independent CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), bit by bit."""
    value = 0xFFFF
    for octet in data:
        value ^= octet << 8
        for _ in range(8):
            value = ((value << 1) ^ 0x1021) if value & 0x8000 else value << 1
            value &= 0xFFFF
    return value


@st.composite
def frames(draw: st.DrawFn) -> tuple[TmFrame, int, bool]:
    """A frame, its total length and whether it carries a FECF."""
    has_ocf = draw(st.booleans())
    has_fecf = draw(st.booleans())
    length = draw(st.integers(min_value=12, max_value=300))
    data_length = data_field_length(length, ocf=has_ocf, fecf=has_fecf)
    frame = TmFrame(
        spacecraft_id=draw(st.integers(0, 0x3FF)),
        virtual_channel=draw(st.integers(0, 7)),
        master_frame_count=draw(st.integers(0, 255)),
        vc_frame_count=draw(st.integers(0, 255)),
        first_header_pointer=draw(st.integers(0, 0x7FF)),
        data=draw(st.binary(min_size=data_length, max_size=data_length)),
        ocf=draw(st.binary(min_size=4, max_size=4)) if has_ocf else None,
        sync_flag=draw(st.booleans()),
        packet_order=draw(st.booleans()),
    )
    return frame, length, has_fecf


def decode(raw: bytes, frame: TmFrame, length: int, has_fecf: bool) -> TmFrame:
    return TmFrame.decode(
        raw, frame_length=length, has_ocf=frame.ocf is not None, has_fecf=has_fecf
    )


@given(frames())
def test_round_trip(case: tuple[TmFrame, int, bool]) -> None:
    frame, length, has_fecf = case
    raw = frame.encode(length, fecf=has_fecf)
    assert len(raw) == length
    assert decode(raw, frame, length, has_fecf) == frame


@given(frames())
def test_header_layout_matches_independent_peer(case: tuple[TmFrame, int, bool]) -> None:
    """spacepackets (an independent implementation) reads the same fields."""
    frame, length, has_fecf = case
    raw = frame.encode(length, fecf=has_fecf)
    peer = TmTransferFrame.unpack(raw, length, has_fecf)
    header = peer.primary_header
    status = header.frame_datafield_status
    assert header.master_channel_id.transfer_frame_version == 0
    assert header.master_channel_id.spacecraft_id == frame.spacecraft_id
    assert header.vc_id == frame.virtual_channel
    assert header.ocf_flag == (frame.ocf is not None)
    assert header.master_ch_frame_count == frame.master_frame_count
    assert header.vc_frame_count == frame.vc_frame_count
    assert status.first_header_pointer == frame.first_header_pointer
    assert status.sync_flag == frame.sync_flag
    assert status.packet_order_flag == frame.packet_order
    assert status.segment_len_id == 0b11
    assert not status.secondary_header_flag
    assert peer.data_field == frame.data
    assert peer.op_ctrl_field == frame.ocf


@given(frames())
def test_fecf_is_crc16_ccitt_false(case: tuple[TmFrame, int, bool]) -> None:
    frame, length, has_fecf = case
    assume(has_fecf)
    raw = frame.encode(length, fecf=True)
    assert int.from_bytes(raw[-2:], "big") == crc16_bitwise(raw[:-2])
    assert fecf_valid(raw)


def test_ocf_argument_overrides_and_defaults() -> None:
    frame = TmFrame(42, 0, 0, 0, 0, bytes(ICD_LENGTH - 12), ocf=b"\x01\x02\x03\x04")
    assert frame.encode(ICD_LENGTH)[-6:-2] == b"\x01\x02\x03\x04"
    assert frame.encode(ICD_LENGTH, ocf=b"\xaa\xbb\xcc\xdd")[-6:-2] == b"\xaa\xbb\xcc\xdd"


def test_idle_frame_flag() -> None:
    assert TmFrame(1, 7, 0, 0, FHP_IDLE_DATA, b"\x00" * 8).is_idle
    assert not TmFrame(1, 7, 0, 0, 0, b"\x00" * 8).is_idle
    assert not TmFrame(1, 7, 0, 0, FHP_IDLE_DATA, b"\x00" * 8, sync_flag=True).is_idle


def icd_frame() -> bytes:
    data = bytes(range(256)) * 5
    frame = TmFrame(42, 1, 200, 17, 5, data[: ICD_LENGTH - 12], ocf=b"\x00\x01\x02\x03")
    return frame.encode(ICD_LENGTH)


def icd_decode(raw: bytes | bytearray) -> TmFrame:
    return TmFrame.decode(raw, frame_length=ICD_LENGTH, has_ocf=True, has_fecf=True)


def with_fecf(body: bytes | bytearray) -> bytes:
    return bytes(body[:-2]) + crc16_bitwise(bytes(body[:-2])).to_bytes(2, "big")


def test_truncated_and_too_long() -> None:
    raw = icd_frame()
    with pytest.raises(TruncatedError):
        icd_decode(raw[:-1])
    with pytest.raises(TruncatedError):
        icd_decode(b"")
    with pytest.raises(LengthError):
        icd_decode(raw + b"\x00")


@pytest.mark.parametrize("version", [1, 2, 3])
def test_version(version: int) -> None:
    raw = bytearray(icd_frame())
    raw[0] |= version << 6
    with pytest.raises(VersionError):
        icd_decode(with_fecf(raw))


def test_every_single_bit_error_fails_the_fecf() -> None:
    raw = icd_frame()
    for bit in range(0, len(raw) * 8, 7):
        corrupted = bytearray(raw)
        corrupted[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(DecodeError):
            icd_decode(corrupted)
        if bit // 8 >= 1:  # past the version bits the FECF is what catches it
            with pytest.raises(ChecksumError):
                icd_decode(corrupted)


@pytest.mark.parametrize(
    ("octet", "mask", "description"),
    [(4, 0x80, "secondary header"), (4, 0x08, "segment length id"), (1, 0x01, "OCF flag")],
)
def test_format_errors(octet: int, mask: int, description: str) -> None:
    raw = bytearray(icd_frame())
    raw[octet] ^= mask
    with pytest.raises(FrameFormatError):
        icd_decode(with_fecf(raw))


def test_segment_length_id_not_checked_in_sync_mode() -> None:
    frame = TmFrame(42, 1, 0, 0, 0x123, bytes(ICD_LENGTH - 12), ocf=bytes(4), sync_flag=True)
    assert icd_decode(frame.encode(ICD_LENGTH)) == frame


@pytest.mark.parametrize(
    "fields",
    [
        {"spacecraft_id": 1024},
        {"spacecraft_id": -1},
        {"virtual_channel": 8},
        {"master_frame_count": 256},
        {"vc_frame_count": -1},
        {"first_header_pointer": 0x800},
        {"ocf": b"\x00"},
    ],
)
def test_field_ranges(fields: dict[str, object]) -> None:
    base: dict[str, object] = {
        "spacecraft_id": 1,
        "virtual_channel": 0,
        "master_frame_count": 0,
        "vc_frame_count": 0,
        "first_header_pointer": 0,
        "data": b"",
    }
    with pytest.raises(LocalProtocolError):
        TmFrame(**{**base, **fields})  # type: ignore[arg-type]


def test_encode_misuse() -> None:
    frame = TmFrame(42, 0, 0, 0, 0, bytes(ICD_LENGTH - 12))
    with pytest.raises(LocalProtocolError):
        frame.encode(ICD_LENGTH)  # no OCF: the data field is 4 octets longer
    with pytest.raises(LocalProtocolError):
        frame.encode(ICD_LENGTH, ocf=b"\x00\x00")
    with pytest.raises(LocalProtocolError):
        TmFrame.decode(b"", frame_length=8, has_ocf=True, has_fecf=True)


@given(st.binary(max_size=ICD_LENGTH + 2))
def test_garbage_gives_only_typed_errors(raw: bytes) -> None:
    with contextlib.suppress(DecodeError):
        icd_decode(raw)


@given(st.binary(min_size=ICD_LENGTH, max_size=ICD_LENGTH))
def test_random_frames_without_fecf(raw: bytes) -> None:
    try:
        frame = TmFrame.decode(raw, frame_length=ICD_LENGTH, has_ocf=True, has_fecf=False)
    except DecodeError:
        return
    encoded = bytearray(frame.encode(ICD_LENGTH, fecf=False))
    if frame.sync_flag:  # segment length id undefined in sync mode (132.0-B-3 4.1.2.7.5)
        encoded[4] = (encoded[4] & ~0x18) | (raw[4] & 0x18)
    assert encoded == raw
