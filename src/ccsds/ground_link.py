"""The ground station's side of the space link, composed from the protocol layers.

Downlink (CCSDS 131.0-B-5, 132.0-B-3): CADU byte stream -> frame synchronizer (ASM,
derandomizer, RS decoding, FECF) -> VC demultiplexer -> space packets and CLCWs.
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

from ccsds.config import LinkConfig, TcLinkConfig
from ccsds.cop1.clcw import Clcw
from ccsds.cop1.fop1 import Fop1
from ccsds.cop1.fop1_types import AlertReason, Directive, FduResponse, FopState, FopStep, Response
from ccsds.errors import LocalProtocolError
from ccsds.frame_sync import FrameReceived, FrameSynchronizer, SyncEvent
from ccsds.sdls.association import SaState, SaTable, SecurityAssociation
from ccsds.sdls.frame_security import apply_tc_security
from ccsds.sdls.keys import KeyStore
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import segment
from ccsds.tc_uplink import frame_to_cltu, max_frame_data, raw_frame_to_cltu
from ccsds.tm_demux import OcfReceived, PacketReceived, TmDemultiplexer, TmEvent

DownlinkEvent = SyncEvent | TmEvent


class GroundDownlink:
    """Ground side of the downlink: bytes in, packets, CLCWs and link events out."""

    def __init__(self, config: LinkConfig) -> None:
        self.config = config
        # Every codeblock is verified by RS decoding and the frame's FECF, so a frame found
        # after a single ASM is delivered at once (no CHECK stage): a CADU isolated by
        # garbage on the line (octets inserted by a UART) is then not lost.
        self.sync = FrameSynchronizer(config.tm, check_count=0)
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

    def __init__(self, config: LinkConfig, *, protection: TcProtection | None = None) -> None:
        self.config = config
        self.uplink = GroundUplink(config, protection=protection)
        self.downlink = GroundDownlink(config)

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
