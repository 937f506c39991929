"""Throughput of the firmware_stubs C kernels (RS, SECDED, BCH, CRC-32C), with peers.

Peers are measured in the same run: reedsolo (pure Python) for RS, a numpy-vectorised check
for SECDED, zlib.crc32 for CRC-32C (a different polynomial, for scale only).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import reedsolo
from numpy.typing import NDArray

from benchmarks.harness import Recorder, best_rate
from firmware_stubs import bch, rs, secded
from firmware_stubs.crc32c import crc32c

MB = 1e6
GB = 1e9


def _timing(recorder: Recorder) -> dict[str, float]:
    return {"seconds": 0.1, "repeats": 2} if recorder.quick else {"seconds": 0.5, "repeats": 5}


def _rate(recorder: Recorder, work: Callable[[], object], units: float) -> float:
    return best_rate(work, units, **_timing(recorder))


def _reedsolo_codec() -> reedsolo.RSCodec:
    gamma = 1
    for _ in range(11):  # alpha^11 in GF(2^8) / 0x187 (CCSDS 131.0-B-5 4.3.2)
        gamma <<= 1
        if gamma & 0x100:
            gamma ^= 0x187
    return reedsolo.RSCodec(nsym=32, nsize=255, fcr=112, prim=0x187, generator=gamma, c_exp=8)


def _with_errors(codeblocks: bytes, per_codeword: int, rng: np.random.Generator) -> bytes:
    blocks = np.frombuffer(codeblocks, dtype=np.uint8).reshape(-1, 255).copy()
    for row in blocks:
        positions = rng.choice(255, per_codeword, replace=False)
        row[positions] ^= rng.integers(1, 256, per_codeword, dtype=np.uint8)
    return blocks.tobytes()


def _bench_rs(recorder: Recorder, rng: np.random.Generator) -> None:
    nblocks = 500 if recorder.quick else 4000
    messages = rng.integers(0, 256, 223 * nblocks, dtype=np.uint8).tobytes()
    codeblocks = rs.encode(messages)
    codec = _reedsolo_codec()
    sample = [messages[223 * i:223 * (i + 1)] for i in range(3)]
    peer_encode = _rate(recorder, lambda: [codec.encode(m) for m in sample], 223 * len(sample))
    recorder.add("rs(255,223) encode", _rate(recorder, lambda: rs.encode(messages),
                                              len(messages)) / MB, "MB/s", target=300,
                 peer="reedsolo", peer_value=peer_encode / MB,
                 note=f"message octets, dual basis, {nblocks} codeblocks per call")
    recorder.add("rs(255,223) clean check", _rate(recorder, lambda: rs.check(codeblocks),
                                                   len(codeblocks)) / MB, "MB/s", target=300,
                 note=f"codeblock octets, {nblocks} clean codeblocks per call")

    noisy_blocks = nblocks // 4
    noisy = _with_errors(codeblocks[:255 * noisy_blocks], 16, rng)
    assert rs.decode(noisy).data == messages[:223 * noisy_blocks]
    peer_sample = _with_errors(rs.to_conventional(codeblocks[:255]), 16, rng)
    peer_decode = _rate(recorder, lambda: codec.decode(peer_sample), 223)
    recorder.add("rs(255,223) decode, 16 errors/codeword",
                 _rate(recorder, lambda: rs.decode(noisy), 223 * noisy_blocks) / MB, "MB/s",
                 target=15, peer="reedsolo", peer_value=peer_decode / MB,
                 note=f"message octets, {noisy_blocks} codeblocks per call")


def _numpy_secded_check(tables: list[NDArray[np.uint8]]) -> Callable[..., int]:
    def check(words: NDArray[np.uint64], checks: NDArray[np.uint8]) -> int:
        octets = words.view(np.uint8).reshape(-1, 8)
        computed = tables[0][octets[:, 0]]
        for k in range(1, 8):
            computed ^= tables[k][octets[:, k]]
        return int(np.count_nonzero(computed != checks))
    return check


def _bench_secded(recorder: Recorder, rng: np.random.Generator) -> None:
    size = (16 if recorder.quick else 256) << 20
    words = rng.integers(0, 2**64, size // 8, dtype=np.uint64, endpoint=False)
    checks = secded.encode(words)
    rate = _rate(recorder, lambda: secded.check(words, checks), size)
    byte_values = np.arange(256, dtype=np.uint64)
    peer = _numpy_secded_check([secded.encode(byte_values << np.uint64(8 * k))
                                for k in range(8)])
    peer_words = words[: (4 << 20) // 8]
    assert peer(peer_words, checks[: len(peer_words)]) == 0
    peer_rate = _rate(recorder, lambda: peer(peer_words, checks[: len(peer_words)]),
                      peer_words.nbytes)
    recorder.add("secded(72,64) check 256 MiB", rate / GB, "GB/s", target=2.5,
                 peer="numpy", peer_value=peer_rate / GB,
                 note=f"{size >> 20} MiB clean array, correct=True, path "
                      f"{secded.active_path()}; numpy peer on 4 MiB")


def _bench_bch_crc(recorder: Recorder, rng: np.random.Generator) -> None:
    info = rng.integers(0, 256, 7 * (20_000 if recorder.quick else 150_000),
                        dtype=np.uint8).tobytes()
    codeblocks = bch.encode(info)
    recorder.add("bch(63,56) decode", _rate(recorder, lambda: bch.decode(codeblocks),
                                             len(codeblocks)) / MB, "MB/s",
                 note="codeblock octets, clean codeblocks")
    data = rng.integers(0, 256, (4 if recorder.quick else 64) << 20, dtype=np.uint8)
    recorder.add("crc32c", _rate(recorder, lambda: crc32c(data), data.nbytes) / GB, "GB/s",
                 peer="zlib.crc32", peer_value=_rate(recorder, lambda: zlib.crc32(data),
                                                     data.nbytes) / GB,
                 note="zlib.crc32 is CRC-32 (another polynomial), for scale")


def run(recorder: Recorder) -> None:
    """Record the kernel figures (see the module docstring)."""
    rng = np.random.default_rng(2024)
    _bench_rs(recorder, rng)
    _bench_secded(recorder, rng)
    _bench_bch_crc(recorder, rng)
