"""Space packets, CCSDS 133.0-B-2 section 4.1.

Primary header (6 octets, 4.1.3): packet version number (3 bits, '000'), packet type
(1 bit: 0 telemetry, 1 telecommand), secondary header flag (1), APID (11), sequence flags (2),
packet sequence count (14), packet data length (16: octets of the data field minus one).
The data field holds at least one octet (4.1.4.1.2); idle packets use APID 0x7FF and carry
no secondary header (4.1.3.3.4.4, 4.1.3.3.3.4).

The header codec is hand-written with :mod:`struct`: it sits on the hot path of every
receiver (tests cross-check it against a declarative :mod:`construct` definition).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple, TypeVar

from ccsds.errors import DecodeError, LengthError, LocalProtocolError, TruncatedError, VersionError

PRIMARY_HEADER_LENGTH = 6
MAX_DATA_FIELD_LENGTH = 0x10000
MAX_PACKET_LENGTH = PRIMARY_HEADER_LENGTH + MAX_DATA_FIELD_LENGTH
MIN_PACKET_LENGTH = PRIMARY_HEADER_LENGTH + 1
MAX_APID = 0x7FF
IDLE_APID = 0x7FF
SEQUENCE_COUNT_MODULUS = 1 << 14
PACKET_VERSION = 0

HEADER_STRUCT = struct.Struct(">HHH")


class HeaderError(DecodeError):
    """A header field holds a value the standard forbids in that context."""


class PacketTypeError(VersionError):
    """A telemetry packet where a telecommand was expected, or the reverse."""


class PacketType(IntEnum):
    """Packet type bit (CCSDS 133.0-B-2 4.1.3.3.2)."""

    TM = 0
    TC = 1


class SequenceFlags(IntEnum):
    """Sequence flags (CCSDS 133.0-B-2 4.1.3.4.2)."""

    CONTINUATION = 0b00
    FIRST = 0b01
    LAST = 0b10
    UNSEGMENTED = 0b11


_PACKET_TYPES = (PacketType.TM, PacketType.TC)
_SEQUENCE_FLAGS = tuple(SequenceFlags)


class SpacePacketHeader(NamedTuple):
    """The six-octet primary header, as read by :func:`peek_header` (nothing validated)."""

    version: int
    packet_type: PacketType
    secondary_header: bool
    apid: int
    sequence_flags: SequenceFlags
    sequence_count: int
    data_field_length: int

    @property
    def packet_length(self) -> int:
        """Total octets of the packet this header announces."""
        return PRIMARY_HEADER_LENGTH + self.data_field_length

    @property
    def packet_id(self) -> int:
        """Packet identification: type, secondary header flag and APID (13 bits, 4.1.3.3)."""
        return (self.packet_type << 12) | (self.secondary_header << 11) | self.apid

    @property
    def sequence_control(self) -> int:
        """Packet sequence control: sequence flags and count (16 bits, 4.1.3.4)."""
        return (self.sequence_flags << 14) | self.sequence_count

    @property
    def is_idle(self) -> bool:
        """An idle packet (APID 0x7FF, 4.1.3.3.4.4)."""
        return self.apid == IDLE_APID

    def encode(self) -> bytes:
        """Serialise the header (fields are trusted; see :class:`SpacePacket` for checks)."""
        return HEADER_STRUCT.pack(
            (self.version << 13) | self.packet_id,
            self.sequence_control,
            self.data_field_length - 1,
        )


def peek_header(buf: bytes | bytearray | memoryview, offset: int = 0) -> SpacePacketHeader:
    """Read the primary header at ``offset`` without validating it.

    Raises :class:`TruncatedError` when fewer than six octets are available.
    """
    if len(buf) - offset < PRIMARY_HEADER_LENGTH:
        raise TruncatedError(f"space packet header needs {PRIMARY_HEADER_LENGTH} octets")
    first, second, length = HEADER_STRUCT.unpack_from(buf, offset)
    return SpacePacketHeader(
        first >> 13,
        _PACKET_TYPES[(first >> 12) & 1],
        bool(first & 0x0800),
        first & MAX_APID,
        _SEQUENCE_FLAGS[second >> 14],
        second & 0x3FFF,
        length + 1,
    )


def packet_length(header_octets: bytes | bytearray | memoryview) -> int:
    """Total packet octets announced by the first six octets (CCSDS 133.0-B-2 4.1.3.5.3)."""
    if len(header_octets) < PRIMARY_HEADER_LENGTH:
        raise TruncatedError(f"space packet header needs {PRIMARY_HEADER_LENGTH} octets")
    return PRIMARY_HEADER_LENGTH + 1 + ((header_octets[4] << 8) | header_octets[5])


def next_sequence_count(count: int) -> int:
    """The packet sequence count after ``count``, modulo 2^14 (CCSDS 133.0-B-2 4.1.3.4.3)."""
    return (count + 1) % SEQUENCE_COUNT_MODULUS


def sequence_count_gap(previous: int, current: int) -> int:
    """Packets missing between two consecutive receptions of one APID (0 when in order)."""
    return (current - previous - 1) % SEQUENCE_COUNT_MODULUS


_Frozen = TypeVar("_Frozen")


def trusted_instance(cls: type[_Frozen], values: dict[str, Any]) -> _Frozen:
    """An instance of a frozen, dict-backed dataclass from already validated field values.

    The generated ``__init__`` of a frozen dataclass costs one ``object.__setattr__`` call
    per field (about 1 us for ten fields); decoders use this and hot-path packet classes
    write their own ``__init__`` that installs the whole ``__dict__`` in one call.
    """
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    return instance


def check_field(name: str, value: int, maximum: int) -> None:
    """Raise :class:`LocalProtocolError` unless ``0 <= value <= maximum``."""
    if not 0 <= value <= maximum:
        raise LocalProtocolError(f"{name} {value} outside 0..{maximum}")


@dataclass(frozen=True, slots=True)
class SpacePacket:
    """One space packet; ``data`` is the whole packet data field (secondary header included)."""

    packet_type: PacketType
    apid: int
    sequence_count: int
    data: bytes
    secondary_header: bool = False
    sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED

    def __post_init__(self) -> None:
        check_field("APID", self.apid, MAX_APID)
        check_field("sequence count", self.sequence_count, SEQUENCE_COUNT_MODULUS - 1)
        if not 1 <= len(self.data) <= MAX_DATA_FIELD_LENGTH:
            raise LocalProtocolError(
                f"packet data field of {len(self.data)} octets outside 1..{MAX_DATA_FIELD_LENGTH}"
                " (CCSDS 133.0-B-2 4.1.4.1.2)"
            )
        if self.apid == IDLE_APID and self.secondary_header:
            raise LocalProtocolError("idle packets carry no secondary header (4.1.3.3.3.4)")

    @classmethod
    def idle(cls, total_length: int, sequence_count: int = 0, fill: int = 0x00,
             packet_type: PacketType = PacketType.TM) -> SpacePacket:
        """An idle packet of ``total_length`` octets whose data field repeats ``fill``."""
        check_field("idle fill octet", fill, 0xFF)
        return cls(packet_type, IDLE_APID, sequence_count,
                   bytes([fill]) * (total_length - PRIMARY_HEADER_LENGTH))

    @property
    def is_idle(self) -> bool:
        """An idle packet (APID 0x7FF)."""
        return self.apid == IDLE_APID

    @property
    def header(self) -> SpacePacketHeader:
        """The primary header of this packet."""
        return SpacePacketHeader(PACKET_VERSION, self.packet_type, self.secondary_header,
                                 self.apid, self.sequence_flags, self.sequence_count,
                                 len(self.data))

    def encode(self) -> bytes:
        """Serialise the packet."""
        return HEADER_STRUCT.pack(
            (self.packet_type << 12) | (self.secondary_header << 11) | self.apid,
            (self.sequence_flags << 14) | self.sequence_count,
            len(self.data) - 1,
        ) + self.data

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview, *, allow_trailing: bool = False,
               max_length: int = MAX_PACKET_LENGTH) -> SpacePacket:
        """Parse one packet from the start of ``raw``.

        Raises :class:`TruncatedError` (``raw`` shorter than the length field says),
        :class:`VersionError` (version not '000', 4.1.3.2), :class:`LengthError` (longer
        than ``max_length``, or octets after the packet unless ``allow_trailing``) and
        :class:`HeaderError` (an idle packet with a secondary header).
        """
        header = peek_header(raw)
        total = check_header(header, len(raw), allow_trailing=allow_trailing,
                             max_length=max_length)
        return cls(
            header.packet_type,
            header.apid,
            header.sequence_count,
            bytes(raw[PRIMARY_HEADER_LENGTH:total]),
            header.secondary_header,
            header.sequence_flags,
        )


def check_header(header: SpacePacketHeader, available: int, *, allow_trailing: bool = False,
                 max_length: int = MAX_PACKET_LENGTH) -> int:
    """Validate a peeked header against the ``available`` octets; return the packet length."""
    if header.version != PACKET_VERSION:
        raise VersionError(f"space packet version {header.version}, expected 0 (4.1.3.2)")
    total = header.packet_length
    if total > max_length:
        raise LengthError(f"space packet of {total} octets exceeds the maximum {max_length}")
    if total > available:
        raise TruncatedError(f"space packet length field says {total} octets, got {available}")
    if total < available and not allow_trailing:
        raise LengthError(f"{available - total} octets after a {total}-octet space packet")
    if header.apid == IDLE_APID and header.secondary_header:
        raise HeaderError("idle packet with the secondary header flag set (4.1.3.3.3.4)")
    return total
