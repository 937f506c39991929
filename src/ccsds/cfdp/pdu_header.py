"""The fixed PDU header (CCSDS 727.0-B-5 5.1) and the PDU CRC (5.1.1, 4.1.1.3)."""

from __future__ import annotations

from dataclasses import dataclass

from ccsds.cfdp.defs import CFDP_VERSION, Direction, PduType, TransmissionMode
from ccsds.cfdp.wire import Reader, uint_bytes
from ccsds.crc import crc16_ccitt
from ccsds.errors import ChecksumError, LengthError, LocalProtocolError, VersionError

FIXED_HEADER_LENGTH = 4
CRC_LENGTH = 2
_VALID_WIDTHS = range(1, 9)


@dataclass(frozen=True)
class PduHeader:
    """Fields of the fixed header a transaction keeps in every PDU it sends (5.1, table 5-1).

    The PDU type, data field length and segment metadata flag follow from the PDU body and
    are filled in by the encoder.
    """

    source_entity_id: int
    sequence_number: int
    destination_entity_id: int
    transmission_mode: TransmissionMode = TransmissionMode.ACKNOWLEDGED
    direction: Direction = Direction.TOWARD_RECEIVER
    crc: bool = False
    large_file: bool = False
    segmentation_control: bool = False
    entity_id_length: int = 2
    sequence_number_length: int = 4

    def __post_init__(self) -> None:
        for what in ("entity_id_length", "sequence_number_length"):
            if getattr(self, what) not in _VALID_WIDTHS:
                raise LocalProtocolError(f"{what} must be 1..8 octets")

    @property
    def length(self) -> int:
        """Octets of the encoded fixed header."""
        return FIXED_HEADER_LENGTH + 2 * self.entity_id_length + self.sequence_number_length

    def encode(self, pdu_type: PduType, data_field_length: int, segment_metadata: bool) -> bytes:
        """The header octets for a data field of ``data_field_length`` (CRC included)."""
        if not 0 <= data_field_length <= 0xFFFF:
            raise LocalProtocolError(f"PDU data field of {data_field_length} octets (max 65535)")
        first = (
            CFDP_VERSION << 5
            | pdu_type << 4
            | self.direction << 3
            | self.transmission_mode << 2
            | self.crc << 1
            | self.large_file
        )
        fourth = (
            self.segmentation_control << 7
            | (self.entity_id_length - 1) << 4
            | segment_metadata << 3
            | (self.sequence_number_length - 1)
        )
        return b"".join(
            (
                bytes((first,)),
                data_field_length.to_bytes(2, "big"),
                bytes((fourth,)),
                uint_bytes(self.source_entity_id, self.entity_id_length, "source entity id"),
                uint_bytes(self.sequence_number, self.sequence_number_length, "sequence number"),
                uint_bytes(
                    self.destination_entity_id, self.entity_id_length, "destination entity id"
                ),
            )
        )


@dataclass(frozen=True)
class RawPdu:
    """A PDU split into its header and data field (CRC checked and removed)."""

    header: PduHeader
    pdu_type: PduType
    segment_metadata: bool
    body: Reader


def pdu_length(raw: bytes) -> int:
    """Total octets of the PDU that starts ``raw``, from its header (5.1.1)."""
    reader = Reader(raw)
    reader.take(1, "PDU header")
    data_field_length = reader.uint(2, "PDU data field length")
    fourth = reader.u8("PDU header")
    return _header_length(fourth) + data_field_length


def _header_length(fourth: int) -> int:
    return FIXED_HEADER_LENGTH + 2 * (((fourth >> 4) & 0x07) + 1) + (fourth & 0x07) + 1


def split_pdu(raw: bytes) -> RawPdu:
    """Decode the fixed header, check length and CRC, and return the data field.

    Raises VersionError, TruncatedError, LengthError (trailing octets) or ChecksumError.
    """
    raw = bytes(raw)
    total = pdu_length(raw)
    first, fourth = raw[0], raw[3]
    version = first >> 5
    if version != CFDP_VERSION:
        raise VersionError(f"CFDP version field {version:03b}, expected 001")
    reader = Reader(raw, FIXED_HEADER_LENGTH)
    id_length = ((fourth >> 4) & 0x07) + 1
    seq_length = (fourth & 0x07) + 1
    source = reader.uint(id_length, "source entity id")
    sequence = reader.uint(seq_length, "sequence number")
    destination = reader.uint(id_length, "destination entity id")
    if len(raw) < total:
        reader.take(total - reader.pos, "PDU data field")
    if len(raw) > total:
        raise LengthError(f"{len(raw) - total} octet(s) after the PDU data field")
    crc = bool(first & 0x02)
    end = total
    if crc:
        if total - reader.pos < CRC_LENGTH:
            raise LengthError("PDU data field too short for its CRC")
        if crc16_ccitt(raw[:total]) != 0:
            raise ChecksumError("PDU CRC mismatch")
        end -= CRC_LENGTH
    header = PduHeader(
        source_entity_id=source,
        sequence_number=sequence,
        destination_entity_id=destination,
        transmission_mode=TransmissionMode((first >> 2) & 1),
        direction=Direction((first >> 3) & 1),
        crc=crc,
        large_file=bool(first & 0x01),
        segmentation_control=bool(fourth & 0x80),
        entity_id_length=id_length,
        sequence_number_length=seq_length,
    )
    body = Reader(raw, reader.pos, end)
    return RawPdu(header, PduType((first >> 4) & 1), bool(fourth & 0x08), body)


def assemble_pdu(
    header: PduHeader, pdu_type: PduType, body: bytes, segment_metadata: bool = False
) -> bytes:
    """Header, data field and (when the header says so) the PDU CRC (5.1.1)."""
    crc_length = CRC_LENGTH if header.crc else 0
    pdu = header.encode(pdu_type, len(body) + crc_length, segment_metadata) + body
    if header.crc:
        pdu += crc16_ccitt(pdu).to_bytes(2, "big")
    return pdu
