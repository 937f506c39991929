"""Expected harness results, computed on the host through the firmware_stubs wrappers.

Each function returns the octets harness.c writes for the same call (see protocol.py). The
SECDED results are computed on every path the host can select (AVX2 and portable, BMI2 and
portable) and must agree before they become the expectation.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from firmware_stubs import bch, rs, secded
from firmware_stubs.crc16 import crc16_ccitt
from firmware_stubs.crc32c import crc32c


class HostDisagreement(AssertionError):
    """The host's own paths (or a known-answer vector) disagree: no expectation exists."""


def words_bytes(words: NDArray[np.uint64]) -> bytes:
    """64-bit words as little-endian octets (the harness's word encoding)."""
    return words.astype("<u8").tobytes()


def words_of(data: bytes) -> NDArray[np.uint64]:
    """Little-endian octets as a native uint64 array."""
    return np.frombuffer(data, dtype="<u8").astype(np.uint64)


def crc16(data: bytes, init: int) -> bytes:
    return struct.pack("<H", crc16_ccitt(data, init))


def crc32(data: bytes, init: int) -> bytes:
    return struct.pack("<I", crc32c(data, init))


def bch_decode(codeblocks: bytes, max_blocks: int) -> bytes:
    result = bch.decode(codeblocks, max_blocks)
    return struct.pack("<IIB", result.blocks, result.corrected, result.stopped) + result.data


def rs_check(codeblocks: bytes, nroots: int, depth: int, dual: int) -> bytes:
    bad = rs.check(codeblocks, check_symbols=nroots, interleave=depth, dual_basis=bool(dual))
    return struct.pack("<I", bad)


def rs_decode(codeblocks: bytes, nroots: int, depth: int, dual: int,
              erasures: Sequence[int]) -> bytes:
    result = rs.decode(codeblocks, check_symbols=nroots, interleave=depth, dual_basis=bool(dual),
                       erasures=erasures or None)
    per_block = b"".join(
        struct.pack("<iB", corrected, index in result.failed_blocks)
        for index, corrected in enumerate(result.corrected_per_block)
    )
    return struct.pack("<I", result.uncorrectable_codewords) + per_block + result.data


def _report(result: secded.SecdedResult) -> bytes:
    return (struct.pack("<II", result.corrected, result.uncorrectable)
            + result.corrected_indices.astype("<i8").tobytes()
            + result.uncorrectable_indices.astype("<i8").tobytes())


def _on_every_path(compute: Callable[[], bytes], paths: tuple[str, ...],
                   select: Callable[[str], None], label: str) -> bytes:
    """``compute()`` on each SECDED path; they must agree (the fastest is restored after)."""
    results = {}
    try:
        for path in paths:
            select(path)
            results[path] = compute()
    finally:
        select(paths[0])
    if len(set(results.values())) != 1:
        raise HostDisagreement(f"{label}: host SECDED paths {paths} disagree")
    return results[paths[0]]


def secded_encode(words: NDArray[np.uint64]) -> bytes:
    return secded.encode(words).tobytes()


def secded_check(words: NDArray[np.uint64], checks: NDArray[np.uint8], correct: bool,
                 max_report: int, label: str) -> bytes:
    def compute() -> bytes:
        data, octets = words.copy(), checks.copy()
        result = secded.check(data, octets, correct=correct, max_report=max_report)
        return _report(result) + words_bytes(data) + octets.tobytes()

    return _on_every_path(compute, secded.available_paths(), secded.select_path, label)


def secded_encode_il(words: NDArray[np.uint64], depth: int, in_place: bool,
                     label: str) -> bytes:
    def compute() -> bytes:
        data = words.copy()
        physical, checks = secded.encode_interleaved(
            data, depth, out_words=data if in_place else None)
        return words_bytes(physical) + checks.tobytes()

    return _on_every_path(compute, secded.available_interleaved_paths(),
                          secded.select_interleaved_path, label)


def secded_check_il(words: NDArray[np.uint64], checks: NDArray[np.uint8], depth: int, *,
                    correct: bool, max_report: int, want_logical: bool, label: str) -> bytes:
    def compute() -> bytes:
        data, octets = words.copy(), checks.copy()
        decoded = np.empty_like(data) if want_logical else None
        result = secded.check_interleaved(data, octets, depth, correct=correct,
                                          decoded=decoded, max_report=max_report)
        logical = b"" if decoded is None else words_bytes(decoded)
        return _report(result) + logical + words_bytes(data) + octets.tobytes()

    return _on_every_path(compute, secded.available_interleaved_paths(),
                          secded.select_interleaved_path, label)


def host_paths() -> dict[str, str]:
    """The kernel paths the host wrappers run by default (fastest)."""
    return {"rs": rs.active_path(), "secded": secded.available_paths()[0],
            "secded_il": secded.available_interleaved_paths()[0]}
