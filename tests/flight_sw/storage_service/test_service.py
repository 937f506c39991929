"""Storage service 128 requests built as the ground builds them (PusTc from the JSON-loaded
dictionary) and dispatched: the service 1 outcome, the (128,x) reports and their contents."""

from __future__ import annotations

import hashlib
import itertools
import random

import pytest

from ccsds.cfdp import decode_pdu
from ccsds.mission_db import decode_housekeeping
from ccsds.spacepacket import SpacePacket
from flight_sw.services.storage import DATA_CHUNK, MAX_INLINE_GET, MAX_REPORT_DATA
from flight_sw.services.verification import ErrorCode
from flight_sw.storage import dictionary as layout
from tests.flight_sw.services.helpers import GROUND_DB
from tests.flight_sw.storage_service.fakes import FakeStore
from tests.flight_sw.storage_service.helpers import StorageBench, decode, decode_list

COMPLETED = (7, None)


def _failed(code: ErrorCode, stage: int = 8) -> tuple[int, int]:
    return stage, int(code)


def test_put_inline_then_info(bench: StorageBench) -> None:
    data = random.Random(1).randbytes(900)
    tc = bench.command("STORE_PUT_INLINE", object_name="notes/a", data=data)
    assert bench.outcome(tc) == COMPLETED
    bench.clock.advance(1.0)
    tc = bench.command("STORE_INFO", object_name="notes/a")
    assert bench.outcome(tc) == COMPLETED
    (report,) = bench.take(128, 5)
    info = decode(layout.INFO_REPORT, report)
    assert info["object_name"] == "notes/a" and info["size"] == 900
    assert info["sha256"] == hashlib.sha256(data).digest()
    assert info["state"] == 0 and info["blocks"] == 1


def test_put_inline_replaces(bench: StorageBench) -> None:
    bench.command("STORE_PUT_INLINE", object_name="x", data=b"one")
    bench.command("STORE_PUT_INLINE", object_name="x", data=b"second")
    assert bench.store.get("x") == b"second"


@pytest.mark.parametrize(("name", "code"), [
    ("/leading", ErrorCode.INVALID_OBJECT_NAME), ("n" * 65, ErrorCode.INVALID_OBJECT_NAME),
    ("", ErrorCode.INVALID_OBJECT_NAME)])
def test_put_inline_refusals(bench: StorageBench, name: str, code: ErrorCode) -> None:
    tc = bench.command("STORE_PUT_INLINE", object_name=name, data=b"x")
    assert bench.outcome(tc) == _failed(code)
    assert bench.store.objects == {}


def test_put_inline_into_a_full_store() -> None:
    bench = StorageBench(None, store=FakeStore(capacity=100))
    tc = bench.command("STORE_PUT_INLINE", object_name="big", data=bytes(101))
    assert bench.outcome(tc) == _failed(ErrorCode.STORE_FULL)
    assert bench.storage.counters.store_errors == 1


def test_list_spans_several_reports(bench: StorageBench) -> None:
    names = [f"archive/{i:03d}-{'x' * 40}" for i in range(60)]
    for i, name in enumerate(reversed(names)):
        bench.store.put(name, bytes(i))
    bench.store.put("other", b"")
    tc = bench.command("STORE_LIST", prefix="archive/")
    assert bench.outcome(tc) == COMPLETED
    reports = bench.take(128, 3)
    assert len(reports) > 1 and all(len(r) <= MAX_REPORT_DATA for r in reports)
    decoded = [decode_list(r) for r in reports]
    assert all(h["total"] == 60 for h, _ in decoded)
    counts = [len(e) for _, e in decoded]
    assert [h["first"] for h, _ in decoded] == [0, *itertools.accumulate(counts[:-1])]
    entries = [e for _, es in decoded for e in es]
    assert [e["object_name"] for e in entries] == sorted(names)
    sizes = {n: len(bench.store.get(n)) for n in names}
    assert {e["object_name"]: e["size"] for e in entries} == sizes


def test_empty_list_is_one_report(bench: StorageBench) -> None:
    bench.command("STORE_LIST", prefix="")
    (report,) = bench.take(128, 3)
    assert decode_list(report) == ({"total": 0, "first": 0, "count": 0}, [])


def test_get_inline_in_chunks_on_the_bulk_channel(bench: StorageBench) -> None:
    data = random.Random(2).randbytes(3 * DATA_CHUNK + 10)
    bench.store.put("blob", data)
    tc = bench.command("STORE_GET_INLINE", object_name="blob", offset=0, length=0)
    assert bench.outcome(tc) == COMPLETED
    assert bench.take(128, 7) == []  # nothing on the real-time channel
    chunks = [decode(layout.DATA_REPORT, d) for s, t, d in bench.bulk if (s, t) == (128, 7)]
    assert len(chunks) == 4
    assert [c["offset"] for c in chunks] == [0, DATA_CHUNK, 2 * DATA_CHUNK, 3 * DATA_CHUNK]
    assert b"".join(c["data"] for c in chunks) == data  # type: ignore[misc]
    bench.bulk.clear()
    bench.command("STORE_GET_INLINE", object_name="blob", offset=100, length=50)
    (chunk,) = [decode(layout.DATA_REPORT, d) for *_, d in bench.bulk]
    assert chunk == {"object_name": "blob", "offset": 100, "data": data[100:150]}


def test_get_inline_of_an_empty_object_is_one_empty_chunk(bench: StorageBench) -> None:
    bench.store.put("empty", b"")
    bench.command("STORE_GET_INLINE", object_name="empty", offset=0, length=0)
    assert [decode(layout.DATA_REPORT, d) for *_, d in bench.bulk] == [
        {"object_name": "empty", "offset": 0, "data": b""}]


def test_get_inline_refusals(bench: StorageBench) -> None:
    bench.store.put("big", bytes(MAX_INLINE_GET + 1))
    bench.store.put("small", b"abc")
    bench.store.put("gone", b"abc")
    bench.store.lose("gone")
    cases = [({"object_name": "big", "offset": 0, "length": 0}, ErrorCode.ARGUMENT_OUT_OF_RANGE),
             ({"object_name": "small", "offset": 4, "length": 1}, ErrorCode.ARGUMENT_OUT_OF_RANGE),
             ({"object_name": "nope", "offset": 0, "length": 0}, ErrorCode.OBJECT_NOT_FOUND),
             ({"object_name": "gone", "offset": 0, "length": 0}, ErrorCode.DATA_LOST)]
    for values, code in cases:
        bench.reports.clear()
        tc = bench.command("STORE_GET_INLINE", **values)
        assert bench.outcome(tc) == _failed(code), values
    assert bench.bulk == []


def test_delete(bench: StorageBench) -> None:
    bench.store.put("a", b"1")
    assert bench.outcome(bench.command("STORE_DELETE", object_name="a")) == COMPLETED
    assert not bench.store.exists("a")
    bench.reports.clear()
    tc = bench.command("STORE_DELETE", object_name="a")
    assert bench.outcome(tc) == _failed(ErrorCode.OBJECT_NOT_FOUND)


def test_delete_is_critical_in_the_dictionary() -> None:
    assert GROUND_DB.command("STORE_DELETE").critical


def test_verify_one(bench: StorageBench) -> None:
    bench.store.put("a", b"1")
    bench.store.verify_corrections["a"] = 3
    assert bench.outcome(bench.command("STORE_VERIFY", object_name="a")) == COMPLETED
    (report,) = bench.take(128, 12)
    assert decode(layout.VERIFY_REPORT, report) == {
        "object_name": "a", "state": 1, "corrected_words": 3, "repaired_blocks": 1}
    bench.store.lose("a")
    bench.reports.clear()
    tc = bench.command("STORE_VERIFY", object_name="a")
    assert bench.outcome(tc) == _failed(ErrorCode.DATA_LOST)
    (report,) = bench.take(128, 12)
    assert decode(layout.VERIFY_REPORT, report)["state"] == 2


def test_verify_all_runs_in_the_background(bench: StorageBench) -> None:
    for name in ("a", "b", "c", "d"):
        bench.store.put(name, name.encode())
    bench.store.verify_corrections["b"] = 2
    bench.store.lose("c")
    assert bench.outcome(bench.command("STORE_VERIFY_ALL")) == COMPLETED
    assert bench.storage.telemetry(0.0)["STORE_VERIFY_RUNNING"] is True
    bench.reports.clear()
    assert bench.outcome(bench.command("STORE_VERIFY_ALL")) == _failed(ErrorCode.BUSY)
    bench.store.delete("d")  # goes while the run is under way
    bench.run(2.0)
    (report,) = bench.take(128, 14)
    assert decode(layout.VERIFY_ALL_REPORT, report) == {
        "objects": 3, "intact": 1, "repaired": 1, "lost": 1, "vanished": 1,
        "corrected_words": 2, "repaired_blocks": 1}
    assert bench.storage.verify_run is None


def test_scrub_runs_from_the_scheduler_and_is_controlled(bench: StorageBench) -> None:
    bench.run(1.0)
    assert len(bench.scrubber.steps) >= 5
    tc = bench.command("STORE_SCRUB_CONTROL", enabled=False, base_period_s=120)
    assert bench.outcome(tc) == COMPLETED
    assert bench.scrubber.config.scrub_period_s == bench.scrubber.period_s == 120
    steps = len(bench.scrubber.steps)
    bench.run(1.0)
    assert len(bench.scrubber.steps) == steps
    bench.command("STORE_SCRUB_CONTROL", enabled=True, base_period_s=3600)
    bench.run(1.0)
    assert len(bench.scrubber.steps) > steps
    assert all(budget <= 0.01 for _, budget in bench.scrubber.steps)


def test_scrub_control_range_is_checked_at_acceptance(bench: StorageBench) -> None:
    from ccsds.mission_db import Command  # noqa: PLC0415

    command: Command = GROUND_DB.command("STORE_SCRUB_CONTROL")
    tc = bench.send(bench.raw(128, 15, b"\x01" + (5).to_bytes(4, "big")))
    assert bench.outcome(tc) == _failed(ErrorCode.ARGUMENT_OUT_OF_RANGE, stage=2)
    assert command.argument("base_period_s").minimum == 10


def test_scrub_report_and_housekeeping_follow_the_store_health(bench: StorageBench) -> None:
    from dataclasses import replace  # noqa: PLC0415

    bench.store.put("a", bytes(1000))
    bench.store.health_counters = replace(
        bench.store.health_counters, corrected_words=7, uncorrectable_words=2,
        repaired_blocks=1, lost_blocks=1, scrub_passes=4, last_pass_duration_s=12.5,
        scrub_progress=0.25, scrub_period_s=300.0, bad_blocks=3)
    bench.command("STORE_SCRUB_REPORT")
    (report,) = bench.take(128, 17)
    assert decode(layout.SCRUB_REPORT, report) == {
        "enabled": True, "base_period_s": 600, "period_s": 300, "passes": 4, "progress": 50,
        "last_pass_duration_ms": 12_500, "corrected_words": 7, "uncorrectable_words": 2,
        "repaired_blocks": 1, "lost_blocks": 1}
    bench.command("HK_ONE_SHOT", count=1, structure_id=4)
    (hk,) = bench.take(3, 25)
    structure, values = decode_housekeeping(GROUND_DB, hk)
    assert structure.name == "storage"
    assert values["STORE_USED"] == 1000 and values["STORE_FREE"] == (1 << 20) - 1000
    assert values["STORE_OBJECTS"] == 1 and values["STORE_BAD_BLOCKS"] == 3
    assert values["SCRUB_PROGRESS"] == 50 and values["SCRUB_LAST_PASS_DURATION"] == 12_500
    bench.command("HK_ONE_SHOT", count=1, structure_id=3)
    (diagnostics,) = bench.take(3, 25)
    _, values = decode_housekeeping(GROUND_DB, diagnostics)
    assert (values["EDAC_CORRECTED"], values["EDAC_UNCORRECTABLE"]) == (7, 2)


def test_scrubber_events_are_raised_and_bad_ones_counted(bench: StorageBench) -> None:
    from ccsds.mission_db import decode_event  # noqa: PLC0415

    bench.storage.on_scrub_event("BLOCK_LOST", block=12, name="a")
    bench.storage.on_scrub_event("BLOCK_LOST", block=-1, name="a")
    bench.storage.on_scrub_event("NO_SUCH_EVENT")
    bench.storage.on_scrub_event("BLOCK_REPAIRED", block=1)  # values missing
    bench.storage.on_scrub_event("MEMORY_UNCORRECTABLE", block=-1, words=2, offset=4096)
    high = [decode_event(GROUND_DB, report) for report in bench.take(5, 4)]
    assert [(event.name, values) for event, values in high] == [
        ("BLOCK_LOST", {"block": 12, "object_name": "a".ljust(64, "\0")}),
        ("MEMORY_UNCORRECTABLE", {"address": 4096, "count": 2})]
    assert bench.storage.counters.event_failures == 3
    bench.storage.on_scrub_event("SCRUB_PASS_DONE", passes=2, duration_s=61.2345, corrected=1,
                                 uncorrectable=0, repaired=0, lost=0, period_s=900.0)
    (info,) = bench.take(5, 1)
    assert decode_event(GROUND_DB, info)[1] == {
        "passes": 2, "duration_ms": 61_234, "corrected": 1, "uncorrectable": 0,
        "repaired": 0, "lost": 0, "period_s": 900}


def test_downlink_starts_a_cfdp_put(bench: StorageBench) -> None:
    data = random.Random(3).randbytes(2000)
    bench.store.put("obj", data)
    tc = bench.command("STORE_DOWNLINK", object_name="obj", destination_name="",
                       transmission_class="CLASS_2")
    assert bench.outcome(tc) == COMPLETED
    (report,) = bench.take(128, 9)
    started = decode(layout.DOWNLINK_REPORT, report)
    assert started == {"object_name": "obj", "source_entity": 2, "sequence_number": 0,
                       "transmission_class": 2}
    bench.transfer.poll(bench.clock.now)
    pdus = [decode_pdu(SpacePacket.decode(p).data) for p in bench.cfdp_packets]
    assert pdus[0].header.destination_entity_id == 1
    assert pdus[0].destination_name == "obj"  # type: ignore[union-attr]


def test_downlink_refusals(bench: StorageBench) -> None:
    bench.store.put("obj", b"x")
    bench.store.put("gone", b"x")
    bench.store.lose("gone")
    for name, code in (("none", ErrorCode.OBJECT_NOT_FOUND), ("gone", ErrorCode.DATA_LOST)):
        bench.reports.clear()
        tc = bench.command("STORE_DOWNLINK", object_name=name, destination_name="",
                           transmission_class=1)
        assert bench.outcome(tc) == _failed(code)
    for _ in range(8):
        bench.transfer.downlink("obj", 1, 0.0)
    bench.reports.clear()
    tc = bench.command("STORE_DOWNLINK", object_name="obj", destination_name="",
                       transmission_class=1)
    assert bench.outcome(tc) == _failed(ErrorCode.BUSY)
    bench.reports.clear()
    tc = bench.send(bench.raw(128, 8, b"\x00\x01a\x00\x00\x03"))  # class 3 does not exist
    assert bench.outcome(tc) == _failed(ErrorCode.ARGUMENT_OUT_OF_RANGE, stage=2)
