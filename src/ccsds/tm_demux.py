"""Virtual channel demultiplexing and packet extraction, CCSDS 132.0-B-3 4.1.2 and 4.3.

Frames that passed the channel decoder are parsed (:class:`~ccsds.tm_frame.TmFrame`), their
master and virtual channel frame counts are checked for gaps (4.1.2.5, 4.1.2.6; counts are
modulo 256, so a gap of exactly 256 frames cannot be seen), the operational control field is
reported, and packets are reassembled per virtual channel using the space packet length rule
(total = data length field + 7, CCSDS 133.0-B-2 4.1.3.5.3).

Resynchronisation: after a lost frame, a frame whose first header pointer disagrees with the
packet in progress, or a packet header that cannot be right (version other than 0, or longer
than ``max_packet_length``), the packet in progress is discarded and extraction restarts at the
next first header pointer (132.0-B-3 4.1.2.7.6). A packet spanning frames is delivered only
when all of its octets arrived in consecutive frames of its virtual channel and it ends exactly
where the last frame's first header pointer says the next packet starts, so a lost frame or a
wrong length field never joins pieces of different packets. Inside one frame packets are
delimited by their length fields alone: a wrong length field in a frame that passed its FECF
can only be caught at the next pointer. Idle packets (APID 0x7FF) are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ccsds.config import TmLinkConfig
from ccsds.errors import DecodeError, LocalProtocolError
from ccsds.spacepacket import IDLE_APID, MAX_PACKET_LENGTH
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH as PACKET_HEADER_LENGTH
from ccsds.tm_frame import FHP_NO_PACKET_START, TmFrame
from ccsds.tm_mux import MIN_PACKET_LENGTH, packet_total_length


class DiscardReason(Enum):
    """Why octets of a virtual channel were thrown away."""

    FRAME_LOSS = "frames lost before the packet was complete"
    POINTER_MISMATCH = "first header pointer disagrees with the packet in progress"
    BAD_PACKET_HEADER = "packet header with a wrong version or an excessive length"
    OUT_OF_SYNC = "octets before the first header pointer while not synchronised"
    NOT_PACKET_DATA = "frame data field is not packet-synchronised (sync flag set)"
    IDLE_FRAME = "idle frame interrupted the packet in progress"


@dataclass(frozen=True, slots=True)
class PacketReceived:
    """A complete space packet extracted from ``virtual_channel``."""

    virtual_channel: int
    packet: bytes


@dataclass(frozen=True, slots=True)
class FramesLost:
    """``count`` frames missing before this one (``virtual_channel`` None: master channel)."""

    count: int
    virtual_channel: int | None


@dataclass(frozen=True, slots=True)
class OcfReceived:
    """The operational control field (CLCW) of a frame."""

    virtual_channel: int
    ocf: bytes


@dataclass(frozen=True, slots=True)
class IdleFrameReceived:
    """An OID frame (first header pointer 0x7FE) arrived."""

    virtual_channel: int


@dataclass(frozen=True, slots=True)
class DataDiscarded:
    """``octets`` of ``virtual_channel`` were thrown away."""

    virtual_channel: int
    octets: int
    reason: DiscardReason


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """A frame failed to parse or belongs to another spacecraft; nothing of it was used."""

    reason: str


TmEvent = (
    PacketReceived | FramesLost | OcfReceived | IdleFrameReceived | DataDiscarded | FrameRejected
)


@dataclass
class DemuxCounters:
    """Running totals of a :class:`TmDemultiplexer`."""

    frames: int = 0
    frames_rejected: int = 0
    idle_frames: int = 0
    master_frames_lost: int = 0
    vc_frames_lost: dict[int, int] = field(default_factory=dict)
    packets: int = 0
    idle_packets: int = 0
    packets_discarded: int = 0
    octets_discarded: int = 0
    pointer_mismatches: int = 0
    bad_packet_headers: int = 0


@dataclass
class _ChannelState:
    vc: int
    last_count: int | None = None
    in_sync: bool = False
    partial: bytearray = field(default_factory=bytearray)
    expected: int = 0  # total length of the packet in progress, 0 until its header is whole


class TmDemultiplexer:
    """Turns decoded TM frames of one master channel into packet and link events."""

    def __init__(self, config: TmLinkConfig, *, max_packet_length: int = MAX_PACKET_LENGTH):
        if not MIN_PACKET_LENGTH <= max_packet_length <= MAX_PACKET_LENGTH:
            raise LocalProtocolError(f"max_packet_length must be {MIN_PACKET_LENGTH}..65542")
        self._config = config
        self._max_packet = max_packet_length
        self._last_master: int | None = None
        self._channels: dict[int, _ChannelState] = {}
        self.counters = DemuxCounters()

    def feed(self, raw: bytes | bytearray | memoryview) -> list[TmEvent]:
        """Process one encoded frame; returns its events in order (losses, OCF, then data)."""
        config = self._config
        try:
            frame = TmFrame.decode(
                raw, frame_length=config.frame_length, has_ocf=config.ocf, has_fecf=config.fecf
            )
        except DecodeError as exc:
            return self._reject(str(exc))
        return self.feed_frame(frame)

    def feed_frame(self, frame: TmFrame) -> list[TmEvent]:
        """Process one frame already decoded (and, with SDLS, verified and stripped of its
        security header and trailer, CCSDS 355.0-B-2 4.2): its data field may be shorter
        than the configured frame's, and the first header pointer counts from its start."""
        config = self._config
        if frame.spacecraft_id != config.spacecraft_id:
            return self._reject(f"spacecraft id {frame.spacecraft_id}")
        self.counters.frames += 1
        events: list[TmEvent] = []
        self._check_master_count(frame.master_frame_count, events)
        vc = frame.virtual_channel
        state = self._channels.get(vc)
        if state is None:
            state = self._channels[vc] = _ChannelState(vc)
        self._check_vc_count(state, frame.vc_frame_count, events)
        if frame.ocf is not None:
            events.append(OcfReceived(vc, frame.ocf))
        if frame.sync_flag:
            self._lose_sync(state, len(frame.data), DiscardReason.NOT_PACKET_DATA, events)
        elif frame.is_idle:
            self.counters.idle_frames += 1
            if state.partial:
                self._lose_sync(state, 0, DiscardReason.IDLE_FRAME, events)
            events.append(IdleFrameReceived(vc))
        else:
            self._extract(state, frame.data, frame.first_header_pointer, events)
        return events

    def _reject(self, reason: str) -> list[TmEvent]:
        self.counters.frames_rejected += 1
        return [FrameRejected(reason)]

    def _check_master_count(self, count: int, events: list[TmEvent]) -> None:
        if self._last_master is not None:
            gap = (count - self._last_master - 1) & 0xFF
            if gap:
                self.counters.master_frames_lost += gap
                events.append(FramesLost(gap, None))
        self._last_master = count

    def _check_vc_count(self, state: _ChannelState, count: int, events: list[TmEvent]) -> None:
        if state.last_count is not None:
            gap = (count - state.last_count - 1) & 0xFF
            if gap:
                lost = self.counters.vc_frames_lost
                lost[state.vc] = lost.get(state.vc, 0) + gap
                events.append(FramesLost(gap, state.vc))
                self._lose_sync(state, 0, DiscardReason.FRAME_LOSS, events)
        state.last_count = count

    def _lose_sync(
        self,
        state: _ChannelState,
        extra_octets: int,
        reason: DiscardReason,
        events: list[TmEvent],
    ) -> None:
        """Drop the packet in progress (and ``extra_octets`` of this frame); await a pointer."""
        octets = len(state.partial) + extra_octets
        if state.partial:
            self.counters.packets_discarded += 1
            state.partial = bytearray()
            state.expected = 0
        state.in_sync = False
        if octets:
            self.counters.octets_discarded += octets
            events.append(DataDiscarded(state.vc, octets, reason))

    def _extract(
        self, state: _ChannelState, data: bytes, pointer: int, events: list[TmEvent]
    ) -> None:
        length = len(data)
        no_start = pointer == FHP_NO_PACKET_START
        if not no_start and pointer >= length:
            self._mismatch(state, length, events)
            return
        boundary = length if no_start else pointer
        if not state.in_sync:
            self._lose_sync(state, boundary, DiscardReason.OUT_OF_SYNC, events)
        elif state.partial or boundary:
            self._continue(state, data, boundary, no_start, events)
        if not no_start:
            state.in_sync = True
            self._walk(state, data, pointer, events)

    def _continue(
        self,
        state: _ChannelState,
        data: bytes,
        boundary: int,
        no_start: bool,
        events: list[TmEvent],
    ) -> None:
        """Append ``data[:boundary]`` to the packet in progress, or resynchronise.

        The packet must end exactly at ``boundary`` when a packet starts there, and may not
        end inside the frame when none does (132.0-B-3 4.1.2.7.6); otherwise it is dropped.
        """
        partial = state.partial
        if not partial:  # octets before the pointer, yet no packet in progress
            self._mismatch(state, boundary, events)
            return
        position = 0
        if not state.expected:
            position = min(PACKET_HEADER_LENGTH - len(partial), boundary)
            partial += data[:position]
            if len(partial) < PACKET_HEADER_LENGTH:
                if not no_start:
                    self._mismatch(state, 0, events)
                return
            total = self._packet_length(partial, 0)
            if total is None:
                reason = DiscardReason.BAD_PACKET_HEADER
                self._lose_sync(state, boundary - position, reason, events)
                return
            state.expected = total
        remaining = state.expected - len(partial)
        available = boundary - position
        if remaining > available and no_start:
            partial += data[position:boundary]
        elif remaining == available:
            partial += data[position:boundary]
            self._deliver(state.vc, bytes(partial), events)
            state.partial = bytearray()
            state.expected = 0
        else:
            self._mismatch(state, available, events)

    def _mismatch(self, state: _ChannelState, octets: int, events: list[TmEvent]) -> None:
        self.counters.pointer_mismatches += 1
        self._lose_sync(state, octets, DiscardReason.POINTER_MISMATCH, events)

    def _walk(
        self, state: _ChannelState, data: bytes, position: int, events: list[TmEvent]
    ) -> None:
        """Extract the packets that start at or after ``position``."""
        length = len(data)
        while position < length:
            if length - position < PACKET_HEADER_LENGTH:
                state.partial = bytearray(data[position:])
                return
            total = self._packet_length(data, position)
            if total is None:
                reason = DiscardReason.BAD_PACKET_HEADER
                self._lose_sync(state, length - position, reason, events)
                return
            end = position + total
            if end > length:
                state.partial = bytearray(data[position:])
                state.expected = total
                return
            self._deliver(state.vc, data[position:end], events)
            position = end

    def _packet_length(self, buffer: bytes | bytearray, offset: int) -> int | None:
        """Total length of the packet header at ``offset``, or None if it cannot be valid."""
        total = packet_total_length(buffer, offset)
        if buffer[offset] >> 5 or total > self._max_packet:
            self.counters.bad_packet_headers += 1
            return None
        return total

    def _deliver(self, vc: int, packet: bytes, events: list[TmEvent]) -> None:
        if int.from_bytes(packet[0:2], "big") & 0x7FF == IDLE_APID:
            self.counters.idle_packets += 1
            return
        self.counters.packets += 1
        events.append(PacketReceived(vc, packet))
