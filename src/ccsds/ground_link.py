"""The ground station's side of the space link, composed from the protocol layers.

Downlink (CCSDS 131.0-B-5, 132.0-B-3): CADU byte stream -> frame synchronizer (ASM,
derandomizer, RS decoding, FECF) -> VC demultiplexer -> space packets and CLCWs.
Uplink (232.1-B-2, 232.0-B-4, 231.0-B-4): space packets -> segmentation (MAP) -> FOP-1 ->
TC frames -> randomizer -> CLTUs, with FOP-1 driven by the CLCWs the downlink carries.

Sans-I/O: time is passed in; the ground software's link task moves the bytes.
"""

from __future__ import annotations

from ccsds.config import LinkConfig
from ccsds.frame_sync import FrameReceived, FrameSynchronizer, SyncEvent
from ccsds.tm_demux import TmDemultiplexer, TmEvent

DownlinkEvent = SyncEvent | TmEvent


class GroundDownlink:
    """Ground side of the downlink: bytes in, packets, CLCWs and link events out."""

    def __init__(self, config: LinkConfig) -> None:
        self.config = config
        self.sync = FrameSynchronizer(config.tm)
        self.demux = TmDemultiplexer(config.tm)

    def feed(self, data: bytes | bytearray | memoryview) -> list[DownlinkEvent]:
        """Take received octets; return synchronizer events (other than the frames
        themselves) and the demultiplexer's events for every frame, in stream order."""
        events: list[DownlinkEvent] = []
        for event in self.sync.feed(data):
            if isinstance(event, FrameReceived):
                events.extend(self.demux.feed(event.frame))
            else:
                events.append(event)
        return events
