"""Demultiplexing frames already decoded and verified (``TmDemultiplexer.feed_frame``): the
data field a security header and trailer shortened (CCSDS 355.0-B-2 4.1; 132.0-B-3 4.1.2)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.config import TmLinkConfig
from ccsds.tm_demux import (
    FrameRejected,
    FramesLost,
    OcfReceived,
    PacketReceived,
    TmDemultiplexer,
)
from ccsds.tm_frame import FHP_NO_PACKET_START, TmFrame
from tests.ccsds.test_tm_mux_demux import make_packet

SMALL = TmLinkConfig(frame_length=60, rs_check_symbols=0)
CLCW = b"\x01\x02\x03\x04"


def test_packets_span_shortened_data_fields() -> None:
    """Packets cut at arbitrary data field lengths come out whole, the pointer counting
    from the start of each (shortened) data field."""
    rng = random.Random(7)
    packets = [make_packet(rng, size) for size in (9, 40, 23, 7, 61)]
    stream = b"".join(packets)
    starts = [sum(len(p) for p in packets[:i]) for i in range(len(packets))]
    demux = TmDemultiplexer(SMALL)
    received, position, count = [], 0, 0
    while position < len(stream):
        length = rng.randint(10, 30)
        inside = [s - position for s in starts if position <= s < position + length]
        pointer = inside[0] if inside else FHP_NO_PACKET_START
        frame = TmFrame(SMALL.spacecraft_id, 0, count, count, pointer,
                        stream[position : position + length], ocf=CLCW)
        events = demux.feed_frame(frame)
        assert events[0] == OcfReceived(0, CLCW)
        received += [e.packet for e in events if isinstance(e, PacketReceived)]
        position += length
        count += 1
    complete = [p for p, s in zip(packets, starts, strict=True) if s + len(p) <= len(stream)]
    assert received == complete


def test_other_spacecraft_and_gaps_are_handled_as_for_encoded_frames() -> None:
    demux = TmDemultiplexer(SMALL)
    assert isinstance(demux.feed_frame(TmFrame(7, 0, 0, 0, 0, b""))[0], FrameRejected)
    demux.feed_frame(TmFrame(SMALL.spacecraft_id, 0, 0, 0, FHP_NO_PACKET_START, b"\x00"))
    events = demux.feed_frame(TmFrame(SMALL.spacecraft_id, 0, 3, 3, FHP_NO_PACKET_START, b""))
    assert FramesLost(2, None) in events and FramesLost(2, 0) in events
    assert demux.counters.frames_rejected == 1 and demux.counters.frames == 2


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 255), st.integers(0, 0x7FF),
                          st.binary(max_size=80), st.booleans()), max_size=10))
def test_any_verified_frame_is_taken_without_error(
        frames: list[tuple[int, int, int, bytes, bool]]) -> None:
    """Fuzz: whatever a verified frame holds (any data length, pointer, counts), feed_frame
    returns events and keeps its counters consistent; packets come out whole."""
    demux = TmDemultiplexer(SMALL)
    for vc, count, pointer, data, sync in frames:
        frame = TmFrame(SMALL.spacecraft_id, vc, count, count, pointer, data, sync_flag=sync)
        for event in demux.feed_frame(frame):
            if isinstance(event, PacketReceived):
                assert len(event.packet) == int.from_bytes(event.packet[4:6], "big") + 7
    assert demux.counters.frames == len(frames)
