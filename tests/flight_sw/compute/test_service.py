"""Service 129 through the dispatcher: verification stages, reports, events, refusals with
their codes, telemetry, on the real object store."""

from __future__ import annotations

import hashlib
import lzma
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.mission_db import decode_event, encode_command, encode_housekeeping
from ccsds.pus import AckFlags
from ccsds.pus_types import encode
from flight_sw.compute.service import PERIOD_S
from flight_sw.dictionary import MISSION
from flight_sw.parameters import ParameterPool
from flight_sw.services.verification import ErrorCode
from tests.flight_sw.compute.fakes import CorruptingStore, MemoryStore
from tests.flight_sw.compute.service_bench import GROUND_DB, ServiceBench, real_store

DATA = b"".join(b"record %05d %s\n" % (i, b"hit" if i % 7 == 0 else b"") for i in range(6000))
"""About 80 kB of text."""
QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = range(5)


@pytest.fixture
def bench(tmp_path: Path) -> ServiceBench:
    bench = ServiceBench(tmp_path)
    bench.store.put("data", DATA)
    return bench


def _events(bench: ServiceBench) -> list[tuple[str, dict[str, object]]]:
    decoded = [decode_event(GROUND_DB, d) for s, _, d in bench.reports if s == 5]
    return [(event.name, values) for event, values in decoded]


def test_submission_is_verified_in_stages_and_completes_after_the_commit(
        bench: ServiceBench) -> None:
    bench.watch("out")
    tc = bench.submit("COMPUTE_SUBMIT_SHA256", progress_step=20)
    assert [s for s, _ in bench.verification(tc)] == [1, 3]
    queued = bench.job_of(tc)
    assert (queued.state, queued.kind, queued.progress) == (QUEUED, 0, 0)
    bench.run_until_idle()
    stages = bench.verification(tc)
    assert [s for s, _ in stages] == [1, 3, 5, 5, 5, 5, 5, 7]
    assert [struct.unpack(">H", d)[0] for s, d in stages if s == 5] == [20, 40, 60, 80, 100]
    assert bench.committed_at_completion == [True]
    report = bench.job_of(tc)
    digest = hashlib.sha256(DATA).digest()
    assert bench.store.get("out") == digest
    assert (report.job_id, report.state, report.progress, report.result_size) == (
        queued.job_id, COMPLETED, 100, 32)
    assert report.result_sha256 == hashlib.sha256(digest).digest()
    assert (report.input, report.output, report.error_code) == ("data", "out", 0)
    assert _events(bench) == [("JOB_COMPLETED", {
        "job_id": report.job_id, "kind": 0, "result_size": 32,
        "cpu_time_ms": report.cpu_time_ms})]


def test_completion_is_only_reported_when_asked_for(bench: ServiceBench) -> None:
    tc = bench.submit("COMPUTE_SUBMIT_SHA256", ack=AckFlags.ACCEPTANCE)
    bench.run_until_idle()
    assert [s for s, _ in bench.verification(tc)] == [1]


@pytest.mark.parametrize(("name", "extra", "check"), [
    ("COMPUTE_SUBMIT_COMPRESS", {"algorithm": 0, "level": 9},
     lambda out: zlib.decompress(out) == DATA),
    ("COMPUTE_SUBMIT_COMPRESS", {"algorithm": 1, "level": 1},
     lambda out: lzma.decompress(out) == DATA),
    ("COMPUTE_SUBMIT_SEARCH", {"pattern": b"hit"},
     lambda out: struct.unpack_from(">Q", out)[0] == DATA.count(b"hit")
     and len(out) == 8 + 4 * DATA.count(b"hit")),
    ("COMPUTE_SUBMIT_INFERENCE", {"seed": 1, "inputs": 64, "hidden": 16, "outputs": 2},
     lambda out: out.startswith(b"\x93NUMPY") and len(out) > 4 * 2 * len(DATA) // 64),
])
def test_every_kind_through_the_service(bench: ServiceBench, name: str,
                                        extra: dict[str, int | bytes], check) -> None:
    tc = bench.submit(name, **extra)
    bench.run_until_idle()
    assert bench.outcome(tc) == (7, None)
    assert check(bench.store.get("out"))


def test_decompress_through_the_service(bench: ServiceBench) -> None:
    bench.store.put("packed", lzma.compress(DATA))
    tc = bench.submit("COMPUTE_SUBMIT_DECOMPRESS", source="packed", algorithm=1)
    bench.run_until_idle()
    assert bench.outcome(tc) == (7, None)
    assert bench.store.get("out") == DATA


@pytest.mark.parametrize(("name", "values", "code"), [
    ("COMPUTE_SUBMIT_SHA256", {"priority": 8}, ErrorCode.ARGUMENT_OUT_OF_RANGE),
    ("COMPUTE_SUBMIT_SHA256", {"progress_step": 101}, ErrorCode.ARGUMENT_OUT_OF_RANGE),
    ("COMPUTE_SUBMIT_SHA256", {"source": "missing"}, ErrorCode.OBJECT_NOT_FOUND),
    ("COMPUTE_SUBMIT_SHA256", {"output": ""}, ErrorCode.INVALID_OBJECT_NAME),
    ("COMPUTE_SUBMIT_SHA256", {"output": "/abs"}, ErrorCode.INVALID_OBJECT_NAME),
    ("COMPUTE_SUBMIT_SHA256", {"output": "x" * 65}, ErrorCode.INVALID_OBJECT_NAME),
    ("COMPUTE_SUBMIT_SHA256", {"output": "tab\there"}, ErrorCode.INVALID_OBJECT_NAME),
    ("COMPUTE_SUBMIT_SHA256", {"output": "data"}, ErrorCode.ARGUMENT_OUT_OF_RANGE),
    ("COMPUTE_SUBMIT_SEARCH", {"pattern": b""}, ErrorCode.ARGUMENT_OUT_OF_RANGE),
    ("COMPUTE_SUBMIT_SEARCH", {"pattern": bytes(256)}, ErrorCode.ARGUMENT_OUT_OF_RANGE),
    ("COMPUTE_SUBMIT_COMPRESS", {"algorithm": 0, "level": 10},
     ErrorCode.ARGUMENT_OUT_OF_RANGE),
    ("COMPUTE_SUBMIT_INFERENCE", {"seed": 0, "inputs": 1, "hidden": 1, "outputs": 1024},
     ErrorCode.ARGUMENT_OUT_OF_RANGE),  # a result of 4 KiB per input octet: over the limit
    ("COMPUTE_SUBMIT_INFERENCE", {"seed": 0, "inputs": 0, "hidden": 1, "outputs": 1},
     ErrorCode.ARGUMENT_OUT_OF_RANGE),
])
def test_bad_submissions_are_refused_with_their_code(bench: ServiceBench, name: str,
                                                     values: dict, code: ErrorCode) -> None:
    defaults: dict = {"COMPUTE_SUBMIT_SEARCH": {"pattern": b"x"},
                      "COMPUTE_SUBMIT_COMPRESS": {"algorithm": 0, "level": 1}}.get(name, {})
    arguments = {"input": "data", "output": "out", "priority": 0, "dmr": False,
                 "progress_step": 0, **defaults, **values}
    if "source" in arguments:
        arguments["input"] = arguments.pop("source")
    tc = bench.raw(129, GROUND_DB.command(name).subtype, _unchecked(name, arguments))
    assert bench.outcome(tc) == (2, code)
    assert bench.service.engine.jobs() == []
    assert bench.service.telemetry(0.0)["JOBS_REJECTED"] == 1


def _unchecked(name: str, values: dict) -> bytes:
    """Application data in the command's layout without the ground's range checks."""
    return b"".join(encode(argument.pus_type, values[argument.name])
                    for argument in GROUND_DB.command(name).arguments)


def test_the_compression_algorithm_enumeration_is_checked(bench: ServiceBench) -> None:
    common = GROUND_DB.command("COMPUTE_SUBMIT_SHA256")
    prefix = encode_command(GROUND_DB, common, {"input": "data", "output": "out",
                                                "priority": 0, "dmr": False,
                                                "progress_step": 0})
    tc = bench.raw(129, 3, prefix + b"\x07")
    assert bench.outcome(tc) == (2, ErrorCode.ARGUMENT_OUT_OF_RANGE)
    tc = bench.raw(129, 3, prefix)  # algorithm missing
    assert bench.outcome(tc) == (2, ErrorCode.INVALID_APPLICATION_DATA)


def test_a_lost_input_is_refused(tmp_path: Path) -> None:
    store = MemoryStore()
    store.put("data", DATA)
    store.lose("data")
    bench = ServiceBench(tmp_path, store=store)
    assert bench.outcome(bench.submit("COMPUTE_SUBMIT_SHA256")) == (2, ErrorCode.DATA_LOST)


def test_an_input_deleted_after_submission_fails_the_job(bench: ServiceBench) -> None:
    tc = bench.submit("COMPUTE_SUBMIT_SHA256")
    bench.store.delete("data")
    bench.run_until_idle()
    job = bench.job_of(tc)
    assert bench.outcome(tc) == (8, ErrorCode.OBJECT_NOT_FOUND)
    assert bench.verification(tc)[-1][1] == struct.pack(">HH", ErrorCode.OBJECT_NOT_FOUND,
                                                          job.job_id)
    assert (job.state, job.error_code) == (FAILED, ErrorCode.OBJECT_NOT_FOUND)
    assert _events(bench) == [("JOB_FAILED", {"job_id": job.job_id, "kind": 0,
                                              "error_code": ErrorCode.OBJECT_NOT_FOUND})]


def test_the_queue_limit_refuses_with_job_queue_full(bench: ServiceBench) -> None:
    limit = bench.service.engine.max_active
    accepted = [bench.submit("COMPUTE_SUBMIT_SHA256", output=f"o{i}") for i in range(limit)]
    assert all(bench.verification(tc)[0][0] == 1 for tc in accepted)
    assert bench.outcome(bench.submit("COMPUTE_SUBMIT_SHA256")) == (2, ErrorCode.JOB_QUEUE_FULL)
    assert bench.service.telemetry(0.0)["JOBS_QUEUED"] == limit


def test_dmr_mismatch_fails_with_an_event_and_stores_nothing(tmp_path: Path) -> None:
    clock_bench = ServiceBench(tmp_path, store=MemoryStore())  # for its clock only
    store = real_store(clock_bench.clock)
    store.put("data", DATA)
    bench = ServiceBench(tmp_path, store=CorruptingStore(store, corrupt_read=2))  # type: ignore[arg-type]
    tc = bench.submit("COMPUTE_SUBMIT_COMPRESS", dmr=True, algorithm=0, level=6)
    bench.run_until_idle()
    job = bench.job_of(tc)
    assert bench.outcome(tc) == (8, ErrorCode.EXECUTION_FAILED)
    assert not store.exists("out")
    events = _events(bench)
    assert [name for name, _ in events] == ["JOB_DMR_MISMATCH", "JOB_FAILED"]
    mismatch = events[0][1]
    first = hashlib.sha256(zlib.compress(DATA, 6)).digest()
    assert (mismatch["job_id"], mismatch["first_sha256"]) == (job.job_id, first)
    assert mismatch["second_sha256"] != first
    telemetry = bench.service.telemetry(bench.clock.now)
    assert (telemetry["DMR_MISMATCHES"], telemetry["JOBS_FAILED"]) == (1, 1)


def test_dmr_without_corruption_completes(bench: ServiceBench) -> None:
    tc = bench.submit("COMPUTE_SUBMIT_COMPRESS", dmr=True, algorithm=0, level=6)
    bench.run_until_idle()
    assert bench.outcome(tc) == (7, None)
    assert zlib.decompress(bench.store.get("out")) == DATA


def test_cancel_fails_the_submission_and_reports_the_job(bench: ServiceBench) -> None:
    submit = bench.submit("COMPUTE_SUBMIT_SHA256")
    job_id = bench.job_of(submit).job_id
    cancel = bench.command("COMPUTE_CANCEL", job_id=job_id)
    assert bench.outcome(cancel) == (7, None)
    assert bench.outcome(submit) == (8, ErrorCode.EXECUTION_FAILED)
    assert bench.job_of(submit).state == CANCELLED
    bench.run_until_idle()
    assert not bench.store.exists("out")
    again = bench.command("COMPUTE_CANCEL", job_id=job_id)
    assert bench.outcome(again) == (2, ErrorCode.JOB_NOT_FOUND)
    assert bench.verification(again)[-1][1] == struct.pack(">HH", ErrorCode.JOB_NOT_FOUND,
                                                           job_id)
    assert bench.service.telemetry(0.0)["JOBS_CANCELLED"] == 1


def test_report_and_list_on_request(bench: ServiceBench) -> None:
    first = bench.submit("COMPUTE_SUBMIT_SHA256", priority=2)
    second = bench.submit("COMPUTE_SUBMIT_SEARCH", output="o2", priority=6, pattern=b"hit")
    first_id, second_id = bench.job_of(first).job_id, bench.job_of(second).job_id
    bench.reports.clear()
    bench.command("COMPUTE_REPORT_JOB", job_id=second_id)
    (report,) = bench.job_reports()
    assert (report.job_id, report.kind, report.priority, report.state) == (
        second_id, 4, 6, QUEUED)
    bench.command("COMPUTE_LIST_JOBS")
    (listing,) = [d for s, t, d in bench.reports if (s, t) == (129, 10)]
    assert listing == bytes([2]) + struct.pack(">HBBBB", first_id, 0, QUEUED, 2, 0) \
        + struct.pack(">HBBBB", second_id, 4, QUEUED, 6, 0)
    assert bench.outcome(bench.command("COMPUTE_REPORT_JOB", job_id=999)) == (
        2, ErrorCode.JOB_NOT_FOUND)


def test_telemetry_fits_the_dictionary_and_encodes(bench: ServiceBench) -> None:
    bench.service.budget_s = 0.0  # one slice per cycle
    bench.submit("COMPUTE_SUBMIT_SHA256")
    bench.run(PERIOD_S)
    pool = ParameterPool(MISSION)
    pool.add_source(bench.service.telemetry)
    pool.sample(bench.clock.now)
    assert pool.counters.rejected_values == 0 and pool.counters.unknown_names == 0
    structure = next(s for s in MISSION.housekeeping if s.name == "compute")
    encode_housekeeping(MISSION, structure, pool.values(structure.parameters))
    assert pool.get("JOBS_RUNNING") == 1 and pool.get("CURRENT_JOB") == 1
    assert pool.get("COMPUTE_LOAD") > 0 and bench.hal.board.load > 0
    bench.run_until_idle()
    pool.sample(bench.clock.now + PERIOD_S)
    assert (pool.get("JOBS_DONE"), pool.get("JOBS_RUNNING")) == (1, 0)
    assert pool.get("COMPUTE_INPUT_READ") == len(DATA) >> 10


def test_budget_setting(bench: ServiceBench) -> None:
    bench.service.apply_budget_ms(5)
    assert bench.service.budget_s == 0.005
    bench.service.apply_budget_ms(True)  # not a number of milliseconds: ignored
    assert bench.service.budget_s == 0.005


@pytest.fixture(scope="module")
def fuzz_bench(tmp_path_factory: pytest.TempPathFactory) -> ServiceBench:
    """One bench over a fake store for the whole fuzz run."""
    store = MemoryStore()
    store.put("data", DATA)
    return ServiceBench(tmp_path_factory.mktemp("fuzz"), store=store)


@given(st.integers(1, 10), st.binary(max_size=80))
def test_request_fuzz_every_tc_gets_exactly_one_verdict(fuzz_bench: ServiceBench,
                                                        subtype: int, data: bytes) -> None:
    """Arbitrary application data for any (129, x): one terminal report, never a crash."""
    fuzz_bench.reports.clear()
    tc = fuzz_bench.raw(129, subtype, data)
    verdict, code = fuzz_bench.outcome(tc)
    assert verdict in (2, 7)
    assert code is None or code in set(ErrorCode)
    for job in fuzz_bench.service.engine.active:
        fuzz_bench.service.engine.cancel(job.id, 0.0)
