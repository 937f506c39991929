"""A minimal ground for the bench, built on the ccsds core only (no dictionary, no threads).

It frames telecommands (FOP-1 AD service, segmentation, CLTUs) and decodes the downlink
(frame sync, RS, VC demux, PUS TM). It has no operator console, dictionary validation or
archive: those belong to the ground software.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ccsds.config import LinkConfig
from ccsds.ground_link import GroundLink
from ccsds.pus import AckFlags, PusTc, PusTm


@dataclass
class BenchGround:
    """Ground side of one link: ``send_packet`` returns CLTUs, ``receive`` takes CADU octets
    and keeps the PUS reports of the real-time virtual channel."""

    config: LinkConfig = field(default_factory=LinkConfig.baseline)
    link: GroundLink = field(init=False)
    reports: list[PusTm] = field(default_factory=list)
    sequence: int = 0

    def __post_init__(self) -> None:
        self.link = GroundLink(self.config)
        self.uplink = self.link.uplink
        self.downlink = self.link.downlink

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
        packets, cltus = self.link.receive(data, now)
        self.reports += [PusTm.decode(received.packet) for received in packets
                         if received.virtual_channel == self.config.tm.vc_realtime]
        return cltus

    def take(self, matching: Callable[[PusTm], bool]) -> list[PusTm]:
        """Remove and return the reports that match."""
        found = [r for r in self.reports if matching(r)]
        self.reports = [r for r in self.reports if not matching(r)]
        return found
