"""File transfers: the ground's CFDP entity (CCSDS 727.0-B-5) on the link's CFDP APID.

PDUs travel in space packets on APID ``packets.apid_cfdp`` (docs/icd.md section 5): TC
packets up, TM packets down on the bulk virtual channel. The entity runs in the link's
reader thread (:meth:`FileTransfers.receive`, :meth:`FileTransfers.poll`); scripts start
transfers and wait on :class:`Transfer` objects from their own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ccsds.cfdp import (
    ConditionCode,
    Entity,
    EntityConfig,
    Filestore,
    Indication,
    IndicationKind,
    TransactionId,
    TransmissionMode,
)
from ccsds.config import LinkConfig
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH, SEQUENCE_COUNT_MODULUS, PacketType, SpacePacket
from ccsds.tc_uplink import max_segment_portion
from ground_sw.errors import TransferFailed, TransferTimeout

ProgressCallback = Callable[[int, int | None], None]
"""``progress(octets_done, file_size)``; the size is None until the metadata arrived."""

_PDU_OVERHEAD = 4 + 2 * 4 + 4 + 4
"""Fixed PDU header, two entity ids and a sequence number of up to 4 octets, file offset."""


def transmission_mode(class_: int) -> TransmissionMode:
    """CFDP class 1 is unacknowledged, class 2 acknowledged (727.0-B-5 7.2, 7.3)."""
    if class_ not in (1, 2):
        raise ValueError(f"CFDP class {class_!r}: 1 or 2")
    return TransmissionMode.UNACKNOWLEDGED if class_ == 1 else TransmissionMode.ACKNOWLEDGED


@dataclass
class Transfer:
    """One file transfer; :meth:`wait` blocks until it ends."""

    direction: str
    """"upload" or "download"."""
    source_name: str
    destination_name: str
    progress: ProgressCallback | None = None
    transaction: TransactionId | None = None
    file_size: int | None = None
    octets: int = 0
    condition: ConditionCode | None = None
    finished: bool = False
    stored_name: str | None = None
    """The name the file has in the ground filestore (a download's destination name)."""

    def __post_init__(self) -> None:
        self._done = threading.Event()

    @property
    def succeeded(self) -> bool:
        """Ended with condition "no error" (727.0-B-5 5.2.2)."""
        return self.finished and self.condition is ConditionCode.NO_ERROR

    def wait(self, timeout: float) -> Transfer:
        """Wait for the end (TransferTimeout), raise TransferFailed on a fault condition."""
        if not self._done.wait(timeout):
            raise TransferTimeout(f"{self.direction} of {self.source_name!r} not finished "
                                  f"within {timeout} s ({self.octets} octets so far)")
        if not self.succeeded:
            name = self.condition.name if self.condition is not None else "unknown"
            raise TransferFailed(f"{self.direction} of {self.source_name!r} ended with "
                                 f"condition {name}")
        return self

    def _advance(self, octets: int, size: int | None) -> None:
        self.octets = max(self.octets, octets)
        self.file_size = size if size is not None else self.file_size
        if self.progress is not None:
            self.progress(self.octets, self.file_size)

    def _finish(self, condition: ConditionCode | None) -> None:
        self.condition = condition
        self.finished = True
        self._done.set()


class FileTransfers:
    """The ground CFDP entity, its uploads and the downloads it expects."""

    def __init__(self, config: LinkConfig, filestore: Filestore,
                 send_packet: Callable[[bytes], None], *,
                 uplink_backlog: Callable[[], int] = lambda: 0, **entity_settings: object,
                 ) -> None:
        self.config = config
        segment_size = max_segment_portion(config.tc) - PRIMARY_HEADER_LENGTH - _PDU_OVERHEAD
        settings: dict[str, object] = {"segment_size": segment_size}
        settings.update(entity_settings)
        self.entity = Entity(EntityConfig.from_link(config.cfdp, config.cfdp.ground_entity_id,
                                                    **settings), filestore)
        self.filestore = filestore
        self._send_packet = send_packet
        self._backlog = uplink_backlog
        self._frame_octets = max_segment_portion(config.tc)
        """Octets of CFDP packet one TC frame carries."""
        self._lock = threading.Lock()
        self._transfers: dict[TransactionId, Transfer] = {}
        self._expected: list[Transfer] = []
        self._sequence = 0

    def upload(self, local_name: str, remote_name: str, now: float, *, class_: int = 2,
               progress: ProgressCallback | None = None) -> Transfer:
        """Put.request of ``local_name`` (in the ground filestore) to the payload entity."""
        transfer = Transfer("upload", local_name, remote_name, progress)
        with self._lock:
            transfer.transaction = self.entity.put(
                self.config.cfdp.payload_entity_id, local_name, remote_name, now,
                transmission_mode=transmission_mode(class_), closure_requested=class_ == 2)
            transfer.file_size = self.filestore.size(local_name)
            self._transfers[transfer.transaction] = transfer
        return transfer

    def expect(self, remote_name: str, local_name: str,
               progress: ProgressCallback | None = None) -> Transfer:
        """A download the board will start: matched by its destination name (or, failing
        that, by its source name) when its metadata arrives."""
        transfer = Transfer("download", remote_name, local_name, progress)
        with self._lock:
            self._expected.append(transfer)
        return transfer

    def forget(self, transfer: Transfer) -> None:
        """Stop expecting a download (its command failed)."""
        with self._lock:
            if transfer in self._expected:
                self._expected.remove(transfer)

    def receive(self, packet: bytes, now: float) -> None:
        """A space packet of the CFDP APID from the downlink."""
        with self._lock:
            self.entity.receive_pdu(packet[PRIMARY_HEADER_LENGTH:], now)
            self._indications()

    def poll(self, now: float) -> None:
        """Fire the entity's timers and release PDUs only as fast as the uplink takes them:
        at most the frames FOP-1's window has room for. Releasing everything at once would
        start the EOF's ACK timer long before the file data has left the ground."""
        with self._lock:
            room_frames = max(0, self.config.tc.fop_window - self._backlog())
            self.entity.poll(now, budget=room_frames * self._frame_octets)
            pdus = self.entity.pdus_to_send()
            self._indications()
            self._upload_progress()
        for pdu in pdus:
            self._send_packet(SpacePacket(PacketType.TC, self.config.packets.apid_cfdp,
                                          self._next_sequence(), pdu).encode())

    def _upload_progress(self) -> None:
        active = set(self.entity.active_transactions)
        for transaction, transfer in self._transfers.items():
            if transfer.direction == "upload" and transaction in active:
                sent = self.entity.progress(transaction).bytes_sent
                if sent > transfer.octets:
                    transfer._advance(sent, None)

    def _next_sequence(self) -> int:
        sequence = self._sequence
        self._sequence = (sequence + 1) % SEQUENCE_COUNT_MODULUS
        return sequence

    def _indications(self) -> None:
        for indication in self.entity.indications():
            transfer = self._transfer_of(indication)
            if transfer is not None:
                self._apply(transfer, indication)

    def _transfer_of(self, indication: Indication) -> Transfer | None:
        transfer = self._transfers.get(indication.transaction_id)
        if transfer is None and indication.kind is IndicationKind.METADATA_RECV:
            for candidate in self._expected:
                if indication.destination_name == candidate.destination_name \
                        or indication.source_name == candidate.source_name:
                    self._expected.remove(candidate)
                    candidate.transaction = indication.transaction_id
                    self._transfers[indication.transaction_id] = candidate
                    return candidate
        return transfer

    def _apply(self, transfer: Transfer, indication: Indication) -> None:
        kind = indication.kind
        if kind is IndicationKind.METADATA_RECV:
            transfer.stored_name = indication.destination_name
            transfer._advance(0, indication.file_size)
        elif kind is IndicationKind.FILE_SEGMENT_RECV and indication.offset is not None:
            transfer._advance(indication.offset + (indication.length or 0), None)
        elif kind is IndicationKind.EOF_SENT:
            transfer._advance(transfer.file_size or 0, None)
        elif kind in (IndicationKind.FINISHED, IndicationKind.ABANDONED):
            if indication.condition is ConditionCode.NO_ERROR and transfer.file_size:
                transfer._advance(transfer.file_size, None)
            del self._transfers[indication.transaction_id]
            transfer._finish(indication.condition)
