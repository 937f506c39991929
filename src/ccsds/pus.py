"""PUS-C telecommand and telemetry packets, ECSS-E-ST-70-41C 7.4.

TC secondary header (7.4.3.1): PUS version (4 bits, 2), acknowledgement flags (4 bits),
service type, message subtype, source id (16 bits). TM secondary header (7.4.3.2): PUS
version (4 bits, 2), spacecraft time reference status (4 bits), service type, message
subtype, message type counter (16), destination id (16), time (CUC, implicit P-field).
Every packet ends with the packet error control field, CRC-16/CCITT-FALSE over all the
octets before it (7.4.2.1 / 7.4.4.1 and annex B).

Codecs are hand-written with :mod:`struct` (one pack/unpack per header pair) because the
ground decodes every telemetry packet and the board packs every report.
"""

from __future__ import annotations

import struct
from dataclasses import KW_ONLY, dataclass, field
from enum import IntFlag
from typing import ClassVar, NamedTuple

from ccsds.crc import crc16_ccitt
from ccsds.errors import (
    ChecksumError,
    LengthError,
    LocalProtocolError,
    TruncatedError,
    VersionError,
)
from ccsds.spacepacket import (
    IDLE_APID,
    MAX_PACKET_LENGTH,
    PRIMARY_HEADER_LENGTH,
    SEQUENCE_COUNT_MODULUS,
    HeaderError,
    PacketType,
    PacketTypeError,
    SequenceFlags,
    check_field,
    trusted_instance,
)
from ccsds.timecode import CUC_4_2, CucFormat, CucTime

PUS_VERSION = 2
PEC_LENGTH = 2
TC_SECONDARY_HEADER_LENGTH = 5
TM_SECONDARY_HEADER_FIXED_LENGTH = 7
"""TM secondary header octets before the time field."""
REQUEST_ID_LENGTH = 4

_TC_HEADERS = struct.Struct(">HHHBBBH")  # primary header + TC secondary header
_TM_HEADERS = struct.Struct(">HHHBBBHH")  # primary header + TM secondary header less time
_TM_HEADERS_CUC_4_2 = struct.Struct(">HHHBBBHHIH")  # ... with the baseline CUC 4+2 time
_PACK_TM_HEADERS_CUC_4_2 = _TM_HEADERS_CUC_4_2.pack
_TM_LENGTH_FIELD_BASE = TM_SECONDARY_HEADER_FIXED_LENGTH + PEC_LENGTH - 1
"""Packet data length field of a TM, less its source data and time octets."""
_SEQUENCE_FLAGS = tuple(SequenceFlags)
_SEQUENCE_FLAG_BITS = {flags: int(flags) << 14 for flags in SequenceFlags}
"""Sequence flags placed in the sequence control word (a lookup beats an IntEnum shift)."""
_CUC_4_2_LENGTH = CUC_4_2.length
_PACK_PEC = struct.Struct(">H").pack
_SECONDARY_HEADER_BIT = 0x0800
_APID_MASK = 0x07FF


class PusVersionError(VersionError):
    """The secondary header carries a PUS version other than 2 (PUS-C)."""


class AckFlags(IntFlag):
    """Acknowledgement flags of a TC (ECSS-E-ST-70-41C 7.4.3.1, 5.4.11.2.2).

    Each set flag asks for the matching successful verification report of service 1.
    """

    NONE = 0
    ACCEPTANCE = 0b0001
    START = 0b0010
    PROGRESS = 0b0100
    COMPLETION = 0b1000
    ALL = 0b1111


class RequestId(NamedTuple):
    """The request id of a TC: its packet id and packet sequence control.

    ECSS-E-ST-70-41C 6.1.4.3 / 8.1.2: service 1 reports start with these 4 octets (packet
    version, type, secondary header flag, APID, sequence flags, sequence count).
    """

    apid: int
    sequence_count: int
    sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED
    packet_type: PacketType = PacketType.TC
    secondary_header: bool = True
    version: int = 0

    def as_int(self) -> int:
        """The 32-bit request id (LocalProtocolError if a field does not fit its bits)."""
        check_field("request id APID", self.apid, IDLE_APID)
        check_field("request id sequence count", self.sequence_count, SEQUENCE_COUNT_MODULUS - 1)
        check_field("request id packet version", self.version, 0b111)
        first = ((self.version << 13) | (self.packet_type << 12)
                 | (self.secondary_header << 11) | self.apid)
        return (first << 16) | (self.sequence_flags << 14) | self.sequence_count

    def encode(self) -> bytes:
        """The four octets as they appear in a verification report."""
        return self.as_int().to_bytes(REQUEST_ID_LENGTH, "big")

    @classmethod
    def unpack_from(cls, buf: bytes | bytearray | memoryview, offset: int = 0) -> RequestId:
        """Read a request id at ``offset`` (of a report, or the first octets of a raw TC).

        Works on a TC that failed to decode: acceptance failure reports still need it.
        """
        if len(buf) - offset < REQUEST_ID_LENGTH:
            raise TruncatedError(f"request id needs {REQUEST_ID_LENGTH} octets")
        first, second = struct.unpack_from(">HH", buf, offset)
        return cls(first & _APID_MASK, second & 0x3FFF, _SEQUENCE_FLAGS[second >> 14],
                   PacketType((first >> 12) & 1), bool(first & _SECONDARY_HEADER_BIT),
                   first >> 13)

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview) -> RequestId:
        """Decode exactly four octets."""
        if len(raw) > REQUEST_ID_LENGTH:
            raise LengthError(f"request id is {REQUEST_ID_LENGTH} octets, got {len(raw)}")
        return cls.unpack_from(raw)


def _check_fields(apid: int, sequence_count: int, service: int, subtype: int, total: int,
                  **sixteen_bit: int) -> None:
    """Raise LocalProtocolError naming the first out-of-range field; shared by TC and TM."""
    check_field("APID", apid, IDLE_APID - 1)
    check_field("sequence count", sequence_count, SEQUENCE_COUNT_MODULUS - 1)
    check_field("service type", service, 0xFF)
    check_field("message subtype", subtype, 0xFF)
    for name, value in sixteen_bit.items():
        check_field(name.replace("_", " "), value, 0xFFFF)
    if total > MAX_PACKET_LENGTH:
        raise LocalProtocolError(f"PUS packet of {total} octets exceeds {MAX_PACKET_LENGTH}")


_UNPACKABLE = "PUS header field out of range"


def _packet_length(raw: bytes | bytearray | memoryview, fields: tuple[int, ...],
                   packet_type: PacketType, minimum: int, allow_trailing: bool) -> int:
    """Validate a PUS packet whose headers unpacked to ``fields``; return its length.

    ``fields`` starts with the three primary header words and the octet holding the PUS
    version in its high nibble. The common case passes one combined test and the CRC.
    """
    first, _, length, version_octet = fields[:4]
    total = length + PRIMARY_HEADER_LENGTH + 1
    if (first & 0xF800 == (packet_type << 12) | _SECONDARY_HEADER_BIT
            and first & _APID_MASK != IDLE_APID and total == len(raw) and total >= minimum
            and version_octet >> 4 == PUS_VERSION):
        if crc16_ccitt(raw):
            raise ChecksumError(f"PUS {packet_type.name} packet error control mismatch")
        return total
    return _diagnose(raw, fields, packet_type, minimum, allow_trailing)


def _diagnose(raw: bytes | bytearray | memoryview, fields: tuple[int, ...],
              packet_type: PacketType, minimum: int, allow_trailing: bool) -> int:
    """The checks of :func:`_packet_length` one by one, in the order that names the cause."""
    first, _, length, version_octet = fields[:4]
    total = length + PRIMARY_HEADER_LENGTH + 1
    name = packet_type.name
    if first >> 13:
        raise VersionError(f"space packet version {first >> 13}, expected 0 (133.0-B-2 4.1.3.2)")
    if (first >> 12) & 1 != packet_type:
        raise PacketTypeError(f"a {PacketType(not packet_type).name} is not a PUS {name}")
    if not first & _SECONDARY_HEADER_BIT:
        raise HeaderError(f"PUS {name} without the secondary header flag (ECSS 7.4.1)")
    if first & _APID_MASK == IDLE_APID:
        raise HeaderError(f"PUS {name} on the idle APID")
    available = len(raw)
    if total > available:
        raise TruncatedError(f"PUS {name} length field says {total} octets, got {available}")
    if total < available and not allow_trailing:
        raise LengthError(f"{available - total} octets after a {total}-octet PUS {name}")
    if total < minimum:
        raise LengthError(f"PUS {name} of {total} octets, at least {minimum} needed")
    if crc16_ccitt(raw[:total]):
        raise ChecksumError(f"PUS {name} packet error control mismatch")
    if version_octet >> 4 != PUS_VERSION:
        raise PusVersionError(f"PUS version {version_octet >> 4}, expected {PUS_VERSION}")
    return total


@dataclass(frozen=True, init=False)
class PusTc:
    """A PUS-C telecommand packet (ECSS-E-ST-70-41C 7.4.1, 7.4.3.1).

    The packet is immutable, so its headers are packed once, when it is built (which also
    range-checks every field); :meth:`encode` then only appends the data and the PEC.
    """

    apid: int
    sequence_count: int
    service: int
    subtype: int
    application_data: bytes = b""
    _: KW_ONLY
    source_id: int = 0
    ack_flags: AckFlags = AckFlags.ALL
    sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED
    headers: bytes = field(init=False, repr=False, compare=False)
    """Primary and secondary header octets."""

    MIN_LENGTH: ClassVar[int] = (PRIMARY_HEADER_LENGTH + TC_SECONDARY_HEADER_LENGTH
                                 + PEC_LENGTH)

    def __init__(self, apid: int, sequence_count: int, service: int, subtype: int,
                 application_data: bytes = b"", *, source_id: int = 0,
                 ack_flags: AckFlags = AckFlags.ALL,
                 sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED) -> None:
        # sub-octet fields here (x >> n is 0 exactly when 0 <= x < 2**n), the rest by struct
        total = self.MIN_LENGTH + len(application_data)
        if ((apid >> 11) | (sequence_count >> 14) | (ack_flags >> 4) or apid == 0x7FF
                or total > MAX_PACKET_LENGTH):
            check_field("acknowledgement flags", ack_flags, 0xF)
            _check_fields(apid, sequence_count, service, subtype, total)
        try:
            headers = _TC_HEADERS.pack(
                0x1800 | apid,  # TC, secondary header flag set
                (sequence_flags << 14) | sequence_count,
                total - PRIMARY_HEADER_LENGTH - 1,
                0x20 | int(ack_flags),  # PUS version 2; int() as Flag.__ror__ is slow
                service,
                subtype,
                source_id,
            )
        except struct.error:
            _check_fields(apid, sequence_count, service, subtype, total, source_id=source_id)
            raise LocalProtocolError(_UNPACKABLE) from None
        # item by item into the instance's own dict: the frozen dataclass __setattr__ costs
        # a call per field, replacing __dict__ costs a copy (see spacepacket.trusted_instance)
        fields = self.__dict__
        fields["apid"] = apid
        fields["sequence_count"] = sequence_count
        fields["service"] = service
        fields["subtype"] = subtype
        fields["application_data"] = application_data
        fields["source_id"] = source_id
        fields["ack_flags"] = ack_flags
        fields["sequence_flags"] = sequence_flags
        fields["headers"] = headers

    @property
    def request_id(self) -> RequestId:
        """The id that service 1 verification reports quote for this TC."""
        return RequestId(self.apid, self.sequence_count, self.sequence_flags)

    def encode(self) -> bytes:
        """Serialise, with the packet error control field."""
        body = self.headers + self.application_data
        return body + _PACK_PEC(crc16_ccitt(body))

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview, *,
               allow_trailing: bool = False) -> PusTc:
        """Parse and check one TC from the start of ``raw``.

        Raises :class:`TruncatedError`, :class:`LengthError`, :class:`VersionError`
        (:class:`PacketTypeError` for a TM, :class:`PusVersionError`), :class:`HeaderError`
        (no secondary header, idle APID) or :class:`ChecksumError` (PEC).
        """
        if len(raw) < cls.MIN_LENGTH:
            raise TruncatedError(f"PUS TC needs at least {cls.MIN_LENGTH} octets, got {len(raw)}")
        fields = _TC_HEADERS.unpack_from(raw)
        total = _packet_length(raw, fields, PacketType.TC, cls.MIN_LENGTH, allow_trailing)
        first, second, _, version_ack, service, subtype, source_id = fields
        return trusted_instance(cls, {
            "apid": first & _APID_MASK, "sequence_count": second & 0x3FFF, "service": service,
            "subtype": subtype,
            "application_data": bytes(raw[_TC_HEADERS.size:total - PEC_LENGTH]),
            "source_id": source_id, "ack_flags": _ACK_FLAGS[version_ack & 0xF],
            "sequence_flags": _SEQUENCE_FLAGS[second >> 14],
            "headers": bytes(raw[:_TC_HEADERS.size]),
        })


_ACK_FLAGS = tuple(AckFlags(value) for value in range(16))
_NO_TIME = CucTime(0)


@dataclass(frozen=True, init=False)
class PusTm:
    """A PUS-C telemetry packet (ECSS-E-ST-70-41C 7.4.1, 7.4.3.2), time in CUC.

    Headers (time included) are packed once, when the packet is built; see :class:`PusTc`.
    """

    apid: int
    sequence_count: int
    service: int
    subtype: int
    _: KW_ONLY
    time: CucTime = _NO_TIME
    source_data: bytes = b""
    message_counter: int = 0
    destination_id: int = 0
    time_reference_status: int = 0
    sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED
    headers: bytes = field(init=False, repr=False, compare=False)
    """Primary and secondary header octets, time field included."""

    def __init__(self, apid: int, sequence_count: int, service: int, subtype: int, *,
                 time: CucTime = _NO_TIME, source_data: bytes = b"",
                 message_counter: int = 0, destination_id: int = 0,
                 time_reference_status: int = 0,
                 sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED) -> None:
        # sub-octet fields here (x >> n is 0 exactly when 0 <= x < 2**n), the rest by struct
        fmt = time.fmt
        if ((apid >> 11) | (sequence_count >> 14) | (time_reference_status >> 4)
                or apid == 0x7FF or len(source_data) > _MAX_TM_SOURCE_WITH_ANY_TIME):
            check_field("time reference status", time_reference_status, 0xF)
            _check_fields(apid, sequence_count, service, subtype,
                          self.min_length(fmt) + len(source_data))
        baseline = fmt is CUC_4_2
        if baseline:
            time_length, coarse, fine = _CUC_4_2_LENGTH, time.coarse, time.fine
        else:
            time_length, coarse, fine = fmt.length, 0, 0
        try:
            headers = _PACK_TM_HEADERS_CUC_4_2(
                0x0800 | apid,  # TM, secondary header flag set
                _SEQUENCE_FLAG_BITS[sequence_flags] | sequence_count,
                len(source_data) + time_length + _TM_LENGTH_FIELD_BASE,
                0x20 | time_reference_status,  # PUS version 2
                service,
                subtype,
                message_counter,
                destination_id,
                coarse,
                fine,
            )
        except struct.error:
            _check_fields(apid, sequence_count, service, subtype, 0,
                          message_type_counter=message_counter, destination_id=destination_id)
            raise LocalProtocolError(_UNPACKABLE) from None
        if not baseline:
            headers = headers[:_TM_HEADERS.size] + time.encode()
        fields = self.__dict__  # item by item, as in PusTc.__init__
        fields["apid"] = apid
        fields["sequence_count"] = sequence_count
        fields["service"] = service
        fields["subtype"] = subtype
        fields["time"] = time
        fields["source_data"] = source_data
        fields["message_counter"] = message_counter
        fields["destination_id"] = destination_id
        fields["time_reference_status"] = time_reference_status
        fields["sequence_flags"] = sequence_flags
        fields["headers"] = headers

    @staticmethod
    def min_length(time_format: CucFormat = CUC_4_2) -> int:
        """Octets of a TM with no source data."""
        return (PRIMARY_HEADER_LENGTH + TM_SECONDARY_HEADER_FIXED_LENGTH + time_format.length
                + PEC_LENGTH)

    def encode(self) -> bytes:
        """Serialise, with the packet error control field."""
        body = self.headers + self.source_data
        return body + _PACK_PEC(crc16_ccitt(body))

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview, *, time_format: CucFormat = CUC_4_2,
               allow_trailing: bool = False) -> PusTm:
        """Parse and check one TM from the start of ``raw`` (time with implicit P-field).

        Raises the errors listed for :meth:`PusTc.decode` (:class:`PacketTypeError` for a TC).
        """
        minimum = cls.min_length(time_format)
        if len(raw) < minimum:
            raise TruncatedError(f"PUS TM needs at least {minimum} octets, got {len(raw)}")
        if time_format is CUC_4_2:
            fields = _TM_HEADERS_CUC_4_2.unpack_from(raw)
            time = trusted_instance(CucTime, {"coarse": fields[8], "fine": fields[9],
                                              "fmt": CUC_4_2})
        else:
            fields = _TM_HEADERS.unpack_from(raw)
            time = CucTime.unpack_from(raw, _TM_HEADERS.size, time_format)[0]
        total = _packet_length(raw, fields, PacketType.TM, minimum, allow_trailing)
        first, second, _, version_ref, service, subtype, counter, destination = fields[:8]
        headers_end = _TM_HEADERS.size + time_format.length
        return trusted_instance(cls, {
            "apid": first & _APID_MASK, "sequence_count": second & 0x3FFF, "service": service,
            "subtype": subtype, "time": time,
            "source_data": bytes(raw[headers_end:total - PEC_LENGTH]),
            "message_counter": counter, "destination_id": destination,
            "time_reference_status": version_ref & 0xF,
            "sequence_flags": _SEQUENCE_FLAGS[second >> 14],
            "headers": bytes(raw[:headers_end]),
        })


_MAX_TM_SOURCE_WITH_ANY_TIME = MAX_PACKET_LENGTH - PusTm.min_length(CucFormat(7, 10))
"""Source data lengths up to this fit a TM whatever its time format."""
