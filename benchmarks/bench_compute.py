"""Compute jobs (service 129): input throughput of each workload through the job engine,
against the same computation done directly on the same octets in memory.

The engine reads its input from the real object store (block CRC-32C checked reads), runs
in 20 ms budgets per 50 ms cycle as in flight, and commits the result object; the direct
peer is one stdlib or numpy call on a ``bytes`` object, so the ratio is the engine's whole
overhead: store reads, slicing, progress accounting and the commit. Cycle gaps are not
counted (the clock is simulated), only the time spent in steps. The step figures show that
a job holds the main loop for about its budget; the longest step is the commit of a large
result, one store put.
"""

from __future__ import annotations

import hashlib
import lzma
import tempfile
import time
import zlib
from collections.abc import Callable

import numpy as np

from benchmarks.harness import Recorder, percentile
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.clock import SimulatedClock
from flight_sw.compute import inference
from flight_sw.compute.engine import JobEngine
from flight_sw.compute.jobs import JobSpec, JobState
from flight_sw.compute.params import (
    Algorithm,
    CompressParams,
    DecompressParams,
    HashParams,
    InferenceParams,
    SearchParams,
    WorkloadParams,
)
from flight_sw.hal.emulated import EmulatedHal
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.store import ObjectStore

MB = 1e6
BUDGET_S = 0.020
PERIOD_S = 0.05
MLP = InferenceParams(seed=1, inputs=256, hidden=64, outputs=8)


def _text(size: int) -> bytes:
    """Log-like text: compressible, with a pattern on one line in seven."""
    lines = (b"%08d sensor=%d status=%s\n" % (i, (i * 7919) % 1000, b"FAULT" if i % 7 == 0
                                               else b"ok") for i in range(size // 24 + 1))
    return b"".join(lines)[:size]


def _direct_search(data: bytes, pattern: bytes) -> tuple[int, list[int]]:
    """Count and matching line numbers of a newline-free pattern, the plain way."""
    lines = [n for n, line in enumerate(data.split(b"\n"), 1) if pattern in line]
    return data.count(pattern), lines


def _direct_mlp(data: bytes) -> bytes:
    model = inference.seeded_model(MLP)
    padded = data + bytes(-len(data) % MLP.inputs)
    x = np.frombuffer(padded, dtype=np.uint8).reshape(-1, MLP.inputs).astype(np.float32) / 255
    return model.forward(x).astype("<f4").tobytes()


class _Bench:
    def __init__(self, data: bytes, state_dir: str) -> None:
        self.clock = SimulatedClock()
        region = MemoryRegion.in_memory("store", "dram", 8 * len(data) + (32 << 20))
        self.store = ObjectStore.open(region, StoreConfig(), clock=self.clock.monotonic)
        self.store.put("input", data)
        self.store.put("packed", zlib.compress(data, 6))
        self.hal = EmulatedHal(state_dir=state_dir, clock=self.clock)
        self.engine = JobEngine(self.store, self.hal, period_s=PERIOD_S)
        self.steps_s: dict[str, list[float]] = {}
        """Wall time of every step, per workload kind."""
        self.longest_cpu_s: dict[str, float] = {}
        """Longest step in process CPU time, per workload kind."""

    def read_all(self, name: str) -> None:
        """Read an object in engine-sized chunks (the store's share of a job)."""
        size = self.store.info(name).size
        for offset in range(0, size, self.engine.limits.chunk_octets):
            self.store.read(name, offset, min(self.engine.limits.chunk_octets, size - offset))

    def put_result(self, result: object) -> None:
        """Commit a result as the engine does (digests and counts have a small stand-in)."""
        octets = result if isinstance(result, bytes) else str(result).encode()
        self.store.put("direct", octets)
        self.store.delete("direct")

    def run(self, params: WorkloadParams, source: str = "input", dmr: bool = False) -> float:
        """Seconds spent in engine steps from submission to the committed result."""
        job = self.engine.submit(JobSpec(source, "result", params, dmr=dmr), self.clock.now)
        spent = 0.0
        while job.state.active:
            self.clock.advance(PERIOD_S)
            start, cpu = time.perf_counter(), time.process_time()
            self.engine.step(self.clock.now, BUDGET_S)
            step, cpu = time.perf_counter() - start, time.process_time() - cpu
            spent += step
            kind = params.kind.name
            self.steps_s.setdefault(kind, []).append(step)
            self.longest_cpu_s[kind] = max(self.longest_cpu_s.get(kind, 0.0), cpu)
        if job.state is not JobState.COMPLETED:
            raise RuntimeError(f"benchmark job failed: {job.message}")
        return spent


def _best(work: Callable[[], float], repeats: int) -> float:
    return min(work() for _ in range(repeats))


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run(recorder: Recorder) -> None:
    """Engine vs direct throughput per workload, DMR cost and the longest step."""
    size = (2 if recorder.quick else 16) << 20
    repeats = 1 if recorder.quick else 3
    data = _text(size)
    packed = zlib.compress(data, 6)
    cases: list[tuple[str, WorkloadParams, str, Callable[[], object]]] = [
        ("sha256", HashParams(), "input", lambda: hashlib.sha256(data).digest()),
        ("zlib compress (level 6)", CompressParams(Algorithm.ZLIB, 6), "input",
         lambda: zlib.compress(data, 6)),
        ("zlib decompress", DecompressParams(Algorithm.ZLIB), "packed",
         lambda: zlib.decompress(packed)),
        ("lzma compress (preset 1)", CompressParams(Algorithm.LZMA, 1), "input",
         lambda: lzma.compress(data, preset=1)),
        ("search", SearchParams(b"FAULT"), "input", lambda: _direct_search(data, b"FAULT")),
        ("inference MLP 256-64-8", MLP, "input", lambda: _direct_mlp(data)),
    ]
    with tempfile.TemporaryDirectory() as state_dir:
        bench = _Bench(data, state_dir)
        for label, params, source, direct in cases:
            engine_s = _best(lambda p=params, s=source: bench.run(p, s), repeats)
            direct_s = _best(lambda d=direct: _timed(d), repeats)
            read_s = _best(lambda s=source: _timed(lambda: bench.read_all(s)), repeats)
            result = direct()
            put_s = _best(lambda r=result: _timed(lambda: bench.put_result(r)), repeats)
            octets = size if source == "input" else len(packed)
            recorder.add(f"compute job {label}", octets / engine_s / MB, "MB/s",
                         peer=f"direct {label}", peer_value=octets / direct_s / MB,
                         note=f"{octets / MB:.1f} MB input via the object store, "
                              f"20 ms budget per step")
            baseline_s = read_s + direct_s + put_s
            recorder.add(f"compute engine overhead, {label}", engine_s / baseline_s, "x",
                         target=1.5, higher_is_better=False,
                         note="engine time / (store reads in 64 KiB + direct computation "
                              "+ one put of the result)")
        single = _best(lambda: bench.run(HashParams()), max(3, repeats))
        double = _best(lambda: bench.run(HashParams(), dmr=True), max(3, repeats))
        recorder.add("compute job DMR cost (sha256)", double / single, "x", target=2.2,
                     higher_is_better=False, note="two runs, input re-read, digests compared")
        for kind, steps in sorted(bench.steps_s.items()):
            recorder.add(f"compute step p99, {kind}", percentile(steps, 0.99) * 1000, "ms",
                         target=BUDGET_S * 1000 + 15, higher_is_better=False,
                         note=f"budget 20 ms + at most one slice; {len(steps)} steps, longest "
                              f"{max(steps) * 1000:.0f} ms wall (the commit: one store put)")
            recorder.add(f"compute longest step CPU time, {kind}",
                         bench.longest_cpu_s[kind] * 1000, "ms", higher_is_better=False,
                         note="process CPU time, all threads (not inflated by other processes)")
