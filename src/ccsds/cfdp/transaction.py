"""What sending and receiving transactions share: identity, outgoing control PDUs, timers,
user indications, fault handling (CCSDS 727.0-B-5 4.8) and suspend/resume (4.6.6)."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import Any

from ccsds.cfdp.defs import ConditionCode, FaultHandlerCode, TransmissionMode
from ccsds.cfdp.filestore import Filestore
from ccsds.cfdp.indications import Indication, IndicationKind, TransactionId
from ccsds.cfdp.mib import EntityConfig
from ccsds.cfdp.pdu_header import PduHeader
from ccsds.cfdp.pdus import Pdu, encode_pdu
from ccsds.cfdp.timers import Countdown
from ccsds.cfdp.tlv import EntityIdTlv


class Role(enum.Enum):
    """Which end of the transaction this entity is."""

    SENDER = "sender"
    RECEIVER = "receiver"


@dataclass(frozen=True)
class TransactionProgress:
    """A snapshot of one transaction for the user (Report, 727.0-B-5 3.4.7)."""

    transaction_id: TransactionId
    role: Role
    state: str
    transmission_mode: TransmissionMode
    file_size: int | None
    bytes_sent: int
    bytes_received: int
    gaps: tuple[tuple[int, int], ...]
    suspended: bool
    condition: ConditionCode


class Transaction(ABC):
    """Base of :class:`~ccsds.cfdp.source.SourceTransaction` and
    :class:`~ccsds.cfdp.destination.DestinationTransaction`."""

    def __init__(
        self,
        transaction_id: TransactionId,
        header: PduHeader,
        config: EntityConfig,
        filestore: Filestore,
        indications: list[Indication],
    ) -> None:
        self.transaction_id = transaction_id
        self.header = header
        self.config = config
        self.filestore = filestore
        self._indications = indications
        self.control: deque[bytes] = deque()
        self.condition = ConditionCode.NO_ERROR
        self.done = False
        self.suspended = False
        self.fault_handlers: dict[ConditionCode, FaultHandlerCode] = dict(config.fault_handlers)
        self.inactivity = Countdown(config.inactivity_interval)
        self._suspended_timers: list[Countdown] = []

    @property
    def mode(self) -> TransmissionMode:
        """Class 2 (acknowledged) or class 1 (unacknowledged)."""
        return self.header.transmission_mode

    @property
    def acknowledged(self) -> bool:
        """Whether the transaction runs the class 2 procedures."""
        return self.header.transmission_mode is TransmissionMode.ACKNOWLEDGED

    @abstractmethod
    def timers(self) -> tuple[Countdown, ...]:
        """Every timer of the transaction (for suspend/resume)."""

    @abstractmethod
    def handle(self, pdu: Pdu, now: float) -> None:
        """Process a PDU routed to this transaction."""

    @abstractmethod
    def poll(self, now: float) -> None:
        """Fire due timers."""

    @abstractmethod
    def next_pdu(self) -> bytes | None:
        """The next PDU to transmit, or None when there is nothing to send now."""

    @abstractmethod
    def progress(self) -> TransactionProgress:
        """A snapshot of the transaction's state."""

    @abstractmethod
    def notice_of_cancellation(self, condition: ConditionCode, now: float) -> None:
        """Cancel the transaction with ``condition`` (4.11.2)."""

    def send(self, pdu: Pdu) -> None:
        """Queue a control PDU (sent before any file data)."""
        self.control.append(encode_pdu(pdu))

    def indicate(self, kind: IndicationKind, **fields: Any) -> None:
        """Deliver an indication to the user."""
        self._indications.append(Indication(kind, self.transaction_id, **fields))

    def fault_location(self) -> EntityIdTlv:
        """This entity as the fault location TLV of EOF/Finished PDUs (5.2.2, 5.2.3)."""
        return EntityIdTlv(self.config.entity_id, self.config.entity_id_length)

    def declare_fault(self, condition: ConditionCode, now: float) -> None:
        """Run the fault handler configured for ``condition`` (4.8.2)."""
        if self.done:
            return
        handler = self.fault_handlers.get(condition, FaultHandlerCode.NOTICE_OF_CANCELLATION)
        if handler is FaultHandlerCode.IGNORE_ERROR:
            self.indicate(IndicationKind.FAULT, condition=condition, progress=self.position())
        elif handler is FaultHandlerCode.NOTICE_OF_SUSPENSION:
            self.suspend(now, condition)
        elif handler is FaultHandlerCode.ABANDON_TRANSACTION:
            self.abandon(condition)
        else:
            self.notice_of_cancellation(condition, now)

    def abandon(self, condition: ConditionCode) -> None:
        """Stop at once, sending nothing more (4.11.2.3)."""
        self.condition = condition
        self._terminate()
        self.control.clear()
        self.indicate(IndicationKind.ABANDONED, condition=condition, progress=self.position())

    def suspend(self, now: float, condition: ConditionCode) -> None:
        """Stop timers and output until :meth:`resume` (4.6.6.1)."""
        del now
        if self.suspended or self.done:
            return
        self.suspended = True
        self._suspended_timers = [timer for timer in self.timers() if timer.running]
        for timer in self._suspended_timers:
            timer.stop()
        self.indicate(IndicationKind.SUSPENDED, condition=condition, progress=self.position())

    def resume(self, now: float) -> None:
        """Restart the timers stopped by :meth:`suspend` (4.6.6.2)."""
        if not self.suspended or self.done:
            return
        self.suspended = False
        for timer in self._suspended_timers:
            timer.start(now)
        self._suspended_timers = []
        self.indicate(IndicationKind.RESUMED, progress=self.position())

    def _terminate(self) -> None:
        self.done = True
        for timer in self.timers():
            timer.stop()

    @abstractmethod
    def position(self) -> int:
        """Progress in octets as reported in Fault/Suspended indications."""
