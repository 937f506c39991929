"""The independent XTCE decoder (space-packet-parser) as a test peer."""

from __future__ import annotations

import io
import warnings
from typing import Any

import space_packet_parser as spp

from ccsds.mission_db import MissionDatabase, to_xtce
from ccsds.pus import PusTm
from ccsds.timecode import CucTime

EPOCH = CucTime(0)


def load_peer(db: MissionDatabase) -> Any:
    """The peer's packet definition built from our XTCE export."""
    return spp.XtcePacketDefinition.from_xtce(io.BytesIO(to_xtce(db).encode()))


def peer_decode(definition: Any, packet: bytes) -> dict[str, Any]:
    """Decode a whole packet with the peer; any warning (bits left over) is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return dict(definition.parse_bytes(packet))


def tm_packet(db: MissionDatabase, service: int, subtype: int, source_data: bytes,
              time: CucTime = EPOCH) -> bytes:
    """A PUS-C TM packet of the database's APID (ccsds.pus, PEC included)."""
    return PusTm(db.apid, 42, service, subtype, time=time, source_data=source_data,
                 message_counter=7, destination_id=1).encode()
