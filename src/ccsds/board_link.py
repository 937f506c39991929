"""The payload's side of the space link, composed from the protocol layers.

Uplink (CCSDS 231.0-B-4, 232.0-B-4, 232.1-B-2): byte stream -> CLTUs -> derandomized TC
frames -> [SDLS, 355.0-B-2] -> FARM-1 -> segment reassembly (MAP) -> space packets.
With ``sdls.enabled`` every frame passes SDLS processing first (:class:`UplinkSecurity`): a
frame it rejects is counted and dropped before FARM-1, so it never moves V(R), never
sets lockout or retransmit and never reaches a command (355.0-B-2 4.2, receiving end).
Downlink (132.0-B-3, 131.0-B-5): space packets -> VC multiplexer -> [SDLS] -> TM frames
carrying the FARM-1 CLCW in their OCF -> RS codeblock, randomizer, ASM -> CADU byte stream.
With ``sdls.tm_protection`` the frames of ``sdls.tm_virtual_channels`` are protected by
:class:`DownlinkSecurity` (their data field shrinks by the SA's overhead); with no security
attached those channels send nothing (fail secure), idle frames still carry the CLCW.

Sans-I/O: the flight software's main loop moves bytes between the port and these objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ccsds.channel_coding import CaduEncoder
from ccsds.config import LinkConfig
from ccsds.cop1.farm1 import Farm1, FarmResult
from ccsds.errors import DecodeError, LengthError, LocalProtocolError, TruncatedError
from ccsds.sdls.association import SPI_LENGTH, SaTable, SecurityAssociation
from ccsds.sdls.errors import KeyStateError, SaStateError
from ccsds.sdls.frame_security import SecurityCounters, apply_tm_security, process_tc_security
from ccsds.sdls.keys import KeyStore
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH as PACKET_HEADER_LENGTH
from ccsds.spacepacket import packet_length
from ccsds.tc_frame import PRIMARY_HEADER_LENGTH as TC_HEADER_LENGTH
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SEGMENT_HEADER_LENGTH, SegmentReassembler
from ccsds.tc_uplink import ReceivedFrame, TcUplinkReceiver
from ccsds.tm_frame import TmFrame
from ccsds.tm_mux import FrameProtection, TmMultiplexer


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
    """Rejected by SDLS or by FARM-1."""
    security_rejected: int = 0
    """Of those, rejected by SDLS (by class in :attr:`BoardUplink.security_counters`)."""
    packets: int = 0
    packet_fragments: int = 0


@dataclass(frozen=True, slots=True)
class SecurityRejection:
    """A TC frame SDLS rejected: the error (its ``counter`` names the class), the frame's
    VC and the SPI it carried (None when the frame is too short to hold one)."""

    error: DecodeError
    virtual_channel: int
    spi: int | None


@dataclass(slots=True)
class UplinkSecurity:
    """The board's SDLS receiving end (355.0-B-2 4.2): its SAs and keys, shared with key
    and SA management, and hooks: ``on_rejected`` for every rejected frame,
    ``on_accepted`` with the SPI of every accepted one (its SA's ARSN has moved), and
    ``after_accepted`` once per :meth:`BoardUplink.feed` or :meth:`BoardUplink.flush` that
    accepted any, before its packets are returned (where the ARSNs are saved, so that no
    command runs before the frame that carried it can no longer be replayed)."""

    table: SaTable
    keys: KeyStore
    on_rejected: Callable[[SecurityRejection], None] | None = None
    on_accepted: Callable[[int], None] | None = None
    after_accepted: Callable[[], None] | None = None
    counters: SecurityCounters = field(default_factory=SecurityCounters)


def frame_spi(raw: bytes, frame: TcFrame, *, segment_header: bool) -> int | None:
    """The SPI of a protected TC frame (355.0-B-2 4.1.1.2), None if the frame is too short."""
    start = TC_HEADER_LENGTH + (SEGMENT_HEADER_LENGTH if segment_header
                                and not frame.control_command else 0)
    end = TC_HEADER_LENGTH + len(frame.data)
    return int.from_bytes(raw[start : start + SPI_LENGTH], "big") \
        if end - start >= SPI_LENGTH else None


class BoardUplink:
    """Board side of the uplink for the mission's TC virtual channel.

    With ``config.sdls.enabled`` and no :attr:`security` attached yet, every frame is
    rejected (fail secure: no command runs unauthenticated).
    """

    def __init__(self, config: LinkConfig, *, security: UplinkSecurity | None = None) -> None:
        tc = config.tc
        self.config = config
        self.receiver = TcUplinkReceiver(tc)
        self.farm = Farm1(tc.virtual_channel, tc.farm_window, spacecraft_id=tc.spacecraft_id)
        self.reassembler = SegmentReassembler()
        self.counters = BoardUplinkCounters()
        self.security = security
        self._unattached_counters = SecurityCounters()
        self.last_farm_result: FarmResult | None = None
        self.last_error: DecodeError | None = None

    @property
    def security_counters(self) -> SecurityCounters:
        """SDLS outcomes by class (355.0-B-2 4.2): of the attached security, if any."""
        return self.security.counters if self.security is not None \
            else self._unattached_counters

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Take received octets; return the space packets they complete, in order."""
        return self._deliver(self.receiver.feed_received(data))

    def flush(self) -> list[bytes]:
        """The line went idle: end any CLTU under way and deliver what it completes."""
        return self._deliver(self.receiver.flush_received())

    def clcw(self) -> bytes:
        """The CLCW to place in the OCF of the next TM frame."""
        return self.farm.clcw().encode()

    def _unprotected(self, received: ReceivedFrame) -> TcFrame | None:
        """The frame with its plaintext data field, or None (counted) if SDLS rejects it."""
        raw, frame = received
        security = self.security
        if security is None:
            self._rejected(SaStateError("SDLS is enabled but no SAs are loaded"),
                           self._unattached_counters)
            return None
        segment_header = self.config.tc.segment_header
        try:
            plain = process_tc_security(raw, security.table, security.keys,
                                        segment_header=segment_header,
                                        fecf=self.config.tc.fecf, counters=security.counters)
        except DecodeError as error:
            self._rejected(error)
            if security.on_rejected is not None:
                spi = frame_spi(raw, frame, segment_header=segment_header)
                security.on_rejected(SecurityRejection(error, frame.virtual_channel, spi))
            return None
        if security.on_accepted is not None:
            spi = frame_spi(raw, frame, segment_header=segment_header)
            if spi is not None:
                security.on_accepted(spi)
        return plain

    def _rejected(self, error: DecodeError, counters: SecurityCounters | None = None) -> None:
        """Count a frame SDLS rejected (``counters``: when not already counted there)."""
        if counters is not None:
            counters.count_rejection(error)
        self.counters.frames_rejected += 1
        self.counters.security_rejected += 1
        self.last_error = error

    def _deliver(self, received: list[ReceivedFrame]) -> list[bytes]:
        protected = self.config.sdls.enabled
        accepted = self.security_counters.accepted
        packets = self._accept(received, protected)
        security = self.security
        if protected and security is not None and security.after_accepted is not None \
                and security.counters.accepted != accepted:
            security.after_accepted()
        return packets

    def _accept(self, received: list[ReceivedFrame], protected: bool) -> list[bytes]:
        packets: list[bytes] = []
        for each in received:
            frame = self._unprotected(each) if protected else each.frame
            if frame is None:
                continue
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


class DownlinkSecurity:
    """The board's SDLS sending end on TM (355.0-B-2 4.2, sending end; 132.0-B-3 section 6).

    Protects the frames of ``config.sdls.tm_virtual_channels`` with the OPERATIONAL SA of
    the channel with the lowest SPI in ``table`` (the TM SA table: TC and TM SAs are kept
    apart, docs/security.md 10). ``before_use(sa)`` runs before each sequence number is
    taken: the board saves its TM SA file there with a reserve ahead, so a reset never
    reuses an IV; it raises :class:`~ccsds.errors.LocalProtocolError` when it cannot, and
    the frame is then not sent.
    """

    def __init__(self, table: SaTable, keys: KeyStore, config: LinkConfig, *,
                 before_use: Callable[[SecurityAssociation], None] | None = None) -> None:
        self.table = table
        self.keys = keys
        self.config = config
        self.before_use = before_use
        self.frames_protected = 0
        self.last_failure: LocalProtocolError | None = None
        sdls = config.sdls
        self._protected = frozenset(sdls.tm_virtual_channels if sdls.tm_protection else ())

    def protects(self, virtual_channel: int) -> bool:
        """Whether frames of the channel are protected."""
        return virtual_channel in self._protected

    def current(self, virtual_channel: int) -> SecurityAssociation:
        """The SA the next frame of a protected channel is protected with."""
        candidates = self.table.operational_for(virtual_channel)
        if not candidates:
            raise LocalProtocolError(f"no operational TM SA for VC {virtual_channel}")
        return candidates[0]

    def overhead(self, virtual_channel: int) -> int:
        """Security header and MAC octets of the channel's next frame (0: not protected);
        raises LocalProtocolError when it cannot be protected now."""
        if not self.protects(virtual_channel):
            return 0
        try:
            sa = self.current(virtual_channel)
            self.keys.traffic_cipher(sa.key_id)
            if self.before_use is not None:
                self.before_use(sa)
        except KeyStateError as error:
            self.last_failure = LocalProtocolError(str(error))
            raise self.last_failure from error
        except LocalProtocolError as error:
            self.last_failure = error
            raise
        return sa.overhead

    def seal(self, frame: TmFrame) -> bytes:
        """The protected frame with its OCF and FECF (the SA's next ARSN is taken)."""
        tm = self.config.tm
        raw = apply_tm_security(frame, self.current(frame.virtual_channel), self.keys,
                                frame_length=tm.frame_length, fecf=tm.fecf)
        self.frames_protected += 1
        return raw


class _Withheld:
    """TM protection configured but no security attached: protected channels send nothing."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        self._channels = frozenset(channels)

    def overhead(self, virtual_channel: int) -> int:
        if virtual_channel in self._channels:
            raise LocalProtocolError("TM protection is on but no TM SAs are loaded")
        return 0

    def seal(self, frame: TmFrame) -> bytes:
        raise LocalProtocolError("TM protection is on but no TM SAs are loaded")


class BoardDownlink:
    """Board side of the downlink: queue packets per VC, take CADUs for the port.

    With ``config.sdls.tm_protection`` the protected channels wait for :attr:`security`.
    """

    def __init__(self, config: LinkConfig, *, security: DownlinkSecurity | None = None) -> None:
        self.config = config
        self.mux = TmMultiplexer(config.tm)
        self.encoder = CaduEncoder(config.tm)
        self.security = security

    @property
    def security(self) -> DownlinkSecurity | None:
        """The TM SDLS sending end (None: frames in clear, or withheld when the mission
        protects TM)."""
        return self._security

    @security.setter
    def security(self, security: DownlinkSecurity | None) -> None:
        self._security = security
        sdls = self.config.sdls
        withheld = _Withheld(sdls.tm_virtual_channels) if sdls.tm_protection else None
        protection: FrameProtection | None = security if security is not None else withheld
        self.mux.protection = protection

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
