"""CFDP PDU and TLV codecs: round trips, field layout, and malformed input (727.0-B-5 s.5)."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cfdp import (
    AckPdu,
    ConditionCode,
    DirectiveCode,
    EofPdu,
    FileDataPdu,
    MetadataPdu,
    NakPdu,
    Pdu,
    PduHeader,
    TransactionStatus,
    UnknownDirectiveError,
    decode_pdu,
    encode_pdu,
    pdu_length,
)
from ccsds.cfdp.tlv import Tlv, decode_tlv, decode_tlvs, encode_tlv
from ccsds.cfdp.wire import Reader
from ccsds.crc import crc16_ccitt
from ccsds.errors import (
    ChecksumError,
    DecodeError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)

from .strategies import all_tlvs, any_pdu, headers

HEADER = PduHeader(1, 0x01020304, 2)


@given(any_pdu)
def test_every_pdu_round_trips(pdu: Pdu) -> None:
    raw = encode_pdu(pdu)
    assert decode_pdu(raw) == pdu
    assert pdu_length(raw) == len(raw)


@given(all_tlvs)
def test_every_tlv_round_trips(tlv: Tlv) -> None:
    raw = encode_tlv(tlv)
    reader = Reader(raw)
    assert decode_tlv(reader) == tlv
    assert reader.remaining == 0
    assert raw[1] == len(raw) - 2


@given(headers())
def test_fixed_header_layout(header: PduHeader) -> None:
    """Bit positions of table 5-1, read back independently of the decoder."""
    raw = encode_pdu(AckPdu(header, DirectiveCode.EOF, ConditionCode.NO_ERROR,
                            TransactionStatus.ACTIVE))
    assert raw[0] >> 5 == 0b001
    assert (raw[0] >> 4) & 1 == 0
    assert (raw[0] >> 3) & 1 == header.direction
    assert (raw[0] >> 2) & 1 == header.transmission_mode
    assert (raw[0] >> 1) & 1 == header.crc
    assert raw[0] & 1 == header.large_file
    assert int.from_bytes(raw[1:3], "big") == len(raw) - header.length
    assert ((raw[3] >> 4) & 7) + 1 == header.entity_id_length
    assert (raw[3] & 7) + 1 == header.sequence_number_length
    at = 4 + header.entity_id_length
    assert int.from_bytes(raw[4:at], "big") == header.source_entity_id
    if header.crc:
        assert crc16_ccitt(raw) == 0


def test_eof_field_layout_by_hand() -> None:
    """An EOF built octet by octet from table 5-6 with the ICD's 2/4-octet fields."""
    expected = bytes(
        [0b0010_0000, 0x00, 0x0A, 0b0001_0011, 0x00, 0x01, 1, 2, 3, 4, 0x00, 0x02,
         0x04, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x10, 0x00]
    )
    pdu = EofPdu(HEADER, ConditionCode.NO_ERROR, 0xDEADBEEF, 4096)
    assert encode_pdu(pdu) == expected


def test_nak_large_file_offsets_are_eight_octets() -> None:
    header = PduHeader(1, 5, 2, large_file=True)
    pdu = NakPdu(header, 0, 1 << 40, ((1 << 33, 1 << 34),))
    raw = encode_pdu(pdu)
    assert len(raw) == header.length + 1 + 4 * 8
    assert decode_pdu(raw) == pdu


def test_values_that_do_not_fit_are_local_errors() -> None:
    with pytest.raises(LocalProtocolError):
        encode_pdu(FileDataPdu(HEADER, 1 << 32, b"x"))
    with pytest.raises(LocalProtocolError):
        encode_pdu(MetadataPdu(HEADER, 1, "x" * 256, "y"))
    with pytest.raises(LocalProtocolError):
        PduHeader(1, 1, 1, entity_id_length=9)


@given(any_pdu)
def test_every_prefix_raises_truncated_error(pdu: Pdu) -> None:
    """Byte-at-a-time arrival: each incomplete prefix is TruncatedError, never a misparse."""
    raw = encode_pdu(pdu)
    for cut in range(len(raw)):
        with pytest.raises(TruncatedError):
            decode_pdu(raw[:cut])


def test_every_prefix_of_a_crc_metadata_pdu_is_rejected() -> None:
    pdu = MetadataPdu(PduHeader(1, 2, 3, crc=True), 10, "src", "dst", 2, True)
    raw = encode_pdu(pdu)
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_pdu(raw[:cut])
    assert decode_pdu(raw) == pdu


@given(any_pdu, st.binary(min_size=1, max_size=8))
def test_trailing_octets_are_length_errors(pdu: Pdu, extra: bytes) -> None:
    with pytest.raises(LengthError):
        decode_pdu(encode_pdu(pdu) + extra)


@given(any_pdu, st.data())
def test_bit_flips_under_crc_are_detected(pdu: Pdu, data: st.DataObject) -> None:
    header = pdu.header
    pdu = replace(pdu, header=replace(header, crc=True))
    raw = bytearray(encode_pdu(pdu))
    bit = data.draw(st.integers(4 * 8, len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecodeError):
        decode_pdu(bytes(raw))


@given(any_pdu, st.data())
def test_random_corruption_gives_only_typed_errors(pdu: Pdu, data: st.DataObject) -> None:
    raw = bytearray(encode_pdu(pdu))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(DecodeError):
        decode_pdu(bytes(raw))


@given(st.binary(max_size=200))
def test_garbage_gives_only_typed_errors(raw: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_pdu(raw)


def test_specific_malformed_cases() -> None:
    good = encode_pdu(EofPdu(HEADER, ConditionCode.NO_ERROR, 1, 2))
    with pytest.raises(VersionError):
        decode_pdu(bytes([good[0] & 0x1F | 0x40]) + good[1:])
    directive_at = HEADER.length
    with pytest.raises(UnknownDirectiveError):
        decode_pdu(good[:directive_at] + b"\x0b" + good[directive_at + 1 :])
    with pytest.raises(DecodeError):  # reserved condition code 12
        decode_pdu(good[:directive_at + 1] + b"\xc0" + good[directive_at + 2 :])
    long_length = good[:1] + (len(good)).to_bytes(2, "big") + good[3:]
    with pytest.raises(TruncatedError):
        decode_pdu(long_length)
    crc_pdu = bytearray(encode_pdu(EofPdu(PduHeader(1, 2, 3, crc=True), ConditionCode.NO_ERROR,
                                          1, 2)))
    crc_pdu[-1] ^= 0xFF
    with pytest.raises(ChecksumError):
        decode_pdu(bytes(crc_pdu))
    ack = bytearray(encode_pdu(AckPdu(HEADER, DirectiveCode.EOF, ConditionCode.NO_ERROR,
                                      TransactionStatus.ACTIVE)))
    ack[directive_at + 1] = DirectiveCode.METADATA << 4
    with pytest.raises(DecodeError):
        decode_pdu(bytes(ack))
    nak = encode_pdu(NakPdu(HEADER, 0, 10, ((1, 2),)))
    odd = nak[:1] + (int.from_bytes(nak[1:3], "big") - 1).to_bytes(2, "big") + nak[3:-1]
    with pytest.raises(DecodeError):
        decode_pdu(odd)
    bad_name = encode_pdu(MetadataPdu(HEADER, 1, "a", "b"))
    at = bad_name.index(b"\x01a")
    with pytest.raises(DecodeError):
        decode_pdu(bad_name[:at + 1] + b"\xff" + bad_name[at + 2 :])


@given(st.binary(max_size=80))
def test_tlv_garbage_gives_only_typed_errors(raw: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_tlvs(Reader(raw))


@given(all_tlvs, st.data())
def test_truncated_tlvs_raise_truncated_error(tlv: Tlv, data: st.DataObject) -> None:
    raw = encode_tlv(tlv)
    with pytest.raises(TruncatedError):
        decode_tlv(Reader(raw[: data.draw(st.integers(0, len(raw) - 1))]))
