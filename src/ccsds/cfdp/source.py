"""The sending side of a transaction (CCSDS 727.0-B-5 4.6.1, 4.6.4 class 2, 4.7, 4.11).

Copy File procedure: Metadata, File Data, EOF; in class 2 the EOF is acknowledged
(positive ACK procedure, 4.7.1), NAK segment requests are served by retransmission, and the
Finished PDU is acknowledged. In class 1 the transaction ends once EOF is sent, unless closure
was requested, in which case it waits for Finished.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import replace

from ccsds.cfdp.checksum import ChecksumFunction
from ccsds.cfdp.defs import (
    ConditionCode,
    Direction,
    DirectiveCode,
    PromptResponse,
    TransactionStatus,
)
from ccsds.cfdp.directives import (
    AckPdu,
    EofPdu,
    FinishedPdu,
    KeepAlivePdu,
    MetadataPdu,
    NakPdu,
    PromptPdu,
)
from ccsds.cfdp.file_data import FileDataPdu
from ccsds.cfdp.filestore import Filestore, FilestoreError, read_segments
from ccsds.cfdp.indications import Indication, IndicationKind, TransactionId
from ccsds.cfdp.mib import EntityConfig
from ccsds.cfdp.pdu_header import PduHeader
from ccsds.cfdp.pdus import Pdu, encode_pdu
from ccsds.cfdp.timers import Countdown
from ccsds.cfdp.tlv import Tlv
from ccsds.cfdp.transaction import Role, Transaction, TransactionProgress


class SourceState(enum.Enum):
    """Where the sending transaction stands."""

    SEND_METADATA = "send metadata"
    SEND_FILE_DATA = "send file data"
    WAIT_EOF_ACK = "wait EOF ACK"
    WAIT_FINISHED = "wait Finished"
    DONE = "done"


class SourceTransaction(Transaction):
    """One outgoing file copy."""

    def __init__(
        self,
        transaction_id: TransactionId,
        header: PduHeader,
        config: EntityConfig,
        filestore: Filestore,
        indications: list[Indication],
        *,
        source_name: str,
        destination_name: str,
        file_size: int,
        checksum_type: int,
        closure_requested: bool,
        options: tuple[Tlv, ...],
        now: float,
    ) -> None:
        super().__init__(transaction_id, header, config, filestore, indications)
        self.state = SourceState.SEND_METADATA
        self.metadata = MetadataPdu(
            header,
            file_size,
            source_name,
            destination_name,
            checksum_type,
            closure_requested,
            options,
        )
        self.next_offset = 0
        self.bytes_sent = 0
        self.retransmissions: deque[tuple[int, int]] = deque()
        self.resend_metadata = False
        self.eof: bytes | None = None
        self.ack_timer = Countdown(config.ack_interval)
        self.receiver_progress = 0
        self._now = now
        self.indicate(IndicationKind.TRANSACTION)

    @property
    def file_size(self) -> int:
        """Octets of the file being sent."""
        return self.metadata.file_size

    @property
    def waits_for_finished(self) -> bool:
        """Class 2, or class 1 with closure requested (4.6.3.2)."""
        return self.acknowledged or self.metadata.closure_requested

    def timers(self) -> tuple[Countdown, ...]:
        return (self.ack_timer, self.inactivity)

    def position(self) -> int:
        return self.next_offset

    def progress(self) -> TransactionProgress:
        pending = tuple(self.retransmissions)
        if self.next_offset < self.file_size:
            pending += ((self.next_offset, self.file_size),)
        return TransactionProgress(
            self.transaction_id,
            Role.SENDER,
            self.state.value,
            self.mode,
            self.file_size,
            self.bytes_sent,
            self.receiver_progress,
            pending,
            self.suspended,
            self.condition,
        )

    # -- output ----------------------------------------------------------------------------

    def next_pdu(self) -> bytes | None:
        if self.suspended:
            return None
        if self.control:
            return self.control.popleft()
        if self.done:
            return None
        try:
            return self._next_data_pdu()
        except FilestoreError:
            self.declare_fault(ConditionCode.FILESTORE_REJECTION, self._now)
            return self.control.popleft() if self.control else None

    def _next_data_pdu(self) -> bytes | None:
        """Metadata, retransmissions, new file data, then EOF (4.6.1.1)."""
        if self.state is SourceState.SEND_METADATA or self.resend_metadata:
            self.resend_metadata = False
            if self.state is SourceState.SEND_METADATA:
                self.state = SourceState.SEND_FILE_DATA
            return encode_pdu(self.metadata)
        if self.retransmissions:
            return self._retransmission()
        if self.state is SourceState.SEND_FILE_DATA:
            if self.next_offset < self.file_size:
                start = self.next_offset
                self.next_offset = min(start + self.config.segment_size, self.file_size)
                return self._file_data(start, self.next_offset)
            return self._send_eof(ConditionCode.NO_ERROR, self.file_size)
        return None

    def _file_data(self, start: int, end: int) -> bytes:
        data = self.filestore.read(self.metadata.source_name, start, end - start)
        self.bytes_sent += len(data)
        return encode_pdu(FileDataPdu(self.header, start, data))

    def _retransmission(self) -> bytes:
        start, end = self.retransmissions.popleft()
        stop = min(end, start + self.config.segment_size)
        if stop < end:
            self.retransmissions.appendleft((stop, end))
        return self._file_data(start, stop)

    def _checksum(self, size: int) -> int:
        """File checksum of the first ``size`` octets; 0 for types this entity lacks."""
        function: ChecksumFunction | None = self.config.checksums.get(self.metadata.checksum_type)
        if function is None:
            return 0
        return function(read_segments(self.filestore, self.metadata.source_name, size))

    def _send_eof(self, condition: ConditionCode, size: int) -> bytes:
        """EOF (4.6.1.1.9 / 4.11.2.2.2): checksum over the octets being declared."""
        location = None if condition is ConditionCode.NO_ERROR else self.fault_location()
        try:
            checksum = self._checksum(size)
        except FilestoreError:
            if condition is ConditionCode.NO_ERROR:
                raise
            checksum = 0  # a cancelling EOF: the receiver does not verify it
        eof = EofPdu(self.header, condition, checksum, size, location)
        self.eof = encode_pdu(eof)
        self.indicate(IndicationKind.EOF_SENT)
        if condition is ConditionCode.NO_ERROR and self.waits_for_finished:
            self.inactivity.start(self._now)  # the receiver's silence counts from here on
        if self.acknowledged:
            self.state = SourceState.WAIT_EOF_ACK
            self.ack_timer.reset_count()
            self.ack_timer.start(self._now)
        elif condition is not ConditionCode.NO_ERROR or not self.metadata.closure_requested:
            self._complete(condition)
        else:
            self.state = SourceState.WAIT_FINISHED
        return self.eof

    # -- input -----------------------------------------------------------------------------

    def handle(self, pdu: Pdu, now: float) -> None:
        self._now = now
        if self.done:
            return
        if self.inactivity.running:
            self.inactivity.start(now)
        if isinstance(pdu, AckPdu) and pdu.acknowledged is DirectiveCode.EOF:
            self._on_eof_ack()
        elif isinstance(pdu, NakPdu) and self.acknowledged:
            self._on_nak(pdu)
        elif isinstance(pdu, FinishedPdu):
            self._on_finished(pdu)
        elif isinstance(pdu, KeepAlivePdu):
            self._on_keep_alive(pdu, now)

    def _on_eof_ack(self) -> None:
        if self.state is not SourceState.WAIT_EOF_ACK:
            return
        self.ack_timer.stop()
        if self.condition is not ConditionCode.NO_ERROR:
            self._complete(self.condition)
        else:
            self.state = SourceState.WAIT_FINISHED

    def _on_nak(self, nak: NakPdu) -> None:
        """Queue the requested segments (4.6.4.3.3); (0, 0) asks for the Metadata PDU."""
        if self.condition is not ConditionCode.NO_ERROR:
            return
        for start, end in nak.segments:
            if start == end == 0:
                self.resend_metadata = True
                continue
            request = (start, min(end, self.file_size))
            if request[0] < request[1] and request not in self.retransmissions:
                self.retransmissions.append(request)

    def _on_finished(self, finished: FinishedPdu) -> None:
        """Finished received: acknowledge in class 2 and end (4.6.4.2.4, 4.11.1)."""
        if self.acknowledged:
            self.send(
                AckPdu(
                    self.header,
                    DirectiveCode.FINISHED,
                    finished.condition,
                    TransactionStatus.ACTIVE,
                )
            )
        self.ack_timer.stop()
        self._complete(
            finished.condition,
            delivery=finished.delivery,
            file_status=finished.file_status,
            filestore_responses=finished.filestore_responses,
        )

    def _on_keep_alive(self, keep_alive: KeepAlivePdu, now: float) -> None:
        """Keep-alive limit (4.6.5.3): too far ahead of the receiver is a fault."""
        self.receiver_progress = keep_alive.progress
        limit = self.config.keep_alive_limit
        if limit is not None and self.next_offset - keep_alive.progress > limit:
            self.declare_fault(ConditionCode.KEEP_ALIVE_LIMIT_REACHED, now)

    # -- timers and requests ---------------------------------------------------------------

    def poll(self, now: float) -> None:
        self._now = now
        if self.done:
            return
        if self.ack_timer.fire(now):
            if self.ack_timer.expirations >= self.config.ack_limit:
                self._ack_limit_reached(now)
            elif self.eof is not None:
                self.control.append(self.eof)
                self.ack_timer.start(now)
        if self.inactivity.fire(now):
            self.declare_fault(ConditionCode.INACTIVITY_DETECTED, now)

    def _ack_limit_reached(self, now: float) -> None:
        if self.condition is not ConditionCode.NO_ERROR:
            self.abandon(ConditionCode.POSITIVE_ACK_LIMIT_REACHED)
        else:
            self.declare_fault(ConditionCode.POSITIVE_ACK_LIMIT_REACHED, now)

    def prompt(self, response: PromptResponse) -> None:
        """Send a Prompt PDU asking for a NAK or a Keep Alive (class 2, 4.6.4.4, 4.6.5.2)."""
        self.send(PromptPdu(self.header, response))

    def notice_of_cancellation(self, condition: ConditionCode, now: float) -> None:
        """Cancel: EOF carrying ``condition`` and the progress so far (4.11.2.2)."""
        self._now = now
        if self.done:
            return
        if self.condition is not ConditionCode.NO_ERROR:
            self.abandon(condition)
            return
        self.condition = condition
        self.suspended = False
        self.retransmissions.clear()
        self.resend_metadata = False
        self.inactivity.stop()
        self.control.append(self._send_eof(condition, self.next_offset))

    def _complete(self, condition: ConditionCode, **fields: object) -> None:
        self.condition = condition
        self.state = SourceState.DONE
        self._terminate()
        self.indicate(IndicationKind.FINISHED, condition=condition, **fields)

    @staticmethod
    def finished_ack(finished: FinishedPdu, status: TransactionStatus) -> AckPdu:
        """ACK of a Finished PDU for a transaction no longer (or never) active here."""
        header = replace(finished.header, direction=Direction.TOWARD_RECEIVER)
        return AckPdu(header, DirectiveCode.FINISHED, finished.condition, status)
