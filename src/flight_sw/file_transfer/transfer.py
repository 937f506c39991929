"""The board's CFDP entity (CCSDS 727.0-B-5) wired to the object store and the link.

PDUs travel in space packets of the CFDP APID without a secondary header (727.0-B-5 annex
on space packet transport; docs/icd.md 12): telecommand packets up, telemetry packets down
on the bulk virtual channel. An uplinked file becomes an object once it arrived complete with a
good checksum, before the Finished PDU reporting NO_ERROR leaves (or at the end of a class 1
transaction without closure); any other end leaves the store unchanged
(:class:`~flight_sw.file_transfer.filestore.ObjectFilestore`). Objects are downlinked with a
board-initiated put. Class 2 (acknowledged) survives a link
outage: the receiver's NAKs and the sender's EOF/Finished retransmissions resume the
transfer when the link returns, within the timer limits of :class:`TransferSettings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ccsds.cfdp import (
    ConditionCode,
    DeliveryCode,
    Entity,
    EntityConfig,
    EntityIdTlv,
    FileDataPdu,
    FileStatus,
    FinishedPdu,
    Indication,
    IndicationKind,
    TransactionId,
    TransmissionMode,
    decode_pdu,
    encode_pdu,
    restart_sequence,
)
from ccsds.config import LinkConfig
from ccsds.errors import DecodeError, LocalProtocolError
from ccsds.pus_types import Value
from ccsds.spacepacket import PacketType, SpacePacket, next_sequence_count
from flight_sw.file_transfer.filestore import DEFAULT_MAX_STAGED_OCTETS, ObjectFilestore
from flight_sw.storage.api import (
    DataLostError,
    KeyUnavailableError,
    ObjectState,
    StorageError,
    Store,
)

SendPacket = Callable[[bytes], None]
"""Queues one TM space packet on the bulk virtual channel."""
RaiseEvent = Callable[..., object]
"""``raise_event(name, now, **values)`` of the event service (PUS service 5)."""


class TransferBusyError(Exception):
    """Too many transactions are running to start another one."""


@dataclass(frozen=True)
class TransferSettings:
    """Entity settings beyond LinkConfig.cfdp (727.0-B-5 8.2, 8.3 MIB).

    The defaults suit the lunar link (2.6 s round trip): class 2 timers of 10 s with limits
    that ride out an outage of about ``ack_limit * ack_interval`` = 120 s, and an inactivity
    limit of 10 minutes before a silent transaction is given up.
    """

    segment_size: int = 1024
    ack_interval: float = 10.0
    ack_limit: int = 12
    nak_interval: float = 10.0
    nak_limit: int = 12
    check_interval: float = 10.0
    check_limit: int = 6
    inactivity_interval: float = 600.0
    max_transactions: int = 8
    max_staged_octets: int = DEFAULT_MAX_STAGED_OCTETS
    downlink_backlog_octets: int = 8 * 1024
    """Octets of PDUs the entity may keep queued on the downlink (see :meth:`FileTransfer.
    budget`): file data leaves at the line rate instead of flooding the queue."""


@dataclass
class TransferCounters:
    """File transfer progress for housekeeping structure 6."""

    octets_received: int = 0
    octets_sent: int = 0
    completed: int = 0
    failed: int = 0
    rejected_packets: int = 0
    committed: int = 0
    commit_failures: int = 0


class FileTransfer:
    """The payload CFDP entity (id LinkConfig.cfdp.payload_entity_id) over an object store."""

    def __init__(self, config: LinkConfig, store: Store, send_packet: SendPacket, *,
                 settings: TransferSettings | None = None,
                 raise_event: RaiseEvent | None = None, boot_count: int = 0) -> None:
        """``boot_count`` gives each run of the software its own range of CFDP transaction
        sequence numbers, so the ground never mistakes a new transaction for one of an
        earlier run (727.0-B-5, transaction identification)."""
        self.settings = settings or TransferSettings()
        self.apid = config.packets.apid_cfdp
        self.ground_entity_id = config.cfdp.ground_entity_id
        self.filestore = ObjectFilestore(store, max_staged_octets=self.settings.max_staged_octets)
        self.entity = Entity(
            _entity_config(config, self.settings), self.filestore,
            first_sequence=restart_sequence(boot_count, config.cfdp.sequence_number_length))
        self.counters = TransferCounters()
        self._send_packet = send_packet
        self._raise_event = raise_event
        self._sequence_count = 0
        self._uplinks: dict[TransactionId, str] = {}
        """Incoming transactions and the object they write."""
        self._settled: dict[TransactionId, bool] = {}
        """Uplinks whose verified file was committed (True) or refused by the store."""

    # -- input -----------------------------------------------------------------------------

    def receive_packet(self, packet: bytes, now: float) -> bool:
        """A telecommand space packet of the CFDP APID; returns whether its PDU was used.
        Malformed or misaddressed packets and PDUs are counted in ``rejected_packets``."""
        try:
            decoded = SpacePacket.decode(packet)
        except DecodeError:
            self.counters.rejected_packets += 1
            return False
        if decoded.apid != self.apid or decoded.packet_type is not PacketType.TC:
            self.counters.rejected_packets += 1
            return False
        used = self.entity.receive_pdu(decoded.data, now)
        if not used:
            self.counters.rejected_packets += 1
        self._handle_indications(now)
        return used

    # -- requests --------------------------------------------------------------------------

    def downlink(self, object_name: str, class_: int, now: float,
                 destination_name: str = "") -> TransactionId:
        """Put an object to the ground entity in CFDP class 1 or 2; returns the transaction.

        Raises the store's errors (ObjectNotFoundError, InvalidNameError), DataLostError for
        an object known to be lost, KeyUnavailableError for one whose key is gone (sent in
        clear otherwise: at-rest sealing is the store's), TransferBusyError at
        ``max_transactions``, ValueError for a class other than 1 or 2.
        """
        modes = {1: TransmissionMode.UNACKNOWLEDGED, 2: TransmissionMode.ACKNOWLEDGED}
        if class_ not in modes:
            raise ValueError(f"CFDP class {class_} (1 or 2)")
        if len(self.entity.active_transactions) >= self.settings.max_transactions:
            raise TransferBusyError(f"{self.settings.max_transactions} transactions running")
        info = self.filestore.store.info(object_name)
        if info.state is ObjectState.LOST:
            raise DataLostError(f"{object_name!r} is lost")
        if not info.readable:
            raise KeyUnavailableError(f"{object_name!r}: its key {info.key_id} is unavailable")
        try:
            return self.entity.put(self.ground_entity_id, object_name,
                                   destination_name or object_name, now,
                                   transmission_mode=modes[class_])
        except LocalProtocolError as exc:  # FilestoreError: the object went in between
            raise StorageError(str(exc)) from exc

    # -- output ----------------------------------------------------------------------------

    def budget(self, queued_octets: int) -> int:
        """The octets :meth:`poll` may release while ``queued_octets`` wait on the downlink."""
        return max(0, self.settings.downlink_backlog_octets - queued_octets)

    def poll(self, now: float, budget: int | None = None) -> list[bytes]:
        """Fire the entity's timers and send what it has ready (at most ``budget`` octets),
        each PDU in a TM space packet of the CFDP APID; returns the PDUs sent."""
        self.entity.poll(now, budget)
        pdus = [self._outgoing(pdu) for pdu in self.entity.pdus_to_send()]
        for pdu in pdus:
            packet = SpacePacket(PacketType.TM, self.apid, self._sequence_count, pdu)
            self._sequence_count = next_sequence_count(self._sequence_count)
            self._send_packet(packet.encode())
        self._handle_indications(now)
        return pdus

    def _outgoing(self, raw: bytes) -> bytes:
        """Count file data; settle an uplink before its Finished PDU tells the ground the
        outcome (727.0-B-5 4.6.3.2): a good file is committed first, and a Finished of a file
        the store then refused reports FILESTORE_REJECTION instead of NO_ERROR."""
        try:
            pdu = decode_pdu(raw)
        except DecodeError:
            return raw
        if isinstance(pdu, FileDataPdu):
            self.counters.octets_sent += len(pdu.data)
        if not isinstance(pdu, FinishedPdu):
            return raw
        transaction = TransactionId(pdu.header.source_entity_id, pdu.header.sequence_number)
        if pdu.condition is ConditionCode.NO_ERROR and (
                pdu.delivery is DeliveryCode.DATA_COMPLETE):
            self._settle(transaction)
        if self._settled.get(transaction) is not False:
            return raw
        return encode_pdu(replace(
            pdu, condition=ConditionCode.FILESTORE_REJECTION,
            file_status=FileStatus.DISCARDED_FILESTORE_REJECTION,
            fault_location=EntityIdTlv(self.entity.entity_id,
                                       self.entity.config.entity_id_length)))

    # -- telemetry -------------------------------------------------------------------------

    def telemetry(self, now: float) -> dict[str, Value]:
        """Parameters of housekeeping structure 6 (a ParameterPool source)."""
        del now
        return {
            "CFDP_ACTIVE": len(self.entity.active_transactions),
            "CFDP_OCTETS_RECEIVED": self.counters.octets_received,
            "CFDP_OCTETS_SENT": self.counters.octets_sent,
            "CFDP_COMPLETED": self.counters.completed,
            "CFDP_FAILED": self.counters.failed,
            "CFDP_PDUS_REJECTED": self.counters.rejected_packets,
        }

    # -- indications -----------------------------------------------------------------------

    def _handle_indications(self, now: float) -> None:
        for indication in self.entity.indications():
            kind = indication.kind
            if kind is IndicationKind.METADATA_RECV:
                self._claim(indication)
            elif kind is IndicationKind.FILE_SEGMENT_RECV:
                self.counters.octets_received += indication.length or 0
            elif kind in (IndicationKind.FINISHED, IndicationKind.ABANDONED):
                self._end(indication, now)

    def _claim(self, indication: Indication) -> None:
        """Tie an incoming transaction to the file it stages; a second transaction to the
        same name was refused by the filestore and owns nothing."""
        name = indication.destination_name
        if name and name in self.filestore.staged and name not in self._uplinks.values():
            self._uplinks[indication.transaction_id] = name

    def _end(self, indication: Indication, now: float) -> None:
        """A transaction ended: an uplink is committed if its file arrived complete with a
        good checksum (when the Finished PDU left, or now), and dropped otherwise; the store is
        unchanged by a cancelled, abandoned or failed one (727.0-B-5 4.11)."""
        transaction = indication.transaction_id
        good = (indication.kind is IndicationKind.FINISHED
                and indication.condition in (None, ConditionCode.NO_ERROR))
        committed = False
        if transaction in self._uplinks:
            if good and indication.delivery is DeliveryCode.DATA_COMPLETE:
                self._settle(transaction)
            committed = self._settled.pop(transaction, False)
            name = self._uplinks.pop(transaction)
            if not committed:
                self.filestore.abort(name)
            good = committed
        if good:
            self.counters.completed += 1
        else:
            self.counters.failed += 1
        if self._raise_event is not None:
            condition = indication.condition or ConditionCode.NO_ERROR
            self._raise_event("FILE_TRANSFER_ENDED", now,
                              source_entity=transaction.source_entity_id,
                              sequence_number=transaction.sequence_number,
                              condition=int(condition), committed=int(committed))

    def _settle(self, transaction: TransactionId) -> None:
        """Commit the verified file of an uplink once; remember whether the store took it."""
        if transaction not in self._uplinks or transaction in self._settled:
            return
        try:
            self.filestore.commit(self._uplinks[transaction])
        except StorageError:
            self.counters.commit_failures += 1
            self._settled[transaction] = False
            return
        self.counters.committed += 1
        self._settled[transaction] = True


def _entity_config(config: LinkConfig, settings: TransferSettings) -> EntityConfig:
    """The payload entity's MIB: LinkConfig.cfdp plus the transfer settings."""
    return EntityConfig.from_link(
        config.cfdp, config.cfdp.payload_entity_id,
        segment_size=settings.segment_size,
        ack_interval=settings.ack_interval, ack_limit=settings.ack_limit,
        nak_interval=settings.nak_interval, nak_limit=settings.nak_limit,
        check_interval=settings.check_interval, check_limit=settings.check_limit,
        inactivity_interval=settings.inactivity_interval,
        file_segment_indications=True)

