"""The receiving side of a transaction (CCSDS 727.0-B-5 4.6.1.2, 4.6.3, 4.6.4, 4.7, 4.11).

File data is written to the filestore as it arrives (held in memory until the Metadata PDU
names the file). Gaps are tracked; in class 2 they are requested with NAK PDUs, immediately
when detected (optional) and after EOF with the NAK timer and its limit (deferred procedure);
in class 1 a check timer waits for late data. Completion verifies the file checksum, runs the
filestore requests and, in class 2 or when closure was requested, sends Finished.
"""

from __future__ import annotations

import enum
from dataclasses import replace

from ccsds.cfdp.defs import (
    ConditionCode,
    DeliveryCode,
    Direction,
    DirectiveCode,
    FaultHandlerCode,
    FileStatus,
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
from ccsds.cfdp.filestore_requests import execute_requests
from ccsds.cfdp.gaps import SegmentSet
from ccsds.cfdp.indications import Indication, IndicationKind, TransactionId
from ccsds.cfdp.mib import EntityConfig
from ccsds.cfdp.pdu_header import PduHeader
from ccsds.cfdp.pdus import Pdu, encode_pdu
from ccsds.cfdp.timers import Countdown
from ccsds.cfdp.tlv import FaultHandlerOverrideTlv, FilestoreRequestTlv, FilestoreResponseTlv
from ccsds.cfdp.transaction import Role, Transaction, TransactionProgress
from ccsds.cfdp.wire import fss_width


class DestinationState(enum.Enum):
    """Where the receiving transaction stands."""

    RECEIVING = "receiving"
    WAIT_FINISHED_ACK = "wait Finished ACK"
    DONE = "done"


class DestinationTransaction(Transaction):
    """One incoming file copy, created by its first PDU."""

    def __init__(
        self,
        transaction_id: TransactionId,
        header: PduHeader,
        config: EntityConfig,
        filestore: Filestore,
        indications: list[Indication],
        *,
        now: float,
    ) -> None:
        super().__init__(transaction_id, header, config, filestore, indications)
        self.state = DestinationState.RECEIVING
        self.metadata: MetadataPdu | None = None
        self.eof: EofPdu | None = None
        self.segments = SegmentSet()
        self.held: list[tuple[int, bytes]] = []
        self.metadata_requested = False
        self.nak_timer = Countdown(config.nak_interval)
        self.check_timer = Countdown(config.check_interval)
        self.ack_timer = Countdown(config.ack_interval)
        self.keep_alive_timer = Countdown(config.keep_alive_interval or 0.0)
        self.finished: bytes | None = None
        self.delivery = DeliveryCode.DATA_INCOMPLETE
        self.file_status = FileStatus.UNREPORTED
        self.filestore_responses: tuple[FilestoreResponseTlv, ...] = ()
        self.inactivity.start(now)
        if self.acknowledged and config.keep_alive_interval:
            self.keep_alive_timer.start(now)
        self.indicate(IndicationKind.TRANSACTION)

    # -- queries ---------------------------------------------------------------------------

    @property
    def file_size(self) -> int | None:
        """Size from EOF, else from Metadata, else unknown."""
        if self.eof is not None:
            return self.eof.file_size
        return None if self.metadata is None else self.metadata.file_size

    def timers(self) -> tuple[Countdown, ...]:
        return (self.nak_timer, self.check_timer, self.ack_timer, self.keep_alive_timer,
                self.inactivity)

    def position(self) -> int:
        return self.segments.high_water

    def contiguous(self) -> int:
        """Octets received without a gap from the start of the file (Keep Alive progress)."""
        ranges = self.segments.ranges()
        return ranges[0][1] if ranges and ranges[0][0] == 0 else 0

    def gaps(self) -> list[tuple[int, int]]:
        """Missing ranges up to the EOF file size (or the highest octet received)."""
        end = self.eof.file_size if self.eof is not None else self.segments.high_water
        return self.segments.missing(0, end)

    def progress(self) -> TransactionProgress:
        return TransactionProgress(
            self.transaction_id,
            Role.RECEIVER,
            self.state.value,
            self.mode,
            self.file_size,
            0,
            self.segments.received,
            tuple(self.gaps()),
            self.suspended,
            self.condition,
        )

    def next_pdu(self) -> bytes | None:
        if self.suspended or not self.control:
            return None
        return self.control.popleft()

    # -- input -----------------------------------------------------------------------------

    def handle(self, pdu: Pdu, now: float) -> None:
        if isinstance(pdu, EofPdu) and self.acknowledged:
            status = TransactionStatus.TERMINATED if self.done else TransactionStatus.ACTIVE
            self.send(self.eof_ack(pdu, status))
        if self.done:
            return
        if not self.suspended:
            self.inactivity.start(now)
        receiving = self.state is DestinationState.RECEIVING
        if isinstance(pdu, FileDataPdu) and receiving:
            self._on_file_data(pdu, now)
        elif isinstance(pdu, MetadataPdu) and receiving:
            self._on_metadata(pdu, now)
        elif isinstance(pdu, EofPdu) and receiving:
            self._on_eof(pdu, now)
        elif isinstance(pdu, PromptPdu) and receiving:
            self._on_prompt(pdu)
        elif isinstance(pdu, AckPdu) and pdu.acknowledged is DirectiveCode.FINISHED:
            self._on_finished_ack()

    @staticmethod
    def eof_ack(eof: EofPdu, status: TransactionStatus) -> AckPdu:
        """ACK of an EOF (4.6.4.2.1), sent back toward the file sender."""
        header = _reply_header(eof.header)
        return AckPdu(header, DirectiveCode.EOF, eof.condition, status)

    def _on_metadata(self, metadata: MetadataPdu, now: float) -> None:
        if self.metadata is not None:
            return
        self.metadata = metadata
        for option in metadata.options:
            if isinstance(option, FaultHandlerOverrideTlv):
                self.fault_handlers[option.condition] = option.handler
        self.indicate(
            IndicationKind.METADATA_RECV,
            source_name=metadata.source_name,
            destination_name=metadata.destination_name,
            file_size=metadata.file_size,
            options=metadata.options,
        )
        try:
            if metadata.destination_name:
                self.filestore.create(metadata.destination_name)
            for offset, data in self.held:
                self._store(offset, data)
        except FilestoreError:
            self.declare_fault(ConditionCode.FILESTORE_REJECTION, now)
            return
        self.held.clear()
        self._check_completion(now)

    def _store(self, offset: int, data: bytes) -> None:
        if self.metadata is None:
            self.held.append((offset, data))
        elif self.metadata.destination_name:
            self.filestore.write(self.metadata.destination_name, offset, data)

    def _on_file_data(self, pdu: FileDataPdu, now: float) -> None:
        end = pdu.offset + len(pdu.data)
        size = self.file_size
        if size is not None and end > size:
            self.declare_fault(ConditionCode.FILE_SIZE_ERROR, now)
            return
        previous_end = self.segments.high_water
        if not self.segments.add(pdu.offset, end) and pdu.data:
            return
        try:
            self._store(pdu.offset, pdu.data)
        except FilestoreError:
            self.declare_fault(ConditionCode.FILESTORE_REJECTION, now)
            return
        if self.config.file_segment_indications:
            self.indicate(
                IndicationKind.FILE_SEGMENT_RECV, offset=pdu.offset, length=len(pdu.data)
            )
        if self.nak_timer.running:
            self.nak_timer.reset_count()
        if self.acknowledged and self.config.immediate_nak and self.eof is None:
            self._immediate_nak(previous_end, pdu.offset, end)
        self._check_completion(now)

    def _immediate_nak(self, previous_end: int, offset: int, end: int) -> None:
        """Immediate NAK mode (4.6.4.3.1): request a new gap, and the missing Metadata once."""
        requests = []
        if self.metadata is None and not self.metadata_requested:
            self.metadata_requested = True
            requests.append((0, 0))
        if offset > previous_end:
            requests.append((previous_end, offset))
        if requests:
            self._send_naks(0, end, requests)

    def _on_eof(self, eof: EofPdu, now: float) -> None:
        if eof.condition is not ConditionCode.NO_ERROR:
            self.condition = eof.condition
            self._finish_without_finished(eof.condition)
            return
        if self.eof is not None:
            return
        self.eof = eof
        self.indicate(IndicationKind.EOF_RECV, file_size=eof.file_size)
        if self.segments.high_water > eof.file_size:
            self.declare_fault(ConditionCode.FILE_SIZE_ERROR, now)
            return
        if self._check_completion(now):
            return
        if self.acknowledged:
            self._nak_missing()
            self.nak_timer.reset_count()
            self.nak_timer.start(now)
        else:
            self.check_timer.start(now)

    def _on_prompt(self, prompt: PromptPdu) -> None:
        """Prompt (4.6.4.4, 4.6.5.2): answer with a NAK of the gaps or a Keep Alive."""
        if prompt.response is PromptResponse.KEEP_ALIVE:
            self._send_keep_alive()
        else:
            self._nak_missing()

    def _on_finished_ack(self) -> None:
        if self.state is DestinationState.WAIT_FINISHED_ACK:
            self._complete()

    # -- NAKs, Keep Alive ------------------------------------------------------------------

    def _nak_missing(self) -> None:
        """A NAK of every gap and, while it is missing, of the Metadata (4.6.4.3.2)."""
        end = self.eof.file_size if self.eof is not None else self.segments.high_water
        requests = [(0, 0)] if self.metadata is None else []
        self._send_naks(0, end, requests + self.segments.missing(0, end))

    def _send_naks(self, start: int, end: int, requests: list[tuple[int, int]]) -> None:
        """As many NAK PDUs as needed to fit ``max_pdu_length`` (5.2.6)."""
        header = _reply_header(self.header)
        width = fss_width(header.large_file)
        room = self.config.max_pdu_length - header.length - 2 - 1 - 2 * width
        per_pdu = max(1, room // (2 * width))
        if not requests:
            self.send(NakPdu(header, start, end, ()))
        for index in range(0, len(requests), per_pdu):
            chunk = requests[index : index + per_pdu]
            last = index + per_pdu >= len(requests)
            scope_start = start if index == 0 else chunk[0][0]
            scope_end = end if last else chunk[-1][1]
            self.send(NakPdu(header, scope_start, scope_end, tuple(chunk)))

    def _send_keep_alive(self) -> None:
        self.send(KeepAlivePdu(_reply_header(self.header), self.contiguous()))

    # -- completion ------------------------------------------------------------------------

    def _check_completion(self, now: float) -> bool:
        """Complete once Metadata, EOF and every octet are in and the checksum matches."""
        if (
            self.metadata is None
            or self.eof is None
            or self.state is not DestinationState.RECEIVING
            or not self.segments.contains(0, self.eof.file_size)
        ):
            return False
        self.nak_timer.stop()
        self.check_timer.stop()
        if not self._checksum_ok(now):
            return True
        self.delivery = DeliveryCode.DATA_COMPLETE
        self.file_status = FileStatus.RETAINED if self.metadata.destination_name else (
            FileStatus.UNREPORTED
        )
        requests = [o for o in self.metadata.options if isinstance(o, FilestoreRequestTlv)]
        responses = execute_requests(self.filestore, requests)
        if any(response.status for response in responses):
            self.condition = ConditionCode.FILESTORE_REJECTION
        self._send_finished(self.condition, responses, now)
        return True

    def _checksum_ok(self, now: float) -> bool:
        assert self.metadata is not None and self.eof is not None
        function = self.config.checksums.get(self.metadata.checksum_type)
        if function is None:
            self.declare_fault(ConditionCode.UNSUPPORTED_CHECKSUM_TYPE, now)
            return not self.done and not self.suspended
        if self.metadata.checksum_type == 15 or not self.metadata.destination_name:
            return True
        segments = read_segments(self.filestore, self.metadata.destination_name,
                                 self.eof.file_size)
        try:
            if function(segments) == self.eof.checksum:
                return True
        except FilestoreError:
            self.declare_fault(ConditionCode.FILESTORE_REJECTION, now)
            return False
        handler = self.fault_handlers.get(ConditionCode.FILE_CHECKSUM_FAILURE)
        self.declare_fault(ConditionCode.FILE_CHECKSUM_FAILURE, now)
        return handler is FaultHandlerCode.IGNORE_ERROR

    def _send_finished(
        self, condition: ConditionCode, responses: tuple[FilestoreResponseTlv, ...], now: float
    ) -> None:
        """Finished (4.6.3.2, 4.6.4.2.3): always in class 2, on closure request in class 1."""
        self.condition = condition
        location = None if condition is ConditionCode.NO_ERROR else self.fault_location()
        closure = self.metadata is not None and self.metadata.closure_requested
        if self.acknowledged or closure:
            finished = FinishedPdu(
                _reply_header(self.header),
                condition,
                self.delivery,
                self.file_status,
                responses,
                location,
            )
            self.finished = encode_pdu(finished)
            self.control.append(self.finished)
        self.filestore_responses = responses
        if self.acknowledged:
            self.state = DestinationState.WAIT_FINISHED_ACK
            for timer in (self.nak_timer, self.check_timer, self.keep_alive_timer):
                timer.stop()
            self.ack_timer.reset_count()
            self.ack_timer.start(now)
        else:
            self._complete()

    def _complete(self) -> None:
        self.state = DestinationState.DONE
        self._terminate()
        self.indicate(
            IndicationKind.FINISHED,
            condition=self.condition,
            delivery=self.delivery,
            file_status=self.file_status,
            filestore_responses=self.filestore_responses,
        )

    def _finish_without_finished(self, condition: ConditionCode) -> None:
        """The sender cancelled (EOF with an error condition): no Finished is owed (4.11.2)."""
        self.condition = condition
        self._dispose_incomplete()
        self._complete()

    def _dispose_incomplete(self) -> None:
        complete = (
            self.eof is not None
            and self.metadata is not None
            and self.segments.contains(0, self.eof.file_size)
        )
        self.delivery = DeliveryCode.DATA_COMPLETE if complete else DeliveryCode.DATA_INCOMPLETE
        name = self.metadata.destination_name if self.metadata is not None else ""
        if not name:
            self.file_status = FileStatus.UNREPORTED
        elif self.config.discard_incomplete and not complete:
            try:
                self.filestore.delete(name)
                self.file_status = FileStatus.DISCARDED_DELIBERATELY
            except FilestoreError:
                self.file_status = FileStatus.DISCARDED_FILESTORE_REJECTION
        else:
            self.file_status = FileStatus.RETAINED

    def notice_of_cancellation(self, condition: ConditionCode, now: float) -> None:
        """Cancel: Finished with ``condition`` (class 2 or closure), then end (4.11.2.2)."""
        if self.done:
            return
        if self.state is DestinationState.WAIT_FINISHED_ACK:
            self.abandon(condition)
            return
        self.suspended = False
        self._dispose_incomplete()
        self._send_finished(condition, (), now)

    # -- timers ----------------------------------------------------------------------------

    def poll(self, now: float) -> None:
        if self.done:
            return
        if self.nak_timer.fire(now):
            if self.nak_timer.expirations >= self.config.nak_limit:
                self.declare_fault(ConditionCode.NAK_LIMIT_REACHED, now)
            else:
                self._nak_missing()
                self.nak_timer.start(now)
        if self.check_timer.fire(now):
            if self.check_timer.expirations >= self.config.check_limit:
                self.declare_fault(ConditionCode.CHECK_LIMIT_REACHED, now)
            else:
                self.check_timer.start(now)
        if self.ack_timer.fire(now):
            if self.ack_timer.expirations >= self.config.ack_limit:
                self.abandon(ConditionCode.POSITIVE_ACK_LIMIT_REACHED)
            elif self.finished is not None:
                self.control.append(self.finished)
                self.ack_timer.start(now)
        if self.keep_alive_timer.fire(now):
            self._send_keep_alive()
            self.keep_alive_timer.start(now)
        if self.inactivity.fire(now):
            self.declare_fault(ConditionCode.INACTIVITY_DETECTED, now)


def _reply_header(header: PduHeader) -> PduHeader:
    """The received header turned toward the file sender (5.1, direction bit)."""
    return replace(header, direction=Direction.TOWARD_SENDER, segmentation_control=False)
