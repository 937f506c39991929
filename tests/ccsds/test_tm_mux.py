"""The multiplexer with SDLS protection (CCSDS 355.0-B-2 4.2, sending end; 132.0-B-3
section 6): protected channels carry less packet data per frame, sealed by the protection;
a channel that cannot be protected is held back, never sent in clear."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.board_link import DownlinkSecurity
from ccsds.config import LinkConfig, SdlsConfig
from ccsds.errors import LocalProtocolError
from ccsds.sdls.association import SaTable, ServiceType
from ccsds.sdls.frame_security import process_tm_security
from ccsds.tm_demux import PacketReceived, TmDemultiplexer
from ccsds.tm_frame import TmFrame
from ccsds.tm_mux import TmMultiplexer
from tests.ccsds.sdls.helpers import key_store, make_sa
from tests.ccsds.test_tm_mux_demux import make_packet

CLCW = b"\x01\x02\x03\x04"
CONFIG = dataclasses.replace(LinkConfig.baseline(), sdls=SdlsConfig(
    enabled=True, tm_protection=True, tm_virtual_channels=(0,)))
TM = CONFIG.tm


class MarkerProtection:
    """Test double: seals by prefixing ``overhead`` octets of 0xEE to the data field and
    encoding in clear. Not modelled: cryptography, sequence numbers, SA state."""

    def __init__(self, overhead: int, channels: set[int]) -> None:
        self.size = overhead
        self.channels = channels
        self.refuse = False

    def overhead(self, virtual_channel: int) -> int:
        if virtual_channel not in self.channels:
            return 0
        if self.refuse:
            raise LocalProtocolError("cannot protect now")
        return self.size

    def seal(self, frame: TmFrame) -> bytes:
        marked = dataclasses.replace(frame, data=b"\xee" * self.size + frame.data)
        return marked.encode(TM.frame_length)


def test_protected_frames_carry_the_overhead_fewer_data_octets() -> None:
    protection = MarkerProtection(30, {0})
    mux = TmMultiplexer(TM, protection=protection)
    rng = random.Random(1)
    mux.queue_packet(0, make_packet(rng, 2000))
    mux.queue_packet(1, make_packet(rng, 2000))
    frames = [mux.next_frame(CLCW) for _ in range(6)]
    protected = [f for f in frames if f is not None and (f[1] >> 1) & 7 == 0]
    assert len(protected) == 2  # 2000 octets in 1073-octet data fields
    assert all(f[6:36] == b"\xee" * 30 for f in protected)
    assert len({len(f) for f in frames if f is not None}) == 1  # fixed-length frames


def test_a_channel_that_cannot_be_protected_waits_and_the_others_go_on() -> None:
    protection = MarkerProtection(30, {0})
    mux = TmMultiplexer(TM, protection=protection)
    rng = random.Random(2)
    held = make_packet(rng, 100)
    mux.queue_packet(0, held)
    mux.queue_packet(1, make_packet(rng, 100))
    protection.refuse = True
    frame = mux.next_frame(CLCW)
    assert frame is not None and (frame[1] >> 1) & 7 == 1
    assert mux.next_frame(CLCW) is None and mux.pending(0) == len(held)
    assert mux.protection_failures == 2
    with pytest.raises(LocalProtocolError):
        mux.flush(0, CLCW)
    assert mux.pending(0) == len(held)
    protection.refuse = False
    (sent,) = mux.flush(0, CLCW)
    assert held in sent


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(7, 3000)), min_size=1, max_size=12),
       st.sampled_from(ServiceType), st.randoms(use_true_random=False))
def test_protected_stream_round_trips_through_verification(
        queued: list[tuple[int, int]], service: ServiceType, rng: random.Random) -> None:
    """Property: whatever is queued, each protected frame verifies under the SA and the
    demultiplexed packets are those queued, per channel, in order."""
    sa = make_sa(spi=9, virtual_channels=frozenset({0}), service=service)
    board, ground = SaTable([dataclasses.replace(sa)]), SaTable([dataclasses.replace(sa)])
    mux = TmMultiplexer(TM, protection=DownlinkSecurity(board, key_store(), CONFIG))
    demux = TmDemultiplexer(TM)
    keys = key_store()
    sent: dict[int, list[bytes]] = {0: [], 1: []}
    got: dict[int, list[bytes]] = {0: [], 1: []}

    def receive(raw: bytes) -> None:
        if (raw[1] >> 1) & 7 == 0:
            events = demux.feed_frame(process_tm_security(
                raw, ground, keys, frame_length=TM.frame_length, has_ocf=True, has_fecf=True))
        else:
            events = demux.feed(raw)
        for event in events:
            if isinstance(event, PacketReceived):
                got[event.virtual_channel].append(event.packet)

    for vc, size in queued:
        packet = make_packet(rng, size)
        mux.queue_packet(vc, packet)
        sent[vc].append(packet)
        while (raw := mux.next_frame(CLCW, complete_partial=rng.random() < 0.5)) is not None:
            receive(raw)
    for vc in (0, 1):
        for raw in mux.flush(vc, CLCW):
            receive(raw)
    assert got == sent
    assert ground.get(9).arsn == board.get(9).arsn
