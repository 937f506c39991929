"""The ground station's link task: a port by URL, the protocol stack, FOP-1 and reconnection.

A reader thread takes downlink octets from the port (``serial.serial_for_url``: a UART, a
pseudo-terminal, ``socket://``...) into frame synchronisation, RS decoding and VC
demultiplexing (CCSDS 131.0-B-5, 132.0-B-3); the CLCW of each frame drives FOP-1
(232.1-B-2). A writer thread puts CLTUs (231.0-B-4) on the line, so the reader never blocks
on a full output buffer. When the port fails, the reader reopens it until it comes back.

FOP-1 is initialised from the first CLCW: V(S) is set to the CLCW's N(R) (directive Set
V(S), 232.1-B-2 5.2.8), then the AD service starts without a CLCW check. After an alert
FOP-1 re-initialises itself the same way, except for a FARM-1 lockout: that waits for the
operator's confirmation (:meth:`LinkPort.unlock`, directive "initiate AD with Unlock").
With SDLS (CCSDS 355.0-B-2) every TC frame, AD, BD or control command, retransmissions
included, is protected just before it becomes a CLTU (:class:`~ccsds.ground_link.TcProtection`,
set with ``protection=`` or :meth:`LinkPort.set_protection`). With TM protection every
downlink frame of a protected VC is verified before demultiplexing
(:class:`~ccsds.ground_link.DownlinkVerification`, ``verification=`` or
:meth:`LinkPort.set_verification`); a frame failing it is counted in
:class:`LinkStatus` and dropped, its packets and CLCW unused.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import serial

from ccsds.config import LinkConfig
from ccsds.cop1.clcw import Clcw
from ccsds.cop1.fop1_types import AlertReason, Directive, FopState
from ccsds.errors import CcsdsError
from ccsds.frame_sync import FrameReceived, SyncState
from ccsds.ground_link import DownlinkVerification, GroundLink, TcProtection, TmFrameUnverified
from ccsds.sdls.frame_security import SecurityCounters
from ccsds.tc_segment import segment
from ccsds.tm_demux import FramesLost, OcfReceived, PacketReceived
from ground_sw.errors import LinkError
from ground_sw.records import FrameRecord, PacketRecord

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.05
"""Longest wait for downlink octets: the period at which timers are polled."""

FrameCallback = Callable[[FrameRecord], None]
PacketCallback = Callable[[PacketRecord], None]
TickCallback = Callable[[float], None]


@dataclass(frozen=True)
class LinkStatus:
    """A snapshot of the link for displays and scripts."""

    url: str
    connected: bool
    reconnects: int
    sync_state: str
    """Frame synchronizer state (131.0-B-5 9.3): search, check, lock or flywheel."""
    frames: int
    rs_corrected: int
    """Symbols corrected by the Reed-Solomon decoder since the link started."""
    rs_uncorrectable: int
    frames_lost: int
    """Master channel frames missing by the frame counter (132.0-B-3 4.1.2.5)."""
    octets_skipped: int
    fop_state: str
    fop_initialised: bool
    vs: int
    """FOP-1 V(S): the sequence number of the next AD frame."""
    nr: int | None
    """N(R) of the last CLCW (FARM-1 V(R)); None before the first one."""
    lockout: bool
    wait: bool
    retransmit: bool
    no_rf_available: bool
    no_bit_lock: bool
    last_alert: str | None
    """The reason of the last FOP-1 alert (232.1-B-2 5.2.15)."""
    awaiting_unlock: bool
    """FARM-1 is in lockout and the operator has not confirmed the Unlock yet."""
    queued_segments: int
    frames_sent: int
    retransmissions: int
    last_error: str
    tm_verified: int = 0
    """TM frames that passed SDLS verification (355.0-B-2 4.2; 0 with TM in clear)."""
    tm_rejected: int = 0
    """TM frames SDLS rejected and dropped."""
    tm_rejections: tuple[tuple[str, int], ...] = ()
    """Those rejections by class (``SecurityCounters`` field names), classes seen only."""

    @property
    def sync_locked(self) -> bool:
        """Whether frames are being found at the expected positions."""
        return self.sync_state in (SyncState.LOCK.value, SyncState.FLYWHEEL.value)


def frame_virtual_channel(frame: bytes) -> int:
    """The VC id of a TM transfer frame (132.0-B-3 4.1.2.3: bits 12-14 of the header)."""
    return (frame[1] >> 1) & 0x7 if len(frame) >= 2 else -1


def open_port(url: str, baudrate: int = 115200) -> Any:
    """Open a port by pyserial URL for the link (8N1, reads return after a short wait)."""
    return serial.serial_for_url(url, baudrate=baudrate, timeout=READ_TIMEOUT_S,
                                 write_timeout=2.0)


def read_available(port: Any) -> bytes:
    """The octets the port has, waiting at most READ_TIMEOUT_S for the first.

    Ports with a file descriptor (devices, ptys, socket://) are waited on with select and
    read without blocking: pyserial's ``in_waiting`` of a socket is only 0 or 1. Others are
    read by ``in_waiting`` with the port's timeout.
    """
    try:
        descriptor = port.fileno()
    except (AttributeError, OSError, ValueError, NotImplementedError):
        return bytes(port.read(port.in_waiting or 1))
    ready, _, _ = select.select([descriptor], [], [], READ_TIMEOUT_S)
    if not ready:
        return b""
    if port.timeout != 0:
        port.timeout = 0  # once: the setter reconfigures the device
    return bytes(port.read(1 << 16))


class LinkPort:
    """Both directions of one ground link over a port, run by a reader and a writer thread.

    Callbacks run in the reader thread and must not block: ``on_frame`` for every frame,
    ``on_packet`` for every space packet, ``on_tick`` at least every READ_TIMEOUT_S with
    the wall-clock time (to poll the timers of higher layers).
    """

    def __init__(self, url: str, config: LinkConfig | None = None, *,
                 on_frame: FrameCallback | None = None,
                 on_packet: PacketCallback | None = None,
                 on_tick: TickCallback | None = None,
                 baudrate: int = 115200, reconnect_interval: float = 0.2,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 protection: TcProtection | None = None,
                 verification: DownlinkVerification | None = None) -> None:
        self.url = url
        self.config = config or LinkConfig.baseline()
        self.link = GroundLink(self.config, protection=protection, verification=verification)
        self.baudrate = baudrate
        self.reconnect_interval = reconnect_interval
        self.clock = clock
        self.monotonic = monotonic
        self._on_frame = on_frame
        self._on_packet = on_packet
        self._on_tick = on_tick
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._port: Any = None
        self._threads: list[threading.Thread] = []
        self._initialised = False
        self._awaiting_unlock = False
        self._clcw: Clcw | None = None
        self._last_alert: AlertReason | None = None
        self._frames_lost = 0
        self._reconnects = 0
        self._last_error = ""

    # -- life cycle ------------------------------------------------------------------------

    def open(self) -> None:
        """Open the port (LinkError if it cannot be opened) and start the threads."""
        try:
            self._port = open_port(self.url, self.baudrate)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"cannot open {self.url}: {exc}") from None
        self._threads = [threading.Thread(target=self._read_loop, name="ground-link-reader",
                                          daemon=True),
                         threading.Thread(target=self._write_loop, name="ground-link-writer",
                                          daemon=True)]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Stop both threads and close the port."""
        self._stop.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=5.0)
        self._close_port()

    @property
    def connected(self) -> bool:
        """Whether the port is open."""
        return self._port is not None

    # -- uplink ----------------------------------------------------------------------------

    def send_packet(self, packet: bytes, *, expedited: bool = False) -> None:
        """Send a space packet: sequence-controlled (AD) or expedited (BD, 232.1-B-2 2.2.2)."""
        now = self.monotonic()
        with self._lock:
            if expedited:
                cltus = self._send_expedited(packet, now)
            else:
                cltus = self.link.uplink.send_packet(packet, now)
        self._queue(cltus)

    def set_protection(self, protection: TcProtection | None) -> None:
        """Protect the uplink with SDLS from now on (None: unprotected)."""
        with self._lock:
            self.link.uplink.protection = protection

    def set_verification(self, verification: DownlinkVerification | None) -> None:
        """Verify protected TM frames with SDLS from now on (None: none attached; with
        ``sdls.tm_protection`` every protected frame is then rejected)."""
        with self._lock:
            self.link.downlink.verification = verification

    def _send_expedited(self, packet: bytes, now: float) -> list[bytes]:
        tc = self.config.tc
        uplink = self.link.uplink
        units = segment(packet, tc.map_id, uplink.max_frame_data) if tc.segment_header \
            else [packet]
        cltus: list[bytes] = []
        fop = uplink.fop
        for unit in units:
            step = fop.request_bd(unit, now)
            for each in (step, *fop.complete_transmissions(step, now)):
                cltus += [uplink.cltu(frame) for frame in each.frames]
        return cltus

    def unlock(self) -> None:
        """The operator's confirmation of lockout recovery: V(S) from the last CLCW, then
        "initiate AD service with Unlock" (232.1-B-2 5.2.6): a BC Unlock frame is sent."""
        now = self.monotonic()
        with self._lock:
            fop = self.link.uplink.fop
            if fop.state is not FopState.INITIAL:
                fop.directive(Directive.TERMINATE_AD, now)
            if self._clcw is not None:
                fop.directive(Directive.SET_VS, now, self._clcw.report_value)
            cltus = self.link.uplink.start(now, Directive.INITIATE_AD_WITH_UNLOCK)
            self._awaiting_unlock = False
            self._initialised = True
            self._changed.notify_all()
        self._queue(cltus)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until FOP-1 is initialised from a CLCW; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._initialised, timeout)

    def wait_status(self, predicate: Callable[[LinkStatus], bool],
                    timeout: float) -> LinkStatus | None:
        """Wait until a status snapshot satisfies ``predicate`` (re-checked at every
        connection, FOP-1 or frame change); None on timeout."""
        with self._changed:
            if self._changed.wait_for(lambda: predicate(self._snapshot()), timeout):
                return self._snapshot()
        return None

    def status(self) -> LinkStatus:
        """A consistent snapshot of the link."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> LinkStatus:
        sync = self.link.downlink.sync
        uplink = self.link.uplink
        clcw = self._clcw
        tm = self.link.downlink.security_counters
        return LinkStatus(
            url=self.url, connected=self._port is not None, reconnects=self._reconnects,
            sync_state=sync.state.value, frames=sync.counters.frames,
            rs_corrected=sync.counters.corrected_symbols,
            rs_uncorrectable=sync.counters.uncorrectable, frames_lost=self._frames_lost,
            octets_skipped=sync.counters.octets_skipped,
            fop_state=uplink.fop.state.name, fop_initialised=self._initialised,
            vs=uplink.fop.vs, nr=None if clcw is None else clcw.report_value,
            lockout=bool(clcw and clcw.lockout), wait=bool(clcw and clcw.wait),
            retransmit=bool(clcw and clcw.retransmit),
            no_rf_available=bool(clcw and clcw.no_rf_available),
            no_bit_lock=bool(clcw and clcw.no_bit_lock),
            last_alert=None if self._last_alert is None else self._last_alert.name,
            awaiting_unlock=self._awaiting_unlock, queued_segments=uplink.queued,
            frames_sent=uplink.frames_sent, retransmissions=uplink.retransmissions,
            last_error=self._last_error, tm_verified=tm.accepted, tm_rejected=tm.rejected,
            tm_rejections=rejection_classes(tm))

    # -- downlink --------------------------------------------------------------------------

    def receive(self, data: bytes, now: float,
                wall: float) -> tuple[list[FrameRecord], list[PacketRecord], list[bytes]]:
        """Take downlink octets (the reader thread's work; callable directly in tests)."""
        frames: list[FrameRecord] = []
        packets: list[PacketRecord] = []
        cltus: list[bytes] = []
        with self._lock:
            downlink = self.link.downlink
            for event in downlink.sync.feed(data):
                if not isinstance(event, FrameReceived):
                    continue
                frames.append(FrameRecord(wall, frame_virtual_channel(event.frame),
                                          event.frame, event.corrected_symbols))
                for demuxed in downlink.frame_events(event.frame):
                    if isinstance(demuxed, PacketReceived):
                        packets.append(_packet_record(demuxed, wall))
                    elif isinstance(demuxed, OcfReceived):
                        cltus += self._clcw_received(demuxed.ocf, now)
                    elif isinstance(demuxed, FramesLost) and demuxed.virtual_channel is None:
                        self._frames_lost += demuxed.count
                    elif isinstance(demuxed, TmFrameUnverified):
                        self._last_error = f"TM frame rejected by SDLS: {demuxed.error}"
            downlink.batch_done()
            cltus += self._after(self.link.uplink.poll(now))
            if frames:
                self._changed.notify_all()
        return frames, packets, cltus

    def _clcw_received(self, ocf: bytes, now: float) -> list[bytes]:
        try:
            clcw = Clcw.decode(ocf)
        except CcsdsError as exc:
            self._last_error = f"CLCW: {exc}"
            return []
        self._clcw = clcw
        uplink = self.link.uplink
        if self._initialised:
            return self._after(uplink.receive_clcw(ocf, now))
        if clcw.lockout:
            if not self._awaiting_unlock:
                log.warning("FARM-1 lockout: the AD service waits for the operator's unlock")
            self._awaiting_unlock = True
            self._changed.notify_all()
            return []
        if uplink.fop.state is FopState.INITIAL:
            uplink.fop.directive(Directive.SET_VS, now, clcw.report_value)
            cltus = uplink.start(now, Directive.INITIATE_AD_WITHOUT_CLCW)
            self._initialised = True
            self._changed.notify_all()
            return self._after(cltus)
        return []

    def _after(self, cltus: list[bytes]) -> list[bytes]:
        """Note FOP-1 alerts: the AD service is back in S6 and re-initialises (or, after a
        lockout, waits for the operator) from the next CLCW."""
        alerts = self.link.uplink.alerts
        if alerts:
            self._last_alert = alerts[-1]
            alerts.clear()
            log.warning("FOP-1 alert: %s", self._last_alert.value)
            self._initialised = False
            self._changed.notify_all()
        return cltus

    # -- threads ---------------------------------------------------------------------------

    def _queue(self, cltus: list[bytes]) -> None:
        if cltus:
            self._outbox.put(b"".join(cltus))

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            port = self._port
            if port is None:
                self._reopen()
                continue
            try:
                data = read_available(port)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                self._port_failed(exc)
                continue
            frames, packets, cltus = self.receive(data, self.monotonic(), self.clock())
            self._queue(cltus)
            self._deliver(frames, packets)

    def _deliver(self, frames: list[FrameRecord], packets: list[PacketRecord]) -> None:
        for frame in frames:
            self._call(self._on_frame, frame)
        for packet in packets:
            self._call(self._on_packet, packet)
        self._call(self._on_tick, self.clock())

    def _call(self, callback: Callable[[Any], None] | None, argument: object) -> None:
        """Run one callback; its failure is logged and must not stop the link."""
        if callback is None:
            return
        try:
            callback(argument)
        except Exception as exc:
            log.exception("ground link callback failed")
            self._last_error = f"callback: {exc!r}"

    def _write_loop(self) -> None:
        while True:
            cltus = self._outbox.get()
            if cltus is None:
                return
            port = self._port
            if port is None:
                continue  # FOP-1 retransmits what the line lost
            try:
                port.write(cltus)
            except serial.SerialTimeoutException:
                self._last_error = "uplink write timed out"
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                self._last_error = f"uplink write failed: {exc}"

    def _port_failed(self, exc: BaseException) -> None:
        log.warning("link port %s failed: %s; reconnecting", self.url, exc)
        self._last_error = f"port failed: {exc}"
        self._close_port()
        self._notify()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()

    def _reopen(self) -> None:
        if self._stop.wait(self.reconnect_interval):
            return
        try:
            self._port = open_port(self.url, self.baudrate)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._last_error = f"reconnect: {exc}"
            return
        self._reconnects += 1
        log.info("link port %s reopened", self.url)
        self._notify()


def _packet_record(received: PacketReceived, wall: float) -> PacketRecord:
    packet = received.packet
    apid = int.from_bytes(packet[:2], "big") & 0x7FF
    return PacketRecord(wall, received.virtual_channel, apid, packet)


_NOT_CLASSES = frozenset({"accepted", "rejected"})


def rejection_classes(counters: SecurityCounters) -> tuple[tuple[str, int], ...]:
    """The rejection classes with a non-zero count, by ``SecurityCounters`` field name."""
    return tuple((item.name, getattr(counters, item.name)) for item in fields(counters)
                 if item.name not in _NOT_CLASSES and getattr(counters, item.name))
