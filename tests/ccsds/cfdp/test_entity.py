"""Transfers between two of our entities over an impaired in-memory link (727.0-B-5 s.4)."""

from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.cfdp import (
    ActionCode,
    ConditionCode,
    DeliveryCode,
    Entity,
    EntityConfig,
    FaultHandlerCode,
    FaultHandlerOverrideTlv,
    FileDataPdu,
    FileStatus,
    FilestoreRequestTlv,
    FinishedPdu,
    Indication,
    IndicationKind,
    MemoryFilestore,
    MessageToUserTlv,
    MetadataPdu,
    NakPdu,
    PduHeader,
    PromptResponse,
    Role,
    TransactionId,
    TransmissionMode,
    decode_pdu,
    encode_pdu,
    modular_checksum,
)
from ccsds.cfdp.checksum import SANA_CHECKSUMS
from ccsds.config import LinkConfig
from ccsds.crc import crc32c
from ccsds.errors import LocalProtocolError

from .link import Channel, Impairments

TIMERS = {"ack_interval": 1.0, "nak_interval": 1.0, "check_interval": 1.0,
          "inactivity_interval": 30.0, "ack_limit": 10, "nak_limit": 10}


class Pair:
    """Ground (1) and payload (2) entities from the ICD, joined by two channels."""

    def __init__(self, impairments: Impairments | None = None, seed: int = 0,
                 **config: object) -> None:
        rng = random.Random(seed)
        impairments = impairments or Impairments()
        link = LinkConfig.baseline().cfdp
        options = {**TIMERS, "segment_size": 64, **config}
        self.ground_store, self.payload_store = MemoryFilestore(), MemoryFilestore()
        self.ground = Entity(EntityConfig.from_link(link, link.ground_entity_id, **options),
                             self.ground_store)
        self.payload = Entity(EntityConfig.from_link(link, link.payload_entity_id, **options),
                              self.payload_store)
        self.up = Channel(impairments, rng)
        self.down = Channel(impairments, rng)
        self.now = 0.0
        self.ground_events: list[Indication] = []
        self.payload_events: list[Indication] = []

    def run(self, steps: int = 3000, dt: float = 0.1) -> None:
        for _ in range(steps):
            self.now += dt
            self.ground.poll(self.now)
            self.payload.poll(self.now)
            self.up.carry(self.ground.pdus_to_send(), self.payload.receive_pdu, self.now)
            self.down.carry(self.payload.pdus_to_send(), self.ground.receive_pdu, self.now)
            self.ground_events += self.ground.indications()
            self.payload_events += self.payload.indications()
            if not self.ground.active_transactions and not self.payload.active_transactions:
                return

    def finished(self, events: list[Indication]) -> Indication:
        (finished,) = [e for e in events if e.kind is IndicationKind.FINISHED]
        return finished


def _send(pair: Pair, data: bytes, mode: TransmissionMode, **put: object) -> None:
    pair.ground_store.files["src.bin"] = bytearray(data)
    pair.ground.put(2, "src.bin", "dst.bin", pair.now, transmission_mode=mode, **put)
    pair.run()


sizes = st.one_of(st.just(0), st.integers(1, 3000))


@settings(max_examples=30)
@given(size=sizes, seed=st.integers(0, 2**16), large=st.booleans(), immediate=st.booleans(),
       crc=st.booleans())
def test_class2_survives_loss_duplication_and_reordering(
    size: int, seed: int, large: bool, immediate: bool, crc: bool
) -> None:
    """Immediate and deferred NAK modes (4.6.4.3) both deliver the file intact."""
    impair = Impairments(loss=0.15, duplicate=0.1, reorder=0.3)
    pair = Pair(impair, seed, immediate_nak=immediate, crc=crc)
    data = random.Random(seed).randbytes(size)
    _send(pair, data, TransmissionMode.ACKNOWLEDGED, large_file=large)
    assert bytes(pair.payload_store.files["dst.bin"]) == data
    received = pair.finished(pair.payload_events)
    sent = pair.finished(pair.ground_events)
    assert received.condition is sent.condition is ConditionCode.NO_ERROR
    assert sent.delivery is DeliveryCode.DATA_COMPLETE
    assert sent.file_status is FileStatus.RETAINED
    assert not pair.ground.active_transactions and not pair.payload.active_transactions


@settings(max_examples=15)
@given(size=sizes, seed=st.integers(0, 2**16))
def test_class1_without_loss_delivers(size: int, seed: int) -> None:
    pair = Pair(seed=seed)
    data = random.Random(seed).randbytes(size)
    _send(pair, data, TransmissionMode.UNACKNOWLEDGED)
    assert bytes(pair.payload_store.files["dst.bin"]) == data
    assert pair.finished(pair.payload_events).delivery is DeliveryCode.DATA_COMPLETE


def test_class1_with_loss_reports_incomplete_file() -> None:
    drop = Impairments(drop=lambda i, raw: i == 3)  # a file data PDU; no retransmission
    pair = Pair(drop, closure_requested=True)
    data = bytes(range(256)) * 4
    _send(pair, data, TransmissionMode.UNACKNOWLEDGED)
    received = pair.finished(pair.payload_events)
    assert received.condition is ConditionCode.CHECK_LIMIT_REACHED
    assert received.delivery is DeliveryCode.DATA_INCOMPLETE
    assert bytes(pair.payload_store.files["dst.bin"]) != data
    sent = pair.finished(pair.ground_events)  # closure: Finished came back
    assert sent.delivery is DeliveryCode.DATA_INCOMPLETE


def test_class2_nak_recovers_dropped_file_data_and_metadata() -> None:
    drop = Impairments(drop=lambda i, raw: i in (0, 2, 3, 7))  # metadata and 3 segments
    pair = Pair(drop)
    data = bytes(random.Random(7).randbytes(640))
    _send(pair, data, TransmissionMode.ACKNOWLEDGED)
    assert bytes(pair.payload_store.files["dst.bin"]) == data
    assert pair.finished(pair.ground_events).condition is ConditionCode.NO_ERROR
    kinds = [e.kind for e in pair.payload_events]
    assert IndicationKind.METADATA_RECV in kinds and IndicationKind.EOF_RECV in kinds


@pytest.mark.parametrize(
    ("checksum_type", "function"),
    [(0, lambda d: modular_checksum([(0, d)])), (2, crc32c), (3, zlib.crc32),
     (15, lambda d: 0)],
)
def test_eof_carries_the_checksum_of_the_file(checksum_type: int, function: object) -> None:
    pair = Pair()
    data = random.Random(3).randbytes(333)
    pair.ground_store.files["f"] = bytearray(data)
    pair.ground.put(2, "f", "g", 0.0, checksum_type=checksum_type)
    pair.ground.poll(0.1)
    eofs = [decode_pdu(p) for p in pair.ground.pdus_to_send()]
    (eof,) = [p for p in eofs if type(p).__name__ == "EofPdu"]
    assert eof.checksum == function(data)  # type: ignore[attr-defined, operator]


def test_modular_checksum_matches_its_definition() -> None:
    """4.2.2: big-endian 4-octet words aligned to the file start, zero padded, mod 2**32."""
    data = random.Random(1).randbytes(1001)
    words = [int.from_bytes((data + bytes(3))[i : i + 4], "big") for i in range(0, 1001, 4)]
    expected = sum(words) % 2**32
    assert modular_checksum([(0, data)]) == expected
    assert modular_checksum([(0, data[:5]), (5, data[5:300]), (300, data[300:])]) == expected
    assert SANA_CHECKSUMS[2]([(0, data)]) == crc32c(data)


def test_checksum_mismatch_is_a_fault() -> None:
    pair = Pair()
    pair.ground_store.files["src.bin"] = bytearray(b"abc" * 100)
    pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.poll(0.1, budget=200)  # metadata and the first segment only
    for raw in pair.ground.pdus_to_send():
        pair.payload.receive_pdu(raw, 0.1)
    pair.ground_store.files["src.bin"][0] ^= 1  # changes after that segment left
    pair.run()
    received = pair.finished(pair.payload_events)
    assert received.condition is ConditionCode.FILE_CHECKSUM_FAILURE
    assert pair.finished(pair.ground_events).condition is ConditionCode.FILE_CHECKSUM_FAILURE


def test_cancel_request_at_the_source() -> None:
    pair = Pair()
    pair.ground_store.files["src.bin"] = bytearray(10_000)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.poll(0.1, budget=300)
    pair.payload.receive_pdu(pair.ground.pdus_to_send()[0], 0.1)
    pair.ground.cancel(tid, 0.2)
    pair.run()
    assert pair.finished(pair.ground_events).condition is ConditionCode.CANCEL_REQUEST_RECEIVED
    assert pair.finished(pair.payload_events).condition is ConditionCode.CANCEL_REQUEST_RECEIVED


def test_suspend_and_resume() -> None:
    pair = Pair()
    pair.ground_store.files["src.bin"] = bytearray(5000)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.suspend(tid, 0.0)
    pair.ground.poll(1.0)
    assert pair.ground.pdus_to_send() == []
    assert pair.ground.progress(tid).suspended
    pair.ground.resume(tid, 1.0)
    pair.run()
    kinds = [e.kind for e in pair.ground_events]
    assert IndicationKind.SUSPENDED in kinds and IndicationKind.RESUMED in kinds
    assert bytes(pair.payload_store.files["dst.bin"]) == bytes(5000)


def test_budget_paces_output_and_progress_is_reported() -> None:
    pair = Pair()
    pair.ground_store.files["src.bin"] = bytearray(2000)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    sent = 0
    for step in range(5):
        pair.ground.poll(step * 0.1, budget=200)
        out = pair.ground.pdus_to_send()
        sent += sum(len(p) for p in out)
        assert sent <= 200 * (step + 1)
    assert 0 < pair.ground.progress(tid).bytes_sent < 2000


def test_inactivity_at_the_receiver_is_a_fault() -> None:
    pair = Pair(Impairments(drop=lambda i, raw: i > 1))
    pair.ground_store.files["src.bin"] = bytearray(500)
    pair.ground.put(2, "src.bin", "dst.bin", 0.0, transmission_mode=TransmissionMode.UNACKNOWLEDGED)
    pair.run(steps=500)
    received = pair.finished(pair.payload_events)
    assert received.condition is ConditionCode.INACTIVITY_DETECTED


def test_messages_to_user_reach_metadata_recv() -> None:
    pair = Pair()
    message = MessageToUserTlv(b"hello")
    _send(pair, b"x", TransmissionMode.ACKNOWLEDGED, options=[message])
    (metadata,) = [e for e in pair.payload_events if e.kind is IndicationKind.METADATA_RECV]
    assert metadata.options == (message,)


def test_bad_input_is_counted_not_raised() -> None:
    pair = Pair()
    assert not pair.payload.receive_pdu(b"\xff\x00", 0.0)
    assert not pair.payload.receive_pdu(bytes(50), 0.0)
    assert pair.payload.counters.decode_errors == 2
    stray = FileDataPdu(PduHeader(1, 9, 7), 0, b"x")
    assert not pair.payload.receive_pdu(encode_pdu(stray), 0.0)
    assert pair.payload.counters.misrouted == 1


def test_misuse_raises_local_errors() -> None:
    pair = Pair()
    with pytest.raises(LocalProtocolError):
        pair.ground.cancel(TransactionId(1, 99), 0.0)


def test_prompt_keep_alive_reports_receiver_progress() -> None:
    pair = Pair()
    pair.ground_store.files["src.bin"] = bytearray(3000)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.poll(0.1, budget=700)
    for raw in pair.ground.pdus_to_send():
        pair.payload.receive_pdu(raw, 0.1)
    pair.ground.prompt(tid, PromptResponse.KEEP_ALIVE)
    pair.ground.poll(0.2, budget=100)
    for raw in pair.ground.pdus_to_send():
        pair.payload.receive_pdu(raw, 0.2)
    pair.payload.poll(0.2)
    for raw in pair.payload.pdus_to_send():
        pair.ground.receive_pdu(raw, 0.2)
    receiver = pair.payload.progress(tid)
    assert not receiver.gaps
    assert pair.ground.progress(tid).bytes_received == receiver.bytes_received > 0


def test_filestore_requests_run_after_delivery() -> None:
    pair = Pair()
    rename = FilestoreRequestTlv(ActionCode.RENAME_FILE, "dst.bin", "final.bin")
    _send(pair, b"payload", TransmissionMode.ACKNOWLEDGED, options=[rename])
    assert bytes(pair.payload_store.files["final.bin"]) == b"payload"
    (response,) = pair.finished(pair.ground_events).filestore_responses
    assert response.action is ActionCode.RENAME_FILE and response.status == 0


def test_fault_handler_override_abandons() -> None:
    """Receiver never hears EOF: inactivity, overridden to abandon by the Metadata option."""
    override = FaultHandlerOverrideTlv(ConditionCode.INACTIVITY_DETECTED,
                                       FaultHandlerCode.ABANDON_TRANSACTION)
    pair = Pair(Impairments(drop=lambda i, raw: i > 0))
    pair.ground_store.files["src.bin"] = bytearray(100)
    pair.ground.put(2, "src.bin", "dst.bin", 0.0, options=[override])
    pair.run(steps=600)
    kinds = [e.kind for e in pair.payload_events]
    assert IndicationKind.ABANDONED in kinds and IndicationKind.FINISHED not in kinds


def test_positive_ack_limit_ends_in_abandonment_when_the_receiver_is_silent() -> None:
    pair = Pair(ack_limit=2)
    pair.down.impairments = Impairments(loss=1.0)
    pair.ground_store.files["src.bin"] = bytearray(100)
    pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.run(steps=300)
    (abandoned,) = [e for e in pair.ground_events if e.kind is IndicationKind.ABANDONED]
    assert abandoned.condition is ConditionCode.POSITIVE_ACK_LIMIT_REACHED
    assert not pair.ground.active_transactions


def test_file_data_beyond_the_declared_size_is_a_file_size_error() -> None:
    pair = Pair()
    header = PduHeader(1, 3, 2)
    pair.payload.receive_pdu(encode_pdu(MetadataPdu(header, 10, "a", "b", 2)), 0.0)
    pair.payload.receive_pdu(encode_pdu(FileDataPdu(header, 1 << 31, b"x")), 0.0)
    pair.payload.poll(0.0)
    (finished,) = [p for p in map(decode_pdu, pair.payload.pdus_to_send())
                   if isinstance(p, FinishedPdu)]
    assert finished.condition is ConditionCode.FILE_SIZE_ERROR
    assert len(pair.payload_store.files["b"]) == 0


def _exchange_once(pair: Pair, now: float) -> None:
    pair.ground.poll(now)
    for raw in pair.ground.pdus_to_send():
        pair.payload.receive_pdu(raw, now)
    pair.payload.poll(now)
    for raw in pair.payload.pdus_to_send():
        pair.ground.receive_pdu(raw, now)


def test_prompt_nak_lists_the_gaps() -> None:
    pair = Pair(immediate_nak=False)
    pair.ground_store.files["src.bin"] = bytearray(640)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.poll(0.1, budget=400)
    for index, raw in enumerate(pair.ground.pdus_to_send()):
        if index != 2:  # lose the second segment, [64, 128)
            pair.payload.receive_pdu(raw, 0.1)
    pair.ground.prompt(tid, PromptResponse.NAK)
    pair.ground.poll(0.2, budget=0)
    pair.ground.poll(0.2, budget=100)
    prompts = pair.ground.pdus_to_send()
    for raw in prompts:
        pair.payload.receive_pdu(raw, 0.2)
    pair.payload.poll(0.2)
    naks = [p for p in map(decode_pdu, pair.payload.pdus_to_send()) if isinstance(p, NakPdu)]
    assert naks and naks[-1].segments == ((64, 128),)
    assert pair.payload.progress(tid).gaps == ((64, 128),)


def test_periodic_keep_alive_and_its_limit() -> None:
    """The receiver reports progress every interval; a sender too far ahead faults (4.6.5)."""
    pair = Pair(keep_alive_interval=0.5, keep_alive_limit=100, segment_size=64)
    pair.ground_store.files["src.bin"] = bytearray(2000)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.poll(0.1, budget=300)
    for raw in pair.ground.pdus_to_send():
        pair.payload.receive_pdu(raw, 0.1)
    pair.ground.poll(0.2)  # everything else is sent but lost
    pair.ground.pdus_to_send()
    _exchange_once(pair, 0.7)  # keep alive: receiver far behind the sender
    events = pair.ground.indications()
    assert pair.ground.progress(tid).bytes_received < 300
    kinds = [e.kind for e in events]
    assert IndicationKind.EOF_SENT in kinds
    assert pair.ground.progress(tid).condition is ConditionCode.KEEP_ALIVE_LIMIT_REACHED


def test_nak_limit_reached_when_retransmissions_never_arrive() -> None:
    def drop(index: int, raw: bytes) -> bool:
        pdu = decode_pdu(raw)
        return isinstance(pdu, FileDataPdu) and pdu.offset == 64

    pair = Pair(Impairments(drop=drop), nak_limit=3)
    _send(pair, bytes(300), TransmissionMode.ACKNOWLEDGED)
    received = pair.finished(pair.payload_events)
    assert received.condition is ConditionCode.NAK_LIMIT_REACHED
    assert received.delivery is DeliveryCode.DATA_INCOMPLETE
    assert pair.finished(pair.ground_events).condition is ConditionCode.NAK_LIMIT_REACHED


def test_cancel_request_at_the_destination_discards_when_configured() -> None:
    pair = Pair(discard_incomplete=True)
    pair.ground_store.files["src.bin"] = bytearray(5000)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.poll(0.1, budget=300)
    for raw in pair.ground.pdus_to_send():
        pair.payload.receive_pdu(raw, 0.1)
    pair.payload.cancel(tid, 0.1)
    pair.run()
    received = pair.finished(pair.payload_events)
    assert received.condition is ConditionCode.CANCEL_REQUEST_RECEIVED
    assert received.file_status is FileStatus.DISCARDED_DELIBERATELY
    assert "dst.bin" not in pair.payload_store.files
    sent = pair.finished(pair.ground_events)
    assert sent.condition is ConditionCode.CANCEL_REQUEST_RECEIVED


@pytest.mark.parametrize(
    ("handler", "expected"),
    [(FaultHandlerCode.NOTICE_OF_SUSPENSION, IndicationKind.SUSPENDED),
     (FaultHandlerCode.IGNORE_ERROR, IndicationKind.FAULT),
     (FaultHandlerCode.ABANDON_TRANSACTION, IndicationKind.ABANDONED)],
)
def test_configured_fault_handlers(handler: FaultHandlerCode, expected: IndicationKind) -> None:
    handlers = {ConditionCode.INACTIVITY_DETECTED: handler}
    pair = Pair(Impairments(drop=lambda i, raw: i > 0), fault_handlers=handlers)
    pair.ground_store.files["src.bin"] = bytearray(500)
    pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.run(steps=400)
    (event,) = [e for e in pair.payload_events if e.kind is expected]
    assert event.condition is ConditionCode.INACTIVITY_DETECTED


def test_report_request() -> None:
    pair = Pair()
    pair.ground_store.files["src.bin"] = bytearray(10)
    tid = pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    progress = pair.ground.report(tid)
    assert progress.file_size == 10 and progress.role is Role.SENDER
    assert [e.kind for e in pair.ground.indications()] == [
        IndicationKind.TRANSACTION, IndicationKind.REPORT]


def test_source_file_vanishing_is_a_filestore_rejection() -> None:
    pair = Pair()
    pair.ground_store.files["src.bin"] = bytearray(1000)
    pair.ground.put(2, "src.bin", "dst.bin", 0.0)
    pair.ground.poll(0.1, budget=200)
    del pair.ground_store.files["src.bin"]
    pair.run()
    assert pair.finished(pair.ground_events).condition is ConditionCode.FILESTORE_REJECTION
    assert pair.finished(pair.payload_events).condition is ConditionCode.FILESTORE_REJECTION
