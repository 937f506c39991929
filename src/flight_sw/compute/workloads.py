"""The compute workloads by kind: SHA-256 here, the others in their modules.

:func:`start` gives a job's computation as a :data:`~flight_sw.compute.source.Workload`
generator; the engine advances it one bounded slice at a time.
"""

from __future__ import annotations

import hashlib

from flight_sw.compute import inference as inference_module
from flight_sw.compute.compression import compress, decompress
from flight_sw.compute.inference import inference
from flight_sw.compute.params import (
    CompressParams,
    DecompressParams,
    HashParams,
    InferenceParams,
    Limits,
    SearchParams,
    WorkloadParams,
)
from flight_sw.compute.search import search
from flight_sw.compute.source import InputSource, ResultSink, Workload

DIGEST_OCTETS = 32


def sha256(source: InputSource, result: ResultSink, limits: Limits) -> Workload:
    """SHA-256 (FIPS 180-4) of the input; the result is the 32-octet digest."""
    digest = hashlib.sha256()
    for data in source.chunks(limits.chunk_octets):
        digest.update(data)
        yield source.fraction
    result.add(digest.digest())


def start(params: WorkloadParams, source: InputSource, result: ResultSink,
          limits: Limits) -> Workload:
    """The workload ``params`` describe, from ``source`` into ``result`` (nothing runs until
    advanced)."""
    match params:
        case HashParams():
            return sha256(source, result, limits)
        case CompressParams():
            return compress(params, source, result, limits)
        case DecompressParams():
            return decompress(params, source, result, limits)
        case InferenceParams():
            return inference(params, source, result, limits)
        case SearchParams():
            return search(params, source, result, limits)


def expected_result_octets(params: WorkloadParams, input_size: int) -> int | None:
    """The result size known before running (None when it depends on the data)."""
    if isinstance(params, HashParams):
        return DIGEST_OCTETS
    if isinstance(params, InferenceParams):
        return inference_module.result_octets(input_size, params)
    return None
