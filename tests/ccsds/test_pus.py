"""PUS-C TC and TM packets (ECSS-E-ST-70-41C 7.4) and request ids."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.crc import crc16_ccitt
from ccsds.errors import (
    CcsdsError,
    ChecksumError,
    DecodeError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)
from ccsds.pus import AckFlags, PusTc, PusTm, PusVersionError, RequestId
from ccsds.spacepacket import (
    IDLE_APID,
    HeaderError,
    PacketType,
    PacketTypeError,
    SequenceFlags,
    SpacePacket,
)
from ccsds.timecode import CUC_4_2, CucFormat, CucTime

apids = st.integers(0, IDLE_APID - 1)
counts = st.integers(0, 0x3FFF)
octets = st.integers(0, 0xFF)
words = st.integers(0, 0xFFFF)
cuc_formats = st.builds(CucFormat, st.integers(1, 7), st.integers(0, 10))
baseline_format = st.just(CUC_4_2)


@st.composite
def cuc_times(draw: st.DrawFn, fmt: st.SearchStrategy[CucFormat] = baseline_format
              ) -> CucTime:
    """A CUC time of a drawn format."""
    drawn = draw(fmt)
    return CucTime(draw(st.integers(0, (1 << (8 * drawn.coarse_octets)) - 1)),
                   draw(st.integers(0, (1 << (8 * drawn.fine_octets)) - 1)), drawn)


telecommands = st.builds(
    PusTc, apids, counts, octets, octets, st.binary(max_size=200),
    source_id=words, ack_flags=st.integers(0, 15).map(AckFlags),
    sequence_flags=st.sampled_from(SequenceFlags),
)


def telemetry(fmt: st.SearchStrategy[CucFormat] = baseline_format
              ) -> st.SearchStrategy[PusTm]:
    """PUS TM packets whose time has a format drawn from ``fmt``."""
    return st.builds(
        PusTm, apids, counts, octets, octets, time=cuc_times(fmt),
        source_data=st.binary(max_size=200), message_counter=words, destination_id=words,
        time_reference_status=st.integers(0, 15), sequence_flags=st.sampled_from(SequenceFlags),
    )


def _resealed(raw: bytes | bytearray) -> bytes:
    """``raw`` with its packet error control recomputed (to reach the checks behind it)."""
    body = bytes(raw[:-2])
    return body + crc16_ccitt(body).to_bytes(2, "big")


def _flip(raw: bytes, bit: int) -> bytes:
    damaged = bytearray(raw)
    damaged[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(damaged)


# ------------------------------------------------------------------ known answers


def test_tc_known_answer() -> None:
    # spacepackets' documented ping TC: APID 1, sequence count 22, (17,1), all ack flags
    tc = PusTc(1, 22, 17, 1, ack_flags=AckFlags.ALL, source_id=0)
    assert tc.encode() == bytes.fromhex("1801c01600062f11010000ab62")
    assert PusTc.decode(tc.encode()) == tc


def test_tm_known_header() -> None:
    # spacepackets' documented ping TM header: APID 1, sequence count 5, (17,2), 7-octet time
    seven_octets = CucFormat(4, 3)
    tm = PusTm(1, 5, 17, 2, time=CucTime(0x01020304, 0x050607, seven_octets))
    raw = tm.encode()
    assert raw[:13] == bytes.fromhex("0801c005000f20110200000000")
    assert raw[13:20] == bytes.fromhex("01020304050607")
    assert PusTm.decode(raw, time_format=seven_octets) == tm
    assert crc16_ccitt(raw) == 0  # a trailing CRC makes the CRC of the whole zero


def test_request_id_known_answer() -> None:
    # spacepackets' documented request id: TC, no secondary header, APID 0x22, count 17
    request = RequestId(0x22, 17, secondary_header=False)
    assert request.encode() == bytes.fromhex("1022c011")
    assert request.as_int() == 0x1022C011
    assert RequestId.decode(request.encode()) == request


# ------------------------------------------------------------------ round trips


@given(telecommands)
def test_tc_round_trip(tc: PusTc) -> None:
    raw = tc.encode()
    assert PusTc.decode(raw) == tc
    assert PusTc.decode(bytearray(raw)) == tc
    assert PusTc.decode(memoryview(raw)) == tc
    assert crc16_ccitt(raw) == 0
    header = SpacePacket.decode(raw).header
    assert (header.packet_type, header.secondary_header, header.apid) == (
        PacketType.TC, True, tc.apid)


@given(telemetry(cuc_formats))
def test_tm_round_trip(tm: PusTm) -> None:
    raw = tm.encode()
    assert PusTm.decode(raw, time_format=tm.time.fmt) == tm
    assert PusTm.decode(memoryview(raw), time_format=tm.time.fmt) == tm
    assert crc16_ccitt(raw) == 0
    time_end = 13 + tm.time.fmt.length
    assert CucTime.decode(raw[13:time_end], tm.time.fmt) == tm.time
    assert raw[time_end:-2] == tm.source_data


@given(telemetry(), telecommands, apids, octets)
def test_replace_rebuilds_the_headers(tm: PusTm, tc: PusTc, apid: int, subtype: int) -> None:
    changed_tm = dataclasses.replace(tm, apid=apid, subtype=subtype)
    assert PusTm.decode(changed_tm.encode()) == changed_tm
    assert (changed_tm.apid, changed_tm.subtype) == (apid, subtype)
    changed_tc = dataclasses.replace(tc, apid=apid, subtype=subtype)
    assert PusTc.decode(changed_tc.encode()) == changed_tc


@given(telecommands, st.binary(min_size=1, max_size=20))
def test_trailing_octets(tc: PusTc, tail: bytes) -> None:
    raw = tc.encode()
    with pytest.raises(LengthError):
        PusTc.decode(raw + tail)
    assert PusTc.decode(raw + tail, allow_trailing=True) == tc


@given(telecommands)
def test_request_id_of_tc(tc: PusTc) -> None:
    raw = tc.encode()
    assert tc.request_id.encode() == raw[:4]
    assert RequestId.unpack_from(raw) == tc.request_id
    # a TC that fails its checks still yields the id for its acceptance failure report
    assert RequestId.unpack_from(_flip(raw, 8 * len(raw) - 1)) == tc.request_id


@given(st.builds(RequestId, st.integers(0, IDLE_APID), counts, st.sampled_from(SequenceFlags),
                 st.sampled_from(PacketType), st.booleans(), st.integers(0, 7)))
def test_request_id_round_trip(request: RequestId) -> None:
    assert RequestId.decode(request.encode()) == request
    assert int.from_bytes(request.encode(), "big") == request.as_int()


def test_request_id_errors() -> None:
    for bad in (RequestId(0x800, 0), RequestId(1, 0x4000), RequestId(1, 0, version=8)):
        with pytest.raises(LocalProtocolError):
            bad.encode()
    with pytest.raises(TruncatedError):
        RequestId.unpack_from(b"\x18\x01\xc0")
    with pytest.raises(TruncatedError):
        RequestId.unpack_from(b"\x00\x00\x18\x01\xc0", offset=2)
    with pytest.raises(LengthError):
        RequestId.decode(b"\x18\x01\xc0\x16\x00")


# ------------------------------------------------------------------ decoder checks


@given(telemetry())
def test_tm_is_never_accepted_as_tc(tm: PusTm) -> None:
    with pytest.raises(PacketTypeError):
        PusTc.decode(tm.encode(), allow_trailing=True)


@given(telecommands)
def test_tc_is_never_accepted_as_tm(tc: PusTc) -> None:
    raw = tc.encode() + bytes(20)
    with pytest.raises(PacketTypeError):
        PusTm.decode(raw, allow_trailing=True)
    assert issubclass(PacketTypeError, VersionError)


@pytest.mark.parametrize("decode, raw", [
    (PusTc.decode, PusTc(100, 1, 17, 1).encode()),
    (PusTm.decode, PusTm(100, 1, 17, 2).encode()),
])
def test_header_checks(decode: Callable[[bytes], object], raw: bytes) -> None:
    no_secondary = bytearray(raw)
    no_secondary[0] &= ~0x08
    with pytest.raises(HeaderError):
        decode(_resealed(no_secondary))
    idle = bytearray(raw)
    idle[0:2] = bytes([idle[0] | 0x07, 0xFF])
    with pytest.raises(HeaderError):
        decode(_resealed(idle))
    version = bytearray(raw)
    version[0] |= 0x20
    with pytest.raises(VersionError):
        decode(_resealed(version))
    pus_a = bytearray(raw)
    pus_a[6] = (1 << 4) | (pus_a[6] & 0x0F)
    with pytest.raises(PusVersionError):
        decode(_resealed(pus_a))
    with pytest.raises(ChecksumError):
        decode(raw[:-1] + bytes([raw[-1] ^ 1]))
    for cut in range(len(raw)):
        with pytest.raises(TruncatedError):
            decode(raw[:cut])


@pytest.mark.parametrize("decode, raw", [
    (PusTc.decode, PusTc(100, 1, 17, 1, b"abcdef").encode()),
    (PusTm.decode, PusTm(100, 1, 17, 2, source_data=b"abcdef").encode()),
])
def test_length_field_shorter_than_the_headers(decode: Callable[..., object],
                                               raw: bytes) -> None:
    short = bytearray(raw[:10] + b"\x00\x00")  # 12 octets: less than either header pair
    short[4:6] = (len(short) - 7).to_bytes(2, "big")
    padded = _resealed(short) + bytes(40)
    with pytest.raises(LengthError):
        decode(padded)
    with pytest.raises(LengthError):
        decode(padded, allow_trailing=True)


@given(st.one_of(telecommands.map(PusTc.encode), telemetry().map(PusTm.encode)), st.data())
def test_every_single_bit_error_is_detected(raw: bytes, data: st.DataObject) -> None:
    decode = PusTc.decode if raw[0] & 0x10 else PusTm.decode
    damaged = _flip(raw, data.draw(st.integers(0, 8 * len(raw) - 1)))
    with pytest.raises(DecodeError):
        decode(damaged)


@given(st.binary(max_size=80))
def test_garbage_raises_only_typed_errors(garbage: bytes) -> None:
    for decode in (PusTc.decode, PusTm.decode):
        with contextlib.suppress(CcsdsError):
            decode(garbage)


# ------------------------------------------------------------------ construction checks


@pytest.mark.parametrize("build", [
    lambda: PusTc(IDLE_APID, 0, 1, 1),
    lambda: PusTc(-1, 0, 1, 1),
    lambda: PusTc(1, 0x4000, 1, 1),
    lambda: PusTc(1, 0, 256, 1),
    lambda: PusTc(1, 0, 1, -1),
    lambda: PusTc(1, 0, 1, 1, source_id=0x10000),
    lambda: PusTc(1, 0, 1, 1, ack_flags=16),  # type: ignore[arg-type]
    lambda: PusTc(1, 0, 1, 1, bytes(65536)),
    lambda: PusTm(1, 0, 1, 1, message_counter=0x10000),
    lambda: PusTm(1, 0, 1, 1, destination_id=-1),
    lambda: PusTm(1, 0, 1, 1, time_reference_status=16),
    lambda: PusTm(0x800, 0, 1, 1),
    lambda: PusTm(1, 0, 1, 1, source_data=bytes(65542 - 20)),
])
def test_out_of_range_fields_are_local_errors(build: Callable[[], object]) -> None:
    with pytest.raises(LocalProtocolError):
        build()


def test_longest_tm_fits() -> None:
    tm = PusTm(1, 0, 1, 1, source_data=bytes(65542 - 21))
    assert len(tm.encode()) == 65542
    assert PusTm.decode(tm.encode()) == tm


def test_ack_flags_combine() -> None:
    flags = AckFlags.ACCEPTANCE | AckFlags.COMPLETION
    raw = PusTc(1, 0, 17, 1, ack_flags=flags).encode()
    assert raw[6] == 0x20 | 0b1001  # PUS version 2, completion and acceptance
    assert PusTc.decode(raw).ack_flags == flags
