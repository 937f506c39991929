"""What the object store offers the rest of the flight software (services, file transfer,
compute jobs): typed errors, object and health records, and the store's protocol.

The implementation is :class:`flight_sw.storage.store.ObjectStore`; this module holds no
behaviour, so services can be written and read without the storage internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol, TypeAlias

Buffer: TypeAlias = bytes | bytearray | memoryview

MAX_NAME_OCTETS = 64
"""Longest object name (UTF-8 octets); names are printable, without NUL or '/' at the ends."""


class StorageError(Exception):
    """Base of every error the store raises for a request it cannot carry out."""


class InvalidNameError(StorageError):
    """An object name is empty, too long or has forbidden characters."""


class ObjectNotFoundError(StorageError):
    """No object has that name."""


class StoreFullError(StorageError):
    """Not enough free blocks for the object (nothing was changed)."""


class DataLostError(StorageError):
    """An object's data could not be read back intact (beyond EDAC and the erasure code);
    the object is marked LOST and a read never returns the damaged octets."""


class KeyUnavailableError(StorageError):
    """The key an object is sealed under (or a put names) cannot be used: unknown, destroyed
    (crypto-erase), not a session key, not ACTIVE for a put, or no key store attached
    (docs/storage.md, "Data at rest")."""


class ObjectState(IntEnum):
    """Health of one object, as the last read, verify or scrub found it."""

    INTACT = 0
    REPAIRED = 1
    LOST = 2


@dataclass(frozen=True)
class ObjectInfo:
    """Catalogue entry of one object."""

    name: str
    size: int
    sha256: bytes
    created: float
    """Store clock (seconds) when the object was committed."""
    state: ObjectState
    blocks: int
    """Physical blocks in use, parity included."""
    key_id: int | None = None
    """Key the object is sealed under (AES-256-GCM at rest), None for a plaintext object."""
    readable: bool = True
    """False when the object's key is unavailable (destroyed: crypto-erased); its ``sha256``
    then reads as 32 zero octets."""


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of reading an object back against its SHA-256."""

    name: str
    state: ObjectState
    corrected_words: int
    repaired_blocks: int


@dataclass(frozen=True)
class StoreHealth:
    """Capacity and error counters for housekeeping (counters since the store was formatted
    unless said otherwise)."""

    capacity_bytes: int
    used_bytes: int
    free_bytes: int
    objects: int
    bad_blocks: int
    corrected_words: int
    uncorrectable_words: int
    repaired_blocks: int
    lost_blocks: int
    scrub_passes: int
    last_pass_duration_s: float
    scrub_progress: float
    """Fraction of the current patrol pass done, 0..1."""
    scrub_period_s: float
    """Current patrol period (shorter when the corrected-error rate rises)."""


class ObjectWriter(Protocol):
    """A streamed put (file transfer): octets at offsets, then commit or abort."""

    def write(self, offset: int, data: Buffer) -> None:
        """Store ``data`` at ``offset`` of the new object."""
        ...

    def commit(self) -> ObjectInfo:
        """Make the object visible atomically (replacing one of the same name)."""
        ...

    def abort(self) -> None:
        """Drop what was written; the store is as before."""
        ...


class Store(Protocol):
    """The object store as services see it. Every method may raise :class:`StorageError`."""

    def put(self, name: str, data: Buffer, *, key_id: int | None = None) -> ObjectInfo:
        """Store an object atomically (replacing one of the same name); durable on return.
        With ``key_id`` the object is sealed under that key at rest."""
        ...

    def writer(self, name: str, size_hint: int = 0, *,
               key_id: int | None = None) -> ObjectWriter:
        """Start a streamed put (sealed under ``key_id`` when given)."""
        ...

    def get(self, name: str) -> bytes:
        """The whole object, checked against its SHA-256 (repaired when it can be)."""
        ...

    def read(self, name: str, offset: int, length: int) -> bytes:
        """Part of an object, checked by block CRC-32C (repaired when it can be)."""
        ...

    def info(self, name: str) -> ObjectInfo:
        """The catalogue entry of one object."""
        ...

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Catalogue entries whose name starts with ``prefix``, sorted by name."""
        ...

    def exists(self, name: str) -> bool:
        """Whether an object has that name."""
        ...

    def delete(self, name: str) -> None:
        """Remove an object and free its blocks."""
        ...

    def verify(self, name: str) -> VerifyResult:
        """Read an object back fully and check it, repairing what can be repaired."""
        ...

    def health(self) -> StoreHealth:
        """Capacity and counters for housekeeping."""
        ...

    def names(self) -> Iterator[str]:
        """Every object name, sorted."""
        ...
