"""The payload's side of the space link, composed from the protocol layers.

Uplink (CCSDS 231.0-B-4, 232.0-B-4, 232.1-B-2): byte stream -> CLTUs -> derandomized TC
frames -> FARM-1 -> segment reassembly (MAP) -> space packets.
Downlink (132.0-B-3, 131.0-B-5): space packets -> VC multiplexer -> TM frames carrying the
FARM-1 CLCW in their OCF -> RS codeblock, randomizer, ASM -> CADU byte stream.

Sans-I/O: the flight software's main loop moves bytes between the port and these objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsds.channel_coding import CaduEncoder
from ccsds.config import LinkConfig
from ccsds.cop1.farm1 import Farm1, FarmResult
from ccsds.errors import DecodeError, LengthError, TruncatedError
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH as PACKET_HEADER_LENGTH
from ccsds.spacepacket import packet_length
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SegmentReassembler
from ccsds.tc_uplink import TcUplinkReceiver
from ccsds.tm_mux import TmMultiplexer


def split_packets(block: bytes) -> tuple[list[bytes], DecodeError | None]:
    """Split a block of concatenated space packets (232.0-B-4 packet blocking).

    Returns the whole packets and, when the block ends in a fragment, the error that
    describes it (the fragment is dropped: the sender never splits a packet this way).
    """
    packets: list[bytes] = []
    offset = 0
    while offset < len(block):
        if len(block) - offset < PACKET_HEADER_LENGTH:
            return packets, TruncatedError(f"{len(block) - offset} octets after the last packet")
        end = offset + packet_length(block[offset : offset + PACKET_HEADER_LENGTH])
        if end > len(block):
            return packets, LengthError(f"packet length field overruns the block by "
                                        f"{end - len(block)} octets")
        packets.append(block[offset:end])
        offset = end
    return packets, None


@dataclass(slots=True)
class BoardUplinkCounters:
    """Uplink units the board received, delivered and rejected above the CLTU layer."""

    frames_accepted: int = 0
    frames_rejected: int = 0
    packets: int = 0
    packet_fragments: int = 0


class BoardUplink:
    """Board side of the uplink for the mission's TC virtual channel."""

    def __init__(self, config: LinkConfig) -> None:
        tc = config.tc
        self.config = config
        self.receiver = TcUplinkReceiver(tc)
        self.farm = Farm1(tc.virtual_channel, tc.farm_window, spacecraft_id=tc.spacecraft_id)
        self.reassembler = SegmentReassembler()
        self.counters = BoardUplinkCounters()
        self.last_farm_result: FarmResult | None = None
        self.last_error: DecodeError | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Take received octets; return the space packets they complete, in order."""
        return self._deliver(self.receiver.feed(data))

    def flush(self) -> list[bytes]:
        """The line went idle: end any CLTU under way and deliver what it completes."""
        return self._deliver(self.receiver.flush())

    def clcw(self) -> bytes:
        """The CLCW to place in the OCF of the next TM frame."""
        return self.farm.clcw().encode()

    def _deliver(self, frames: list[TcFrame]) -> list[bytes]:
        packets: list[bytes] = []
        for frame in frames:
            result = self.farm.receive(frame)
            self.last_farm_result = result
            if not result.accepted or result.data is None:
                self.counters.frames_rejected += not result.accepted
                continue
            self.counters.frames_accepted += 1
            packets.extend(self._packets_of(result.data))
            if self.farm.buffer_capacity is not None:
                self.farm.buffer_released()
        return packets

    def _packets_of(self, data_field: bytes) -> list[bytes]:
        if self.config.tc.segment_header:
            sdu = self.reassembler.feed(data_field)
            if sdu is None:
                return []
            block = sdu.data
        else:
            block = data_field
        packets, error = split_packets(block)
        if error is not None:
            self.counters.packet_fragments += 1
            self.last_error = error
        self.counters.packets += len(packets)
        return packets


class BoardDownlink:
    """Board side of the downlink: queue packets per VC, take CADUs for the port."""

    def __init__(self, config: LinkConfig) -> None:
        self.config = config
        self.mux = TmMultiplexer(config.tm)
        self.encoder = CaduEncoder(config.tm)

    @property
    def cadu_length(self) -> int:
        """Octets of one CADU on the line."""
        return self.encoder.cadu_length

    def queue_packet(self, virtual_channel: int, packet: bytes) -> None:
        """Queue a space packet on a virtual channel (ICD: 0 real time, 1 bulk)."""
        self.mux.queue_packet(virtual_channel, packet)

    def pending(self) -> int:
        """Octets queued on every virtual channel, not yet in a frame."""
        tm = self.config.tm
        return sum(self.mux.pending(vc) for vc in (tm.vc_realtime, tm.vc_bulk))

    def take_cadus(self, clcw: bytes | None, max_frames: int) -> bytes:
        """Up to ``max_frames`` CADUs of queued data (partly filled frames are completed
        with an idle packet), each carrying ``clcw`` when the link has an OCF."""
        frames = []
        ocf = clcw if self.config.tm.ocf else None
        for _ in range(max_frames):
            frame = self.mux.next_frame(ocf)
            if frame is None:
                break
            frames.append(frame)
        return self.encoder.encode_frames(frames) if frames else b""

    def idle_cadu(self, clcw: bytes | None) -> bytes:
        """One CADU of an idle frame (ICD: VC 7), so the ground keeps receiving the CLCW."""
        return self.encoder.encode(self.mux.idle_frame(clcw if self.config.tm.ocf else None))
