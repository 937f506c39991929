"""A CFDP entity: many transactions, PDU routing, transaction ids, output pacing
(CCSDS 727.0-B-5 4.1, 3.4 service requests). Sans-I/O: the caller passes ``now`` in, feeds
received PDUs to :meth:`Entity.receive_pdu`, calls :meth:`Entity.poll` and transmits what
:meth:`Entity.pdus_to_send` returns.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from ccsds.cfdp.defs import (
    ConditionCode,
    Direction,
    PromptResponse,
    TransactionStatus,
    TransmissionMode,
)
from ccsds.cfdp.destination import DestinationTransaction
from ccsds.cfdp.directives import EofPdu, FinishedPdu, MetadataPdu
from ccsds.cfdp.file_data import FileDataPdu
from ccsds.cfdp.filestore import Filestore
from ccsds.cfdp.indications import Indication, IndicationKind, TransactionId
from ccsds.cfdp.mib import EntityConfig
from ccsds.cfdp.pdu_header import PduHeader
from ccsds.cfdp.pdus import Pdu, decode_pdu, encode_pdu
from ccsds.cfdp.source import SourceTransaction
from ccsds.cfdp.tlv import Tlv
from ccsds.cfdp.transaction import Transaction, TransactionProgress
from ccsds.errors import DecodeError, LocalProtocolError

_LARGE_FILE_THRESHOLD = 1 << 32


def restart_sequence(restart_count: int, sequence_number_length: int) -> int:
    """A first transaction sequence number for the ``restart_count``-th run of an entity
    that keeps no counter: the run number in the high octets, so each run has its own range
    (65,536 transactions per run with 4-octet sequence numbers) and ids stay unique across
    restarts (727.0-B-5, transaction identification)."""
    bits = 8 * sequence_number_length
    shift = max(0, bits - 16)
    return (restart_count << shift) % (1 << bits)


@dataclass
class EntityCounters:
    """What the entity received, and what it rejected or ignored, by reason."""

    received: int = 0
    decode_errors: int = 0
    misrouted: int = 0
    unknown_transaction: int = 0
    after_completion: int = 0


class Entity:
    """A CFDP protocol entity sending and receiving files through ``filestore``."""

    def __init__(self, config: EntityConfig, filestore: Filestore, *,
                 first_sequence: int = 0) -> None:
        """``first_sequence``: the sequence number of the first transaction this entity
        starts. Transaction ids must stay unique across restarts (727.0-B-5, transaction
        identification), so an entity that restarts without memory starts from a number its
        earlier runs did not use (see :func:`restart_sequence`)."""
        self.config = config
        self.filestore = filestore
        self.counters = EntityCounters()
        self._transactions: dict[TransactionId, Transaction] = {}
        self._finished: OrderedDict[TransactionId, TransmissionMode] = OrderedDict()
        self._indications: list[Indication] = []
        self._control: deque[bytes] = deque()
        self._outbox: list[bytes] = []
        self._held: bytes | None = None
        self._credit = 0
        self._next_sequence = first_sequence % (1 << (8 * config.sequence_number_length))
        self._turn = 0

    @property
    def entity_id(self) -> int:
        """This entity's id."""
        return self.config.entity_id

    # -- requests --------------------------------------------------------------------------

    def put(
        self,
        destination_id: int,
        source_name: str,
        destination_name: str,
        now: float,
        *,
        transmission_mode: TransmissionMode | None = None,
        closure_requested: bool | None = None,
        checksum_type: int | None = None,
        large_file: bool | None = None,
        options: Sequence[Tlv] = (),
    ) -> TransactionId:
        """Put.request (727.0-B-5 3.4.1): start sending ``source_name``; returns its id.

        Raises FilestoreError when the source file cannot be read.
        """
        size = self.filestore.size(source_name)
        mode = self.config.transmission_mode if transmission_mode is None else transmission_mode
        large = size >= _LARGE_FILE_THRESHOLD if large_file is None else large_file
        if size >= _LARGE_FILE_THRESHOLD and not large:
            raise LocalProtocolError(f"{size} octets need the large file flag")
        sequence = self._allocate_sequence()
        transaction_id = TransactionId(self.entity_id, sequence)
        header = PduHeader(
            self.entity_id,
            sequence,
            destination_id,
            transmission_mode=mode,
            direction=Direction.TOWARD_RECEIVER,
            crc=self.config.crc,
            large_file=large,
            entity_id_length=self.config.entity_id_length,
            sequence_number_length=self.config.sequence_number_length,
        )
        self._transactions[transaction_id] = SourceTransaction(
            transaction_id,
            header,
            self.config,
            self.filestore,
            self._indications,
            source_name=source_name,
            destination_name=destination_name,
            file_size=size,
            checksum_type=self.config.checksum_type if checksum_type is None else checksum_type,
            closure_requested=(
                self.config.closure_requested if closure_requested is None else closure_requested
            ),
            options=tuple(options),
            now=now,
        )
        return transaction_id

    def _allocate_sequence(self) -> int:
        modulus = 1 << (8 * self.config.sequence_number_length)
        for _ in range(modulus):
            sequence = self._next_sequence
            self._next_sequence = (sequence + 1) % modulus
            if TransactionId(self.entity_id, sequence) not in self._transactions:
                return sequence
        raise LocalProtocolError("every transaction sequence number is in use")

    def _transaction(self, transaction_id: TransactionId) -> Transaction:
        try:
            return self._transactions[transaction_id]
        except KeyError:
            raise LocalProtocolError(f"no active transaction {transaction_id}") from None

    def cancel(self, transaction_id: TransactionId, now: float) -> None:
        """Cancel.request (3.4.2)."""
        self._transaction(transaction_id).notice_of_cancellation(
            ConditionCode.CANCEL_REQUEST_RECEIVED, now
        )

    def suspend(self, transaction_id: TransactionId, now: float) -> None:
        """Suspend.request (3.4.3)."""
        self._transaction(transaction_id).suspend(now, ConditionCode.SUSPEND_REQUEST_RECEIVED)

    def resume(self, transaction_id: TransactionId, now: float) -> None:
        """Resume.request (3.4.4)."""
        self._transaction(transaction_id).resume(now)

    def report(self, transaction_id: TransactionId) -> TransactionProgress:
        """Report.request (3.4.5): also delivered as a Report indication."""
        progress = self.progress(transaction_id)
        self._indications.append(
            Indication(IndicationKind.REPORT, transaction_id, report=repr(progress))
        )
        return progress

    def prompt(self, transaction_id: TransactionId, response: PromptResponse) -> None:
        """Ask the receiver of a class 2 transaction for a NAK or Keep Alive (4.6.4.4)."""
        transaction = self._transaction(transaction_id)
        if not isinstance(transaction, SourceTransaction) or not transaction.acknowledged:
            raise LocalProtocolError("prompts belong to class 2 sending transactions")
        transaction.prompt(response)

    def progress(self, transaction_id: TransactionId) -> TransactionProgress:
        """Bytes sent/received, gaps and state of an active transaction."""
        return self._transaction(transaction_id).progress()

    @property
    def active_transactions(self) -> list[TransactionId]:
        """Ids of every transaction still running."""
        return list(self._transactions)

    # -- input -----------------------------------------------------------------------------

    def receive_pdu(self, raw: bytes, now: float) -> bool:
        """Route one received PDU; returns False (and counts why) when it was not used."""
        self.counters.received += 1
        try:
            pdu = decode_pdu(raw)
        except DecodeError:
            self.counters.decode_errors += 1
            return False
        header = pdu.header
        transaction_id = TransactionId(header.source_entity_id, header.sequence_number)
        if header.direction is Direction.TOWARD_RECEIVER:
            if header.destination_entity_id != self.entity_id:
                self.counters.misrouted += 1
                return False
            return self._to_receiver(transaction_id, pdu, now)
        if header.source_entity_id != self.entity_id:
            self.counters.misrouted += 1
            return False
        return self._to_sender(transaction_id, pdu, now)

    def _to_receiver(self, transaction_id: TransactionId, pdu: Pdu, now: float) -> bool:
        transaction = self._transactions.get(transaction_id)
        if transaction is None and transaction_id in self._finished:
            self.counters.after_completion += 1
            if isinstance(pdu, EofPdu) and self._finished[transaction_id] is (
                TransmissionMode.ACKNOWLEDGED
            ):
                ack = DestinationTransaction.eof_ack(pdu, TransactionStatus.TERMINATED)
                self._control.append(encode_pdu(ack))
            return False
        if transaction is None:
            if not isinstance(pdu, MetadataPdu | FileDataPdu | EofPdu):
                self.counters.unknown_transaction += 1
                return False
            transaction = DestinationTransaction(
                transaction_id, pdu.header, self.config, self.filestore, self._indications,
                now=now,
            )
            self._transactions[transaction_id] = transaction
        transaction.handle(pdu, now)
        return True

    def _to_sender(self, transaction_id: TransactionId, pdu: Pdu, now: float) -> bool:
        transaction = self._transactions.get(transaction_id)
        if transaction is None:
            known = transaction_id in self._finished
            if known:
                self.counters.after_completion += 1
            else:
                self.counters.unknown_transaction += 1
            if isinstance(pdu, FinishedPdu) and (
                pdu.header.transmission_mode is TransmissionMode.ACKNOWLEDGED
            ):
                status = TransactionStatus.TERMINATED if known else TransactionStatus.UNRECOGNIZED
                ack = SourceTransaction.finished_ack(pdu, status)
                self._control.append(encode_pdu(ack))
            return False
        transaction.handle(pdu, now)
        return True

    # -- output ----------------------------------------------------------------------------

    def poll(self, now: float, budget: int | None = None) -> None:
        """Fire timers, then move PDUs to the outbox.

        ``budget`` caps the octets released by this call (unused credit carries over only
        while a PDU is waiting for room), so calling it at a fixed rate paces the output to a
        line rate; None releases everything ready.
        """
        for transaction in list(self._transactions.values()):
            transaction.poll(now)
        if budget is None:
            self._credit = 1 << 62
        else:
            self._credit = (self._credit if self._held is not None else 0) + budget
        while self._credit > 0:
            pdu = self._held if self._held is not None else self._next_pdu()
            if pdu is None:
                break
            if len(pdu) > self._credit:
                self._held = pdu
                break
            self._held = None
            self._credit -= len(pdu)
            self._outbox.append(pdu)
        if budget is None:
            self._credit = 0
        self._retire()

    def _next_pdu(self) -> bytes | None:
        if self._control:
            return self._control.popleft()
        transactions = list(self._transactions.values())
        for step in range(len(transactions)):
            index = (self._turn + step) % len(transactions)
            pdu = transactions[index].next_pdu()
            if pdu is not None:
                self._turn = index + 1
                return pdu
        return None

    def _retire(self) -> None:
        for transaction_id, transaction in list(self._transactions.items()):
            if transaction.done and not transaction.control:
                del self._transactions[transaction_id]
                self._finished[transaction_id] = transaction.mode
                while len(self._finished) > self.config.remembered_transactions:
                    self._finished.popitem(last=False)

    def pdus_to_send(self) -> list[bytes]:
        """PDUs released by :meth:`poll` since the last call, oldest first."""
        outbox, self._outbox = self._outbox, []
        return outbox

    def indications(self) -> list[Indication]:
        """Indications issued since the last call, oldest first."""
        issued = self._indications[:]
        self._indications.clear()
        return issued
