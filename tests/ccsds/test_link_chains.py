"""The composed link chains: board and ground sides joined through a noisy byte stream."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.board_link import BoardDownlink, BoardUplink, split_packets
from ccsds.config import LinkConfig
from ccsds.cop1.clcw import Clcw
from ccsds.errors import LengthError, TruncatedError
from ccsds.ground_link import GroundDownlink, GroundUplink
from ccsds.spacepacket import PacketType, SpacePacket
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import segment
from ccsds.tc_uplink import frame_to_cltu, max_frame_data
from ccsds.tm_demux import OcfReceived, PacketReceived
from hil.impairments import BitErrorChannel

CONFIG = LinkConfig.baseline()


def _packet(apid: int, count: int, size: int, rng: random.Random) -> bytes:
    return SpacePacket(
        packet_type=PacketType.TC, apid=apid, sequence_count=count, data=rng.randbytes(size)
    ).encode()


def test_downlink_delivers_packets_and_clcw_through_bit_errors() -> None:
    rng = random.Random(1)
    board = BoardDownlink(CONFIG)
    sent = {0: [_packet(100, i, rng.randrange(1, 3000), rng) for i in range(40)],
            1: [_packet(101, i, rng.randrange(1, 3000), rng) for i in range(40)]}
    for vc, packets in sent.items():
        for packet in packets:
            board.queue_packet(vc, packet)
    clcw = Clcw(virtual_channel=0, report_value=77).encode()
    stream = board.take_cadus(clcw, max_frames=10_000) + board.idle_cadu(clcw)
    assert board.pending() == 0
    # 1e-4 gives about 10 bit errors per CADU, well inside RS(255,223) I=5 capacity
    noisy = BitErrorChannel(ber=1e-4, seed=2).apply(stream)

    ground = GroundDownlink(CONFIG)
    events = ground.feed(noisy)
    received = {0: [], 1: []}
    for event in events:
        if isinstance(event, PacketReceived):
            received[event.virtual_channel].append(event.packet)
    assert received == sent
    ocfs = {event.ocf for event in events if isinstance(event, OcfReceived)}
    assert ocfs == {clcw}
    assert ground.sync.counters.corrected_symbols > 0
    assert ground.sync.counters.uncorrectable == 0


def test_uplink_delivers_segmented_packets_in_order_and_reports_vr() -> None:
    rng = random.Random(3)
    packets = [_packet(100, i, rng.randrange(1, 2500), rng) for i in range(12)]
    portion = max_frame_data(CONFIG.tc) - 1
    stream = b""
    sequence = 0
    for packet in packets:
        for field in segment(packet, CONFIG.tc.map_id, portion + 1):
            frame = TcFrame(CONFIG.tc.spacecraft_id, CONFIG.tc.virtual_channel, sequence, field)
            stream += rng.randbytes(rng.randrange(0, 20)) + frame_to_cltu(frame, CONFIG.tc)
            sequence = (sequence + 1) % 256
    board = BoardUplink(CONFIG)
    delivered = [p for i in range(0, len(stream), 97) for p in board.feed(stream[i : i + 97])]
    delivered += board.flush()
    assert delivered == packets
    assert Clcw.decode(board.clcw()).report_value == sequence
    assert board.counters.frames_rejected == 0


def test_uplink_rejects_out_of_sequence_frame_without_delivering() -> None:
    board = BoardUplink(CONFIG)
    packet = _packet(100, 0, 10, random.Random(4))
    (field,) = segment(packet, CONFIG.tc.map_id, max_frame_data(CONFIG.tc))
    late = TcFrame(CONFIG.tc.spacecraft_id, CONFIG.tc.virtual_channel, 2, field)
    assert board.feed(frame_to_cltu(late, CONFIG.tc)) == []
    assert board.counters.frames_rejected == 1
    clcw = Clcw.decode(board.clcw())
    assert clcw.retransmit and clcw.report_value == 0


@pytest.mark.parametrize(
    ("tail", "error"),
    [(b"\x00\x64\xc0", TruncatedError), (bytes.fromhex("1064c0000010") + b"\x01", LengthError)],
)
def test_split_packets_reports_a_trailing_fragment(tail: bytes, error: type) -> None:
    whole = _packet(100, 0, 5, random.Random(5))
    packets, problem = split_packets(whole + whole + tail)
    assert packets == [whole, whole]
    assert isinstance(problem, error)


def _feed_board(board: BoardUplink, cltus: list[bytes]) -> list[bytes]:
    return [p for cltu in cltus for p in board.feed(cltu)]


def test_ground_uplink_respects_the_window_and_advances_on_clcw() -> None:
    ground, board = GroundUplink(CONFIG), BoardUplink(CONFIG)
    rng = random.Random(6)
    packets = [_packet(100, i, 50, rng) for i in range(12)]
    cltus = ground.start(now=0.0)
    for packet in packets:
        cltus += ground.send_packet(packet, now=0.0)
    window = CONFIG.tc.fop_window
    assert len(cltus) == window  # the rest wait for acknowledgement
    delivered = _feed_board(board, cltus)
    now = 0.0
    while not ground.idle:
        now += 0.1
        delivered += _feed_board(board, ground.receive_clcw(board.clcw(), now))
    assert delivered == packets
    assert ground.retransmissions == 0 and ground.alerts == []


def test_ground_uplink_retransmits_what_the_link_lost() -> None:
    ground, board = GroundUplink(CONFIG), BoardUplink(CONFIG)
    rng = random.Random(7)
    packets = [_packet(100, i, 50, rng) for i in range(4)]
    cltus = ground.start(now=0.0)
    for packet in packets:
        cltus += ground.send_packet(packet, now=0.0)
    delivered = _feed_board(board, cltus[:1] + cltus[2:])  # the second frame is lost
    # FARM-1 discards the frames after the gap and asks for retransmission in its CLCW
    assert Clcw.decode(board.clcw()).retransmit
    now = 0.5
    delivered += _feed_board(board, ground.receive_clcw(board.clcw(), now))
    while not ground.idle:
        now += 0.5
        delivered += _feed_board(board, ground.receive_clcw(board.clcw(), now))
    assert delivered == packets
    assert ground.retransmissions >= 3


@settings(max_examples=50)
@given(st.binary(max_size=4000), st.integers(1, 300))
def test_link_receivers_take_any_bytes(garbage: bytes, chunk: int) -> None:
    """Random octets in any chunking: no exception, only counted rejections."""
    board, ground = BoardUplink(CONFIG), GroundDownlink(CONFIG)
    for start in range(0, len(garbage), chunk):
        board.feed(garbage[start : start + chunk])
        ground.feed(garbage[start : start + chunk])
    board.flush()


def test_receivers_resynchronise_after_garbage_between_units() -> None:
    rng = random.Random(8)
    downlink = BoardDownlink(CONFIG)
    sent = [_packet(100, i, 700, rng) for i in range(6)]
    for packet in sent:
        downlink.queue_packet(0, packet)
    clcw = Clcw(virtual_channel=0, report_value=0).encode()
    cadus = downlink.take_cadus(clcw, max_frames=100)
    length = downlink.cadu_length
    stream = b"".join(rng.randbytes(rng.randrange(1, 300)) + cadus[i : i + length]
                      for i in range(0, len(cadus), length))
    # the downlink is continuous: idle frames follow, and let the synchronizer catch up
    stream += b"".join(downlink.idle_cadu(clcw) for _ in range(4))
    ground = GroundDownlink(CONFIG)
    events = [e for i in range(0, len(stream), 1) for e in ground.feed(stream[i : i + 1])]
    received = [e.packet for e in events if isinstance(e, PacketReceived)]
    assert received == sent
