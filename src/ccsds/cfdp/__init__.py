"""CCSDS File Delivery Protocol, CCSDS 727.0-B-5: PDUs, class 1 and class 2 entities.

Sans-I/O: :class:`Entity` takes received PDUs and the time, and hands back PDUs to send and
indications for the user; files live behind the :class:`Filestore` interface.
"""

from ccsds.cfdp.checksum import SANA_CHECKSUMS, modular_checksum
from ccsds.cfdp.defs import (
    ActionCode,
    ChecksumType,
    ConditionCode,
    DeliveryCode,
    Direction,
    DirectiveCode,
    FaultHandlerCode,
    FieldValueError,
    FileStatus,
    PduType,
    PromptResponse,
    RecordContinuation,
    TlvType,
    TransactionStatus,
    TransmissionMode,
    UnknownDirectiveError,
)
from ccsds.cfdp.directives import (
    AckPdu,
    DirectivePdu,
    EofPdu,
    FinishedPdu,
    KeepAlivePdu,
    MetadataPdu,
    NakPdu,
    PromptPdu,
)
from ccsds.cfdp.entity import Entity, EntityCounters, restart_sequence
from ccsds.cfdp.file_data import FileDataPdu
from ccsds.cfdp.filestore import Filestore, FilestoreError, MemoryFilestore
from ccsds.cfdp.indications import Indication, IndicationKind, TransactionId
from ccsds.cfdp.mib import EntityConfig
from ccsds.cfdp.pdu_header import PduHeader, pdu_length
from ccsds.cfdp.pdus import Pdu, decode_pdu, encode_pdu
from ccsds.cfdp.tlv import (
    EntityIdTlv,
    FaultHandlerOverrideTlv,
    FilestoreRequestTlv,
    FilestoreResponseTlv,
    FlowLabelTlv,
    MessageToUserTlv,
    Tlv,
)
from ccsds.cfdp.transaction import Role, TransactionProgress

__all__ = [
    "SANA_CHECKSUMS",
    "AckPdu",
    "ActionCode",
    "ChecksumType",
    "ConditionCode",
    "DeliveryCode",
    "Direction",
    "DirectiveCode",
    "DirectivePdu",
    "Entity",
    "EntityConfig",
    "EntityCounters",
    "EntityIdTlv",
    "EofPdu",
    "FaultHandlerCode",
    "FaultHandlerOverrideTlv",
    "FieldValueError",
    "FileDataPdu",
    "FileStatus",
    "Filestore",
    "FilestoreError",
    "FilestoreRequestTlv",
    "FilestoreResponseTlv",
    "FinishedPdu",
    "FlowLabelTlv",
    "Indication",
    "IndicationKind",
    "KeepAlivePdu",
    "MemoryFilestore",
    "MessageToUserTlv",
    "MetadataPdu",
    "NakPdu",
    "Pdu",
    "PduHeader",
    "PduType",
    "PromptPdu",
    "PromptResponse",
    "RecordContinuation",
    "Role",
    "Tlv",
    "TlvType",
    "TransactionId",
    "TransactionProgress",
    "TransactionStatus",
    "TransmissionMode",
    "UnknownDirectiveError",
    "decode_pdu",
    "encode_pdu",
    "modular_checksum",
    "pdu_length",
    "restart_sequence",
]
