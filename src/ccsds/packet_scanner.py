"""Find whole space packets (CCSDS 133.0-B-2) in a byte stream that may hold garbage.

A sans-I/O receiver: :meth:`PacketScanner.feed` takes arbitrary chunks and returns, in
stream order, :class:`ScannedPacket` and :class:`SkippedBytes` events, so the caller learns
what was dropped as well as what was found (as spacepackets' ``parse_space_packets`` and
fprime's framing report packets, leftover and discarded data).

At each position the six octets must look like a header the scanner accepts (version 0,
configured packet type and APIDs, idle packets always, length within the configured
maximum). Otherwise that octet is skipped and the next position tried. With packet error
control checking (ECSS-E-ST-70-41C 7.4.2.1) a complete candidate whose CRC fails is also
skipped by one octet, so a corrupted length field costs at most one maximum-length wait and
no packet behind it is lost. The result does not depend on how the stream is chunked:
every decision waits until the octets it needs have arrived, and a run of skipped octets
is reported when the next packet is found (or at :meth:`PacketScanner.flush`).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from ccsds.crc import crc16_ccitt
from ccsds.errors import LocalProtocolError
from ccsds.spacepacket import (
    IDLE_APID,
    MAX_PACKET_LENGTH,
    MIN_PACKET_LENGTH,
    PRIMARY_HEADER_LENGTH,
    PacketType,
    SpacePacketHeader,
    check_field,
    peek_header,
)

_HEADER = struct.Struct(">HHH")
_PEC_MIN_LENGTH = PRIMARY_HEADER_LENGTH + 1 + 2
"""Shortest packet that can carry a secondary header octet and a PEC."""


class SkipReason(Enum):
    """Why the scanner left the first octet of a run of skipped octets."""

    HEADER = "version or flags impossible"
    PACKET_TYPE = "packet type not accepted"
    APID = "APID not accepted"
    LENGTH = "length field outside the accepted range"
    CHECKSUM = "packet error control mismatch"
    END_OF_STREAM = "incomplete at the end of the stream"


@dataclass(frozen=True, slots=True)
class ScannedPacket:
    """A whole packet and the stream offset of its first octet."""

    raw: bytes
    offset: int

    @property
    def header(self) -> SpacePacketHeader:
        """The packet's primary header."""
        return peek_header(self.raw)


@dataclass(frozen=True, slots=True)
class SkippedBytes:
    """``count`` octets from stream ``offset`` on that belong to no accepted packet."""

    count: int
    reason: SkipReason
    offset: int


ScanEvent = ScannedPacket | SkippedBytes


@dataclass
class ScannerCounters:
    """Running totals of a :class:`PacketScanner`.

    ``bytes_skipped`` and ``checksum_failures`` count as soon as the scanner decides;
    ``resyncs`` counts the runs of skipped octets that ended at a packet.
    """

    octets_fed: int = 0
    packets: int = 0
    idle_packets: int = 0
    bytes_skipped: int = 0
    resyncs: int = 0
    checksum_failures: int = 0


@functools.lru_cache(maxsize=32)
def _accepted_words(apids: frozenset[int] | None, packet_type: PacketType | None
                    ) -> frozenset[int]:
    """First 16 header bits (version 0, type, secondary header flag, APID) to accept.

    Idle packets (APID 0x7FF) carry no secondary header (133.0-B-2 4.1.3.3.3.4).
    """
    types = range(2) if packet_type is None else (int(packet_type),)
    wanted = range(IDLE_APID) if apids is None else sorted(apids - {IDLE_APID})
    words = {(kind << 12) | (flag << 11) | apid
             for kind in types for flag in (0, 1) for apid in wanted}
    return frozenset(words | {(kind << 12) | IDLE_APID for kind in types})


class PacketScanner:
    """Incremental space packet extractor; see the module docstring.

    ``apids``: the APIDs to accept (None: all); idle packets (APID 0x7FF) are always
    recognised, counted and, unless ``yield_idle``, not returned. ``packet_type``: accept
    only TM or only TC (None: both). ``max_packet_length``: longest packet accepted, which
    bounds how long a corrupted length field can hold the scanner. ``check_pec``: verify
    the PUS packet error control of every non-idle packet (True) or of those APIDs.
    """

    def __init__(self, *, apids: Collection[int] | None = None,
                 packet_type: PacketType | None = None,
                 max_packet_length: int = MAX_PACKET_LENGTH,
                 check_pec: bool | Collection[int] = False, yield_idle: bool = False) -> None:
        if not MIN_PACKET_LENGTH <= max_packet_length <= MAX_PACKET_LENGTH:
            raise LocalProtocolError(
                f"maximum packet length {max_packet_length} outside "
                f"{MIN_PACKET_LENGTH}..{MAX_PACKET_LENGTH}"
            )
        self._apids = None if apids is None else frozenset(apids)
        for apid in (self._apids or ()):
            check_field("accepted APID", apid, IDLE_APID)
        self._packet_type = packet_type
        self._max_length = max_packet_length
        self._pec_all = check_pec is True
        self._pec_apids = frozenset() if isinstance(check_pec, bool) else frozenset(check_pec)
        self._yield_idle = yield_idle
        self._accepted_words = _accepted_words(self._apids, packet_type)
        self._buffer = bytearray()
        self._base = 0  # stream offset of self._buffer[0]
        self._run_offset = 0
        self._run_count = 0
        self._run_reason = SkipReason.HEADER
        self.counters = ScannerCounters()

    @property
    def pending(self) -> int:
        """Octets buffered while a decision waits for more data."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[ScanEvent]:
        """Add a chunk of the stream; return the events it completes, in stream order."""
        self._buffer += data
        self.counters.octets_fed += len(data)
        return self._scan(final=False)

    def flush(self) -> list[ScanEvent]:
        """End of stream: resolve everything pending (incomplete candidates are skipped).

        The scanner is then empty and ready for a new stream (offsets keep counting).
        """
        events = self._scan(final=True)
        self._close_run(events, resync=False)
        return events

    def _word_problem(self, first: int) -> SkipReason:
        """Why a header whose first 16 bits are ``first`` is not acceptable."""
        apid = first & IDLE_APID
        if first >> 13 or (apid == IDLE_APID and first & 0x0800):
            return SkipReason.HEADER
        if self._packet_type is not None and (first >> 12) & 1 != self._packet_type:
            return SkipReason.PACKET_TYPE
        return SkipReason.APID

    def _scan(self, *, final: bool) -> list[ScanEvent]:
        """Decide on every position that has the octets it needs; keep the rest buffered."""
        buffer = self._buffer
        end = len(buffer)
        accepted = self._accepted_words
        position = 0
        events: list[ScanEvent] = []
        while end - position >= PRIMARY_HEADER_LENGTH:
            first, _, length = _HEADER.unpack_from(buffer, position)
            if first not in accepted:  # the reason only matters for the first of a run
                self._skip(position, 1, SkipReason.HEADER if self._run_count
                           else self._word_problem(first))
                position += 1
                continue
            total = length + PRIMARY_HEADER_LENGTH + 1
            apid = first & IDLE_APID
            pec = apid != IDLE_APID and (self._pec_all or apid in self._pec_apids)
            if total > self._max_length or (pec and total < _PEC_MIN_LENGTH):
                reason = SkipReason.LENGTH
            elif total > end - position:
                if not final:
                    break  # wait for the rest: at most the maximum packet length
                reason = SkipReason.END_OF_STREAM
            else:
                raw = bytes(buffer[position:position + total])
                if not pec or not crc16_ccitt(raw):
                    self._emit(events, raw, self._base + position, apid)
                    position += total
                    continue
                self.counters.checksum_failures += 1
                reason = SkipReason.CHECKSUM
            self._skip(position, 1, reason)
            position += 1
        if final and position < end:
            self._skip(position, end - position, SkipReason.END_OF_STREAM)
            position = end
        del buffer[:position]
        self._base += position
        return events

    def _skip(self, position: int, count: int, reason: SkipReason) -> None:
        """Add ``count`` octets at buffer ``position`` to the current run of skipped octets."""
        if not self._run_count:
            self._run_offset = self._base + position
            self._run_reason = reason
        self._run_count += count
        self.counters.bytes_skipped += count

    def _close_run(self, events: list[ScanEvent], *, resync: bool) -> None:
        if self._run_count:
            events.append(SkippedBytes(self._run_count, self._run_reason, self._run_offset))
            self.counters.resyncs += resync
            self._run_count = 0

    def _emit(self, events: list[ScanEvent], raw: bytes, offset: int, apid: int) -> None:
        self._close_run(events, resync=True)
        if apid == IDLE_APID:
            self.counters.idle_packets += 1
            if not self._yield_idle:
                return
        else:
            self.counters.packets += 1
        events.append(ScannedPacket(raw, offset))
