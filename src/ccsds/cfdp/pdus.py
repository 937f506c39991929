"""Encoding and decoding of whole CFDP PDUs (CCSDS 727.0-B-5 section 5)."""

from __future__ import annotations

from ccsds.cfdp.defs import DirectiveCode, PduType, UnknownDirectiveError
from ccsds.cfdp.directives import DIRECTIVE_CLASSES, DirectivePdu
from ccsds.cfdp.file_data import FileDataPdu
from ccsds.cfdp.pdu_header import assemble_pdu, split_pdu

Pdu = DirectivePdu | FileDataPdu


def encode_pdu(pdu: Pdu) -> bytes:
    """The octets of ``pdu``: fixed header, data field, PDU CRC when the header asks for it."""
    if isinstance(pdu, FileDataPdu):
        return assemble_pdu(pdu.header, PduType.FILE_DATA, pdu.body(), pdu.has_segment_metadata)
    return assemble_pdu(pdu.header, PduType.FILE_DIRECTIVE, bytes((pdu.CODE,)) + pdu.body())


def decode_pdu(raw: bytes) -> Pdu:
    """Decode exactly one PDU.

    Raises only :class:`ccsds.errors.DecodeError` subclasses: TruncatedError, LengthError,
    VersionError, ChecksumError (PDU CRC), UnknownDirectiveError, FieldValueError.
    """
    split = split_pdu(raw)
    if split.pdu_type is PduType.FILE_DATA:
        return FileDataPdu.from_body(split.header, split.body, split.segment_metadata)
    code = split.body.u8("directive code")
    try:
        cls = DIRECTIVE_CLASSES[DirectiveCode(code)]
    except ValueError:
        raise UnknownDirectiveError(f"file directive code 0x{code:02x}") from None
    return cls.from_body(split.header, split.body)
