"""SECDED (72,64) EDAC of the mass memory: a Hsiao code, one check octet per 64-bit word.

Hsiao's minimum odd-weight-column code (IBM J. Res. Dev. 14(4), 1970) corrects any single
bit error in the 72-bit codeword (data or check bit) and detects any double error, as the
EDAC of flight mass memories does. Data bit b is bit b of the word's value (bit 0 = least
significant). The C kernel runs with the GIL released (cffi releases it around every call),
so a scrub of a large array does not block other Python threads. On x86-64 an AVX2 path is
chosen at run time when the CPU has it; :func:`active_path` says which one runs.

:func:`encode_interleaved` and :func:`check_interleaved` store groups of 1, 2, 4 or 8 words
bit-interleaved, so that adjacent physical bits belong to different codewords (a multi-bit
upset of up to ``depth`` adjacent cells stays correctable). They gather bits with BMI2
pext/pdep and check with AVX2 when the CPU has both (:func:`interleaved_path`), else with
portable shift-and-mask code; a clean scrub on the portable path tests whole groups with
syndrome tables on the interleaved octets, without de-interleaving them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from firmware_stubs._loader import load_kernel
from firmware_stubs.errors import KernelArgumentError

PORTABLE = "portable"

_ffi, _lib = load_kernel("secded")
_lib.fw_secded_init()
_FASTEST: str = _ffi.string(_lib.fw_secded_path()).decode()


@dataclass(frozen=True)
class SecdedResult:
    """Outcome of :func:`check`."""

    corrected: int
    """Words with a single-bit error (data or check bit), corrected when asked to."""
    uncorrectable: int
    """Words with a detected double (or other even) error."""
    corrected_indices: NDArray[np.int64]
    """Indices of the first ``max_report`` corrected words, ascending."""
    uncorrectable_indices: NDArray[np.int64]
    """Indices of the first ``max_report`` uncorrectable words, ascending."""


def active_path() -> str:
    """The check path in use: ``"avx2"`` or ``"portable"``."""
    path: str = _ffi.string(_lib.fw_secded_path()).decode()
    return path


def available_paths() -> tuple[str, ...]:
    """The paths this CPU can run, fastest first."""
    return (_FASTEST,) if _FASTEST == PORTABLE else (_FASTEST, PORTABLE)


def select_path(path: str) -> None:
    """Use ``path`` (one of :func:`available_paths`) from now on, in every thread."""
    if path not in available_paths():
        raise KernelArgumentError(f"SECDED path {path!r} is not one of {available_paths()}")
    _lib.fw_secded_select(int(path != PORTABLE))


def _array(value: Any, name: str, dtype: type[np.generic], writable: bool) -> NDArray[Any]:
    """``value`` if it is a 1-D C-contiguous native ``dtype`` array (writable if asked)."""
    if not isinstance(value, np.ndarray):
        raise KernelArgumentError(f"{name} must be a numpy array, not {type(value).__name__}")
    if value.dtype != np.dtype(dtype) or value.ndim != 1 or not value.flags.c_contiguous:
        raise KernelArgumentError(
            f"{name} must be a 1-D C-contiguous numpy array of {np.dtype(dtype)}, got "
            f"dtype {value.dtype} with shape {value.shape}"
            + ("" if value.flags.c_contiguous else " (not contiguous)")
        )
    if writable and not value.flags.writeable:
        raise KernelArgumentError(f"{name} must be writable to correct errors in place")
    return value


def encode(words: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """One check octet per 64-bit word."""
    data = _array(words, "words", np.uint64, writable=False)
    checks = np.empty(len(data), dtype=np.uint8)
    _lib.fw_secded_encode(_ffi.from_buffer("uint64_t[]", data), len(data),
                          _ffi.from_buffer("uint8_t[]", checks))
    return checks


def check(words: NDArray[np.uint64], checks: NDArray[np.uint8], *, correct: bool = True,
          max_report: int = 4096) -> SecdedResult:
    """Check every word against its check octet (a scrub pass).

    With ``correct`` single errors are repaired in place in ``words``/``checks`` (both must
    be writable); words with an uncorrectable error are left untouched.
    """
    data = _array(words, "words", np.uint64, writable=correct)
    octets = _array(checks, "checks", np.uint8, writable=correct)
    if len(octets) != len(data):
        raise KernelArgumentError(
            f"checks holds {len(octets)} octets for {len(data)} words; they must match"
        )
    if max_report < 0:
        raise KernelArgumentError(f"max_report must be >= 0, not {max_report}")
    slots = max(1, min(max_report, len(data)))
    corrected_idx = np.empty(slots, dtype=np.int64)
    uncorrectable_idx = np.empty(slots, dtype=np.int64)
    counts = _ffi.new("size_t[2]")
    _lib.fw_secded_check(
        _ffi.from_buffer("uint64_t[]", data), _ffi.from_buffer("uint8_t[]", octets), len(data),
        int(correct), _ffi.from_buffer("int64_t[]", corrected_idx),
        _ffi.from_buffer("int64_t[]", uncorrectable_idx), min(max_report, len(data)),
        counts, counts + 1,
    )
    corrected, uncorrectable = int(counts[0]), int(counts[1])
    return SecdedResult(
        corrected=corrected,
        uncorrectable=uncorrectable,
        corrected_indices=corrected_idx[: min(corrected, max_report)].copy(),
        uncorrectable_indices=uncorrectable_idx[: min(uncorrectable, max_report)].copy(),
    )


# -- interleaved layout ----------------------------------------------------------------------

DEPTHS = (1, 2, 4, 8)
"""Interleaving depths the kernel supports (logical words per group)."""
BMI2 = "bmi2"


def interleaved_path() -> str:
    """The interleaved path in use: ``"bmi2"`` (pext/pdep, AVX2 check) or ``"portable"``."""
    path: str = _ffi.string(_lib.fw_secded_il_path()).decode()
    return path


_FASTEST_IL: str = interleaved_path()


def available_interleaved_paths() -> tuple[str, ...]:
    """The interleaved paths this CPU can run, fastest first."""
    return (_FASTEST_IL,) if _FASTEST_IL == PORTABLE else (_FASTEST_IL, PORTABLE)


def select_interleaved_path(path: str) -> None:
    """Use ``path`` (one of :func:`available_interleaved_paths`) from now on, in every
    thread."""
    if path not in available_interleaved_paths():
        raise KernelArgumentError(
            f"interleaved SECDED path {path!r} is not one of {available_interleaved_paths()}")
    _lib.fw_secded_il_select(int(path != PORTABLE))


def _depth(depth: int, words: int) -> int:
    if depth not in DEPTHS:
        raise KernelArgumentError(f"interleaving depth must be one of {DEPTHS}, not {depth!r}")
    if words % depth:
        raise KernelArgumentError(f"{words} words are not whole groups of {depth}")
    return depth


def _output(value: NDArray[Any] | None, name: str, dtype: type[np.generic],
            length: int) -> NDArray[Any]:
    if value is None:
        return np.empty(length, dtype=dtype)
    array = _array(value, name, dtype, writable=True)
    if len(array) != length:
        raise KernelArgumentError(f"{name} holds {len(array)} items, {length} are needed")
    return array


def encode_interleaved(
    words: NDArray[np.uint64], depth: int, *, out_words: NDArray[np.uint64] | None = None,
    out_checks: NDArray[np.uint8] | None = None,
) -> tuple[NDArray[np.uint64], NDArray[np.uint8]]:
    """The physical words and check octets of logical ``words`` stored interleaved at
    ``depth`` (group k of ``depth`` words: logical bit j of word i is physical bit
    ``j * depth + i`` of the group, check bit r of word i is bit ``r * depth + i`` of the
    group's check octets). ``out_words`` may be ``words`` itself (in place)."""
    data = _array(words, "words", np.uint64, writable=False)
    _depth(depth, len(data))
    physical = _output(out_words, "out_words", np.uint64, len(data))
    checks = _output(out_checks, "out_checks", np.uint8, len(data))
    _lib.fw_secded_encode_il(_ffi.from_buffer("uint64_t[]", data), len(data), depth,
                             _ffi.from_buffer("uint64_t[]", physical),
                             _ffi.from_buffer("uint8_t[]", checks))
    return physical, checks


def check_interleaved(
    words: NDArray[np.uint64], checks: NDArray[np.uint8], depth: int, *, correct: bool = True,
    decoded: NDArray[np.uint64] | None = None, max_report: int = 4096,
) -> SecdedResult:
    """Check interleaved physical ``words`` against their check octets (a scrub pass).

    Indices are logical word indices. With ``decoded`` (an array as long as ``words``) the
    logical words are written there with single errors corrected (uncorrectable words as
    read). With ``correct`` single errors are repaired in place in ``words``/``checks``
    (both must be writable); words with an uncorrectable error are left untouched.
    """
    data = _array(words, "words", np.uint64, writable=correct)
    octets = _array(checks, "checks", np.uint8, writable=correct)
    if len(octets) != len(data):
        raise KernelArgumentError(
            f"checks holds {len(octets)} octets for {len(data)} words; they must match")
    _depth(depth, len(data))
    if max_report < 0:
        raise KernelArgumentError(f"max_report must be >= 0, not {max_report}")
    out = _ffi.NULL if decoded is None else _ffi.from_buffer(
        "uint64_t[]", _output(decoded, "decoded", np.uint64, len(data)))
    reported = min(max_report, len(data))
    corrected_idx = np.empty(reported, dtype=np.int64)
    uncorrectable_idx = np.empty(reported, dtype=np.int64)
    counts = _ffi.new("size_t[2]")
    _lib.fw_secded_check_il(
        _ffi.from_buffer("uint64_t[]", data), _ffi.from_buffer("uint8_t[]", octets), len(data),
        depth, int(correct), out, _indices(corrected_idx), _indices(uncorrectable_idx),
        reported, counts, counts + 1,
    )
    corrected, uncorrectable = int(counts[0]), int(counts[1])
    return SecdedResult(
        corrected=corrected,
        uncorrectable=uncorrectable,
        corrected_indices=corrected_idx[: min(corrected, reported)].copy(),
        uncorrectable_indices=uncorrectable_idx[: min(uncorrectable, reported)].copy(),
    )


def _indices(array: NDArray[np.int64]) -> Any:
    """A C pointer to an index array (NULL when empty: the kernel then records none)."""
    return _ffi.from_buffer("int64_t[]", array) if len(array) else _ffi.NULL
