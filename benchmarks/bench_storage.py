"""Object store: put/get throughput and patrol-scrub rate (docs/storage.md).

Targets from the storage issue: local put/get >= 50 MB/s (1 MiB and 16 MiB objects, SHA-256,
CRC-32C, 8+2 erasure coding and SECDED included; MB = 1e6 octets of object data), and a scrub
of >= 1 GB/s of store on one core, measured through the scrubber's own loop (``Scrubber.step``
in 5 ms slices over a 256 MiB medium). The peer of put/get is a plain file write (with fsync)
and read of the same bytes; puts on the file-backed store include its two msyncs (blocks,
then the commit record). Regions are pre-touched, as in bench_storage_media: first touches
of fresh pages or of a sparse file's holes are the allocator's and file system's figures.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import Recorder, best_rate
from firmware_stubs.board import MemoryRegion, RegionKind
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.scrubber import Scrubber
from flight_sw.storage.store import ObjectStore

MB = 1e6
MIB = 1 << 20
STORE_DATA = 256 * MIB
REGION = STORE_DATA // 8 * 9
"""A region whose EDAC data space (8 of every 9 octets) is 256 MiB."""


def _timing(recorder: Recorder) -> dict[str, float]:
    return {"seconds": 0.1, "repeats": 2} if recorder.quick else {"seconds": 0.5, "repeats": 3}


def _file_peer(directory: Path, payload: bytes, recorder: Recorder) -> tuple[float, float]:
    path = directory / "peer.bin"

    def write() -> None:
        with path.open("wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    def read() -> None:
        path.read_bytes()

    return (best_rate(write, len(payload), **_timing(recorder)) / MB,
            best_rate(read, len(payload), **_timing(recorder)) / MB)


def _bench_put_get(recorder: Recorder, store: ObjectStore, label: str, directory: Path) -> None:
    rng = np.random.default_rng(7)
    for size in (MIB, 16 * MIB):
        payload = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        peer_write, peer_read = _file_peer(directory, payload, recorder)
        name = f"bench-{size}"
        put = best_rate(lambda p=payload, n=name: store.put(n, p), size,
                        **_timing(recorder)) / MB
        get = best_rate(lambda n=name: store.get(n), size, **_timing(recorder)) / MB
        tag = f"{size // MIB} MiB objects, {label}"
        recorder.add(f"store put, {tag}", put, "MB/s", target=50,
                     peer="file write+fsync", peer_value=peer_write,
                     note="replacing one object: encode, CRC, SHA-256, write, journal commit")
        recorder.add(f"store get, {tag}", get, "MB/s", target=50, peer="file read",
                     peer_value=peer_read, note="EDAC read, CRC per block, SHA-256")


def _bench_scrub(recorder: Recorder, store: ObjectStore) -> None:
    scrubber = Scrubber(store)
    scrubber.step(0.0, 0.005)
    now, passes, best = 0.0, 1 if recorder.quick else 3, 0.0
    for _ in range(passes):
        start = time.perf_counter()
        done = 0
        while not done:
            now += store.config.scrub_period_s  # everything is due: run flat out
            done = scrubber.step(now, 0.005).passes_done
        best = max(best, scrubber.total / (time.perf_counter() - start))
    recorder.add("store patrol scrub, 256 MiB medium", best / 1e9, "GB/s", target=1.0,
                 note=f"Scrubber.step in 5 ms slices of {store.config.scrub_chunk_octets >> 20} "
                      "MiB, whole medium (metadata, objects, free), one core")


def run(recorder: Recorder) -> None:
    """Record put/get on an in-memory and a file-backed store, and the patrol-scrub rate."""
    config = StoreConfig()
    region = MemoryRegion.in_memory("mass", RegionKind.DRAM, REGION)
    region.fill(0)  # pre-touch: first touches of fresh pages are the allocator's figure
    store = ObjectStore.open(region, config, clock=time.monotonic)
    with tempfile.TemporaryDirectory() as directory:
        _bench_put_get(recorder, store, "in memory", Path(directory))
        _bench_scrub(recorder, store)
        with MemoryRegion.file_backed("mass", RegionKind.STORAGE, Path(directory) / "m.img",
                                      REGION) as backed:
            backed.fill(0)  # pre-touch the sparse file (block allocation is the file system's)
            backed.flush()
            on_file = ObjectStore.open(backed, config, clock=time.monotonic)
            _bench_put_get(recorder, on_file, "file-backed (msync)", Path(directory))
