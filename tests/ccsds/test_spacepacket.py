"""Space packet primary header and packet codec (CCSDS 133.0-B-2 4.1)."""

from __future__ import annotations

import contextlib

import construct as cs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from spacepackets.ccsds.spacepacket import PacketType as PeerPacketType
from spacepackets.ccsds.spacepacket import SequenceFlags as PeerSequenceFlags
from spacepackets.ccsds.spacepacket import SpacePacketHeader as PeerHeader

from ccsds.errors import (
    CcsdsError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)
from ccsds.spacepacket import (
    IDLE_APID,
    MAX_DATA_FIELD_LENGTH,
    SEQUENCE_COUNT_MODULUS,
    HeaderError,
    PacketType,
    SequenceFlags,
    SpacePacket,
    next_sequence_count,
    packet_length,
    peek_header,
    sequence_count_gap,
)

# Declarative definition of the primary header (CCSDS 133.0-B-2 figure 4-2), used only to
# cross-check the hand-written struct codec.
PRIMARY_HEADER = cs.BitStruct(
    "version" / cs.BitsInteger(3),
    "packet_type" / cs.BitsInteger(1),
    "secondary_header" / cs.Flag,
    "apid" / cs.BitsInteger(11),
    "sequence_flags" / cs.BitsInteger(2),
    "sequence_count" / cs.BitsInteger(14),
    "data_length" / cs.BitsInteger(16),
)

apids = st.integers(0, IDLE_APID - 1)
counts = st.integers(0, SEQUENCE_COUNT_MODULUS - 1)
packets = st.builds(
    SpacePacket,
    packet_type=st.sampled_from(PacketType),
    apid=apids,
    sequence_count=counts,
    data=st.binary(min_size=1, max_size=300),
    secondary_header=st.booleans(),
    sequence_flags=st.sampled_from(SequenceFlags),
)


@given(packets)
def test_round_trip(packet: SpacePacket) -> None:
    raw = packet.encode()
    assert SpacePacket.decode(raw) == packet
    assert SpacePacket.decode(bytearray(raw)) == SpacePacket.decode(memoryview(raw)) == packet
    assert packet_length(raw[:6]) == len(raw)
    assert peek_header(raw) == packet.header


@given(packets)
def test_header_matches_declarative_definition(packet: SpacePacket) -> None:
    raw = packet.encode()
    parsed = PRIMARY_HEADER.parse(raw[:6])
    assert (parsed.version, parsed.packet_type, parsed.secondary_header, parsed.apid,
            parsed.sequence_flags, parsed.sequence_count, parsed.data_length) == (
        0, packet.packet_type, packet.secondary_header, packet.apid, packet.sequence_flags,
        packet.sequence_count, len(packet.data) - 1)
    built = PRIMARY_HEADER.build({
        "version": 0, "packet_type": int(packet.packet_type),
        "secondary_header": packet.secondary_header, "apid": packet.apid,
        "sequence_flags": int(packet.sequence_flags), "sequence_count": packet.sequence_count,
        "data_length": len(packet.data) - 1,
    })
    assert built == raw[:6] == packet.header.encode()


@given(st.binary(min_size=6, max_size=6))
def test_peek_header_matches_declarative_definition(octets: bytes) -> None:
    header = peek_header(octets)
    parsed = PRIMARY_HEADER.parse(octets)
    assert (header.version, header.packet_type, header.secondary_header, header.apid,
            header.sequence_flags, header.sequence_count, header.data_field_length) == (
        parsed.version, parsed.packet_type, parsed.secondary_header, parsed.apid,
        parsed.sequence_flags, parsed.sequence_count, parsed.data_length + 1)
    assert header.encode() == octets
    assert header.packet_length == packet_length(octets)


@pytest.mark.interop
@given(packets)
def test_header_matches_spacepackets(packet: SpacePacket) -> None:
    peer = PeerHeader(
        packet_type=PeerPacketType(int(packet.packet_type)), apid=packet.apid,
        seq_count=packet.sequence_count, data_len=len(packet.data) - 1,
        sec_header_flag=packet.secondary_header,
        seq_flags=PeerSequenceFlags(int(packet.sequence_flags)),
    )
    assert bytes(peer.pack()) == packet.encode()[:6]
    assert peer.packet_id.raw() == packet.header.packet_id


def test_fields_out_of_range_are_local_errors() -> None:
    data = b"\x00"
    for bad in (
        lambda: SpacePacket(PacketType.TM, 0x800, 0, data),
        lambda: SpacePacket(PacketType.TM, -1, 0, data),
        lambda: SpacePacket(PacketType.TM, 1, SEQUENCE_COUNT_MODULUS, data),
        lambda: SpacePacket(PacketType.TM, 1, 0, b""),
        lambda: SpacePacket(PacketType.TM, 1, 0, bytes(MAX_DATA_FIELD_LENGTH + 1)),
        lambda: SpacePacket(PacketType.TM, IDLE_APID, 0, data, secondary_header=True),
        lambda: SpacePacket.idle(6),
        lambda: SpacePacket.idle(10, fill=256),
    ):
        with pytest.raises(LocalProtocolError):
            bad()


def test_largest_packet_round_trips() -> None:
    packet = SpacePacket(PacketType.TC, 5, 1, bytes(range(256)) * 256)
    raw = packet.encode()
    assert len(raw) == 6 + 65536
    assert SpacePacket.decode(raw) == packet


def test_idle_packet() -> None:
    idle = SpacePacket.idle(20, sequence_count=3, fill=0x55)
    raw = idle.encode()
    assert len(raw) == 20 and raw[6:] == b"\x55" * 14
    assert raw[:2] == b"\x07\xff"  # version 0, TM, no secondary header, APID all ones
    decoded = SpacePacket.decode(raw)
    assert decoded.is_idle and decoded.header.is_idle and decoded == idle


def test_version_error() -> None:
    raw = bytearray(SpacePacket(PacketType.TM, 1, 0, b"abc").encode())
    raw[0] |= 0x20  # version 1
    with pytest.raises(VersionError):
        SpacePacket.decode(raw)


def test_idle_with_secondary_header_rejected() -> None:
    raw = bytearray(SpacePacket.idle(10).encode())
    raw[0] |= 0x08
    with pytest.raises(HeaderError):
        SpacePacket.decode(raw)


def test_length_checks() -> None:
    raw = SpacePacket(PacketType.TM, 1, 0, b"abcdef").encode()
    with pytest.raises(LengthError):
        SpacePacket.decode(raw + b"\x00")
    assert SpacePacket.decode(raw + b"\x00", allow_trailing=True).data == b"abcdef"
    with pytest.raises(LengthError):
        SpacePacket.decode(raw, max_length=len(raw) - 1)
    for cut in range(len(raw)):
        with pytest.raises(TruncatedError):
            SpacePacket.decode(raw[:cut])
    with pytest.raises(TruncatedError):
        packet_length(raw[:5])
    with pytest.raises(TruncatedError):
        peek_header(raw, offset=len(raw) - 5)


@given(packets, st.data())
def test_corrupted_packets_raise_only_typed_errors(packet: SpacePacket, data: st.DataObject
                                                   ) -> None:
    raw = bytearray(packet.encode())
    bit = data.draw(st.integers(0, 8 * len(raw) - 1))
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    with contextlib.suppress(CcsdsError):
        SpacePacket.decode(raw)


@given(st.binary(max_size=64))
def test_garbage_raises_only_typed_errors(garbage: bytes) -> None:
    with contextlib.suppress(CcsdsError):
        SpacePacket.decode(garbage)


def test_sequence_count_wraps() -> None:
    assert next_sequence_count(SEQUENCE_COUNT_MODULUS - 1) == 0
    assert next_sequence_count(41) == 42
    assert sequence_count_gap(SEQUENCE_COUNT_MODULUS - 1, 0) == 0


@given(counts, st.integers(0, 300))
def test_sequence_gap_counts_missing_packets(previous: int, missing: int) -> None:
    current = previous
    for _ in range(missing + 1):
        current = next_sequence_count(current)
    assert sequence_count_gap(previous, current) == missing
