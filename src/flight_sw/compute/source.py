"""What a workload reads and produces: the input object in chunks, the result sink (counted
against the result limit, hashed, and streamed to the store's writer when there is one),
and the typed error a workload fails with."""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator

from flight_sw.services.verification import ErrorCode
from flight_sw.storage.api import (
    DataLostError,
    InvalidNameError,
    KeyUnavailableError,
    ObjectNotFoundError,
    ObjectWriter,
    StorageError,
    Store,
    StoreFullError,
)

Workload = Generator[float, None, None]
"""A job's computation: yields the fraction of its input done after each bounded slice,
putting its result octets into its :class:`ResultSink` as they come."""


class WorkloadError(Exception):
    """A workload cannot go on (bad input data, result too large); ``code`` is the PUS 1
    failure code reported for the job."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


_STORAGE_CODES: tuple[tuple[type[StorageError], ErrorCode], ...] = (
    (ObjectNotFoundError, ErrorCode.OBJECT_NOT_FOUND),
    (DataLostError, ErrorCode.DATA_LOST),
    (StoreFullError, ErrorCode.STORE_FULL),
    (InvalidNameError, ErrorCode.INVALID_OBJECT_NAME),
    (KeyUnavailableError, ErrorCode.KEY_UNAVAILABLE),
)


def storage_error_code(error: StorageError) -> ErrorCode:
    """The PUS 1 failure code of a store error (EXECUTION_FAILED for any other)."""
    return next((code for kind, code in _STORAGE_CODES if isinstance(error, kind)),
                ErrorCode.EXECUTION_FAILED)


class InputSource:
    """One stored object read in order, in chunks; every read is checked by the store
    (block CRC-32C, repaired or DataLostError)."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name
        self.size = store.info(name).size
        self.position = 0

    @property
    def fraction(self) -> float:
        """Share of the object read so far (1.0 for an empty object)."""
        return self.position / self.size if self.size else 1.0

    def chunks(self, octets: int) -> Iterator[bytes]:
        """The object in pieces of ``octets`` (the last one shorter)."""
        while self.position < self.size:
            length = min(octets, self.size - self.position)
            data = self.store.read(self.name, self.position, length)
            if len(data) != length:
                raise WorkloadError(ErrorCode.DATA_LOST,
                                    f"{self.name}: {len(data)} of {length} octets read")
            self.position += length
            yield data


class ResultSink:
    """The result octets of a workload in order: refused beyond ``limit``, hashed (SHA-256)
    and written to ``writer`` (none for a DMR re-run, which only needs the digest)."""

    def __init__(self, limit: int, writer: ObjectWriter | None = None) -> None:
        self.limit = limit
        self.writer = writer
        self.size = 0
        self._hash = hashlib.sha256()

    def reserve(self, octets: int) -> None:
        """Check that ``octets`` more would fit (WorkloadError if not); nothing is added."""
        if self.size + octets > self.limit:
            raise WorkloadError(ErrorCode.EXECUTION_FAILED,
                                f"result exceeds the {self.limit}-octet result limit")

    def add(self, data: bytes) -> None:
        """Append ``data`` (WorkloadError when the result would exceed the limit)."""
        self.reserve(len(data))
        if self.writer is not None:
            self.writer.write(self.size, data)
        self._hash.update(data)
        self.size += len(data)

    def digest(self) -> bytes:
        """SHA-256 of everything added."""
        return self._hash.digest()
