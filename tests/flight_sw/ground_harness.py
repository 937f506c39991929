"""A minimal ground for flight software tests, built on the ccsds core only.

It frames telecommands (FOP-1 AD service, segmentation, CLTUs) and decodes the downlink
(frame sync, RS, VC demux, PUS TM). It does not model the operator console, dictionary
validation or the archive: those belong to the ground software.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ccsds.config import LinkConfig
from ccsds.ground_link import GroundDownlink, GroundUplink
from ccsds.pus import AckFlags, PusTc, PusTm
from ccsds.spacepacket import PacketType, SpacePacket
from ccsds.tm_demux import OcfReceived, PacketReceived


@dataclass
class Ground:
    """Ground side of one link: ``command`` returns CLTUs, ``receive`` takes CADU octets."""

    config: LinkConfig = field(default_factory=LinkConfig.baseline)
    uplink: GroundUplink = field(init=False)
    downlink: GroundDownlink = field(init=False)
    reports: list[PusTm] = field(default_factory=list)
    sequence: int = 0

    def __post_init__(self) -> None:
        self.uplink = GroundUplink(self.config)
        self.downlink = GroundDownlink(self.config)

    def start(self, now: float) -> list[bytes]:
        """Initiate the AD service (the board's FARM-1 starts at V(R) = 0)."""
        return self.uplink.start(now)

    def telecommand(self, service: int, subtype: int, data: bytes = b"", *,
                    ack: AckFlags = AckFlags.ALL, apid: int | None = None) -> PusTc:
        """A PUS TC with the next sequence count."""
        self.sequence = (self.sequence + 1) % 16384
        return PusTc(self.config.packets.apid_pus if apid is None else apid, self.sequence,
                     service, subtype, data, source_id=self.config.packets.ground_source_id,
                     ack_flags=ack)

    def send_packet(self, packet: bytes, now: float) -> list[bytes]:
        """CLTUs carrying any space packet (FOP-1 keeps it until acknowledged)."""
        return self.uplink.send_packet(packet, now)

    def receive(self, data: bytes, now: float) -> list[bytes]:
        """Take downlink octets; decode reports; returns CLTUs FOP-1 wants sent now."""
        cltus: list[bytes] = []
        for event in self.downlink.feed(data):
            if isinstance(event, OcfReceived):
                cltus += self.uplink.receive_clcw(event.ocf, now)
            elif isinstance(event, PacketReceived) and event.virtual_channel == 0:
                self.reports.append(PusTm.decode(event.packet))
        return cltus

    def take(self, matching: Callable[[PusTm], bool]) -> list[PusTm]:
        """Remove and return the reports that match."""
        found = [r for r in self.reports if matching(r)]
        self.reports = [r for r in self.reports if not matching(r)]
        return found


def raw_tc(apid: int, data: bytes) -> bytes:
    """A space packet that is not a valid PUS TC (for bad-input tests)."""
    return SpacePacket(PacketType.TC, apid, 1, data, secondary_header=True).encode()
