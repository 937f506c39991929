"""PUS-C TC and TM byte for byte against spacepackets, in both directions."""

from __future__ import annotations

import pytest
from hypothesis import given
from spacepackets.ccsds.spacepacket import SequenceFlags as PeerSequenceFlags
from spacepackets.ccsds.spacepacket import SpacePacketHeader as PeerHeader
from spacepackets.ecss.req_id import RequestId as PeerRequestId
from spacepackets.ecss.tc import PusTc as PeerTc
from spacepackets.ecss.tc import PusTcDataFieldHeader as PeerTcHeader
from spacepackets.ecss.tm import PusTm as PeerTm
from spacepackets.ecss.tm import PusTmSecondaryHeader as PeerTmHeader

from ccsds.pus import AckFlags, PusTc, PusTm, RequestId
from ccsds.spacepacket import PacketType, SequenceFlags
from ccsds.timecode import CUC_4_2, CucTime
from tests.ccsds.test_pus import telecommands, telemetry

pytestmark = pytest.mark.interop


def _peer_tc(tc: PusTc) -> PeerTc:
    header = PeerHeader(packet_type=PacketType.TC, apid=tc.apid, seq_count=tc.sequence_count,
                        data_len=0, seq_flags=PeerSequenceFlags(int(tc.sequence_flags)),
                        sec_header_flag=True)
    secondary = PeerTcHeader(service=tc.service, message_subtype=tc.subtype,
                             source_id=tc.source_id, ack_flags=int(tc.ack_flags))
    return PeerTc.from_composite_fields(header, secondary, tc.application_data)


def _peer_tm(tm: PusTm) -> PeerTm:
    header = PeerHeader(packet_type=PacketType.TM, apid=tm.apid, seq_count=tm.sequence_count,
                        data_len=0, seq_flags=PeerSequenceFlags(int(tm.sequence_flags)),
                        sec_header_flag=True)
    secondary = PeerTmHeader(service=tm.service, message_subtype=tm.subtype,
                             timestamp=tm.time.encode(), message_counter=tm.message_counter,
                             dest_id=tm.destination_id,
                             spacecraft_time_ref=tm.time_reference_status)
    return PeerTm.from_composite_fields(header, secondary, tm.source_data)


@given(telecommands)
def test_tc_ours_to_peer(tc: PusTc) -> None:
    raw = tc.encode()
    assert bytes(_peer_tc(tc).pack()) == raw
    peer = PeerTc.unpack(raw)
    assert (peer.apid, peer.seq_count, int(peer.sp_header.seq_flags), peer.service,
            peer.message_subtype, peer.source_id, peer.pus_tc_sec_header.ack_flags,
            peer.app_data) == (
        tc.apid, tc.sequence_count, int(tc.sequence_flags), tc.service, tc.subtype,
        tc.source_id, int(tc.ack_flags), tc.application_data)


@given(telecommands)
def test_tc_peer_to_ours(model: PusTc) -> None:
    raw = bytes(_peer_tc(model).pack())
    tc = PusTc.decode(raw)
    assert tc == model
    assert tc.request_id.as_int() == PeerRequestId.from_pus_tc(PeerTc.unpack(raw)).as_u32()


@given(telemetry())
def test_tm_ours_to_peer(tm: PusTm) -> None:
    raw = tm.encode()
    assert bytes(_peer_tm(tm).pack()) == raw
    peer = PeerTm.unpack(raw, timestamp_len=CUC_4_2.length)
    assert (peer.apid, peer.seq_count, int(peer.seq_flags), peer.service,
            peer.message_subtype, peer.pus_tm_sec_header.message_counter,
            peer.pus_tm_sec_header.dest_id, peer.pus_tm_sec_header.spacecraft_time_ref,
            peer.timestamp, peer.source_data) == (
        tm.apid, tm.sequence_count, int(tm.sequence_flags), tm.service, tm.subtype,
        tm.message_counter, tm.destination_id, tm.time_reference_status, tm.time.encode(),
        tm.source_data)


@given(telemetry())
def test_tm_peer_to_ours(model: PusTm) -> None:
    raw = bytes(_peer_tm(model).pack())
    assert PusTm.decode(raw) == model


def test_peer_constructor_defaults_decode() -> None:
    tc = PusTc.decode(bytes(PeerTc(service=17, message_subtype=1, apid=100, seq_count=3,
                                   app_data=b"\x01\x02", source_id=1).pack()))
    assert (tc.service, tc.subtype, tc.apid, tc.sequence_count, tc.application_data,
            tc.source_id, tc.ack_flags, tc.sequence_flags) == (
        17, 1, 100, 3, b"\x01\x02", 1, AckFlags.ALL, SequenceFlags.UNSEGMENTED)
    time = CucTime(2_000_000_000, 0x8000)
    tm = PusTm.decode(bytes(PeerTm(service=3, message_subtype=25, timestamp=time.encode(),
                                   source_data=b"hk", apid=100, seq_count=9, message_counter=4,
                                   destination_id=1).pack()))
    assert (tm.service, tm.subtype, tm.time, tm.source_data, tm.message_counter,
            tm.destination_id) == (3, 25, time, b"hk", 4, 1)


@given(telecommands)
def test_request_id_matches_peer(tc: PusTc) -> None:
    peer = PeerRequestId.unpack(tc.encode())
    assert peer.pack() == tc.request_id.encode()
    assert RequestId.decode(peer.pack()) == tc.request_id
