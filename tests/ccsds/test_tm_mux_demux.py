"""VC multiplexer and demultiplexer (CCSDS 132.0-B-3 4.1.2): packing, counters, loss, resync."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.spacepacket import SpacePacketHeader
from spacepackets.ccsds.tm_frame import TmTransferFrame

from ccsds.config import LinkConfig, TmLinkConfig
from ccsds.crc import crc16_ccitt
from ccsds.errors import LocalProtocolError
from ccsds.tm_demux import (
    DataDiscarded,
    DiscardReason,
    FrameRejected,
    FramesLost,
    IdleFrameReceived,
    OcfReceived,
    PacketReceived,
    TmDemultiplexer,
    TmEvent,
)
from ccsds.tm_frame import FHP_IDLE_DATA, FHP_NO_PACKET_START, TmFrame
from ccsds.tm_mux import QueueFullError, TmMultiplexer

ICD = LinkConfig.baseline().tm
SMALL = TmLinkConfig(frame_length=60, rs_check_symbols=0)  # 48-octet data fields, no RS
CLCW = b"\x01\x02\x03\x04"


def make_packet(rng: random.Random, size: int, apid: int = 100) -> bytes:
    """A space packet of ``size`` octets built by an independent library (spacepackets)."""
    header = SpacePacketHeader.tm(apid=apid, seq_count=rng.randrange(0x4000), data_len=size - 7)
    return bytes(header.pack()) + rng.randbytes(size - 6)


def packets_of(events: Iterable[TmEvent]) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = defaultdict(list)
    for event in events:
        if isinstance(event, PacketReceived):
            out[event.virtual_channel].append(event.packet)
    return out


def reference_walk(field_stream: bytes) -> list[tuple[int, int, bytes]]:
    """Oracle: (start, end, packet) of every packet in a VC's lossless data field stream."""
    out, position = [], 0
    while position + 6 <= len(field_stream):
        end = position + int.from_bytes(field_stream[position + 4 : position + 6], "big") + 7
        out.append((position, end, field_stream[position:end]))
        position = end
    return out


def is_idle_packet(packet: bytes) -> bool:
    return int.from_bytes(packet[:2], "big") & 0x7FF == 0x7FF


def run_link(
    config: TmLinkConfig, seed: int, sizes: list[int], idle_every: int
) -> tuple[list[bytes], dict[int, list[bytes]]]:
    """Queue packets on VC 0/1 while taking frames at random moments; all frames, queued."""
    rng = random.Random(seed)
    mux = TmMultiplexer(config)
    queued: dict[int, list[bytes]] = defaultdict(list)
    frames: list[bytes] = []
    for index, size in enumerate(sizes):
        vc = rng.choice((0, 1))
        packet = make_packet(rng, size)
        mux.queue_packet(vc, packet)
        queued[vc].append(packet)
        if rng.random() < 0.3:
            frame = mux.next_frame(CLCW, complete_partial=rng.random() < 0.5)
            if frame is not None:
                frames.append(frame)
        if idle_every and index % idle_every == 0:
            frames.append(mux.idle_frame(CLCW))
    while (frame := mux.next_frame(CLCW)) is not None:
        frames.append(frame)
    return frames, queued


sizes_strategy = st.lists(st.integers(min_value=7, max_value=400), min_size=1, max_size=120)


@given(seed=st.integers(0, 2**32), sizes=sizes_strategy, idle_every=st.integers(0, 5))
def test_packets_come_out_intact_and_in_order(seed: int, sizes: list[int], idle_every: int) -> None:
    frames, queued = run_link(SMALL, seed, sizes, idle_every)
    demux = TmDemultiplexer(SMALL)
    events = [event for frame in frames for event in demux.feed(frame)]
    assert packets_of(events) == queued
    assert not [e for e in events if isinstance(e, FramesLost | DataDiscarded | FrameRejected)]
    assert demux.counters.packets == len(sizes)
    assert demux.counters.idle_frames == sum(isinstance(e, IdleFrameReceived) for e in events)
    assert [e.ocf for e in events if isinstance(e, OcfReceived)] == [CLCW] * len(frames)


def test_counter_wrap_with_large_packets_and_icd_frames() -> None:
    """More than 256 frames, packets larger than a frame, the ICD frame format."""
    sizes = [random.Random(n).choice((7, 100, 1101, 1102, 3000, 9000)) for n in range(200)]
    frames, queued = run_link(ICD, 7, sizes, 9)
    assert len(frames) > 300
    demux = TmDemultiplexer(ICD)
    events = [event for frame in frames for event in demux.feed(frame)]
    assert packets_of(events) == queued
    assert demux.counters.master_frames_lost == 0
    headers = [TmTransferFrame.unpack(f, ICD.frame_length, True).primary_header for f in frames]
    assert [h.master_ch_frame_count for h in headers] == [n % 256 for n in range(len(frames))]


@settings(max_examples=60)
@given(
    seed=st.integers(0, 2**32),
    sizes=sizes_strategy,
    drop_rate=st.sampled_from([0.02, 0.1, 0.3]),
)
def test_frame_loss_yields_exactly_the_intact_packets(
    seed: int, sizes: list[int], drop_rate: float
) -> None:
    frames, queued = run_link(SMALL, seed, sizes, 4)
    rng = random.Random(seed + 1)
    kept = [rng.random() >= drop_rate for _ in frames]
    data_length = 48
    # Oracle: each VC's lossless data-field stream, frame by frame.
    vc_frames: dict[int, list[int]] = defaultdict(list)  # VC -> indices into frames
    for index, frame in enumerate(frames):
        vc_frames[(frame[1] >> 1) & 7].append(index)
    expected: dict[int, list[bytes]] = defaultdict(list)
    expected_vc_lost: dict[int, int] = {}
    for vc in (0, 1):
        indices = vc_frames[vc]
        stream = b"".join(frames[i][6 : 6 + data_length] for i in indices)
        walked = [p for _, _, p in reference_walk(stream) if not is_idle_packet(p)]
        assert walked == queued[vc]  # the mux packs exactly the queued packets
        for start, end, packet in reference_walk(stream):
            carriers = range(start // data_length, (end - 1) // data_length + 1)
            if not is_idle_packet(packet) and all(kept[indices[c]] for c in carriers):
                expected[vc].append(packet)
        received = [n for n, i in enumerate(indices) if kept[i]]
        if received:
            expected_vc_lost[vc] = received[-1] - received[0] + 1 - len(received)
    received_all = [n for n, keep in enumerate(kept) if keep]

    demux = TmDemultiplexer(SMALL)
    events = [event for n, frame in enumerate(frames) if kept[n] for event in demux.feed(frame)]
    assert packets_of(events) == expected
    if received_all:
        span = received_all[-1] - received_all[0] + 1
        assert demux.counters.master_frames_lost == span - len(received_all)
    lost = {vc: demux.counters.vc_frames_lost.get(vc, 0) for vc in expected_vc_lost}
    assert lost == expected_vc_lost
    master_events = sum(
        e.count for e in events if isinstance(e, FramesLost) and e.virtual_channel is None
    )
    assert master_events == demux.counters.master_frames_lost


def frame_bytes(
    vc: int, count: int, pointer: int, data: bytes, config: TmLinkConfig = SMALL
) -> bytes:
    return TmFrame(config.spacecraft_id, vc, count, count, pointer, data, ocf=CLCW).encode(
        config.frame_length
    )


def test_pointer_mismatch_discards_and_resyncs() -> None:
    rng = random.Random(1)
    first, second = make_packet(rng, 30), make_packet(rng, 20)
    long_claim = bytearray(first)
    long_claim[4:6] = (60 - 7).to_bytes(2, "big")  # claims 60 octets: it would span frames
    filler = make_packet(rng, 48 - 30)
    demux = TmDemultiplexer(SMALL)
    events = demux.feed(frame_bytes(0, 0, 0, bytes(long_claim) + filler))
    # The second frame's pointer says a packet starts at 0, contradicting the claim.
    third = make_packet(rng, 28)
    events += demux.feed(frame_bytes(0, 1, 0, second + third))
    assert packets_of(events)[0] == [second, third]
    assert demux.counters.pointer_mismatches == 1
    assert any(
        isinstance(e, DataDiscarded) and e.reason is DiscardReason.POINTER_MISMATCH for e in events
    )


def test_no_packet_start_while_in_sync_is_a_mismatch() -> None:
    rng = random.Random(2)
    demux = TmDemultiplexer(SMALL)
    demux.feed(frame_bytes(0, 0, 0, make_packet(rng, 48)))
    events = demux.feed(frame_bytes(0, 1, FHP_NO_PACKET_START, rng.randbytes(48)))
    assert demux.counters.pointer_mismatches == 1
    assert events[-1] == DataDiscarded(0, 48, DiscardReason.POINTER_MISMATCH)


def test_pointer_beyond_the_data_field() -> None:
    demux = TmDemultiplexer(SMALL)
    events = demux.feed(frame_bytes(0, 0, 48, bytes(48)))
    assert events[-1] == DataDiscarded(0, 48, DiscardReason.POINTER_MISMATCH)


@pytest.mark.parametrize("corrupt", ["version", "too_long"])
def test_bad_packet_header_never_stalls(corrupt: str) -> None:
    rng = random.Random(3)
    good = make_packet(rng, 20)
    bad = bytearray(make_packet(rng, 28))
    if corrupt == "version":
        bad[0] |= 0x20
    else:
        bad[4:6] = b"\xff\xff"  # 65542 octets, more than the configured maximum
    demux = TmDemultiplexer(SMALL, max_packet_length=1000)
    events = demux.feed(frame_bytes(0, 0, 0, good + bad))
    after = make_packet(rng, 48)
    events += demux.feed(frame_bytes(0, 1, 0, after))
    assert packets_of(events)[0] == [good, after]
    assert demux.counters.bad_packet_headers == 1
    assert DataDiscarded(0, 28, DiscardReason.BAD_PACKET_HEADER) in events


def test_split_header_with_bad_length_resyncs_on_next_pointer() -> None:
    rng = random.Random(4)
    first = make_packet(rng, 45)
    bad = bytearray(make_packet(rng, 30))
    bad[4:6] = b"\xff\xff"
    demux = TmDemultiplexer(SMALL, max_packet_length=500)
    events = demux.feed(frame_bytes(0, 0, 0, first + bad[:3]))  # header split 3 + 3
    tail = make_packet(rng, 48 - 27)
    events += demux.feed(frame_bytes(0, 1, 27, bytes(bad[3:]) + tail))
    assert packets_of(events)[0] == [first, tail]
    assert demux.counters.bad_packet_headers == 1


def test_idle_frame_interrupts_packet_and_is_reported() -> None:
    rng = random.Random(5)
    demux = TmDemultiplexer(SMALL)
    packet = make_packet(rng, 100)
    demux.feed(frame_bytes(0, 0, 0, packet[:48]))
    events = demux.feed(frame_bytes(0, 1, FHP_IDLE_DATA, bytes(48)))
    assert IdleFrameReceived(0) in events
    assert DataDiscarded(0, 48, DiscardReason.IDLE_FRAME) in events


def test_sync_flag_frames_are_not_packet_data() -> None:
    demux = TmDemultiplexer(SMALL)
    raw = TmFrame(42, 1, 0, 0, 0, bytes(48), ocf=CLCW, sync_flag=True).encode(60)
    assert demux.feed(raw)[-1] == DataDiscarded(1, 48, DiscardReason.NOT_PACKET_DATA)


def test_rejected_frames_are_counted() -> None:
    demux = TmDemultiplexer(SMALL)
    good = frame_bytes(0, 0, 0, make_packet(random.Random(6), 48))
    assert isinstance(demux.feed(good[:-1])[0], FrameRejected)
    corrupted = bytearray(good)
    corrupted[10] ^= 1
    assert isinstance(demux.feed(corrupted)[0], FrameRejected)
    other = TmFrame(41, 0, 0, 0, 0, bytes(48), ocf=CLCW).encode(60)
    assert isinstance(demux.feed(other)[0], FrameRejected)
    assert demux.counters.frames_rejected == 3
    assert demux.counters.frames == 0


@given(st.lists(st.binary(min_size=54, max_size=54), max_size=30), st.integers(0, 2**16 - 1))
def test_random_valid_frames_give_only_events(bodies: list[bytes], limit: int) -> None:
    """Random content with a correct FECF: never an exception, counters consistent."""
    demux = TmDemultiplexer(SMALL, max_packet_length=7 + limit)
    for body in bodies:
        raw = bytearray(body)
        raw[0:2] = ((42 << 4) | (raw[1] & 0x02) | 1).to_bytes(2, "big")  # SCID 42, VC 0/1, OCF
        raw[4] &= 0x7F
        raw[4] |= 0x18
        frame = bytes(raw) + b"\x00" * 4
        frame += crc16_ccitt(frame).to_bytes(2, "big")
        for event in demux.feed(frame):
            if isinstance(event, PacketReceived):
                assert 7 <= len(event.packet) <= 7 + limit
    counters = demux.counters
    assert counters.frames + counters.frames_rejected == len(bodies)


def test_idle_frames_carry_the_clcw() -> None:
    mux = TmMultiplexer(ICD)
    raw = mux.idle_frame(CLCW)
    frame = TmFrame.decode(raw, frame_length=1115, has_ocf=True, has_fecf=True)
    assert (frame.virtual_channel, frame.first_header_pointer, frame.ocf) == (7, 0x7FE, CLCW)
    assert TmDemultiplexer(ICD).feed(raw) == [OcfReceived(7, CLCW), IdleFrameReceived(7)]


def test_priority_and_partial_policy() -> None:
    rng = random.Random(8)
    mux = TmMultiplexer(SMALL)
    bulk, realtime = make_packet(rng, 200), make_packet(rng, 20)
    mux.queue_packet(1, bulk)
    mux.queue_packet(0, realtime)
    first = mux.next_frame(CLCW)
    assert first is not None
    assert (first[1] >> 1) & 7 == 0  # real-time first, completed with an idle packet
    assert mux.pending(0) == 0
    assert mux.next_frame(CLCW, complete_partial=False) is not None  # bulk: a full field
    frames = mux.flush(1, CLCW)
    assert frames
    assert mux.next_frame(CLCW) is None
    demux = TmDemultiplexer(SMALL)
    events = [e for f in [first, *mux.flush(0, CLCW)] for e in demux.feed(f)]
    assert packets_of(events)[0] == [realtime]


def test_idle_spill_when_less_than_an_idle_packet_remains() -> None:
    rng = random.Random(9)
    mux = TmMultiplexer(SMALL)
    demux = TmDemultiplexer(SMALL)
    packets = [make_packet(rng, 45), make_packet(rng, 30), make_packet(rng, 50)]
    mux.queue_packet(0, packets[0])  # 3 octets left: the idle packet spills 4 octets
    frames = mux.flush(0, CLCW)
    mux.queue_packet(0, packets[1])
    mux.queue_packet(0, packets[2])
    frames += mux.flush(0, CLCW)
    second = TmFrame.decode(frames[1], frame_length=60, has_ocf=True, has_fecf=True)
    assert second.first_header_pointer == 4
    events = [e for f in frames for e in demux.feed(f)]
    assert packets_of(events)[0] == packets
    assert demux.counters.idle_packets >= 2


def test_mux_misuse() -> None:
    rng = random.Random(10)
    mux = TmMultiplexer(SMALL, queue_limit=100)
    with pytest.raises(LocalProtocolError):
        mux.queue_packet(0, make_packet(rng, 20)[:-1])
    with pytest.raises(LocalProtocolError):
        mux.queue_packet(0, b"\x00" * 6)
    with pytest.raises(LocalProtocolError):
        mux.queue_packet(5, make_packet(rng, 20))
    mux.queue_packet(0, make_packet(rng, 90))
    with pytest.raises(QueueFullError):
        mux.queue_packet(0, make_packet(rng, 20))
    with pytest.raises(LocalProtocolError):
        mux.next_frame(None)  # the link carries a CLCW
    with pytest.raises(LocalProtocolError):
        mux.idle_frame(b"\x00")
    no_ocf = TmMultiplexer(TmLinkConfig(frame_length=60, rs_check_symbols=0, ocf=False))
    with pytest.raises(LocalProtocolError):
        no_ocf.idle_frame(CLCW)
    with pytest.raises(LocalProtocolError):
        TmMultiplexer(SMALL, virtual_channels=(0, 7))
    with pytest.raises(LocalProtocolError):
        TmMultiplexer(SMALL, virtual_channels=(0, 0))
    with pytest.raises(LocalProtocolError):
        TmDemultiplexer(SMALL, max_packet_length=3)
