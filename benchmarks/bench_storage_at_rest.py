"""Object store with data at rest sealed (docs/storage.md, "Data at rest"): put/get MB/s of
objects sealed under an SDLS session key (AES-256-GCM per 4080-octet chunk, HKDF per object)
against the same store in clear, and the 1 KiB ranged read a CFDP downlink segment costs.

Target: the storage issue's >= 50 MB/s for put and get holds with sealing on (MB = 1e6 octets
of object data; SHA-256, CRC-32C, 8+2 erasure code and SECDED included). The peer of each
sealed figure is the plaintext one, so the ratio is what sealing costs. In-memory region,
pre-touched (first touches of fresh pages are the allocator's figure).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.harness import Recorder, best_rate
from ccsds.sdls.keys import KeyState, KeyStore
from firmware_stubs.board import MemoryRegion, RegionKind
from flight_sw.storage.at_rest import BoardDataKeys
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.store import ObjectStore

MB = 1e6
MIB = 1 << 20
STORE_DATA = 96 * MIB
REGION = STORE_DATA // 8 * 9
KEY_ID = 7
SEGMENT = 1024
"""CFDP file data segment of the board entity (docs/icd.md 12)."""


def _timing(recorder: Recorder) -> dict[str, float]:
    return {"seconds": 0.1, "repeats": 2} if recorder.quick else {"seconds": 0.5, "repeats": 3}


def _store() -> ObjectStore:
    region = MemoryRegion.in_memory("mass", RegionKind.DRAM, REGION)
    region.fill(0)
    store = ObjectStore.open(region, StoreConfig(max_objects=256), clock=time.monotonic)
    keys = KeyStore()
    keys.install(KEY_ID, bytes(range(32)), state=KeyState.ACTIVE)
    store.keys = BoardDataKeys(keys)
    return store


def run(recorder: Recorder) -> None:
    """Record put, get and a 1 KiB read, sealed and in clear, for 1 MiB and 16 MiB objects."""
    store = _store()
    rng = np.random.default_rng(11)
    timing = _timing(recorder)
    for size in (MIB, 16 * MIB):
        payload = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        rates: dict[tuple[str, bool], float] = {}
        for sealed in (False, True):
            name, key = f"bench-{size}-{sealed}", KEY_ID if sealed else None
            rates["put", sealed] = best_rate(
                lambda n=name, k=key, p=payload: store.put(n, p, key_id=k), size, **timing) / MB
            rates["get", sealed] = best_rate(lambda n=name: store.get(n), size, **timing) / MB
            middle = size // 2 + 100  # not chunk-aligned: a segment may span two chunks
            rates["read", sealed] = best_rate(
                lambda n=name, at=middle: store.read(n, at, SEGMENT), 1, **timing)
        tag = f"{size // MIB} MiB objects"
        for operation, note in (("put", "seal per chunk, encode, CRC, SHA-256, write, commit"),
                                ("get", "EDAC read, open every chunk (GCM), SHA-256")):
            recorder.add(f"sealed store {operation}, {tag}", rates[operation, True], "MB/s",
                         target=50, peer=f"{operation} in clear",
                         peer_value=rates[operation, False], note=note)
        recorder.add(f"sealed store 1 KiB read, {tag}", rates["read", True], "reads/s",
                     peer="read in clear", peer_value=rates["read", False],
                     note="a CFDP segment: HKDF per call, open 1-2 chunks")
