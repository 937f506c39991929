"""Fuzz: any octets handed to FileTransfer.receive_packet are used or counted, never raised,
and a well-formed packet around any PDU octets is handled the same way."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ccsds.spacepacket import PacketType, SpacePacket
from tests.flight_sw.file_transfer.helpers import CONFIG, Exchange


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_random_packets(packets: list[bytes]) -> None:
    exchange = Exchange()
    for raw in packets:
        exchange.board.receive_packet(raw, 0.0)
    exchange.board.poll(1.0)
    counters = exchange.board.counters
    assert counters.rejected_packets <= len(packets)


@given(st.lists(st.binary(min_size=1, max_size=64), max_size=8))
def test_random_pdus_in_valid_packets(pdus: list[bytes]) -> None:
    exchange = Exchange()
    used = 0
    for pdu in pdus:
        packet = SpacePacket(PacketType.TC, CONFIG.packets.apid_cfdp, 0, pdu).encode()
        used += exchange.board.receive_packet(packet, 0.0)
    for now in (1.0, 100.0, 1000.0):  # timers fire on whatever transactions were opened
        exchange.board.poll(now)
    assert used + exchange.board.counters.rejected_packets == len(pdus)
