"""Virtual channel packet processing and multiplexing, CCSDS 132.0-B-3 4.2.2 and 4.2.4.

Space packets queued per virtual channel are packed back to back into the fixed-length data
fields of TM transfer frames; a packet may span frames, and each frame's first header pointer
gives the offset of the first packet header that starts in it (4.1.2.7.6). When a frame must
go out before its data field is full, it is completed with an idle packet (4.2.2.5; APID 0x7FF,
CCSDS 133.0-B-2 4.1.3.3.4.4). An idle packet is at least 7 octets long, so when fewer than 7
octets remain it spills its last octets into the next frame of that virtual channel, where the
first header pointer skips them.

Multiplexing policy (the standard leaves it to the mission, 132.0-B-3 4.2.4): strict priority
in the order of ``virtual_channels`` (ICD: VC 0 real-time before VC 1 bulk). A lower-priority
channel only gets a frame when every higher-priority channel has nothing to send. Idle frames
(first header pointer 0x7FE, ICD VC 7) are produced on request so that the ground receives the
CLCW even when there is nothing to send.

Link security (CCSDS 355.0-B-2; 132.0-B-3 section 6): with a :class:`FrameProtection`, a
protected virtual channel's frames carry ``overhead(vc)`` octets fewer of packet data, and
each frame is sealed (security header, MAC) by the protection before the CLCW and FECF go on.
When a channel cannot be protected at the moment (no operational SA, an inactive key, state
that cannot be saved) its packets stay queued, the other channels and the idle frames go on
(so the ground still receives the CLCW), and ``protection_failures`` counts it: nothing of a
protected channel ever goes out in clear. Idle frames are never protected (docs/security.md).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Protocol

from ccsds.config import TmLinkConfig
from ccsds.errors import LocalProtocolError
from ccsds.spacepacket import MAX_PACKET_LENGTH, SpacePacket
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH as PACKET_HEADER_LENGTH
from ccsds.spacepacket import packet_length as _packet_length
from ccsds.tm_frame import (
    FHP_IDLE_DATA,
    FHP_NO_PACKET_START,
    OCF_LENGTH,
    TmFrame,
    build_frame,
    data_field_length,
    packet_data_field_status,
)

MIN_PACKET_LENGTH = PACKET_HEADER_LENGTH + 1
IDLE_FILL = 0x55
"""Octet pattern of idle packet data and idle frame data (mission choice)."""

_COMPACT_THRESHOLD = 1 << 16


class QueueFullError(LocalProtocolError):
    """A virtual channel already holds its configured maximum of queued octets."""


class FrameProtection(Protocol):
    """The SDLS sending end of the TM frames (355.0-B-2 4.2, sending end)."""

    def overhead(self, virtual_channel: int) -> int:
        """Octets of security header and trailer the next frame of the channel needs (0: the
        channel is sent in clear); raises :class:`~ccsds.errors.LocalProtocolError` when the
        channel is protected but cannot be protected now (nothing is then taken)."""
        ...

    def seal(self, frame: TmFrame) -> bytes:
        """The encoded, protected frame (``frame.data`` plaintext, ``frame.ocf`` outside the
        MAC, FECF last)."""
        ...


def packet_total_length(buffer: bytes | bytearray | memoryview, offset: int = 0) -> int:
    """Total octets of the packet whose header starts at ``offset`` (133.0-B-2 4.1.3.5.3)."""
    return _packet_length(buffer[offset : offset + PACKET_HEADER_LENGTH])


def idle_packet(length: int) -> bytes:
    """An idle packet of ``length`` octets (version 0, APID 0x7FF, unsegmented)."""
    if not MIN_PACKET_LENGTH <= length <= MAX_PACKET_LENGTH:
        raise LocalProtocolError(f"idle packet length {length} outside 7..65542")
    return SpacePacket.idle(length, fill=IDLE_FILL).encode()


class _ChannelQueue:
    """Queued octets of one virtual channel, addressed by absolute stream offsets."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.base = 0  # absolute offset of buffer[0]
        self.read = 0  # absolute offset of the next octet to frame
        self.starts: deque[int] = deque()  # absolute offsets of packet headers not yet framed
        self.real_end = 0  # absolute end of the last queued non-idle packet
        self.frame_count = 0

    @property
    def available(self) -> int:
        return self.base + len(self.buffer) - self.read

    @property
    def real_pending(self) -> int:
        return max(0, self.real_end - self.read)

    def append(self, packet: bytes | bytearray | memoryview, *, real: bool) -> None:
        start = self.base + len(self.buffer)
        self.starts.append(start)
        self.buffer += packet
        if real:
            self.real_end = start + len(packet)

    def take(self, length: int) -> tuple[bytes, int]:
        """The next ``length`` octets and their first header pointer."""
        begin = self.read - self.base
        with memoryview(self.buffer) as view:
            data = bytes(view[begin : begin + length])
        end = self.read + length
        pointer = FHP_NO_PACKET_START
        starts = self.starts
        if starts and starts[0] < end:
            pointer = starts[0] - self.read
            while starts and starts[0] < end:
                starts.popleft()
        self.read = end
        consumed = end - self.base
        if consumed >= _COMPACT_THRESHOLD and 2 * consumed >= len(self.buffer):
            del self.buffer[:consumed]
            self.base = end
        return data, pointer


class TmMultiplexer:
    """Packs space packets into TM frames of one master channel (sans-I/O).

    ``virtual_channels`` lists the packet channels in priority order (default: the ICD's
    real-time then bulk channel); ``queue_limit`` bounds the octets queued per channel.
    """

    def __init__(
        self,
        config: TmLinkConfig,
        *,
        virtual_channels: Sequence[int] | None = None,
        queue_limit: int | None = None,
        protection: FrameProtection | None = None,
    ) -> None:
        channels = (
            (config.vc_realtime, config.vc_bulk)
            if virtual_channels is None
            else tuple(virtual_channels)
        )
        if len(set(channels)) != len(channels) or config.vc_idle in channels:
            raise LocalProtocolError("packet channels must be distinct and not the idle channel")
        if any(not 0 <= vc <= 7 for vc in channels):
            raise LocalProtocolError("virtual channel ids must be 0..7")
        self._config = config
        self._priority = channels
        self._queues = {vc: _ChannelQueue() for vc in channels}
        self._idle_frame_count = 0
        self._queue_limit = queue_limit
        self._data_length = data_field_length(config.frame_length, ocf=config.ocf, fecf=config.fecf)
        self._idle_data = bytes([IDLE_FILL]) * self._data_length
        self.master_frame_count = 0
        """Master channel frame count of the next frame (modulo 256)."""
        self.frames_sent = 0
        self.idle_frames_sent = 0
        self.idle_packets_inserted = 0
        self.protection = protection
        """SDLS sending end of the protected channels (None: every frame in clear)."""
        self.protection_failures = 0
        """Times a channel with data was passed over because it could not be protected."""

    @property
    def data_field_length(self) -> int:
        """Octets of packet data each frame carries."""
        return self._data_length

    def pending(self, vc: int) -> int:
        """Octets of queued packets on ``vc`` not yet put into a frame."""
        return self._queue(vc).real_pending

    def queue_packet(self, vc: int, packet: bytes | bytearray | memoryview) -> None:
        """Queue one complete space packet on virtual channel ``vc``.

        The packet's length field must match its size (CCSDS 133.0-B-2 4.1.3.5.3): the
        receiver walks packets by that field.
        """
        queue = self._queue(vc)
        size = len(packet)
        if size < MIN_PACKET_LENGTH or packet_total_length(packet) != size:
            raise LocalProtocolError(f"{size} octets are not one space packet (length field)")
        if self._queue_limit is not None and queue.real_pending + size > self._queue_limit:
            raise QueueFullError(f"virtual channel {vc} queue holds {queue.real_pending} octets")
        queue.append(packet, real=True)

    def next_frame(
        self, clcw: bytes | None = None, *, complete_partial: bool = True
    ) -> bytes | None:
        """The next frame by priority, or None when no channel has data to send.

        With ``complete_partial`` (default) a channel holding less than a data field is
        sent completed with an idle packet; without it only full data fields are sent.
        """
        for vc in self._priority:
            pending = self._queues[vc].real_pending
            if not pending:
                continue
            try:
                overhead = self._overhead(vc)
            except LocalProtocolError:
                self.protection_failures += 1
                continue
            if complete_partial or pending >= self._data_length - overhead:
                return self._frame(vc, clcw, overhead)
        return None

    def flush(self, vc: int, clcw: bytes | None = None) -> list[bytes]:
        """Every frame needed to send all packets queued on ``vc`` (the last idle-completed).

        Raises :class:`~ccsds.errors.LocalProtocolError` when the channel cannot be protected
        (the packets not yet framed stay queued).
        """
        queue = self._queue(vc)
        frames = []
        while queue.real_pending:
            frames.append(self._frame(vc, clcw, self._overhead(vc)))
        return frames

    def idle_frame(self, clcw: bytes | None = None) -> bytes:
        """An OID frame on the idle channel (first header pointer 0x7FE) carrying the CLCW."""
        frame = build_frame(
            self._config.spacecraft_id,
            self._config.vc_idle,
            master_frame_count=self.master_frame_count,
            vc_frame_count=self._idle_frame_count,
            data_field_status=packet_data_field_status(FHP_IDLE_DATA),
            data=self._idle_data,
            ocf=self._ocf(clcw),
            fecf=self._config.fecf,
        )
        self._idle_frame_count = (self._idle_frame_count + 1) & 0xFF
        self.idle_frames_sent += 1
        self._advance_master()
        return frame

    def _overhead(self, vc: int) -> int:
        return 0 if self.protection is None else self.protection.overhead(vc)

    def _frame(self, vc: int, clcw: bytes | None, overhead: int) -> bytes:
        queue = self._queues[vc]
        ocf = self._ocf(clcw)
        length = self._data_length - overhead
        shortfall = length - queue.available
        if shortfall > 0:
            queue.append(idle_packet(max(shortfall, MIN_PACKET_LENGTH)), real=False)
            self.idle_packets_inserted += 1
        data, pointer = queue.take(length)
        if overhead and self.protection is not None:
            frame = self.protection.seal(TmFrame(
                self._config.spacecraft_id, vc, self.master_frame_count, queue.frame_count,
                pointer, data, ocf=ocf))
        else:
            frame = build_frame(
                self._config.spacecraft_id,
                vc,
                master_frame_count=self.master_frame_count,
                vc_frame_count=queue.frame_count,
                data_field_status=packet_data_field_status(pointer),
                data=data,
                ocf=ocf,
                fecf=self._config.fecf,
            )
        queue.frame_count = (queue.frame_count + 1) & 0xFF
        self._advance_master()
        return frame

    def _advance_master(self) -> None:
        self.master_frame_count = (self.master_frame_count + 1) & 0xFF
        self.frames_sent += 1

    def _ocf(self, clcw: bytes | None) -> bytes | None:
        if self._config.ocf != (clcw is not None):
            state = "carries" if self._config.ocf else "has no"
            raise LocalProtocolError(f"the link {state} an operational control field (CLCW)")
        if clcw is not None and len(clcw) != OCF_LENGTH:
            raise LocalProtocolError(f"a CLCW is {OCF_LENGTH} octets, got {len(clcw)}")
        return clcw

    def _queue(self, vc: int) -> _ChannelQueue:
        try:
            return self._queues[vc]
        except KeyError:
            raise LocalProtocolError(f"virtual channel {vc} is not a packet channel") from None
