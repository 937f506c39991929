"""The UDP bridge beside a station on the real flight software (pty): the board's TM frames
arrive as datagrams, and a TC frame from "another ground system" is executed by the board
while the station's own commanding (COP-1) goes on undisturbed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from spacepackets.ecss import PusTc as PeerPusTc

from ccsds.config import LinkConfig
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SegmentHeader, SequenceFlags
from ground_sw.bridge import UdpBridge
from ground_sw.records import CommandRecord, Outcome, Record
from ground_sw.station import GroundStation
from tests.ground_sw.board_session import board_station


class Completions:
    """Completion reports (1,7) of requests the station did not send (name UNKNOWN)."""

    def __init__(self) -> None:
        self.done: dict[tuple[int, int], threading.Event] = {}

    def expect(self, request: tuple[int, int]) -> threading.Event:
        return self.done.setdefault(request, threading.Event())

    def on_record(self, record: Record) -> None:
        if isinstance(record, CommandRecord) and record.outcome is Outcome.COMPLETED \
                and record.request in self.done:
            self.done[record.request].set()


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory,
            exported_path: Path) -> Iterator[GroundStation]:
    with board_station(tmp_path_factory.mktemp("bridge-board"), exported_path) as ground:
        yield ground


def test_tm_frames_arrive_as_datagrams(station: GroundStation) -> None:
    config = LinkConfig.baseline().tm
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(10.0)
        with UdpBridge(station, receiver.getsockname()):
            frame = receiver.recv(65535)
    assert len(frame) == config.frame_length
    # 132.0-B-3 4.1.2.2: version '00' then the 10-bit spacecraft id
    assert frame[0] >> 6 == 0
    assert ((frame[0] & 0x3F) << 4) | (frame[1] >> 4) == config.spacecraft_id


@pytest.mark.parametrize("bypass", [False, True])
def test_a_tc_frame_from_udp_is_executed(station: GroundStation, bypass: bool) -> None:
    sequence_count = 9000 + bypass
    packet = PeerPusTc(service=17, message_subtype=1, apid=100, seq_count=sequence_count,
                       source_id=1).pack()
    header = SegmentHeader(SequenceFlags.UNSEGMENTED, 0).encode()
    frame = TcFrame(42, 0, 77, header + packet, bypass=bypass).encode()
    completions = Completions()
    done = completions.expect((100, sequence_count))
    station.add_listener(completions)
    try:
        with UdpBridge(station, ("127.0.0.1", 9), ("127.0.0.1", 0)) as bridge, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            assert bridge.tc_address is not None
            sender.sendto(frame, bridge.tc_address)
            assert done.wait(15.0), f"no completion report: {bridge.counters}"
            assert bridge.counters.tc_packets == 1
            assert bridge.counters.tc_expedited == int(bypass)
        station.send_and_assert("TEST_ARE_YOU_ALIVE", timeout=10)  # COP-1 still in step
    finally:
        station.remove_listener(completions)
    status = station.link_status()
    assert status.fop_state == "ACTIVE" and status.last_alert is None
