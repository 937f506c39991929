"""The link task without a port: downlink input, CLCW-driven FOP-1, garbage, bad ports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.board_link import BoardDownlink, BoardUplink
from ccsds.config import LinkConfig
from ccsds.mission_db import MissionDatabase
from ccsds.pus import PusTm
from ground_sw.errors import LinkError
from ground_sw.link import LinkPort, frame_virtual_channel
from ground_sw.station import GroundStation

CONFIG = LinkConfig.baseline()


def _board() -> tuple[BoardUplink, BoardDownlink]:
    return BoardUplink(CONFIG), BoardDownlink(CONFIG)


def test_frames_packets_and_fop_initialisation_from_the_clcw() -> None:
    uplink, downlink = _board()
    uplink.farm.vr = 17
    packet = PusTm(100, 1, 17, 2).encode()
    downlink.queue_packet(CONFIG.tm.vc_realtime, packet)
    port = LinkPort("loop://", CONFIG)
    frames, packets, cltus = port.receive(downlink.take_cadus(uplink.clcw(), 1), 1.0, 100.0)
    assert [f.virtual_channel for f in frames] == [0] and frames[0].time == 100.0
    assert [(p.apid, p.packet, p.virtual_channel) for p in packets] == [(100, packet, 0)]
    assert cltus == []
    status = port.status()
    assert status.fop_initialised and (status.vs, status.nr) == (17, 17)
    assert status.fop_state == "ACTIVE" and status.sync_locked and status.frames == 1
    assert port.wait_ready(0.0)


def test_a_lockout_clcw_waits_for_the_operator() -> None:
    uplink, downlink = _board()
    uplink.farm.lockout = True
    port = LinkPort("loop://", CONFIG)
    port.receive(downlink.idle_cadu(uplink.clcw()), 1.0, 1.0)
    status = port.status()
    assert status.awaiting_unlock and status.lockout and not status.fop_initialised
    assert not port.wait_ready(0.0)


def test_frame_virtual_channel_reads_the_header() -> None:
    uplink, downlink = _board()
    cadu = downlink.idle_cadu(uplink.clcw())
    port = LinkPort("loop://", CONFIG)
    frames, _, _ = port.receive(cadu, 0.0, 0.0)
    assert frame_virtual_channel(frames[0].frame) == CONFIG.tm.vc_idle
    assert frame_virtual_channel(b"") == -1


def test_a_port_that_cannot_open_is_a_link_error() -> None:
    with pytest.raises(LinkError, match="cannot open /nonexistent/tty"):
        LinkPort("/nonexistent/tty", CONFIG).open()


@given(st.binary(max_size=4000))
def test_receive_fuzz_never_raises(data: bytes) -> None:
    port = LinkPort("loop://", CONFIG)
    frames, _, cltus = port.receive(data, 0.0, 0.0)
    assert cltus == [] and all(len(f.frame) == CONFIG.tm.frame_length for f in frames)
    assert port.status().frames == len(frames)


def test_a_station_on_a_missing_port_cleans_up(tmp_path: Path) -> None:
    with pytest.raises(LinkError, match="cannot open"):
        GroundStation.connect(str(tmp_path / "no-such-tty"), MissionDatabase("m", "1", 100),
                              files_dir=tmp_path / "files")
