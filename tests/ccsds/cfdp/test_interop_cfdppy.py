"""Transfers between our entity and cfdp-py (cfdppy) handlers, in both directions.

cfdppy keeps time with spacepackets.countdown.time_ms (wall clock); the tests replace that
function with a simulated clock shared with our entity, so nothing sleeps.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import spacepackets.countdown
from cfdppy import CfdpUserBase, PutRequest
from cfdppy.handler.dest import DestHandler
from cfdppy.handler.source import SourceHandler
from cfdppy.mib import (
    CheckTimerProvider,
    DefaultFaultHandlerBase,
    EntityType,
    IndicationConfig,
    LocalEntityConfig,
    RemoteEntityConfig,
    RemoteEntityConfigTable,
)
from spacepackets.cfdp import ChecksumType as TheirChecksum
from spacepackets.cfdp import ConditionCode as TheirCondition
from spacepackets.cfdp import TransmissionMode as TheirMode
from spacepackets.cfdp.pdu import PduFactory
from spacepackets.countdown import Countdown
from spacepackets.seqcount import SeqCountProvider
from spacepackets.util import UnsignedByteField

from ccsds.cfdp import (
    ConditionCode,
    DeliveryCode,
    Entity,
    EntityConfig,
    FileDataPdu,
    IndicationKind,
    MemoryFilestore,
    TransmissionMode,
    decode_pdu,
)
from ccsds.config import LinkConfig

pytestmark = pytest.mark.interop

LINK = LinkConfig.baseline().cfdp
OURS, THEIRS = LINK.ground_entity_id, LINK.payload_entity_id
# SANA checksum registry codes: 0 modular, 2 CRC-32C, 3 CRC-32 (IEEE 802.3).
MODULAR, CRC32C, CRC32 = 0, 2, 3


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def ms(self) -> int:
        return round(self.now * 1000)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(spacepackets.countdown, "time_ms", clock.ms)
    return clock


class Recorder(CfdpUserBase):
    """A cfdppy user that records the indications it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Any]] = []

    def __getattribute__(self, name: str) -> Any:
        if name.endswith("_indication"):
            return lambda *args, **kwargs: self.events.append((name, args))
        return super().__getattribute__(name)

    def finished(self) -> Any:
        (params,) = [a[0] for n, a in self.events if n == "transaction_finished_indication"]
        return params.finished_params

    # abstract methods (dispatch goes through __getattribute__ above)
    def transaction_indication(self, *a: Any) -> None: ...
    def eof_sent_indication(self, *a: Any) -> None: ...
    def transaction_finished_indication(self, *a: Any) -> None: ...
    def metadata_recv_indication(self, *a: Any) -> None: ...
    def file_segment_recv_indication(self, *a: Any) -> None: ...
    def report_indication(self, *a: Any) -> None: ...
    def suspended_indication(self, *a: Any) -> None: ...
    def resumed_indication(self, *a: Any) -> None: ...
    def fault_indication(self, *a: Any) -> None: ...
    def abandoned_indication(self, *a: Any) -> None: ...
    def eof_recv_indication(self, *a: Any) -> None: ...


class FaultHandlers(DefaultFaultHandlerBase):
    def notice_of_suspension_cb(self, *a: Any) -> None: ...
    def notice_of_cancellation_cb(self, *a: Any) -> None: ...
    def abandoned_cb(self, *a: Any) -> None: ...
    def ignore_cb(self, *a: Any) -> None: ...


class CheckTimers(CheckTimerProvider):
    def provide_check_timer(self, local_entity_id: Any, remote_entity_id: Any,
                            entity_type: EntityType) -> Countdown:
        return Countdown.from_seconds(1.0)


def _id(value: int) -> UnsignedByteField:
    return UnsignedByteField(value, LINK.entity_id_length)


def _their_configs(
    mode: TransmissionMode, checksum: int, crc: bool
) -> tuple[LocalEntityConfig, RemoteEntityConfigTable]:
    local = LocalEntityConfig(_id(THEIRS), IndicationConfig(), FaultHandlers())
    remote = RemoteEntityConfig(
        entity_id=_id(OURS), max_file_segment_len=200, max_packet_len=512,
        closure_requested=False, crc_on_transmission=crc,
        default_transmission_mode=TheirMode(mode), crc_type=TheirChecksum(checksum),
        positive_ack_timer_interval_seconds=1.0, positive_ack_timer_expiration_limit=5,
        nak_timer_interval_seconds=1.0, nak_timer_expiration_limit=5,
    )
    return local, RemoteEntityConfigTable([remote])


def _our_entity(checksum: int, crc: bool) -> tuple[Entity, MemoryFilestore]:
    store = MemoryFilestore()
    config = EntityConfig.from_link(
        LINK, OURS, segment_size=200, checksum_type=checksum, crc=crc, ack_interval=1.0,
        nak_interval=1.0, check_interval=1.0, ack_limit=5, nak_limit=5,
    )
    return Entity(config, store), store


Drop = Callable[[int, bytes], bool]


def _drain(handler: Any) -> list[bytes]:
    out = []
    while (holder := handler.get_next_packet()) is not None:
        out.append(bytes(holder.pdu.pack()))
    return out


def _exchange(clock: Clock, ours: Entity, theirs: Any, done: Callable[[], bool],
              drop_to_theirs: Drop) -> None:
    """Step both sides at 50 ms until ``done``; cfdppy takes one PDU per state machine call."""
    sent = {"theirs": 0}
    for _ in range(4000):
        clock.now += 0.05
        ours.poll(clock.now)
        theirs.state_machine()
        for raw in _drain(theirs):
            ours.receive_pdu(raw, clock.now)
        for raw in ours.pdus_to_send():
            index, sent["theirs"] = sent["theirs"], sent["theirs"] + 1
            if drop_to_theirs(index, raw):
                continue
            theirs.state_machine(PduFactory.from_raw(raw))
            for reply in _drain(theirs):
                ours.receive_pdu(reply, clock.now)
        if done():
            return
    raise AssertionError("transfer did not finish")


class DropFileData:
    """Loses the file data PDUs at the given positions of one direction's PDU sequence."""

    def __init__(self, indexes: frozenset[int]) -> None:
        self.indexes = indexes
        self.dropped: list[int] = []

    def __call__(self, index: int, raw: bytes) -> bool:
        if index in self.indexes and isinstance(decode_pdu(raw), FileDataPdu):
            self.dropped.append(index)
            return True
        return False


class Case(NamedTuple):
    mode: TransmissionMode
    dropped: frozenset[int]  # positions of file data PDUs lost on the way
    checksum: int
    crc: bool


CASES = [
    Case(TransmissionMode.UNACKNOWLEDGED, frozenset(), CRC32, False),
    Case(TransmissionMode.UNACKNOWLEDGED, frozenset(), MODULAR, True),
    Case(TransmissionMode.ACKNOWLEDGED, frozenset(), MODULAR, True),
    Case(TransmissionMode.ACKNOWLEDGED, frozenset({2, 4, 5}), CRC32, False),
    Case(TransmissionMode.ACKNOWLEDGED, frozenset({1, 2, 7}), MODULAR, True),
    Case(TransmissionMode.ACKNOWLEDGED, frozenset({3}), CRC32C, True),
]


@pytest.mark.parametrize("case", CASES)
def test_our_source_to_cfdppy_destination(clock: Clock, tmp_path: Path, case: Case) -> None:
    mode, dropped, checksum, crc = case
    ours, store = _our_entity(checksum, crc)
    data = random.Random(5).randbytes(1500)
    store.files["out.bin"] = bytearray(data)
    local, remotes = _their_configs(mode, checksum, crc)
    user = Recorder()
    dest = DestHandler(local, user, remotes, CheckTimers())
    target = tmp_path / "in.bin"
    ours.put(THEIRS, "out.bin", str(target), clock.now, transmission_mode=mode,
             closure_requested=False)
    events: list[Any] = []

    def done() -> bool:
        events.extend(ours.indications())
        return not ours.active_transactions and any(
            n == "transaction_finished_indication" for n, _ in user.events)

    drop = DropFileData(dropped)
    _exchange(clock, ours, dest, done, drop)
    assert sorted(drop.dropped) == sorted(dropped)
    assert target.read_bytes() == data
    assert user.finished().condition_code == TheirCondition.NO_ERROR
    (finished,) = [e for e in events if e.kind is IndicationKind.FINISHED]
    assert finished.condition is ConditionCode.NO_ERROR


@pytest.mark.parametrize("case", CASES)
def test_cfdppy_source_to_our_destination(clock: Clock, tmp_path: Path, case: Case) -> None:
    mode, dropped, checksum, crc = case
    ours, store = _our_entity(checksum, crc)
    data = random.Random(6).randbytes(1700)
    source_file = tmp_path / "out.bin"
    source_file.write_bytes(data)
    local, remotes = _their_configs(mode, checksum, crc)
    user = Recorder()
    source = SourceHandler(local, user, remotes, CheckTimers(),
                           SeqCountProvider(8 * LINK.sequence_number_length))
    source.put_request(PutRequest(
        destination_id=_id(OURS), source_file=source_file, dest_file=Path("in.bin"),
        trans_mode=TheirMode(mode), closure_requested=False,
    ))
    events: list[Any] = []

    def done() -> bool:
        events.extend(ours.indications())
        return any(n == "transaction_finished_indication" for n, _ in user.events) and not (
            ours.active_transactions)

    drop = DropFileData(dropped)
    _exchange_reverse(clock, ours, source, done, drop)
    assert sorted(drop.dropped) == sorted(dropped)
    assert bytes(store.files["in.bin"]) == data
    (finished,) = [e for e in events if e.kind is IndicationKind.FINISHED]
    assert finished.condition is ConditionCode.NO_ERROR
    assert finished.delivery is DeliveryCode.DATA_COMPLETE
    assert user.finished().condition_code == TheirCondition.NO_ERROR


def _exchange_reverse(clock: Clock, ours: Entity, theirs: Any, done: Callable[[], bool],
                      drop_to_ours: Drop) -> None:
    sent = 0
    for _ in range(4000):
        clock.now += 0.05
        ours.poll(clock.now)
        for raw in ours.pdus_to_send():
            theirs.state_machine(PduFactory.from_raw(raw))
            for reply in _drain(theirs):
                ours.receive_pdu(reply, clock.now)
        theirs.state_machine()
        for raw in _drain(theirs):
            index, sent = sent, sent + 1
            if not drop_to_ours(index, raw):
                ours.receive_pdu(raw, clock.now)
        if done():
            return
    raise AssertionError("transfer did not finish")
