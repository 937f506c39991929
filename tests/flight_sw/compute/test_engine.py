"""The job engine: queue order and priorities, bounded slices, cancel, DMR, progress, CPU
time and the load reported to the HAL, failures with their codes."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import pytest

from ccsds.sdls.keys import KeyState, KeyStore
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.clock import SimulatedClock
from flight_sw.compute.engine import JobEngine, JobNotFoundError, QueueFullError
from flight_sw.compute.jobs import Job, JobSpec, JobState
from flight_sw.compute.params import (
    Algorithm,
    CompressParams,
    DecompressParams,
    HashParams,
    Limits,
    WorkloadParams,
)
from flight_sw.hal.emulated import EmulatedHal
from flight_sw.services.verification import ErrorCode
from flight_sw.storage.at_rest import BoardDataKeys
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.compute.fakes import CorruptingStore, MemoryStore, SteppingTimer

CHUNK = 4096
DATA = bytes(i % 253 for i in range(10 * CHUNK))
"""Ten chunks: a job of ten slices (eleven with the final commit)."""
SLICE_S = 2.0 ** -8
"""Wall time one slice takes by the stepping timer (exact in binary)."""
BUDGET_S = 4 * SLICE_S


class Recorder:
    """Observer keeping every milestone in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int, object]] = []

    def job_started(self, job: Job, now: float) -> None:
        self.log.append(("started", job.id, now))

    def job_progressed(self, job: Job, percent: int) -> None:
        self.log.append(("progress", job.id, percent))

    def job_finished(self, job: Job, now: float) -> None:
        self.log.append(("finished", job.id, job.state))

    def dmr_mismatch(self, job: Job, first: bytes, second: bytes, now: float) -> None:
        self.log.append(("mismatch", job.id, (first, second)))

    def of(self, kind: str) -> list[tuple[int, object]]:
        return [(job_id, value) for what, job_id, value in self.log if what == kind]


class Bench:
    def __init__(self, tmp_path: Path, store: object | None = None, **options: object) -> None:
        self.clock = SimulatedClock()
        self.hal = EmulatedHal(state_dir=tmp_path, clock=self.clock)
        self.store = MemoryStore()
        self.store.put("data", DATA)
        self.recorder = Recorder()
        self.timer = SteppingTimer(SLICE_S)
        self.cpu = SteppingTimer(0.001)
        self.engine = JobEngine(store or self.store, self.hal,  # type: ignore[arg-type]
                                limits=Limits(chunk_octets=CHUNK), observer=self.recorder,
                                timer=self.timer, cpu_clock=self.cpu, period_s=0.05,
                                **options)  # type: ignore[arg-type]

    def submit(self, params: WorkloadParams | None = None, *, output: str = "out",
               source: str = "data", **options: object) -> Job:
        spec = JobSpec(source, output, params or HashParams(), **options)  # type: ignore[arg-type]
        return self.engine.submit(spec, self.clock.now)

    def run(self, max_steps: int = 1000) -> list[int]:
        """Step every 50 ms until no job is active; the slices of each step."""
        slices = []
        while self.engine.active and len(slices) < max_steps:
            self.clock.advance(0.05)
            slices.append(self.engine.step(self.clock.now, BUDGET_S))
        return slices


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    return Bench(tmp_path)


def test_a_job_commits_its_result_in_bounded_steps(bench: Bench) -> None:
    job = bench.submit()
    assert job.state is JobState.QUEUED
    slices = bench.run()
    # budget / slice time = 4 slices per step at most; 10 chunks + the commit slice
    assert max(slices) == 4 and sum(slices) == 11 and len(slices) == 3
    assert job.state is JobState.COMPLETED and job.slices == 11
    assert bench.store.objects["out"] == hashlib.sha256(DATA).digest()
    assert (job.result_size, job.result_sha256) == (32, hashlib.sha256(bench.store.objects[
        "out"]).digest())
    assert job.input_read == len(DATA) == bench.engine.counters.input_read
    assert job.cpu_s == pytest.approx(11 * 0.001)


def test_one_slice_runs_even_when_the_budget_is_spent(bench: Bench) -> None:
    job = bench.submit()
    bench.clock.advance(0.05)
    assert bench.engine.step(bench.clock.now, 0.0) == 1
    assert job.state is JobState.RUNNING and job.slices == 1


def test_an_idle_engine_runs_no_slice_and_reports_no_load(bench: Bench) -> None:
    assert bench.engine.step(0.05, BUDGET_S) == 0
    assert bench.hal.board.load == 0.0


def test_priority_then_submission_order(bench: Bench) -> None:
    low = bench.submit(output="low", priority=1)
    first_high = bench.submit(output="high1", priority=5)
    second_high = bench.submit(output="high2", priority=5)
    urgent = bench.submit(output="urgent", priority=7)
    bench.run()
    finished = [job_id for job_id, _ in bench.recorder.of("finished")]
    assert finished == [urgent.id, first_high.id, second_high.id, low.id]


def test_a_more_urgent_job_preempts_a_running_one(bench: Bench) -> None:
    background = bench.submit(output="background", priority=0)
    bench.clock.advance(0.05)
    bench.engine.step(bench.clock.now, BUDGET_S)
    assert background.state is JobState.RUNNING
    urgent = bench.submit(output="urgent", priority=6)
    bench.run()
    assert [job_id for job_id, _ in bench.recorder.of("finished")] == [urgent.id, background.id]
    assert bench.store.objects["background"] == bench.store.objects["urgent"]


def test_progress_every_step_percent(bench: Bench) -> None:
    job = bench.submit(progress_step=25)
    bench.run()
    assert bench.recorder.of("progress") == [(job.id, 25), (job.id, 50), (job.id, 75),
                                             (job.id, 100)]
    log = [what for what, *_ in bench.recorder.log]
    assert log == ["started", "progress", "progress", "progress", "progress", "finished"]


def test_no_progress_reports_without_a_step(bench: Bench) -> None:
    bench.submit(progress_step=0)
    bench.run()
    assert bench.recorder.of("progress") == []


def test_dmr_runs_twice_and_stores_once(bench: Bench) -> None:
    job = bench.submit(CompressParams(Algorithm.ZLIB, 6), dmr=True, progress_step=50)
    slices = bench.run()
    assert job.state is JobState.COMPLETED
    assert zlib.decompress(bench.store.objects["out"]) == DATA
    assert job.input_read == 2 * len(DATA)
    assert sum(slices) == 2 * 10 + 1
    assert bench.store.puts == 2  # the input and one result
    assert [p for _, p in bench.recorder.of("progress")] == [50, 100]


def test_dmr_mismatch_fails_the_job_stores_nothing_and_reports_both_digests(
        tmp_path: Path) -> None:
    store = MemoryStore()
    store.put("data", DATA)
    bench = Bench(tmp_path, store=CorruptingStore(store, corrupt_read=2))
    bench.store = store
    job = bench.submit(dmr=True)
    bench.run()
    assert job.state is JobState.FAILED and job.error is ErrorCode.EXECUTION_FAILED
    assert "out" not in store.objects
    ((job_id, (first, second)),) = bench.recorder.of("mismatch")
    corrupted = bytes([DATA[0] ^ 1]) + DATA[1:]
    assert (job_id, first, second) == (job.id, hashlib.sha256(hashlib.sha256(DATA).digest())
                                       .digest(), hashlib.sha256(hashlib.sha256(corrupted)
                                                                 .digest()).digest())
    assert bench.engine.counters.dmr_mismatches == 1


def test_without_dmr_the_same_corruption_goes_unnoticed(tmp_path: Path) -> None:
    store = MemoryStore()
    store.put("data", DATA)
    bench = Bench(tmp_path, store=CorruptingStore(store, corrupt_read=1))
    job = bench.submit()
    bench.run()
    assert job.state is JobState.COMPLETED
    assert store.objects["out"] != hashlib.sha256(DATA).digest()


def test_cancel_a_queued_and_a_running_job(bench: Bench) -> None:
    running = bench.submit(output="a", priority=3)
    queued = bench.submit(output="b", priority=1)
    bench.clock.advance(0.05)
    bench.engine.step(bench.clock.now, BUDGET_S)
    bench.engine.cancel(running.id, bench.clock.now)
    bench.engine.cancel(queued.id, bench.clock.now)
    assert (running.state, queued.state) == (JobState.CANCELLED, JobState.CANCELLED)
    assert bench.engine.active == [] and bench.run() == []
    assert "a" not in bench.store.objects and "b" not in bench.store.objects
    with pytest.raises(JobNotFoundError):
        bench.engine.cancel(running.id, bench.clock.now)
    with pytest.raises(JobNotFoundError):
        bench.engine.cancel(999, bench.clock.now)
    assert bench.engine.counters.cancelled == 2


def test_the_queue_is_bounded(tmp_path: Path) -> None:
    bench = Bench(tmp_path, max_active=2)
    bench.submit(output="a")
    bench.submit(output="b")
    with pytest.raises(QueueFullError):
        bench.submit(output="c")
    bench.run()
    bench.submit(output="c")  # room again once the others finished


def test_history_keeps_the_latest_finished_jobs(tmp_path: Path) -> None:
    bench = Bench(tmp_path, history=3)
    jobs = [bench.submit(output=f"o{i}") for i in range(5)]
    bench.run()
    assert [job.id for job in bench.engine.jobs()] == [job.id for job in jobs[2:]]
    with pytest.raises(JobNotFoundError):
        bench.engine.job(jobs[0].id)


@pytest.mark.parametrize(("prepare", "code"), [
    (lambda store: store.delete("data"), ErrorCode.OBJECT_NOT_FOUND),
    (lambda store: store.lose("data"), ErrorCode.DATA_LOST),
])
def test_a_missing_or_lost_input_fails_the_job(bench: Bench, prepare, code: ErrorCode) -> None:
    job = bench.submit()
    prepare(bench.store)
    bench.run()
    assert (job.state, job.error) == (JobState.FAILED, code)
    assert bench.recorder.of("finished") == [(job.id, JobState.FAILED)]


def test_a_full_store_fails_the_job_at_commit(bench: Bench) -> None:
    bench.store.capacity = len(DATA) + 10
    job = bench.submit(CompressParams(Algorithm.ZLIB, 0))
    bench.run()
    assert (job.state, job.error) == (JobState.FAILED, ErrorCode.STORE_FULL)


def test_bad_compressed_input_fails_with_execution_failed(bench: Bench) -> None:
    job = bench.submit(DecompressParams(Algorithm.LZMA))
    bench.run()
    assert (job.state, job.error) == (JobState.FAILED, ErrorCode.EXECUTION_FAILED)


def test_an_unexpected_workload_exception_fails_only_that_job(bench: Bench) -> None:
    class Broken(HashParams):
        pass

    def explode(*_: object) -> None:
        raise ZeroDivisionError("bug")

    bench.store.read = explode  # type: ignore[method-assign]
    job = bench.submit(Broken())
    bench.run()
    assert (job.state, job.error) == (JobState.FAILED, ErrorCode.EXECUTION_FAILED)
    assert bench.engine.counters.internal_errors == 1


def test_running_jobs_load_the_board_which_heats_and_draws_more(bench: Bench) -> None:
    idle_power = bench.hal.read_sensors(0.0).power_w
    bench.submit()
    bench.clock.advance(0.05)
    bench.engine.step(bench.clock.now, BUDGET_S)
    # 4 slices and the closing timer read over a 50 ms period
    assert bench.engine.load == pytest.approx(5 * SLICE_S / 0.05)
    assert bench.hal.board.load == bench.engine.load
    busy = bench.hal.read_sensors(bench.clock.now)
    assert busy.power_w is not None and idle_power is not None and busy.power_w > idle_power
    before = max(busy.temperatures_c.values())
    bench.clock.advance(600.0)
    assert max(bench.hal.read_sensors(bench.clock.now).temperatures_c.values()) > before
    bench.run()
    bench.clock.advance(0.05)
    bench.engine.step(bench.clock.now, BUDGET_S)
    assert bench.hal.board.load == 0.0


# -- data at rest: a result is sealed under its input's key ------------------------------------

SEAL_KEY = 7


def _sealed_store_bench(tmp_path: Path) -> tuple[Bench, ObjectStore, KeyStore]:
    """A real ObjectStore with a board key store, the input ``data`` sealed under SEAL_KEY."""
    keys = KeyStore()
    keys.install(SEAL_KEY, bytes(range(32)), state=KeyState.ACTIVE)
    region = MemoryRegion.in_memory("mass", "dram", 4 << 20)
    store = ObjectStore.open(region, StoreConfig(max_objects=64), clock=lambda: 0.0)
    store.keys = BoardDataKeys(keys)
    store.put("data", DATA, key_id=SEAL_KEY)
    return Bench(tmp_path, store=store), store, keys


def _in_clear(store: ObjectStore, octets: bytes) -> bool:
    """Whether any 32-octet piece of ``octets`` can be read off the medium without a key."""
    medium = bytes(store.medium.read(0, store.medium.data_octets).data)
    return any(octets[at:at + 32] in medium for at in range(0, len(octets) - 32, 997))


@pytest.mark.parametrize("dmr", [False, True])
def test_the_result_of_a_sealed_input_is_sealed_under_the_same_key(tmp_path: Path,
                                                                   dmr: bool) -> None:
    bench, store, _ = _sealed_store_bench(tmp_path)
    job = bench.submit(CompressParams(Algorithm.ZLIB, 0), dmr=dmr)  # level 0: DATA verbatim
    bench.run()
    assert job.state is JobState.COMPLETED
    assert store.info("out").key_id == SEAL_KEY
    result = store.get("out")
    assert zlib.decompress(result) == DATA
    assert not _in_clear(store, DATA) and not _in_clear(store, result)


def test_a_plaintext_input_gives_a_plaintext_result(tmp_path: Path) -> None:
    bench, store, _ = _sealed_store_bench(tmp_path)
    store.put("plain", DATA)
    job = bench.submit(CompressParams(Algorithm.ZLIB, 0), source="plain")
    bench.run()
    assert job.state is JobState.COMPLETED and store.info("out").key_id is None
    assert _in_clear(store, DATA)


def test_an_input_key_that_may_no_longer_seal_fails_the_job_and_stores_nothing(
        tmp_path: Path) -> None:
    bench, store, keys = _sealed_store_bench(tmp_path)
    keys.deactivate(SEAL_KEY)  # old objects stay readable, nothing new is sealed under it
    job = bench.submit(CompressParams(Algorithm.ZLIB, 0))
    bench.run()
    assert (job.state, job.error) == (JobState.FAILED, ErrorCode.KEY_UNAVAILABLE)
    assert not store.exists("out")
