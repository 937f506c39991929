"""The board's FileTransfer against a ground ccsds.cfdp entity, in-process: class 1 and 2 in
both directions, with packet loss and a link outage; uplinked files become objects only when
their transaction completed with a good checksum. Expected contents are the bytes the other
end holds, compared by SHA-256 (hashlib) and octet for octet."""

from __future__ import annotations

import hashlib
import random

import pytest

from ccsds.cfdp import ConditionCode, DeliveryCode, FileStatus
from flight_sw.file_transfer import TransferBusyError
from flight_sw.storage.api import DataLostError, ObjectNotFoundError
from tests.flight_sw.file_transfer.helpers import FAST, Channel, Exchange
from tests.flight_sw.storage_service.fakes import FakeStore


def _payload(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("class_", [1, 2])
def test_uplink_becomes_an_object(class_: int) -> None:
    exchange = Exchange()
    data = _payload(10_000)
    exchange.upload("images/tile-1", data, class_)
    exchange.run_until(exchange.idle)
    assert exchange.store.get("images/tile-1") == data
    assert exchange.store.info("images/tile-1").sha256 == hashlib.sha256(data).digest()
    telemetry = exchange.board.telemetry(exchange.now)
    assert telemetry["CFDP_COMPLETED"] == 1 and telemetry["CFDP_FAILED"] == 0
    assert telemetry["CFDP_OCTETS_RECEIVED"] == len(data)
    assert telemetry["CFDP_ACTIVE"] == 0
    assert exchange.events == [("FILE_TRANSFER_ENDED", {
        "source_entity": 1, "sequence_number": 0, "condition": 0, "committed": 1})]


@pytest.mark.parametrize("class_", [1, 2])
def test_downlink_of_an_object(class_: int) -> None:
    exchange = Exchange()
    data = _payload(7_777)
    exchange.store.put("archive/a", data)
    transaction = exchange.board.downlink("archive/a", class_, exchange.now, "restored/a")
    assert transaction.source_entity_id == 2
    exchange.run_until(exchange.idle)
    assert bytes(exchange.ground_files.files["restored/a"]) == data
    finished = exchange.ground_finished(transaction)
    assert finished is not None and finished.condition is ConditionCode.NO_ERROR
    telemetry = exchange.board.telemetry(exchange.now)
    assert telemetry["CFDP_OCTETS_SENT"] == len(data)
    assert telemetry["CFDP_COMPLETED"] == 1


def test_class_2_uplink_survives_loss_both_ways() -> None:
    exchange = Exchange(up=Channel(loss=0.2, seed=3), down=Channel(loss=0.2, seed=4))
    data = _payload(20_000, seed=11)
    exchange.upload("lossy", data)
    exchange.run_until(exchange.idle)
    assert exchange.up.dropped > 0 and exchange.down.dropped > 0
    assert exchange.store.get("lossy") == data
    assert exchange.board.counters.octets_received >= len(data)


def test_class_2_downlink_survives_loss_both_ways() -> None:
    exchange = Exchange(up=Channel(loss=0.2, seed=5), down=Channel(loss=0.2, seed=6))
    data = _payload(20_000, seed=12)
    exchange.store.put("lossy", data)
    exchange.board.downlink("lossy", 2, exchange.now)
    exchange.run_until(exchange.idle)
    assert bytes(exchange.ground_files.files["lossy"]) == data
    assert exchange.board.counters.octets_sent > len(data)  # retransmissions


@pytest.mark.parametrize("direction", ["up", "down"])
def test_class_2_resumes_after_a_link_outage(direction: str) -> None:
    """Nothing passes either way for 12 s mid-transfer (longer than the NAK and ACK
    intervals, shorter than their limits): the transfer resumes and ends intact."""
    outage = ((1.0, 13.0),)
    exchange = Exchange(up=Channel(outages=outage), down=Channel(outages=outage))
    data = _payload(30_000, seed=13)
    if direction == "up":
        exchange.upload("outage", data)
    else:
        exchange.store.put("outage", data)
        exchange.board.downlink("outage", 2, exchange.now)
    exchange.run_until(lambda: exchange.now > 1.0)
    assert not exchange.idle()  # the outage hits mid-transfer
    exchange.run_until(exchange.idle)
    data_channel = exchange.up if direction == "up" else exchange.down
    assert data_channel.dropped > 0 and exchange.now > outage[0][1]
    received = (exchange.store.get("outage") if direction == "up"
                else bytes(exchange.ground_files.files["outage"]))
    assert received == data


def test_class_1_uplink_with_loss_leaves_the_store_unchanged() -> None:
    store = FakeStore()
    store.put("keep", b"old content")
    exchange = Exchange(store, up=Channel(loss=0.3, seed=8))
    exchange.upload("keep", _payload(10_000), class_=1)
    exchange.run_until(exchange.idle)
    assert store.get("keep") == b"old content"
    assert exchange.board.filestore.staged == () and store.writers == []
    telemetry = exchange.board.telemetry(exchange.now)
    assert telemetry["CFDP_FAILED"] == 1 and telemetry["CFDP_COMPLETED"] == 0
    assert exchange.events[-1][1]["committed"] == 0


def test_cancelled_uplink_is_aborted_and_the_old_object_stays() -> None:
    store = FakeStore()
    store.put("keep", b"old content")
    exchange = Exchange(store)
    transaction = exchange.upload("keep", _payload(50_000))
    for _ in range(8):
        exchange.step()
    assert exchange.board.filestore.staged == ("keep",)
    assert store.get("keep") == b"old content"  # not visible while arriving
    exchange.ground.cancel(transaction, exchange.now)
    exchange.run_until(exchange.idle)
    assert store.get("keep") == b"old content"
    assert exchange.board.filestore.staged == () and store.writers == []
    assert exchange.board.counters.failed == 1


def test_replacement_is_visible_only_when_complete() -> None:
    store = FakeStore()
    store.put("doc", b"version 1")
    exchange = Exchange(store)
    exchange.upload("doc", b"version 2" * 500)
    exchange.step()
    assert store.get("doc") == b"version 1"
    exchange.run_until(exchange.idle)
    assert store.get("doc") == b"version 2" * 500


def test_uplink_larger_than_the_free_space_is_refused() -> None:
    store = FakeStore(capacity=4_000)
    exchange = Exchange(store)
    transaction = exchange.upload("big", _payload(6_000))
    exchange.run_until(exchange.idle)
    finished = exchange.ground_finished(transaction)
    assert finished is not None and finished.condition is ConditionCode.FILESTORE_REJECTION
    assert finished.delivery is DeliveryCode.DATA_INCOMPLETE
    assert not store.exists("big") and exchange.board.filestore.staged == ()


def test_uplink_to_an_invalid_name_is_refused() -> None:
    exchange = Exchange()
    transaction = exchange.upload("/bad/", b"data")
    exchange.run_until(exchange.idle)
    finished = exchange.ground_finished(transaction)
    assert finished is not None and finished.condition is ConditionCode.FILESTORE_REJECTION
    assert exchange.store.objects == {}


def test_two_uplinks_to_one_name_the_second_is_refused() -> None:
    exchange = Exchange()
    first = exchange.upload("same", _payload(5_000, seed=1))
    exchange.step()
    second = exchange.upload("same", _payload(5_000, seed=2))
    exchange.run_until(exchange.idle)
    first_end, second_end = exchange.ground_finished(first), exchange.ground_finished(second)
    assert first_end is not None and first_end.condition is ConditionCode.NO_ERROR
    assert second_end is not None
    assert second_end.condition is ConditionCode.FILESTORE_REJECTION
    assert exchange.store.get("same") == _payload(5_000, seed=1)


def test_several_transfers_at_once_both_ways() -> None:
    exchange = Exchange(up=Channel(loss=0.1, seed=9), down=Channel(loss=0.1, seed=10))
    down = {f"d{i}": _payload(3_000 + i, seed=20 + i) for i in range(3)}
    up = {f"u{i}": _payload(2_000 + i, seed=30 + i) for i in range(3)}
    for name, data in down.items():
        exchange.store.put(name, data)
        exchange.board.downlink(name, 2, exchange.now)
    for name, data in up.items():
        exchange.upload(name, data)
    exchange.run_until(exchange.idle)
    assert {n: exchange.store.get(n) for n in up} == up
    assert {n: bytes(exchange.ground_files.files[n]) for n in down} == down
    assert exchange.board.counters.completed == 6


def test_downlink_refusals() -> None:
    exchange = Exchange(settings=FAST)
    exchange.store.put("gone", b"x")
    exchange.store.lose("gone")
    with pytest.raises(ObjectNotFoundError):
        exchange.board.downlink("missing", 2, 0.0)
    with pytest.raises(DataLostError):
        exchange.board.downlink("gone", 2, 0.0)
    with pytest.raises(ValueError, match="class 3"):
        exchange.board.downlink("gone", 3, 0.0)
    exchange.store.put("ok", b"y")
    for _ in range(FAST.max_transactions):
        exchange.board.downlink("ok", 1, 0.0)
    with pytest.raises(TransferBusyError):
        exchange.board.downlink("ok", 1, 0.0)


def test_misaddressed_packets_are_counted() -> None:
    from ccsds.spacepacket import PacketType, SpacePacket  # noqa: PLC0415

    exchange = Exchange()
    board = exchange.board
    assert not board.receive_packet(b"\x00", 0.0)
    assert not board.receive_packet(SpacePacket(PacketType.TC, 100, 0, b"\x00").encode(), 0.0)
    assert not board.receive_packet(SpacePacket(PacketType.TM, 101, 0, b"\x00").encode(), 0.0)
    assert not board.receive_packet(SpacePacket(PacketType.TC, 101, 0, b"\x20").encode(), 0.0)
    assert board.counters.rejected_packets == 4
    assert board.telemetry(0.0)["CFDP_PDUS_REJECTED"] == 4
    assert board.entity.active_transactions == []


def test_object_is_committed_before_the_finished_pdu_so_a_lost_ack_keeps_it() -> None:
    """Class 2: the board's Finished says NO_ERROR only once the object is stored; when every
    ACK of it is then lost, the board gives the transaction up (ACK limit) and keeps the
    object the ground was told about."""
    exchange = Exchange()
    data = _payload(4_000, seed=40)
    transaction = exchange.upload("kept", data)
    exchange.run_until(lambda: exchange.ground_finished(transaction) is not None)
    finished = exchange.ground_finished(transaction)
    assert finished is not None and finished.condition is ConditionCode.NO_ERROR
    assert exchange.store.get("kept") == data
    exchange.up.outages = ((exchange.now, float("inf")),)
    exchange.run_until(exchange.idle)
    assert exchange.store.get("kept") == data
    assert exchange.board.counters.completed == 1 and exchange.board.counters.failed == 0


def test_a_file_the_store_refuses_at_commit_is_reported_to_the_ground() -> None:
    store = FakeStore(capacity=10_000)
    exchange = Exchange(store)
    transaction = exchange.upload("late", _payload(6_000, seed=41))
    exchange.step()
    store.put("other", bytes(5_000))  # the space goes elsewhere while the file arrives
    exchange.run_until(exchange.idle)
    finished = exchange.ground_finished(transaction)
    assert finished is not None and finished.condition is ConditionCode.FILESTORE_REJECTION
    assert finished.file_status is FileStatus.DISCARDED_FILESTORE_REJECTION
    assert not store.exists("late") and exchange.board.filestore.staged == ()
    assert exchange.board.counters.commit_failures == 1
    assert exchange.board.counters.failed == 1
