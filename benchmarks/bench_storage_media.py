"""Mass-memory media layer: interleaved SECDED EDAC (scrub, read, write) and the erasure code.

Scrub, read and write rates are octets of stored data per second through
:class:`flight_sw.storage.edac_memory.EdacMemory` on an in-memory region, one core, clean
memory (the common case of a patrol scrub). The peer is a numpy implementation of the same
interleaved check (bit unpack/transpose/pack, then byte-table syndromes), measured in the same
run. Erasure figures are data octets per second of 8 + 2 stripes of 4 KiB blocks via zfec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from numpy.typing import NDArray

from benchmarks.harness import Recorder, best_rate
from firmware_stubs import secded
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.edac_memory import EdacMemory
from flight_sw.storage.erasure import StripeCoder

MB = 1e6
GB = 1e9
BLOCK = 4096


def _rate(recorder: Recorder, work: Callable[[], object], units: float) -> float:
    if recorder.quick:
        return best_rate(work, units, seconds=0.1, repeats=2)
    return best_rate(work, units, seconds=0.5, repeats=5)


@contextmanager
def _path(path: str) -> Iterator[None]:
    before = secded.interleaved_path()
    secded.select_interleaved_path(path)
    try:
        yield
    finally:
        secded.select_interleaved_path(before)


def _memory(depth: int, data_octets: int, rng: np.random.Generator) -> EdacMemory:
    region = MemoryRegion.in_memory("mass", "storage", data_octets * 9 // 8)
    memory = EdacMemory(region, interleave=depth)
    memory.write(0, rng.integers(0, 256, memory.data_octets, dtype=np.uint8).tobytes())
    return memory


def _numpy_scrub(depth: int) -> Callable[[NDArray[np.uint64], NDArray[np.uint8]], int]:
    """The interleaved clean check in numpy: words with a non-zero syndrome."""
    byte_values = np.arange(256, dtype=np.uint64)
    tables = [secded.encode(byte_values << np.uint64(8 * k)) for k in range(8)]

    def deinterleave(values: NDArray[np.generic], width: int) -> NDArray[np.uint8]:
        bits = np.unpackbits(values.view(np.uint8), bitorder="little").reshape(-1, width, depth)
        return np.packbits(bits.transpose(0, 2, 1).reshape(-1), bitorder="little")

    def check(words: NDArray[np.uint64], checks: NDArray[np.uint8]) -> int:
        octets = deinterleave(words, 64).reshape(-1, 8)
        computed = tables[0][octets[:, 0]]
        for k in range(1, 8):
            computed ^= tables[k][octets[:, k]]
        return int(np.count_nonzero(computed != deinterleave(checks, 8)))
    return check


def _numpy_peer(recorder: Recorder, memory: EdacMemory) -> float:
    """GB/s of the numpy interleaved check on the first 2 MiB of ``memory``."""
    words = memory.region.words[: (2 << 20) // 8]
    checks = memory.region.octets[memory.check_offset:][: len(words)]
    reference = _numpy_scrub(memory.interleave)
    assert reference(words, checks) == 0
    return _rate(recorder, lambda: reference(words, checks), words.nbytes) / GB


def _bench_scrub(recorder: Recorder, rng: np.random.Generator) -> None:
    size = (16 if recorder.quick else 128) << 20
    fastest = secded.available_interleaved_paths()[0]
    for depth in (1, 4, 8):
        memory = _memory(depth, size, rng)
        peer = _numpy_peer(recorder, memory)

        def scrub(m: EdacMemory = memory) -> None:
            m.scrub(0, m.data_octets)

        for path in secded.available_interleaved_paths():
            with _path(path):
                rate = _rate(recorder, scrub, memory.data_octets)
            recorder.add(f"edac scrub depth {depth} ({path})", rate / GB, "GB/s",
                         target=1.0 if depth == 4 and path == fastest else None,
                         peer="numpy", peer_value=peer,
                         note=f"{size >> 20} MiB clean store, one call; numpy peer on 2 MiB")


def _bench_read_write(recorder: Recorder, rng: np.random.Generator) -> None:
    size = (8 if recorder.quick else 64) << 20
    chunk = 1 << 20
    for depth in (1, 4, 8):
        memory = _memory(depth, size, rng)
        payload = rng.integers(0, 256, chunk, dtype=np.uint8).tobytes()
        calls = memory.data_octets // chunk

        def write_all(m: EdacMemory = memory, data: bytes = payload, n: int = calls) -> None:
            for index in range(n):
                m.write(index * len(data), data)

        def read_all(m: EdacMemory = memory, n: int = calls) -> None:
            for index in range(n):
                m.read(index * chunk, chunk)

        def read_blocks(m: EdacMemory = memory) -> None:
            for index in range(256):
                m.read(index * BLOCK, BLOCK)

        units = calls * chunk
        path = secded.interleaved_path()
        recorder.add(f"edac write depth {depth}", _rate(recorder, write_all, units) / MB, "MB/s",
                     target=300, note=f"1 MiB per call, path {path}")
        recorder.add(f"edac read depth {depth}", _rate(recorder, read_all, units) / MB, "MB/s",
                     target=300, note=f"1 MiB per call, path {path}")
        recorder.add(f"edac read depth {depth} 4 KiB calls",
                     _rate(recorder, read_blocks, 256 * BLOCK) / MB, "MB/s",
                     note="one block per call: Python call overhead dominates")


def _bench_erasure(recorder: Recorder, rng: np.random.Generator) -> None:
    coder = StripeCoder(8, 2)
    stripes = 16 if recorder.quick else 64
    data = [[rng.integers(0, 256, BLOCK, dtype=np.uint8).tobytes() for _ in range(8)]
            for _ in range(stripes)]
    parity = [coder.encode(stripe) for stripe in data]
    damaged = [[None, stripe[1], None, *stripe[3:], *p] for stripe, p in zip(data, parity,
                                                                           strict=True)]
    assert coder.reconstruct(damaged[0], 8) == data[0]
    units = stripes * 8 * BLOCK
    recorder.add("erasure 8+2 encode", _rate(
        recorder, lambda: [coder.encode(s) for s in data], units) / MB, "MB/s",
        note="data octets, 4 KiB blocks, zfec")
    recorder.add("erasure 8+2 rebuild 2 data blocks", _rate(
        recorder, lambda: [coder.reconstruct(s, 8) for s in damaged], units) / MB, "MB/s",
        note="data octets of the stripe, 2 data blocks lost, 4 KiB blocks, zfec")


def run(recorder: Recorder) -> None:
    rng = np.random.default_rng(2026)
    _bench_scrub(recorder, rng)
    _bench_read_write(recorder, rng)
    _bench_erasure(recorder, rng)
