"""Notifications from a CFDP entity to its user (CCSDS 727.0-B-5 3.5 service primitives)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

from ccsds.cfdp.defs import ConditionCode, DeliveryCode, FileStatus
from ccsds.cfdp.tlv import FilestoreResponseTlv, Tlv


class TransactionId(NamedTuple):
    """Source entity id and transaction sequence number: unique per transaction (1.3.3)."""

    source_entity_id: int
    sequence_number: int


class IndicationKind(enum.Enum):
    """The .indication primitives of 727.0-B-5 3.5."""

    TRANSACTION = "Transaction"
    EOF_SENT = "EOF-Sent"
    EOF_RECV = "EOF-Recv"
    METADATA_RECV = "Metadata-Recv"
    FILE_SEGMENT_RECV = "File-Segment-Recv"
    FINISHED = "Transaction-Finished"
    FAULT = "Fault"
    ABANDONED = "Abandoned"
    SUSPENDED = "Suspended"
    RESUMED = "Resumed"
    REPORT = "Report"


@dataclass(frozen=True)
class Indication:
    """One notification; fields that do not apply to ``kind`` stay None or empty."""

    kind: IndicationKind
    transaction_id: TransactionId
    condition: ConditionCode | None = None
    delivery: DeliveryCode | None = None
    file_status: FileStatus | None = None
    progress: int | None = None
    offset: int | None = None
    length: int | None = None
    source_name: str | None = None
    destination_name: str | None = None
    file_size: int | None = None
    options: tuple[Tlv, ...] = ()
    filestore_responses: tuple[FilestoreResponseTlv, ...] = ()
    report: str | None = None
