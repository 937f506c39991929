"""Drive a workload generator to its end, as the engine would, counting its slices."""

from __future__ import annotations

import hashlib

from flight_sw.compute import workloads
from flight_sw.compute.params import Limits, WorkloadParams
from flight_sw.compute.source import InputSource, ResultSink
from tests.flight_sw.compute.fakes import MemoryStore


def finish(params: WorkloadParams, data: bytes, limits: Limits | None = None
           ) -> tuple[bytes, list[float]]:
    """The result of ``params`` over ``data`` and the progress fractions it yielded."""
    store = MemoryStore()
    store.put("in", data)
    limits = limits or Limits()
    writer = store.writer("out")
    sink = ResultSink(limits.max_result_octets, writer)
    fractions = list(workloads.start(params, InputSource(store, "in"), sink, limits))
    result = store.objects["out"] if writer.commit() else b""
    assert (sink.size, sink.digest()) == (len(result), hashlib.sha256(result).digest())
    return result, fractions
