"""The packet stream scanner: chunking invariance, resynchronisation, skip reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.crc import crc16_ccitt
from ccsds.errors import LocalProtocolError
from ccsds.packet_scanner import (
    PacketScanner,
    ScanEvent,
    ScannedPacket,
    ScannerCounters,
    SkippedBytes,
    SkipReason,
)
from ccsds.pus import PusTc, PusTm
from ccsds.spacepacket import PacketType, SpacePacket, peek_header
from ccsds.timecode import CucTime

PUS_APID = 100
CFDP_APID = 101
MAX_LENGTH = 512

pus_packets = st.one_of(
    st.builds(PusTm, st.just(PUS_APID), st.integers(0, 0x3FFF), st.integers(0, 255),
              st.integers(0, 255), time=st.builds(CucTime, st.integers(0, 2**32 - 1)),
              source_data=st.binary(max_size=60)).map(PusTm.encode),
    st.builds(PusTc, st.just(PUS_APID), st.integers(0, 0x3FFF), st.integers(0, 255),
              st.integers(0, 255), st.binary(max_size=60)).map(PusTc.encode),
)
other_packets = st.one_of(
    st.builds(SpacePacket, st.just(PacketType.TM), st.just(CFDP_APID), st.integers(0, 0x3FFF),
              st.binary(min_size=1, max_size=60)).map(SpacePacket.encode),
    st.builds(SpacePacket.idle, st.integers(7, 40)).map(SpacePacket.encode),
)
packets = st.one_of(pus_packets, other_packets)
# Octets 0x20-0xFF carry a non-zero packet version in their top bits: no header starts there.
clean_garbage = st.binary(min_size=1, max_size=20).map(lambda g: bytes(b | 0x20 for b in g))


def _scanner() -> PacketScanner:
    return PacketScanner(apids={PUS_APID, CFDP_APID}, max_packet_length=MAX_LENGTH,
                         check_pec={PUS_APID}, yield_idle=True)


def _scan(stream: bytes, cuts: Sequence[int],
          factory: Callable[[], PacketScanner] = _scanner
          ) -> tuple[list[ScanEvent], ScannerCounters]:
    """Feed ``stream`` cut at ``cuts``, then flush; return all events and the counters."""
    scanner = factory()
    events: list[ScanEvent] = []
    start = 0
    for cut in [*sorted(cuts), len(stream)]:
        events += scanner.feed(stream[start:cut])
        start = cut
    events += scanner.flush()
    assert scanner.pending == 0
    return events, scanner.counters


def _assert_tiles(events: list[ScanEvent], length: int) -> None:
    """Every octet of the stream is in exactly one event, in order."""
    position = 0
    for event in events:
        assert event.offset == position
        position += len(event.raw) if isinstance(event, ScannedPacket) else event.count
    assert position == length


@given(st.lists(st.one_of(packets, st.binary(max_size=30)), max_size=12), st.data())
def test_chunking_does_not_change_the_result(parts: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(parts)
    whole = _scan(stream, [])
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    assert _scan(stream, cuts) == whole
    assert _scan(stream, range(len(stream))) == whole  # byte at a time
    scanner = _scanner()
    as_views = scanner.feed(memoryview(stream)) + scanner.flush()
    assert (as_views, scanner.counters) == whole
    events, counters = whole
    _assert_tiles(events, len(stream))
    for event in events:
        if isinstance(event, ScannedPacket):
            assert SpacePacket.decode(event.raw).apid in (PUS_APID, CFDP_APID, 0x7FF)
            assert event.header.apid != PUS_APID or crc16_ccitt(event.raw) == 0
    assert counters.octets_fed == len(stream)
    assert counters.bytes_skipped == sum(e.count for e in events if isinstance(e, SkippedBytes))


@given(st.lists(st.tuples(st.one_of(st.none(), clean_garbage), packets), max_size=10),
       st.one_of(st.none(), clean_garbage))
def test_garbage_between_packets_is_skipped_and_reported(
        parts: list[tuple[bytes | None, bytes]], tail: bytes | None) -> None:
    stream = b""
    expected: list[ScanEvent] = []
    for garbage, packet in parts:
        if garbage:
            expected.append(SkippedBytes(len(garbage), SkipReason.HEADER, len(stream)))
            stream += garbage
        expected.append(ScannedPacket(packet, len(stream)))
        stream += packet
    if tail:
        reason = SkipReason.HEADER if len(tail) >= 6 else SkipReason.END_OF_STREAM
        expected.append(SkippedBytes(len(tail), reason, len(stream)))
        stream += tail
    events, counters = _scan(stream, [])
    assert events == expected
    idle = sum(peek_header(p).is_idle for _, p in parts)
    assert (counters.packets, counters.idle_packets) == (len(parts) - idle, idle)
    assert counters.resyncs == sum(1 for garbage, _ in parts if garbage)
    assert counters.checksum_failures == 0


def _tm(count: int, data: bytes = b"housekeeping") -> bytes:
    return PusTm(PUS_APID, count, 3, 25, time=CucTime(1000 + count),
                 source_data=data).encode()


def _with_length(raw: bytes, total: int) -> bytes:
    return raw[:4] + (total - 7).to_bytes(2, "big") + raw[6:]


def test_huge_length_field_does_not_stall() -> None:
    bad = _with_length(_tm(1), 0xFFFF + 7)
    good = _tm(2)
    scanner = _scanner()
    events = scanner.feed(bad + good)
    assert events == [SkippedBytes(len(bad), SkipReason.LENGTH, 0),
                      ScannedPacket(good, len(bad))]
    assert scanner.pending == 0
    assert scanner.counters.resyncs == 1


def test_plausible_wrong_length_waits_at_most_the_maximum_then_rescans() -> None:
    bad = _with_length(_tm(1), len(_tm(1)) + 200)
    following = [_tm(count) for count in range(2, 40)]
    scanner = _scanner()
    events = scanner.feed(bad + following[0])
    assert events == [] and scanner.pending == len(bad) + len(following[0])
    events += scanner.feed(b"".join(following[1:]))
    found = [event.raw for event in events if isinstance(event, ScannedPacket)]
    assert found == following  # every packet after the damaged one, as soon as PEC failed
    assert events[0] == SkippedBytes(len(bad), SkipReason.CHECKSUM, 0)
    assert scanner.counters.checksum_failures >= 1


def test_flush_recovers_packets_behind_a_wrong_length() -> None:
    bad = _with_length(_tm(1), len(_tm(1)) + 200)
    good = _tm(2)
    scanner = _scanner()
    assert scanner.feed(bad + good) == []
    assert scanner.flush() == [SkippedBytes(len(bad), SkipReason.END_OF_STREAM, 0),
                               ScannedPacket(good, len(bad))]


def test_zero_length_field() -> None:
    bad = _with_length(_tm(1), 7)
    good = _tm(2)
    events, _ = _scan(bad + good, [])
    assert events == [SkippedBytes(len(bad), SkipReason.LENGTH, 0),
                      ScannedPacket(good, len(bad))]
    # without PEC checking the 7 octets announced are taken as a packet; the scanner then
    # resynchronises on the next header
    events, _ = _scan(bad + good, [], lambda: PacketScanner(apids={PUS_APID}))
    assert events[0] == ScannedPacket(bad[:7], 0)
    assert events[-1] == ScannedPacket(good, len(bad))
    _assert_tiles(events, len(bad + good))


def test_truncated_final_packet() -> None:
    first, last = _tm(1), _tm(2)
    scanner = _scanner()
    assert scanner.feed(first + last[:-3]) == [ScannedPacket(first, 0)]
    assert scanner.pending == len(last) - 3
    assert scanner.flush() == [SkippedBytes(len(last) - 3, SkipReason.END_OF_STREAM,
                                            len(first))]
    assert scanner.pending == 0
    assert scanner.feed(last) == [ScannedPacket(last, len(first) + len(last) - 3)]


@given(st.lists(pus_packets, min_size=1, max_size=8), st.data())
def test_bit_error_loses_only_the_damaged_packet(parts: list[bytes], data: st.DataObject
                                                  ) -> None:
    victim = data.draw(st.integers(0, len(parts) - 1))
    bit = data.draw(st.integers(0, 8 * len(parts[victim]) - 1))
    damaged = bytearray(parts[victim])
    damaged[bit // 8] ^= 0x80 >> (bit % 8)
    stream = b"".join(parts[:victim]) + bytes(damaged) + b"".join(parts[victim + 1:])
    events, counters = _scan(stream, data.draw(st.lists(st.integers(0, len(stream)))),
                             lambda: PacketScanner(apids={PUS_APID}, check_pec=True))
    found = [event.raw for event in events if isinstance(event, ScannedPacket)]
    assert found == parts[:victim] + parts[victim + 1:]
    assert counters.bytes_skipped == len(damaged)


def test_filters() -> None:
    tc = PusTc(PUS_APID, 1, 17, 1).encode()
    tm = _tm(1)
    foreign = PusTm(7, 1, 3, 25).encode()
    idle = SpacePacket.idle(12).encode()
    stream = tc + foreign + tm + idle
    scanner = PacketScanner(apids={PUS_APID}, packet_type=PacketType.TM, check_pec=True)
    events = scanner.feed(stream) + scanner.flush()
    assert events[0] == SkippedBytes(len(tc) + len(foreign), SkipReason.PACKET_TYPE, 0)
    assert events[1:] == [ScannedPacket(tm, len(tc) + len(foreign))]  # idle not yielded
    assert (scanner.counters.packets, scanner.counters.idle_packets) == (1, 1)
    assert scanner.counters.bytes_skipped == len(tc) + len(foreign)
    events = PacketScanner(apids={PUS_APID}).feed(foreign + tm)
    assert events[0] == SkippedBytes(len(foreign), SkipReason.APID, 0)


def test_idle_with_secondary_header_is_not_a_packet() -> None:
    idle = bytearray(SpacePacket.idle(12).encode())
    idle[0] |= 0x08
    events, _ = _scan(bytes(idle) + _tm(1), [])
    assert events[0] == SkippedBytes(len(idle), SkipReason.HEADER, 0)


@given(st.binary(max_size=300))
def test_random_garbage_never_raises(garbage: bytes) -> None:
    for factory in (_scanner, lambda: PacketScanner(yield_idle=True)):
        events, counters = _scan(garbage, [], factory)
        _assert_tiles(events, len(garbage))
        assert counters.octets_fed == len(garbage)


def test_bad_configuration() -> None:
    for length in (6, 65543):
        with pytest.raises(LocalProtocolError):
            PacketScanner(max_packet_length=length)
    with pytest.raises(LocalProtocolError):
        PacketScanner(apids={100, 0x800})
