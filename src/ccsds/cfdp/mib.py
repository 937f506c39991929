"""Management information base of a CFDP entity (CCSDS 727.0-B-5 section 8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Self

from ccsds.cfdp.checksum import SANA_CHECKSUMS, ChecksumFunction
from ccsds.cfdp.defs import ConditionCode, FaultHandlerCode, TransmissionMode
from ccsds.config import CfdpConfig
from ccsds.errors import LocalProtocolError

DEFAULT_FAULT_HANDLERS: Mapping[ConditionCode, FaultHandlerCode] = MappingProxyType(
    {
        code: FaultHandlerCode.NOTICE_OF_CANCELLATION
        for code in ConditionCode
        if code
        not in (
            ConditionCode.NO_ERROR,
            ConditionCode.SUSPEND_REQUEST_RECEIVED,
            ConditionCode.CANCEL_REQUEST_RECEIVED,
        )
    }
)
"""Notice of cancellation for every fault, the standard's initial setting (4.8.2)."""


@dataclass(frozen=True)
class EntityConfig:
    """Local entity settings and the defaults applied to every remote entity (8.2, 8.3).

    Intervals are seconds of the caller's clock; limits count timer expirations.
    ``segment_size`` is the file data octets per File Data PDU; ``max_pdu_length`` bounds the
    NAK PDUs this entity builds. ``discard_incomplete`` deletes a cancelled transaction's
    partial file (Finished file status "discarded deliberately"); ``file_segment_indications``
    turns the per-PDU File-Segment-Recv indication on or off.
    """

    entity_id: int
    entity_id_length: int = 2
    sequence_number_length: int = 4
    checksum_type: int = 3
    checksums: Mapping[int, ChecksumFunction] = field(default_factory=lambda: SANA_CHECKSUMS)
    transmission_mode: TransmissionMode = TransmissionMode.ACKNOWLEDGED
    closure_requested: bool = False
    crc: bool = False
    segment_size: int = 1024
    max_pdu_length: int = 4096
    ack_interval: float = 10.0
    ack_limit: int = 3
    nak_interval: float = 10.0
    nak_limit: int = 3
    immediate_nak: bool = True
    check_interval: float = 10.0
    check_limit: int = 3
    inactivity_interval: float = 300.0
    keep_alive_interval: float | None = None
    keep_alive_limit: int | None = None
    discard_incomplete: bool = False
    file_segment_indications: bool = True
    fault_handlers: Mapping[ConditionCode, FaultHandlerCode] = field(
        default_factory=lambda: DEFAULT_FAULT_HANDLERS
    )
    remembered_transactions: int = 1024

    def __post_init__(self) -> None:
        if not 0 <= self.entity_id < 1 << (8 * self.entity_id_length):
            raise LocalProtocolError(f"entity id {self.entity_id} does not fit its length")
        if self.segment_size < 1:
            raise LocalProtocolError("segment_size must be at least 1 octet")
        if self.max_pdu_length < 64:
            raise LocalProtocolError("max_pdu_length must be at least 64 octets")
        for name in ("ack_limit", "nak_limit", "check_limit"):
            if getattr(self, name) < 1:
                raise LocalProtocolError(f"{name} must be at least 1")

    @classmethod
    def from_link(cls, link: CfdpConfig, entity_id: int, **overrides: object) -> Self:
        """Settings of entity ``entity_id`` from the mission's [cfdp] section."""
        values: dict[str, object] = {
            "entity_id_length": link.entity_id_length,
            "sequence_number_length": link.sequence_number_length,
            "checksum_type": link.checksum_type,
        }
        values.update(overrides)
        return cls(entity_id, **values)  # type: ignore[arg-type]
