"""Replay: an archive, or a raw link capture, played into listeners (console, API, archive).

Records are delivered at their recorded pace divided by ``speed`` (``None``: as fast as
possible). The pace is kept against an injected clock, so waiting late once does not delay
what follows, and the waiting itself is an injected callable: tests pass a fake that moves
their clock instead of sleeping. The default waits on an event that :meth:`Replay.stop` sets.

A raw capture (:mod:`ground_sw.archive_capture`) goes through the ground's downlink
chain -- :class:`ccsds.ground_link.GroundDownlink`: frame synchronisation, derandomising and
Reed-Solomon decoding (CCSDS 131.0-B-5), virtual channel demultiplexing and packet
extraction (132.0-B-3) -- then through a ``decode`` callable that turns each packet record
into parameter and event records (the ground station's decommutator). A capture of an
SDLS-protected downlink (``sdls.tm_protection``, docs/security.md) needs the ground's TM
receiving end, a :class:`ccsds.ground_link.DownlinkVerification`: each frame of a protected
channel is verified (CCSDS 355.0-B-2 4.2) before demultiplexing, and one that fails is
counted in ``unverified`` and yields no packet. Its SA table's anti-replay state moves on as
frames verify: replay with a copy of the TM SAs as they stood before the capture began, not
the live table.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path

from ccsds.config import LinkConfig
from ccsds.errors import CcsdsError
from ccsds.frame_sync import FrameReceived
from ccsds.ground_link import DownlinkVerification, GroundDownlink, TmFrameUnverified
from ccsds.pus import PusTm
from ccsds.timecode import CUC_4_2, CucFormat
from ccsds.tm_demux import PacketReceived
from ground_sw.archive_capture import CaptureCounters, read_capture
from ground_sw.archive_reader import ArchiveReader
from ground_sw.decom import onboard_unix_time
from ground_sw.records import FrameRecord, Listener, PacketRecord, Record

Clock = Callable[[], float]
Wait = Callable[[float], object]
Decode = Callable[[PacketRecord], list[Record]]

"""Seconds from the CUC epoch (1958-01-01, CCSDS 301.0-B-4 3.2) to the Unix epoch."""


class Replay:
    """Delivers records to listeners at ``speed`` times their recorded pace."""

    def __init__(self, listeners: Sequence[Listener], *, speed: float | None = 1.0,
                 clock: Clock = time.monotonic, wait: Wait | None = None) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"replay speed {speed} is not positive")
        self.listeners = list(listeners)
        self.speed = speed
        self.delivered = 0
        self._clock = clock
        self._stopped = threading.Event()
        self._wait = self._stopped.wait if wait is None else wait

    def stop(self) -> None:
        """End the replay before its next record (from any thread)."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopped.is_set()

    def play(self, records: Iterable[Record]) -> int:
        """Deliver ``records`` in their order, paced by their times; returns how many.

        Records earlier than the schedule (or with a time that is not finite) go at once.
        """
        anchor: tuple[float, float] | None = None  # (record time, clock) of the first one
        delivered = 0
        for record in records:
            if self._stopped.is_set():
                break
            if self.speed is not None and math.isfinite(record.time):
                if anchor is None:
                    anchor = (record.time, self._clock())
                delay = anchor[1] + (record.time - anchor[0]) / self.speed - self._clock()
                if delay > 0:
                    self._wait(delay)
                    if self._stopped.is_set():
                        break
            for listener in self.listeners:
                listener.on_record(record)
            delivered += 1
        self.delivered += delivered
        return delivered


def play_archive(archive: ArchiveReader | str | Path, listeners: Sequence[Listener], *,
                 speed: float | None = 1.0, start: float | None = None,
                 end: float | None = None, clock: Clock = time.monotonic,
                 wait: Wait | None = None) -> int:
    """Replay the records of an archive (a path is opened read-only) in [start, end)."""
    replay = Replay(listeners, speed=speed, clock=clock, wait=wait)
    with ExitStack() as stack:
        if not isinstance(archive, ArchiveReader):
            archive = stack.enter_context(ArchiveReader(archive))
        records = stack.enter_context(closing(archive.records(start, end)))
        return replay.play(records)


def packet_record(received: float, virtual_channel: int, packet: bytes,
                  time_format: CucFormat = CUC_4_2) -> PacketRecord:
    """The record of a received packet; PUS service, subtype and on-board time (converted
    to Unix seconds, UTC; None when the time field is zero, i.e. unset) when it is a valid
    PUS-C TM (ECSS-E-ST-70-41C 7.4.3.2)."""
    apid = int.from_bytes(packet[0:2], "big") & 0x7FF
    try:
        tm = PusTm.decode(packet, time_format=time_format)
    except CcsdsError:
        return PacketRecord(received, virtual_channel, apid, packet)
    return PacketRecord(received, virtual_channel, apid, packet, tm.service, tm.subtype,
                        onboard_unix_time(tm))


@dataclass
class DecodeCounters:
    """Records made from a raw capture, the frames SDLS rejected and the packets ``decode``
    refused."""

    frames: int = 0
    unverified: int = 0
    packets: int = 0
    decoded: int = 0
    decode_errors: int = 0
    last_error: CcsdsError | None = field(default=None, repr=False)


class CaptureDecoder:
    """Octets of the downlink in, ground records out (frames, packets, decoded records)."""

    def __init__(self, decode: Decode, config: LinkConfig | None = None, *,
                 verification: DownlinkVerification | None = None) -> None:
        config = LinkConfig.baseline() if config is None else config
        self.decode = decode
        self.downlink = GroundDownlink(config, verification=verification)
        self.time_format = CucFormat(config.time.cuc_coarse_octets, config.time.cuc_fine_octets)
        self.counters = DecodeCounters()

    def feed(self, received: float, data: bytes) -> list[Record]:
        """Records of the frames and packets that ``data`` (received then) completes."""
        records: list[Record] = []
        for event in self.downlink.sync.feed(data):
            if not isinstance(event, FrameReceived):
                continue
            frame = event.frame
            vc = (int.from_bytes(frame[0:2], "big") >> 1) & 0x7  # 132.0-B-3 4.1.2.2.1
            records.append(FrameRecord(received, vc, frame, event.corrected_symbols))
            self.counters.frames += 1
            for item in self.downlink.frame_events(frame):
                if isinstance(item, PacketReceived):
                    records += self._packet(received, item)
                elif isinstance(item, TmFrameUnverified):
                    self.counters.unverified += 1
        self.downlink.batch_done()
        return records

    def _packet(self, received: float, item: PacketReceived) -> list[Record]:
        record = packet_record(received, item.virtual_channel, item.packet, self.time_format)
        self.counters.packets += 1
        try:
            decoded = self.decode(record)
        except CcsdsError as exc:
            self.counters.decode_errors += 1
            self.counters.last_error = exc
            return [record]
        self.counters.decoded += len(decoded)
        return [record, *decoded]


@dataclass
class CaptureReplay:
    """What a capture replay read and made."""

    capture: CaptureCounters
    decoder: CaptureDecoder
    delivered: int


def capture_records(directory: str | Path, decoder: CaptureDecoder,
                    counters: CaptureCounters) -> Iterator[Record]:
    """The records of a capture, each timed by the read that completed it."""
    for chunk in read_capture(directory, counters):
        yield from decoder.feed(chunk.time, chunk.data)


def play_capture(directory: str | Path, listeners: Sequence[Listener], decode: Decode, *,
                 config: LinkConfig | None = None,
                 verification: DownlinkVerification | None = None, speed: float | None = 1.0,
                 clock: Clock = time.monotonic, wait: Wait | None = None) -> CaptureReplay:
    """Replay a raw link capture through the downlink chain and ``decode``; frames of a
    protected channel are verified with ``verification`` first (rejected without one)."""
    counters = CaptureCounters()
    decoder = CaptureDecoder(decode, config, verification=verification)
    replay = Replay(listeners, speed=speed, clock=clock, wait=wait)
    delivered = replay.play(capture_records(directory, decoder, counters))
    return CaptureReplay(counters, decoder, delivered)
