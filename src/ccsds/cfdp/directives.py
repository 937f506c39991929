"""File directive PDUs (CCSDS 727.0-B-5 5.2): EOF, Finished, ACK, Metadata, NAK, Prompt and
Keep Alive. Each class encodes its data field after the directive code and decodes it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ccsds.cfdp.defs import (
    ConditionCode,
    DeliveryCode,
    DirectiveCode,
    FieldValueError,
    FileStatus,
    PromptResponse,
    TransactionStatus,
    decode_enum,
)
from ccsds.cfdp.pdu_header import PduHeader
from ccsds.cfdp.tlv import (
    EntityIdTlv,
    FilestoreResponseTlv,
    Tlv,
    decode_name,
    decode_tlv,
    decode_tlvs,
    encode_name,
    encode_tlv,
)
from ccsds.cfdp.wire import Reader, fss_width, uint_bytes
from ccsds.errors import LocalProtocolError


def _fss(value: int, header: PduHeader, what: str) -> bytes:
    return uint_bytes(value, fss_width(header.large_file), what)


def _read_fss(reader: Reader, header: PduHeader, what: str) -> int:
    return reader.uint(fss_width(header.large_file), what)


def _condition(octet: int) -> ConditionCode:
    return decode_enum(ConditionCode, octet >> 4, "condition code")


def _fault_location(tlv: EntityIdTlv | None) -> bytes:
    return b"" if tlv is None else encode_tlv(tlv)


def _read_fault_location(reader: Reader) -> EntityIdTlv | None:
    if not reader.remaining:
        return None
    tlv = decode_tlv(reader)
    if not isinstance(tlv, EntityIdTlv):
        raise FieldValueError(f"fault location must be an entity id TLV, got {type(tlv).__name__}")
    reader.expect_end("fault location")
    return tlv


@dataclass(frozen=True)
class EofPdu:
    """EOF PDU (5.2.2): condition code, file checksum, file size, fault location."""

    CODE: ClassVar[DirectiveCode] = DirectiveCode.EOF
    header: PduHeader
    condition: ConditionCode
    checksum: int
    file_size: int
    fault_location: EntityIdTlv | None = None

    def body(self) -> bytes:
        return (
            bytes((self.condition << 4,))
            + uint_bytes(self.checksum, 4, "file checksum")
            + _fss(self.file_size, self.header, "file size")
            + _fault_location(self.fault_location)
        )

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader) -> EofPdu:
        condition = _condition(reader.u8("condition code"))
        checksum = reader.uint(4, "file checksum")
        size = _read_fss(reader, header, "file size")
        return cls(header, condition, checksum, size, _read_fault_location(reader))


@dataclass(frozen=True)
class FinishedPdu:
    """Finished PDU (5.2.3): outcome of the transaction at the receiver."""

    CODE: ClassVar[DirectiveCode] = DirectiveCode.FINISHED
    header: PduHeader
    condition: ConditionCode
    delivery: DeliveryCode
    file_status: FileStatus
    filestore_responses: tuple[FilestoreResponseTlv, ...] = ()
    fault_location: EntityIdTlv | None = None

    def body(self) -> bytes:
        octet = self.condition << 4 | self.delivery << 2 | self.file_status
        responses = b"".join(encode_tlv(tlv) for tlv in self.filestore_responses)
        return bytes((octet,)) + responses + _fault_location(self.fault_location)

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader) -> FinishedPdu:
        octet = reader.u8("condition code")
        responses: list[FilestoreResponseTlv] = []
        location: EntityIdTlv | None = None
        for tlv in decode_tlvs(reader):
            if isinstance(tlv, FilestoreResponseTlv) and location is None:
                responses.append(tlv)
            elif isinstance(tlv, EntityIdTlv) and location is None:
                location = tlv
            else:
                raise FieldValueError(f"unexpected {type(tlv).__name__} in a Finished PDU")
        return cls(
            header,
            _condition(octet),
            DeliveryCode((octet >> 2) & 1),
            FileStatus(octet & 0x03),
            tuple(responses),
            location,
        )


_ACKABLE = (DirectiveCode.EOF, DirectiveCode.FINISHED)


@dataclass(frozen=True)
class AckPdu:
    """ACK PDU (5.2.4) of an EOF or a Finished PDU."""

    CODE: ClassVar[DirectiveCode] = DirectiveCode.ACK
    header: PduHeader
    acknowledged: DirectiveCode
    condition: ConditionCode
    transaction_status: TransactionStatus

    @property
    def subtype(self) -> int:
        """Directive subtype code: 0001 for a Finished acknowledgement, else 0000 (table 5-8)."""
        return 1 if self.acknowledged is DirectiveCode.FINISHED else 0

    def body(self) -> bytes:
        if self.acknowledged not in _ACKABLE:
            raise LocalProtocolError(f"only EOF and Finished take an ACK, not {self.acknowledged}")
        return bytes(
            (self.acknowledged << 4 | self.subtype, self.condition << 4 | self.transaction_status)
        )

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader) -> AckPdu:
        first = reader.u8("acknowledged directive")
        second = reader.u8("condition code")
        reader.expect_end("ACK PDU")
        acknowledged = decode_enum(DirectiveCode, first >> 4, "acknowledged directive code")
        if acknowledged not in _ACKABLE:
            raise FieldValueError(f"ACK of {acknowledged.name} (only EOF or Finished)")
        return cls(header, acknowledged, _condition(second), TransactionStatus(second & 0x03))


@dataclass(frozen=True)
class MetadataPdu:
    """Metadata PDU (5.2.5): file size, names, checksum type, closure and options."""

    CODE: ClassVar[DirectiveCode] = DirectiveCode.METADATA
    header: PduHeader
    file_size: int
    source_name: str
    destination_name: str
    checksum_type: int = 0
    closure_requested: bool = False
    options: tuple[Tlv, ...] = field(default=())

    def body(self) -> bytes:
        if not 0 <= self.checksum_type <= 0x0F:
            raise LocalProtocolError(f"checksum type {self.checksum_type} is not 4 bits")
        return b"".join(
            (
                bytes((self.closure_requested << 6 | self.checksum_type,)),
                _fss(self.file_size, self.header, "file size"),
                encode_name(self.source_name, "source file name"),
                encode_name(self.destination_name, "destination file name"),
                *(encode_tlv(tlv) for tlv in self.options),
            )
        )

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader) -> MetadataPdu:
        octet = reader.u8("closure/checksum type")
        size = _read_fss(reader, header, "file size")
        source = decode_name(reader, "source file name")
        destination = decode_name(reader, "destination file name")
        options = tuple(decode_tlvs(reader))
        return cls(header, size, source, destination, octet & 0x0F, bool(octet & 0x40), options)


@dataclass(frozen=True)
class NakPdu:
    """NAK PDU (5.2.6): scope and the segment requests (start, end) within it."""

    CODE: ClassVar[DirectiveCode] = DirectiveCode.NAK
    header: PduHeader
    start_of_scope: int
    end_of_scope: int
    segments: tuple[tuple[int, int], ...] = ()

    def body(self) -> bytes:
        parts = [
            _fss(self.start_of_scope, self.header, "start of scope"),
            _fss(self.end_of_scope, self.header, "end of scope"),
        ]
        for start, end in self.segments:
            parts.append(_fss(start, self.header, "segment start"))
            parts.append(_fss(end, self.header, "segment end"))
        return b"".join(parts)

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader) -> NakPdu:
        start = _read_fss(reader, header, "start of scope")
        end = _read_fss(reader, header, "end of scope")
        pair = 2 * fss_width(header.large_file)
        if reader.remaining % pair:
            raise FieldValueError(f"NAK segment requests: {reader.remaining} octets, not pairs")
        segments = tuple(
            (_read_fss(reader, header, "segment start"), _read_fss(reader, header, "segment end"))
            for _ in range(reader.remaining // pair)
        )
        return cls(header, start, end, segments)


@dataclass(frozen=True)
class PromptPdu:
    """Prompt PDU (5.2.7): asks the receiver for a NAK or a Keep Alive."""

    CODE: ClassVar[DirectiveCode] = DirectiveCode.PROMPT
    header: PduHeader
    response: PromptResponse

    def body(self) -> bytes:
        return bytes((self.response << 7,))

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader) -> PromptPdu:
        octet = reader.u8("response required")
        reader.expect_end("Prompt PDU")
        return cls(header, PromptResponse(octet >> 7))


@dataclass(frozen=True)
class KeepAlivePdu:
    """Keep Alive PDU (5.2.8): the receiver's progress."""

    CODE: ClassVar[DirectiveCode] = DirectiveCode.KEEP_ALIVE
    header: PduHeader
    progress: int

    def body(self) -> bytes:
        return _fss(self.progress, self.header, "progress")

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader) -> KeepAlivePdu:
        progress = _read_fss(reader, header, "progress")
        reader.expect_end("Keep Alive PDU")
        return cls(header, progress)


DirectivePdu = EofPdu | FinishedPdu | AckPdu | MetadataPdu | NakPdu | PromptPdu | KeepAlivePdu

DIRECTIVE_CLASSES: dict[DirectiveCode, type[DirectivePdu]] = {
    cls.CODE: cls
    for cls in (EofPdu, FinishedPdu, AckPdu, MetadataPdu, NakPdu, PromptPdu, KeepAlivePdu)
}
