"""Parameters of the compute workloads, one frozen dataclass per kind, and the engine limits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar


class JobKind(IntEnum):
    """The workloads (dictionary KINDS; the submit subtype is the kind + 1)."""

    SHA256 = 0
    COMPRESS = 1
    DECOMPRESS = 2
    INFERENCE = 3
    SEARCH = 4


class Algorithm(IntEnum):
    """Compression formats of the standard library (dictionary ALGORITHMS)."""

    ZLIB = 0
    """RFC 1950 zlib stream."""
    LZMA = 1
    """.xz container (LZMA2)."""


@dataclass(frozen=True)
class HashParams:
    """SHA-256 of the input (FIPS 180-4); the result is the 32-octet digest."""

    kind: ClassVar[JobKind] = JobKind.SHA256


@dataclass(frozen=True)
class CompressParams:
    """Compress the input; ``level`` is the zlib level or the lzma preset (0..9)."""

    algorithm: Algorithm
    level: int = 6
    kind: ClassVar[JobKind] = JobKind.COMPRESS


@dataclass(frozen=True)
class DecompressParams:
    """Decompress one zlib stream or one .xz stream, nothing after it."""

    algorithm: Algorithm
    kind: ClassVar[JobKind] = JobKind.DECOMPRESS


@dataclass(frozen=True)
class InferenceParams:
    """A two-layer perceptron over the input as rows of ``inputs`` octets (docs/compute.md)."""

    seed: int
    inputs: int
    hidden: int
    outputs: int
    kind: ClassVar[JobKind] = JobKind.INFERENCE


@dataclass(frozen=True)
class SearchParams:
    """Count the non-overlapping occurrences of ``pattern`` and list the lines they start on."""

    pattern: bytes
    kind: ClassVar[JobKind] = JobKind.SEARCH


WorkloadParams = HashParams | CompressParams | DecompressParams | InferenceParams | SearchParams


@dataclass(frozen=True)
class Limits:
    """How much one slice of a job may do, and how large a result may grow."""

    chunk_octets: int = 64 * 1024
    """Input octets read (and output octets produced by decompression) per slice."""
    slice_macs: int = 1 << 22
    """Multiply-accumulates per inference slice (at least one row)."""
    slice_weights: int = 1 << 18
    """Random weights drawn per inference set-up slice."""
    max_result_octets: int = 64 << 20
    """Largest result object (the store's writer may hold it in memory until the commit)."""
