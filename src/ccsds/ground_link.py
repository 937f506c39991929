"""The ground station's side of the space link, composed from the protocol layers.

Downlink (CCSDS 131.0-B-5, 132.0-B-3): CADU byte stream -> frame synchronizer (ASM,
derandomizer, RS decoding, FECF) -> [SDLS, 355.0-B-2] -> VC demultiplexer -> space packets
and CLCWs. With ``sdls.tm_protection`` every frame of a protected VC is verified
(:class:`DownlinkVerification`) before demultiplexing; a frame failing it is counted and
dropped whole (no packet, no CLCW of it is used).
Uplink (232.1-B-2, 232.0-B-4, 231.0-B-4): space packets -> segmentation (MAP) -> FOP-1 ->
TC frames -> [SDLS, 355.0-B-2] -> randomizer -> CLTUs, with FOP-1 driven by the CLCWs the
downlink carries. FOP-1 keeps plaintext frames: SDLS (:class:`TcProtection`) is applied at
every transmission, retransmissions included, so each carries a fresh anti-replay sequence
number (a retransmitted copy of an earlier protected frame would be rejected as a replay).

Sans-I/O: time is passed in; the ground software's link task moves the bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ccsds.config import LinkConfig, TcLinkConfig
from ccsds.cop1.clcw import Clcw
from ccsds.cop1.fop1 import Fop1
from ccsds.cop1.fop1_types import AlertReason, Directive, FduResponse, FopState, FopStep, Response
from ccsds.errors import DecodeError, LocalProtocolError
from ccsds.frame_sync import FrameReceived, FrameSynchronizer, SyncEvent
from ccsds.sdls.association import SaState, SaTable, SecurityAssociation
from ccsds.sdls.errors import SaStateError, WrongChannelError
from ccsds.sdls.frame_security import SecurityCounters, apply_tc_security, process_tm_security
from ccsds.sdls.keys import KeyStore
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import segment
from ccsds.tc_uplink import frame_to_cltu, max_frame_data, raw_frame_to_cltu
from ccsds.tm_demux import OcfReceived, PacketReceived, TmDemultiplexer, TmEvent
from ccsds.tm_frame import TmFrame


@dataclass(frozen=True, slots=True)
class TmFrameUnverified:
    """A TM frame SDLS rejected (355.0-B-2 4.2, receiving end): counted (``error.counter``
    names the class) and dropped; none of it, packets or CLCW, was used."""

    virtual_channel: int
    error: DecodeError


DownlinkEvent = SyncEvent | TmEvent | TmFrameUnverified


class DownlinkVerification:
    """The ground's SDLS receiving end on TM (355.0-B-2 4.2, receiving end).

    ``table`` is the ground's TM SA table (kept apart from the TC one), ``keys`` its key
    store. A frame of ``config.sdls.tm_virtual_channels`` must verify under an OPERATIONAL
    SA of its VC with an ARSN above the last accepted and within the SA's window (lost
    frames are tolerated up to the window). Frames of the other channels are accepted in
    clear only on the link's packet channels and, carrying idle data only, on the idle
    channel: anything else is a frame the board never sends (``wrong_channel``).
    ``after_accepted`` runs once per received batch that accepted a frame (the ground saves
    its TM ARSNs there, so frames from before a restart stay rejected).
    """

    def __init__(self, table: SaTable, keys: KeyStore, config: LinkConfig, *,
                 after_accepted: Callable[[], None] | None = None) -> None:
        self.table = table
        self.keys = keys
        self.config = config
        self.after_accepted = after_accepted
        self.counters = SecurityCounters()

    def verify(self, raw: bytes | bytearray | memoryview) -> TmFrame:
        """The frame with its plaintext data field; raises (and counts) a DecodeError."""
        tm = self.config.tm
        return process_tm_security(raw, self.table, self.keys, frame_length=tm.frame_length,
                                   has_ocf=tm.ocf, has_fecf=tm.fecf, counters=self.counters)


def tm_virtual_channel(raw: bytes | bytearray | memoryview) -> int | None:
    """The VC id of an encoded TM frame (132.0-B-3 4.1.2.3), None when too short."""
    return (raw[1] >> 1) & 0x7 if len(raw) >= 2 else None


class GroundDownlink:
    """Ground side of the downlink: bytes in, packets, CLCWs and link events out.

    With ``sdls.tm_protection`` and no :attr:`verification` attached, every frame of a
    protected channel is rejected (fail secure; counted as ``sa_state``).
    """

    def __init__(self, config: LinkConfig, *,
                 verification: DownlinkVerification | None = None) -> None:
        self.config = config
        # Every codeblock is verified by RS decoding and the frame's FECF, so a frame found
        # after a single ASM is delivered at once (no CHECK stage): a CADU isolated by
        # garbage on the line (octets inserted by a UART) is then not lost.
        self.sync = FrameSynchronizer(config.tm, check_count=0)
        self.demux = TmDemultiplexer(config.tm)
        self.verification = verification
        self._unattached_counters = SecurityCounters()
        self._accepted_at_batch = 0
        sdls, tm = config.sdls, config.tm
        self._protected = frozenset(sdls.tm_virtual_channels if sdls.tm_protection else ())
        self._clear = frozenset({tm.vc_realtime, tm.vc_bulk}) - self._protected

    @property
    def security_counters(self) -> SecurityCounters:
        """TM SDLS outcomes by class: of the attached verification, if any."""
        return self.verification.counters if self.verification is not None \
            else self._unattached_counters

    def feed(self, data: bytes | bytearray | memoryview) -> list[DownlinkEvent]:
        """Take received octets; return synchronizer events (other than the frames
        themselves) and the events of every frame, in stream order."""
        events: list[DownlinkEvent] = []
        for event in self.sync.feed(data):
            if isinstance(event, FrameReceived):
                events.extend(self.frame_events(event.frame))
            else:
                events.append(event)
        self.batch_done()
        return events

    def frame_events(self, raw: bytes | bytearray | memoryview
                     ) -> list[TmEvent | TmFrameUnverified]:
        """The events of one frame from the synchronizer (verified first when protected)."""
        if not self.config.sdls.tm_protection:
            return list(self.demux.feed(raw))
        vc = tm_virtual_channel(raw)
        if vc is None or vc in self._clear:
            return list(self.demux.feed(raw))
        try:
            frame = self._verified(raw, vc) if vc in self._protected else self._idle(raw, vc)
        except DecodeError as error:
            return [TmFrameUnverified(vc, error)]
        if frame is None:
            return list(self.demux.feed(raw))  # malformed: the demultiplexer counts it
        return list(self.demux.feed_frame(frame))

    def batch_done(self) -> None:
        """End of a batch of received octets: run ``after_accepted`` if frames verified."""
        verification = self.verification
        if verification is None:
            return
        accepted = verification.counters.accepted
        if accepted != self._accepted_at_batch:
            self._accepted_at_batch = accepted
            if verification.after_accepted is not None:
                verification.after_accepted()

    def _verified(self, raw: bytes | bytearray | memoryview, vc: int) -> TmFrame:
        if self.verification is None:
            error = SaStateError(f"TM protection is on but no TM SAs are loaded (VC {vc})")
            self._unattached_counters.count_rejection(error)
            raise error
        return self.verification.verify(raw)

    def _idle(self, raw: bytes | bytearray | memoryview, vc: int) -> TmFrame | None:
        """An unprotected frame: accepted only as idle data on the idle channel."""
        tm = self.config.tm
        try:
            frame = TmFrame.decode(raw, frame_length=tm.frame_length, has_ocf=tm.ocf,
                                   has_fecf=tm.fecf)
        except DecodeError:
            return None
        if vc != tm.vc_idle or not frame.is_idle:
            error = WrongChannelError(f"VC {vc} frame in clear where only protected frames "
                                      "or idle data are sent")
            self.security_counters.count_rejection(error)
            raise error
        return frame


class TcProtection:
    """The ground's SDLS sending end on the TC VC (355.0-B-2 4.2, sending end).

    Frames are protected with the SA in use: the one :meth:`select` chose while it is
    OPERATIONAL, else the OPERATIONAL SA of the VC with the lowest SPI. ``before_use(sa)``
    runs before each sequence number is taken (the caller saves its SA file with a reserve
    ahead there, docs/security.md 5). Raises :class:`~ccsds.errors.LocalProtocolError`
    when no SA can protect the frame.
    """

    def __init__(self, table: SaTable, keys: KeyStore, config: TcLinkConfig, *,
                 before_use: Callable[[SecurityAssociation], None] | None = None) -> None:
        self.table = table
        self.keys = keys
        self.config = config
        self.before_use = before_use
        self._selected: int | None = None

    def select(self, spi: int | None) -> None:
        """Protect new frames with SA ``spi`` (None: the default choice)."""
        if spi is not None and not self.table.get(spi).applies_to(self.config.virtual_channel):
            raise LocalProtocolError(f"SA {spi} does not apply to TC VC "
                                     f"{self.config.virtual_channel}")
        self._selected = spi

    def current(self) -> SecurityAssociation:
        """The SA the next frame is protected with."""
        vc = self.config.virtual_channel
        if self._selected is not None and self._selected in self.table:
            sa = self.table.get(self._selected)
            if sa.state is SaState.OPERATIONAL:
                return sa
        candidates = self.table.operational_for(vc)
        if not candidates:
            raise LocalProtocolError(f"no operational SA for TC VC {vc}")
        return candidates[0]

    @property
    def overhead(self) -> int:
        """Largest security header plus trailer of the VC's SAs (frames sized for any)."""
        vc = self.config.virtual_channel
        return max((sa.overhead for sa in self.table if sa.applies_to(vc)), default=0)

    def protect(self, frame: TcFrame) -> bytes:
        """The protected frame octets (FECF included when the link has one)."""
        sa = self.current()
        if self.before_use is not None:
            self.before_use(sa)
        return apply_tc_security(frame, sa, self.keys, segment_header=self.config.segment_header,
                                 fecf=self.config.fecf)


class GroundUplink:
    """Ground side of the uplink: packets -> MAP segments -> FOP-1 (AD service) -> CLTUs.

    Segments wait in a queue of their own and are offered to FOP-1 while its wait queue is
    free (232.1-B-2 5.1.5), so a burst of commands never meets a "reject". Every method
    returns the CLTUs to put on the line now; FOP-1 alerts are collected in :attr:`alerts`.
    With ``protection`` every transmission is SDLS-protected; a frame it cannot protect
    (no operational SA) is not sent and is counted in :attr:`protection_failures` (FOP-1
    retransmits it, or alerts).
    """

    def __init__(self, config: LinkConfig, *, protection: TcProtection | None = None) -> None:
        self.config = config
        self.fop = Fop1.from_config(config.tc)
        self.protection = protection
        self.alerts: list[AlertReason] = []
        self.frames_sent = 0
        self.retransmissions = 0
        self.protection_failures = 0
        self.last_protection_error: LocalProtocolError | None = None
        self._segments: deque[bytes] = deque()

    @property
    def max_frame_data(self) -> int:
        """Octets of plaintext frame data field one frame carries (less SDLS overhead)."""
        overhead = self.protection.overhead if self.protection is not None else 0
        return max_frame_data(self.config.tc, overhead)

    def cltu(self, frame: TcFrame) -> bytes:
        """The CLTU of ``frame``, SDLS-protected when the uplink is (a fresh ARSN each call)."""
        if self.protection is None:
            return frame_to_cltu(frame, self.config.tc)
        return raw_frame_to_cltu(self.protection.protect(frame), self.config.tc)

    @property
    def queued(self) -> int:
        """Segments not yet accepted by FOP-1."""
        return len(self._segments)

    @property
    def idle(self) -> bool:
        """Nothing queued and every AD frame acknowledged."""
        return not self._segments and self.fop.sent_queue_length == 0

    def start(self, now: float, directive: Directive = Directive.INITIATE_AD_WITHOUT_CLCW,
              value: int | None = None) -> list[bytes]:
        """Initiate the AD service (e.g. with Set V(R) ``value`` after a board restart)."""
        return self._after(self.fop.directive(directive, now, value), now)

    def send_packet(self, packet: bytes, now: float) -> list[bytes]:
        """Queue one space packet for sequence-controlled delivery."""
        tc = self.config.tc
        if self.protection is not None:
            self.protection.current()  # refuse now, not silently at transmission
        if tc.segment_header:
            self._segments.extend(segment(packet, tc.map_id, self.max_frame_data))
        else:
            self._segments.append(packet)
        return self._pump(now)

    def receive_clcw(self, ocf: bytes, now: float) -> list[bytes]:
        """A CLCW arrived in a TM frame's OCF."""
        return self._after(self.fop.receive_clcw(Clcw.decode(ocf), now), now)

    def poll(self, now: float) -> list[bytes]:
        """Let the FOP-1 timer fire when due (retransmission or alert)."""
        step = self.fop.poll(now)
        return self._after(step, now) if step is not None else self._pump(now)

    def _after(self, step: FopStep, now: float) -> list[bytes]:
        return self._transmit(step, now) + self._pump(now)

    def _pump(self, now: float) -> list[bytes]:
        cltus: list[bytes] = []
        while self._segments and self.fop.wait_queue_empty and self.fop.state in _SENDING:
            step = self.fop.request_ad(self._segments[0], now)
            if _rejected(step):
                break
            self._segments.popleft()
            cltus += self._transmit(step, now)
        return cltus

    def _transmit(self, step: FopStep, now: float) -> list[bytes]:
        steps = [step, *self.fop.complete_transmissions(step, now)]
        cltus = []
        for each in steps:
            self.alerts.extend(each.alerts)
            for request in each.transmit_requests:
                try:
                    cltus.append(self.cltu(request.frame))
                except LocalProtocolError as error:
                    self.protection_failures += 1
                    self.last_protection_error = error
                    continue
                self.frames_sent += 1
                self.retransmissions += request.retransmission
        return cltus


_SENDING = frozenset({FopState.ACTIVE, FopState.RETRANSMIT_WITHOUT_WAIT,
                      FopState.RETRANSMIT_WITH_WAIT})


def _rejected(step: FopStep) -> bool:
    return any(isinstance(out, FduResponse) and out.response is Response.REJECT
               for out in step.outputs)


class GroundLink:
    """Both directions at the ground: the CLCW of every downlink frame drives FOP-1.

    ``receive`` returns the packets that arrived and the CLTUs FOP-1 wants on the line now
    (retransmissions, frames released from its wait queue).
    """

    def __init__(self, config: LinkConfig, *, protection: TcProtection | None = None,
                 verification: DownlinkVerification | None = None) -> None:
        self.config = config
        self.uplink = GroundUplink(config, protection=protection)
        self.downlink = GroundDownlink(config, verification=verification)

    def receive(self, data: bytes | bytearray | memoryview,
                now: float) -> tuple[list[PacketReceived], list[bytes]]:
        """Take downlink octets."""
        packets: list[PacketReceived] = []
        cltus: list[bytes] = []
        for event in self.downlink.feed(data):
            if isinstance(event, OcfReceived):
                cltus += self.uplink.receive_clcw(event.ocf, now)
            elif isinstance(event, PacketReceived):
                packets.append(event)
        return packets, cltus
