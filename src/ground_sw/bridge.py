"""UDP interop bridge: an existing ground system (YAMCS, OpenC3 COSMOS) beside the station.

Downlink: every TM transfer frame the station receives -- after frame synchronisation and
Reed-Solomon decoding (CCSDS 131.0-B-5), the whole frame of CCSDS 132.0-B-3 with its OCF
and FECF -- is sent as one UDP datagram to ``tm_to`` (YAMCS ``UdpTmFrameLink``, a COSMOS
UDP interface with a fixed-length frame protocol).

Uplink: a datagram received on ``tc_listen`` is one TC transfer frame (CCSDS 232.0-B-4
4.1) or, with ``tc_format="packet"``, one TC space packet (133.0-B-2). **Design choice:**
frames are not put on the line as they came. The station's FOP-1 owns the AD frame
sequence numbers N(S) and FARM-1 accepts only V(R) (232.1-B-2 5.1, 6.1); a frame numbered
by another system would be refused or would move V(R) behind FOP-1's back, and both COP-1
ends would disagree. So the bridge unpacks each frame: spacecraft and virtual channel ids
checked against the mission configuration, the segment header read and the MAP packets
reassembled (232.0-B-4 4.1.3.2), and each packet handed to the station's link -- a type-AD
frame's packets to FOP-1 (sequence-controlled), a type-BD frame's (bypass flag) on the
expedited service. Control command frames (Unlock, Set V(R)) are refused: COP-1 control
stays with the station's operator (``GroundStation.unlock``). Whatever is refused is
counted by reason in :class:`BridgeCounters`, never raised into the link.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Protocol

from ccsds.config import LinkConfig
from ccsds.errors import CcsdsError
from ccsds.spacepacket import PacketType, check_header, peek_header
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SegmentReassembler
from ground_sw.records import FrameRecord, Listener, Record

log = logging.getLogger(__name__)

Address = tuple[str, int]
TcFormat = Literal["frame", "packet"]
MAX_DATAGRAM = 65535
POLL_S = 0.2
"""Longest wait of the TC receiver before it checks whether it should stop."""


class Uplink(Protocol):
    """What the bridge needs of the station's link (``GroundStation.link``)."""

    def send_packet(self, packet: bytes, *, expedited: bool = False) -> None:
        """Send one space packet, AD (FOP-1) or expedited (BD)."""
        ...


class Station(Protocol):
    """What the bridge needs of a station: its link, its config and the listener hook."""

    @property
    def link(self) -> Uplink:
        """The link port."""
        ...

    @property
    def config(self) -> LinkConfig:
        """The mission link configuration."""
        ...

    def add_listener(self, listener: Listener) -> None:
        """Give every record to ``listener``."""
        ...

    def remove_listener(self, listener: Listener) -> None:
        """Stop giving records to ``listener``."""
        ...


class TcRejected(CcsdsError):
    """A TC datagram the bridge does not forward (reason in the message)."""


@dataclass
class BridgeCounters:
    """What crossed the bridge, and what was refused by reason."""

    tm_frames: int = 0
    tm_errors: int = 0
    """Frames that could not be sent (the UDP send buffer was full or the host unreachable)."""
    tc_datagrams: int = 0
    tc_packets: int = 0
    """Packets handed to the station's uplink (AD and expedited)."""
    tc_expedited: int = 0
    tc_rejected: int = 0
    rejected_by: dict[str, int] = field(default_factory=dict)
    """Refused datagrams by reason: decode, spacecraft, virtual channel, control command,
    packet."""
    last_error: str = ""


class UdpBridge:
    """Forwards TM frames to ``tm_to`` and injects TCs received on ``tc_listen``.

    A :class:`~ground_sw.records.Listener` of the station: frames are sent from the link
    thread (a non-blocking send: a full buffer counts a ``tm_error``, never blocks the
    link). TCs are read by a thread of the bridge. ``tc_listen`` port 0 picks a free port
    (see :attr:`tc_address`).
    """

    def __init__(self, station: Station, tm_to: Address, tc_listen: Address | None = None,
                 *, tc_format: TcFormat = "frame") -> None:
        self.station = station
        self.config = station.config
        self.tm_to = tm_to
        self.tc_format = tc_format
        self.counters = BridgeCounters()
        self._changed = threading.Condition()
        self._reassembler = SegmentReassembler()
        self._stop = threading.Event()
        self._tm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._tm.setblocking(False)
        self._tc: socket.socket | None = None
        self._thread: threading.Thread | None = None
        if tc_listen is not None:
            self._tc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._tc.bind(tc_listen)
            self._thread = threading.Thread(target=self._receive_loop, name="udp-bridge-tc",
                                            daemon=True)
        station.add_listener(self)
        if self._thread is not None:
            self._thread.start()

    @property
    def tc_address(self) -> Address | None:
        """The (host, port) the TC receiver is bound to, None without one."""
        if self._tc is None:
            return None
        host, port = self._tc.getsockname()[:2]
        return str(host), int(port)

    def wait(self, predicate: Callable[[BridgeCounters], bool],
             timeout: float) -> bool:
        """Wait until the counters satisfy ``predicate`` (re-checked after each datagram
        either way); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.counters), timeout)

    def close(self) -> None:
        """Stop forwarding and receiving, close both sockets."""
        with contextlib.suppress(ValueError):
            self.station.remove_listener(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self._tm.close()
        if self._tc is not None:
            self._tc.close()

    def __enter__(self) -> UdpBridge:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- downlink --------------------------------------------------------------------------

    def on_record(self, record: Record) -> None:
        """Forward a TM frame record as one datagram (other records are ignored)."""
        if not isinstance(record, FrameRecord):
            return
        try:
            self._tm.sendto(record.frame, self.tm_to)
        except OSError as exc:  # full buffer, unreachable host: count, never block the link
            with self._changed:
                self.counters.tm_errors += 1
                self.counters.last_error = f"TM send: {exc}"
                self._changed.notify_all()
            return
        with self._changed:
            self.counters.tm_frames += 1
            self._changed.notify_all()

    # -- uplink ----------------------------------------------------------------------------

    def inject(self, datagram: bytes) -> int:
        """Take one TC datagram; returns the packets handed to the uplink (0 if refused,
        the reason counted)."""
        with self._changed:
            self.counters.tc_datagrams += 1
            try:
                if self.tc_format == "packet":
                    return self._send(split_packets(datagram), expedited=False)
                return self._frame(datagram)
            except TcRejected as exc:
                reason = str(exc).split(":", 1)[0]
                self.counters.tc_rejected += 1
                self.counters.rejected_by[reason] = self.counters.rejected_by.get(reason, 0) + 1
                self.counters.last_error = str(exc)
                return 0
            finally:
                self._changed.notify_all()

    def _frame(self, datagram: bytes) -> int:
        tc = self.config.tc
        try:
            frame = TcFrame.decode(datagram, fecf=tc.fecf)
        except CcsdsError as exc:
            raise TcRejected(f"decode: {exc}") from None
        if frame.spacecraft_id != tc.spacecraft_id:
            raise TcRejected(f"spacecraft: id {frame.spacecraft_id}, expected "
                             f"{tc.spacecraft_id}")
        if frame.virtual_channel != tc.virtual_channel:
            raise TcRejected(f"virtual channel: {frame.virtual_channel}, expected "
                             f"{tc.virtual_channel}")
        if frame.control_command:
            raise TcRejected("control command: COP-1 control stays with the station "
                             "(use its unlock)")
        data = frame.data
        if tc.segment_header:
            sdu = self._reassembler.feed(data)
            if sdu is None:
                if self._reassembler.last_error is not None:
                    error, self._reassembler.last_error = self._reassembler.last_error, None
                    raise TcRejected(f"segment: {error}")
                return 0  # more segments to come
            data = sdu.data
        return self._send(split_packets(data), expedited=frame.bypass)

    def _send(self, packets: list[bytes], *, expedited: bool) -> int:
        for packet in packets:
            self.station.link.send_packet(packet, expedited=expedited)
        self.counters.tc_packets += len(packets)
        if expedited:
            self.counters.tc_expedited += len(packets)
        return len(packets)

    def _receive_loop(self) -> None:
        assert self._tc is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([self._tc], [], [], POLL_S)
            if not ready:
                continue
            try:
                datagram = self._tc.recv(MAX_DATAGRAM)
            except OSError as exc:
                self.counters.last_error = f"TC receive: {exc}"
                continue
            try:
                self.inject(datagram)
            except Exception:  # the uplink refused: logged, the bridge keeps running
                log.exception("TC datagram not injected")


def split_packets(data: bytes) -> list[bytes]:
    """The TC space packets that fill ``data`` exactly (TcRejected otherwise)."""
    packets: list[bytes] = []
    offset = 0
    while offset < len(data):
        try:
            header = peek_header(data, offset)
            total = check_header(header, len(data) - offset, allow_trailing=True)
        except CcsdsError as exc:
            raise TcRejected(f"packet: {exc}") from None
        if header.packet_type is not PacketType.TC:
            raise TcRejected("packet: a TM packet in the uplink")
        packets.append(data[offset:offset + total])
        offset += total
    if not packets:
        raise TcRejected("packet: empty")
    return packets
