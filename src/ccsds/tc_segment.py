"""TC segmentation: the segment header and MAP packet reassembly, CCSDS 232.0-B-4 4.1.3.2.

With segmentation in use, every TC frame data field starts with a one-octet segment header:
sequence flags (2 bits, 4.1.3.2.2) and MAP identifier (6 bits, 4.1.3.2.3). A packet (MAP
SDU) too long for one frame is cut into a first portion, continuation portions and a last
portion; a packet that fits travels unsegmented. The receiving side puts the portions of each
MAP back together in the order the frames arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from ccsds.errors import DecodeError, LengthError, LocalProtocolError, TruncatedError

SEGMENT_HEADER_LENGTH = 1
MAX_MAP_ID = 63
MAX_SPACE_PACKET_LENGTH = 65542
"""Largest space packet (CCSDS 133.0-B-2 4.1.3.5: 6-octet header + 65536 octets)."""


class SequenceFlags(IntEnum):
    """Sequence flags of the segment header, CCSDS 232.0-B-4 4.1.3.2.2."""

    CONTINUATION = 0b00
    FIRST = 0b01
    LAST = 0b10
    UNSEGMENTED = 0b11


class SegmentationError(DecodeError):
    """Segments of a MAP arrived in an order the segmentation rules forbid."""


class OrphanSegmentError(SegmentationError):
    """A continuation or last segment arrived with no first segment before it."""


class InterruptedSegmentError(SegmentationError):
    """A first or unsegmented portion arrived while a packet was still being reassembled."""


class ReassemblyOverflowError(LengthError):
    """A reassembled packet grew beyond the configured maximum length."""


@dataclass(frozen=True, slots=True)
class SegmentHeader:
    """The one-octet segment header, CCSDS 232.0-B-4 4.1.3.2."""

    flags: SequenceFlags
    map_id: int

    def __post_init__(self) -> None:
        if not 0 <= self.map_id <= MAX_MAP_ID:
            raise LocalProtocolError(f"MAP id {self.map_id} outside 0..{MAX_MAP_ID}")

    def encode(self) -> bytes:
        """The header octet: flags in the two most significant bits, then the MAP id."""
        return bytes(((self.flags << 6) | self.map_id,))

    @classmethod
    def decode(cls, data_field: bytes | bytearray | memoryview) -> SegmentHeader:
        """Read the header at the start of a frame data field (every octet value is valid)."""
        if not data_field:
            raise TruncatedError("frame data field has no segment header")
        octet = data_field[0]
        return cls(SequenceFlags(octet >> 6), octet & MAX_MAP_ID)


def segment(packet: bytes, map_id: int, max_data_per_frame: int) -> list[bytes]:
    """Cut ``packet`` into frame data fields of at most ``max_data_per_frame`` octets each.

    ``max_data_per_frame`` counts the segment header. A packet that fits goes unsegmented;
    otherwise first, continuations and last, in order (CCSDS 232.0-B-4 4.1.3.2.2).
    """
    if not packet:
        raise LocalProtocolError("cannot segment an empty packet")
    portion = max_data_per_frame - SEGMENT_HEADER_LENGTH
    if portion < 1:
        raise LocalProtocolError(
            f"{max_data_per_frame} octets per frame leave no room after the segment header"
        )
    if len(packet) <= portion:
        return [SegmentHeader(SequenceFlags.UNSEGMENTED, map_id).encode() + packet]
    pieces = [packet[start : start + portion] for start in range(0, len(packet), portion)]
    first, middle, last = (
        SegmentHeader(flags, map_id).encode()
        for flags in (SequenceFlags.FIRST, SequenceFlags.CONTINUATION, SequenceFlags.LAST)
    )
    return [first + pieces[0], *(middle + piece for piece in pieces[1:-1]), last + pieces[-1]]


@dataclass(frozen=True, slots=True)
class MapSdu:
    """A packet (or block of packets) reassembled on one MAP channel."""

    map_id: int
    data: bytes


@dataclass(slots=True)
class SegmentCounters:
    """What a :class:`SegmentReassembler` delivered and what it discarded."""

    segments: int = 0
    """Data fields with a segment header taken in."""
    delivered: int = 0
    """MAP SDUs completed."""
    empty_fields: int = 0
    """Data fields without even a segment header."""
    orphans: int = 0
    """Continuation or last segments with no packet under way."""
    interrupted: int = 0
    """Partial packets dropped for a new first or unsegmented portion."""
    overflows: int = 0
    """Packets dropped for growing beyond the maximum length."""
    discarded_octets: int = 0
    """Packet octets (segment headers excluded) dropped for any of these reasons."""


@dataclass(slots=True)
class _Partial:
    pieces: list[bytes] = field(default_factory=list)
    length: int = 0
    overflowed: bool = False  # too long already: the rest of its segments are dropped


class SegmentReassembler:
    """Rebuild MAP SDUs from frame data fields fed in arrival order, one state per MAP.

    Protocol violations never raise: the offending data is discarded, counted in
    :attr:`counters`, and described by :attr:`last_error` (a typed, unraised error):

    * an empty data field (:class:`~ccsds.errors.TruncatedError`);
    * a continuation or last segment with no first before it (:class:`OrphanSegmentError`);
    * a first or unsegmented portion while a packet is pending: the pending part is dropped
      and the new portion is taken (:class:`InterruptedSegmentError`);
    * reassembly beyond ``max_packet_length``: the whole packet is dropped, its remaining
      segments with it (:class:`ReassemblyOverflowError`).
    """

    def __init__(self, max_packet_length: int = MAX_SPACE_PACKET_LENGTH) -> None:
        if max_packet_length < 1:
            raise LocalProtocolError("max_packet_length must be at least 1")
        self.max_packet_length = max_packet_length
        self.counters = SegmentCounters()
        self.last_error: DecodeError | None = None
        self._partials: dict[int, _Partial] = {}

    def pending(self, map_id: int) -> int:
        """Octets held for the packet being reassembled on ``map_id`` (0 when none)."""
        partial = self._partials.get(map_id)
        return partial.length if partial else 0

    def reset(self, map_id: int | None = None) -> None:
        """Drop the partial packet of ``map_id`` (of every MAP when None), uncounted."""
        if map_id is None:
            self._partials.clear()
        else:
            self._partials.pop(map_id, None)

    def feed(self, data_field: bytes | bytearray | memoryview) -> MapSdu | None:
        """Take one frame data field; return the MAP SDU it completes, if any."""
        try:
            header = SegmentHeader.decode(data_field)
        except TruncatedError as error:
            self.counters.empty_fields += 1
            self.last_error = error
            return None
        self.counters.segments += 1
        portion = bytes(data_field[SEGMENT_HEADER_LENGTH:])
        flags, map_id = header.flags, header.map_id
        if flags in (SequenceFlags.FIRST, SequenceFlags.UNSEGMENTED):
            self._interrupt(map_id)
            if flags is SequenceFlags.UNSEGMENTED:
                return self._deliver(map_id, portion)
            self._partials[map_id] = _Partial()
            self._append(map_id, portion)
            return None
        if map_id not in self._partials:
            self.counters.orphans += 1
            self._discard(OrphanSegmentError(
                f"{flags.name.lower()} segment on MAP {map_id} without a first segment"),
                len(portion))
            return None
        self._append(map_id, portion)
        if flags is SequenceFlags.LAST:
            partial = self._partials.pop(map_id)
            if not partial.overflowed:
                return self._deliver(map_id, b"".join(partial.pieces))
        return None

    def _append(self, map_id: int, portion: bytes) -> None:
        partial = self._partials[map_id]
        if partial.overflowed:
            self.counters.discarded_octets += len(portion)
        elif partial.length + len(portion) > self.max_packet_length:
            self._overflow(map_id, partial.length + len(portion))
            self._partials[map_id] = _Partial(overflowed=True)
        else:
            partial.pieces.append(portion)
            partial.length += len(portion)

    def _interrupt(self, map_id: int) -> None:
        partial = self._partials.pop(map_id, None)
        if partial is not None and not partial.overflowed:
            self.counters.interrupted += 1
            self._discard(InterruptedSegmentError(
                f"new packet on MAP {map_id} before the last segment of the previous one"),
                partial.length)

    def _overflow(self, map_id: int, octets: int) -> None:
        self.counters.overflows += 1
        self._discard(ReassemblyOverflowError(
            f"packet on MAP {map_id} exceeds {self.max_packet_length} octets"), octets)

    def _discard(self, error: DecodeError, octets: int) -> None:
        self.last_error = error
        self.counters.discarded_octets += octets

    def _deliver(self, map_id: int, data: bytes) -> MapSdu | None:
        if len(data) > self.max_packet_length:
            self._overflow(map_id, len(data))
            return None
        self.counters.delivered += 1
        return MapSdu(map_id, data)
