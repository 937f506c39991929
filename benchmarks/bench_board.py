"""Emulated board hardware: bit-flip injection rate and raw memory region throughput.

The fault-injection campaigns need >= 1e6 random bit flips per second into a region
(vectorised numpy ``bitwise_xor.at`` on the octet array). The peer is a per-bit Python loop,
for scale. File-backed figures use a pre-touched memmap (first touches of a sparse file's
holes cost a block allocation each, which is the file system's figure, not the region's).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.harness import Recorder, best_rate
from firmware_stubs.board import MemoryRegion, RegionKind

MB = 1e6
REGION_SIZE = 64 << 20
CHUNK = 1 << 20


def _rate(recorder: Recorder, work: Callable[[], object], units: float) -> float:
    timing = {"seconds": 0.1, "repeats": 2} if recorder.quick else {"seconds": 0.5, "repeats": 5}
    return best_rate(work, units, **timing)


def _python_flips(octets: np.ndarray, positions: list[int]) -> None:
    for position in positions:
        octets[position >> 3] ^= 1 << (position & 7)


def _bench_region(recorder: Recorder, region: MemoryRegion, label: str,
                  peer: float | None = None) -> None:
    rng = np.random.default_rng(1)
    batch = 10_000 if recorder.quick else 100_000
    recorder.add(f"flip_random into {label}", _rate(
        recorder, lambda: region.flip_random(batch, rng), batch), "flips/s", target=1e6,
        peer=None if peer is None else "per-bit Python loop", peer_value=peer,
        note=f"{region.size >> 20} MiB region, {batch} flips per call")
    payload = rng.integers(0, 256, CHUNK, dtype=np.uint8).tobytes()
    offsets = iter(range(1 << 62))

    def write() -> None:
        region.write((next(offsets) * CHUNK) % region.size, payload)

    def read() -> None:
        region.read((next(offsets) * CHUNK) % region.size, CHUNK)

    recorder.add(f"raw write, {label}", _rate(recorder, write, CHUNK) / MB, "MB/s",
                 note="1 MiB writes, stuck-bit check included")
    recorder.add(f"raw read, {label}", _rate(recorder, read, CHUNK) / MB, "MB/s",
                 note="1 MiB reads into bytes")


def run(recorder: Recorder) -> None:
    """Record flip rates and raw throughput for an in-memory and a file-backed region."""
    dram = MemoryRegion.in_memory("dram", RegionKind.DRAM, REGION_SIZE)
    dram.fill(0)  # touch every page once
    batch = 10_000 if recorder.quick else 100_000  # as many positions as one flip_random call
    positions = np.random.default_rng(2).integers(0, dram.bit_count, batch).tolist()
    scratch = np.zeros(REGION_SIZE, dtype=np.uint8)
    scratch.fill(0)
    peer = _rate(recorder, lambda: _python_flips(scratch, positions), len(positions))
    _bench_region(recorder, dram, "dram (in memory)", peer)
    recorder.add("flip_bits, one position per call", _rate(
        recorder, lambda: dram.flip_bits([12345]), 1), "calls/s",
        note="per-event injection overhead")
    with tempfile.TemporaryDirectory() as tmp, MemoryRegion.file_backed(
            "nand", RegionKind.NAND, Path(tmp) / "nand.img", REGION_SIZE) as nand:
        nand.write(0, np.ones(REGION_SIZE, dtype=np.uint8))  # allocate the blocks
        _bench_region(recorder, nand, "nand (memmap)")
