"""TC segment header and MAP reassembly, CCSDS 232.0-B-4 4.1.3.2."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import LocalProtocolError, TruncatedError
from ccsds.tc_segment import (
    InterruptedSegmentError,
    MapSdu,
    OrphanSegmentError,
    ReassemblyOverflowError,
    SegmentHeader,
    SegmentReassembler,
    SequenceFlags,
    segment,
)

packets = st.binary(min_size=1, max_size=600)
map_ids = st.integers(0, 63)
frame_room = st.integers(2, 120)


def feed_all(reassembler: SegmentReassembler, fields: list[bytes]) -> list[MapSdu]:
    results = (reassembler.feed(field) for field in fields)
    return [result for result in results if result is not None]


@pytest.mark.parametrize(
    ("flags", "map_id", "octet"),
    [
        # flags are the two most significant bits: '01' first, '00' continuation, '10' last,
        # '11' unsegmented; the MAP id fills the six others (232.0-B-4 4.1.3.2.2, 4.1.3.2.3)
        (SequenceFlags.FIRST, 5, 0b01_000101),
        (SequenceFlags.CONTINUATION, 63, 0b00_111111),
        (SequenceFlags.LAST, 1, 0b10_000001),
        (SequenceFlags.UNSEGMENTED, 0, 0b11_000000),
    ],
)
def test_header_layout(flags: SequenceFlags, map_id: int, octet: int) -> None:
    header = SegmentHeader(flags, map_id)
    assert header.encode() == bytes([octet])
    assert SegmentHeader.decode(bytes([octet, 0xAA])) == header


@given(st.integers(0, 255))
def test_every_header_octet_round_trips(octet: int) -> None:
    assert SegmentHeader.decode(bytes([octet])).encode() == bytes([octet])


def test_header_errors() -> None:
    with pytest.raises(LocalProtocolError):
        SegmentHeader(SequenceFlags.FIRST, 64)
    with pytest.raises(TruncatedError):
        SegmentHeader.decode(b"")


@given(packets, map_ids, frame_room)
def test_segment_then_reassemble(packet: bytes, map_id: int, room: int) -> None:
    fields = segment(packet, map_id, room)
    assert all(len(field) <= room for field in fields)
    assert b"".join(field[1:] for field in fields) == packet
    flags = [SegmentHeader.decode(field).flags for field in fields]
    if len(fields) == 1:
        assert flags == [SequenceFlags.UNSEGMENTED]
    else:
        middle = [SequenceFlags.CONTINUATION] * (len(fields) - 2)
        assert flags == [SequenceFlags.FIRST, *middle, SequenceFlags.LAST]
        assert all(len(field) == room for field in fields[:-1])  # only the last is short
    assert {SegmentHeader.decode(field).map_id for field in fields} == {map_id}
    reassembler = SegmentReassembler()
    assert feed_all(reassembler, fields) == [MapSdu(map_id, packet)]
    assert reassembler.counters.delivered == 1
    assert reassembler.counters.discarded_octets == 0
    assert reassembler.pending(map_id) == 0


@given(st.lists(st.tuples(packets, map_ids), min_size=1, max_size=6), frame_room, st.data())
def test_interleaved_maps(units: list[tuple[bytes, int]], room: int, data: st.DataObject
                          ) -> None:
    # Each MAP keeps its own order; frames of different MAPs may interleave freely.
    # One packet per MAP at a time, as a MAP's packets are sent one after the other.
    units = list({map_id: (packet, map_id) for packet, map_id in units}.values())
    queues = [segment(packet, map_id, room) for packet, map_id in units]
    fields: list[bytes] = []
    while any(queues):
        queue = data.draw(st.sampled_from([q for q in queues if q]))
        fields.append(queue.pop(0))
    delivered = feed_all(SegmentReassembler(), fields)
    assert sorted(delivered, key=lambda sdu: sdu.map_id) == sorted(
        (MapSdu(map_id, packet) for packet, map_id in units), key=lambda sdu: sdu.map_id
    )


def test_continuation_without_first() -> None:
    reassembler = SegmentReassembler()
    first, middle, last = segment(bytes(range(30)), 3, 11)
    assert reassembler.feed(middle) is None
    assert reassembler.feed(last) is None
    assert reassembler.counters.orphans == 2
    assert isinstance(reassembler.last_error, OrphanSegmentError)
    assert reassembler.counters.discarded_octets == 20
    assert feed_all(reassembler, [first, middle, last]) == [MapSdu(3, bytes(range(30)))]


def test_new_first_before_last() -> None:
    reassembler = SegmentReassembler()
    old = segment(b"A" * 25, 7, 11)
    new = segment(b"B" * 25, 7, 11)
    assert feed_all(reassembler, [old[0], old[1], *new]) == [MapSdu(7, b"B" * 25)]
    assert reassembler.counters.interrupted == 1
    assert reassembler.counters.discarded_octets == 20
    assert isinstance(reassembler.last_error, InterruptedSegmentError)


def test_unsegmented_interrupts_but_is_delivered() -> None:
    reassembler = SegmentReassembler()
    first = segment(b"A" * 25, 7, 11)[0]
    (single,) = segment(b"short", 7, 11)
    assert feed_all(reassembler, [first, single]) == [MapSdu(7, b"short")]
    assert reassembler.counters.interrupted == 1


def test_over_long_reassembly_is_dropped() -> None:
    reassembler = SegmentReassembler(max_packet_length=50)
    fields = segment(bytes(80), 2, 21)
    assert feed_all(reassembler, fields) == []
    assert reassembler.counters.overflows == 1
    assert reassembler.counters.orphans == 0  # its later segments go with it
    assert reassembler.counters.discarded_octets == 80
    assert isinstance(reassembler.last_error, ReassemblyOverflowError)
    assert reassembler.pending(2) == 0
    assert feed_all(reassembler, segment(bytes(50), 2, 21)) == [MapSdu(2, bytes(50))]
    (too_long,) = segment(bytes(51), 2, 60)
    assert reassembler.feed(too_long) is None
    assert reassembler.counters.overflows == 2


def test_empty_data_field() -> None:
    reassembler = SegmentReassembler()
    assert reassembler.feed(b"") is None
    assert reassembler.counters.empty_fields == 1
    assert isinstance(reassembler.last_error, TruncatedError)


def test_reset() -> None:
    reassembler = SegmentReassembler()
    for map_id in (1, 2):
        reassembler.feed(segment(bytes(30), map_id, 11)[0])
    reassembler.reset(1)
    assert (reassembler.pending(1), reassembler.pending(2)) == (0, 10)
    reassembler.reset()
    assert reassembler.pending(2) == 0


@given(st.lists(st.binary(max_size=40), max_size=200))
def test_random_data_fields(fields: list[bytes]) -> None:
    reassembler = SegmentReassembler(max_packet_length=100)
    delivered = feed_all(reassembler, fields)  # never raises
    counted = reassembler.counters
    assert counted.delivered == len(delivered)
    assert counted.segments + counted.empty_fields == len(fields)
    assert all(len(sdu.data) <= 100 for sdu in delivered)
    assert all(reassembler.pending(map_id) <= 100 for map_id in range(64))
    total = sum(max(len(field) - 1, 0) for field in fields)
    pending = sum(reassembler.pending(map_id) for map_id in range(64))
    assert sum(len(sdu.data) for sdu in delivered) + counted.discarded_octets + pending == total


def test_segment_argument_errors() -> None:
    with pytest.raises(LocalProtocolError):
        segment(b"", 0, 10)
    with pytest.raises(LocalProtocolError):
        segment(b"abc", 0, 1)
    with pytest.raises(LocalProtocolError):
        segment(b"abc", 64, 10)
    with pytest.raises(LocalProtocolError):
        SegmentReassembler(max_packet_length=0)
