"""The UDP interop bridge on real localhost sockets: TM frames forwarded one per datagram;
TC frames (and packets) unpacked into the station's uplink, refusals counted by reason.

A station on pyserial's ``loop://`` has no board behind it: FOP-1 never receives a CLCW, so
every accepted packet stays in the uplink queue, where the tests count it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ecss import PusTc as PeerPusTc

from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SegmentHeader, SequenceFlags
from ground_sw.bridge import BridgeCounters, TcRejected, UdpBridge, split_packets
from ground_sw.dictionary import Dictionary
from ground_sw.records import EventRecord, FrameRecord
from ground_sw.station import GroundStation

SCID = 42  # docs/icd.md, tc.spacecraft_id


def peer_tc(sequence_count: int, data: bytes = b"") -> bytes:
    """A PUS-C TC(17,1) built by an independent library (spacepackets)."""
    return bytes(PeerPusTc(service=17, message_subtype=1, apid=100, seq_count=sequence_count,
                           source_id=1, app_data=data).pack())


def tc_frame(data_field: bytes, *, scid: int = SCID, vc: int = 0, bypass: bool = False,
             control: bool = False, sequence: int = 200) -> bytes:
    return TcFrame(scid, vc, sequence, data_field, bypass=bypass,
                   control_command=control).encode()


def unsegmented(packet: bytes) -> bytes:
    return SegmentHeader(SequenceFlags.UNSEGMENTED, 0).encode() + packet


@pytest.fixture
def station(exported: Dictionary) -> Iterator[GroundStation]:
    with GroundStation.connect("loop://", exported) as ground:
        yield ground


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10.0)
    yield sock
    sock.close()


def queued(station: GroundStation) -> int:
    return station.link_status().queued_segments


def test_tm_frames_are_forwarded_one_per_datagram(station: GroundStation,
                                                  receiver: socket.socket) -> None:
    with UdpBridge(station, receiver.getsockname()) as bridge:
        frames = [bytes([index]) * 1115 for index in range(3)]
        for frame in frames:
            bridge.on_record(FrameRecord(0.0, 0, frame))
        bridge.on_record(EventRecord(0.0, "BOOT", "INFO"))  # not a frame: ignored
        assert [receiver.recv(65535) for _ in frames] == frames
        assert bridge.counters.tm_frames == 3 and bridge.counters.tm_errors == 0


def test_tc_frames_over_udp_reach_the_uplink(station: GroundStation,
                                             receiver: socket.socket) -> None:
    with UdpBridge(station, receiver.getsockname(), ("127.0.0.1", 0)) as bridge:
        assert bridge.tc_address is not None
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sender.sendto(tc_frame(unsegmented(peer_tc(1))), bridge.tc_address)
            sender.sendto(tc_frame(unsegmented(peer_tc(2)), bypass=True), bridge.tc_address)
            assert bridge.wait(lambda c: c.tc_datagrams == 2, 10.0)
        finally:
            sender.close()
        assert bridge.counters.tc_packets == 2 and bridge.counters.tc_expedited == 1
        assert bridge.counters.tc_rejected == 0
        assert queued(station) == 1  # the AD packet waits for FOP-1; BD went out at once


def test_two_packets_in_one_frame_and_a_segmented_packet(station: GroundStation,
                                                         receiver: socket.socket) -> None:
    with UdpBridge(station, receiver.getsockname()) as bridge:
        assert bridge.inject(tc_frame(unsegmented(peer_tc(3) + peer_tc(4)))) == 2
        packet = peer_tc(5, bytes(range(40)))
        first = SegmentHeader(SequenceFlags.FIRST, 0).encode() + packet[:20]
        last = SegmentHeader(SequenceFlags.LAST, 0).encode() + packet[20:]
        assert bridge.inject(tc_frame(first)) == 0
        assert bridge.inject(tc_frame(last)) == 1
        assert queued(station) == 3 and bridge.counters.tc_rejected == 0


def test_packet_format(station: GroundStation, receiver: socket.socket) -> None:
    with UdpBridge(station, receiver.getsockname(), tc_format="packet") as bridge:
        assert bridge.inject(peer_tc(6)) == 1
        assert bridge.inject(tc_frame(unsegmented(peer_tc(7)))) == 0  # a frame is no packet
        assert queued(station) == 1
        assert bridge.counters.rejected_by == {"packet": 1}


@pytest.mark.parametrize(("datagram", "reason"), [
    (tc_frame(unsegmented(peer_tc(1)))[:-1] + b"\x00", "decode"),  # FECF wrong
    (b"\x00\x2a", "decode"),  # truncated header
    (tc_frame(unsegmented(peer_tc(1)), scid=43), "spacecraft"),
    (tc_frame(unsegmented(peer_tc(1)), vc=1), "virtual channel"),
    (tc_frame(b"\x00", bypass=True, control=True), "control command"),  # Unlock
    (tc_frame(SegmentHeader(SequenceFlags.LAST, 0).encode() + b"xx"), "segment"),
    (tc_frame(unsegmented(peer_tc(1)[:-3])), "packet"),
    (tc_frame(unsegmented(b"\x08\x64\xc0\x00\x00\x00")), "packet"),  # a TM packet
])
def test_refused_datagrams_are_counted_by_reason(station: GroundStation,
                                                 receiver: socket.socket, datagram: bytes,
                                                 reason: str) -> None:
    with UdpBridge(station, receiver.getsockname()) as bridge:
        assert bridge.inject(datagram) == 0
        assert bridge.counters.rejected_by == {reason: 1}
        assert bridge.counters.tc_rejected == 1 and bridge.counters.last_error.startswith(reason)
        assert queued(station) == 0


@pytest.fixture(scope="module")
def shared_station(exported: Dictionary) -> Iterator[GroundStation]:
    with GroundStation.connect("loop://", exported) as ground:
        yield ground


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=120) | st.builds(tc_frame, st.binary(max_size=60)),
                max_size=8))
def test_fuzz_no_datagram_breaks_the_bridge(shared_station: GroundStation,
                                            datagrams: list[bytes]) -> None:
    with UdpBridge(shared_station, ("127.0.0.1", 9)) as bridge:
        forwarded = sum(bridge.inject(datagram) for datagram in datagrams)
        counters: BridgeCounters = bridge.counters
        assert counters.tc_datagrams == len(datagrams)
        assert counters.tc_packets == forwarded
        assert counters.tc_rejected == sum(counters.rejected_by.values()) <= len(datagrams)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_split_packets_takes_whole_tc_packets_or_refuses(data: bytes) -> None:
    try:
        packets = split_packets(data)
    except TcRejected as exc:
        assert str(exc).startswith("packet:")
        return
    assert b"".join(packets) == data
    assert all((packet[0] >> 4) & 1 == 1 for packet in packets)  # TC type bit (133.0-B-2)
