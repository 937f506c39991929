"""The CFDP virtual filestore (CCSDS 727.0-B-5 6.1.5) over the payload's object store.

A file name is an object name. Files sent to the ground are read from committed objects. A
file arriving from the ground is *staged*: the entity writes and reads it back (the receiver
verifies the file checksum before completing, 727.0-B-5 4.6.1.2.8) in a buffer of this
adapter, and the transfer commits it through an :class:`~flight_sw.storage.api.ObjectWriter`
only once the file is complete with a good checksum (:meth:`commit`), or drops it
(:meth:`abort`): a cancelled, abandoned or failed upload leaves the store unchanged. The store's
writer cannot be read back, hence the buffer; ``max_staged_octets`` bounds it.

An uplinked file is sealed at rest under the key :attr:`ObjectFilestore.uplink_key_id` names
when its first PDU arrives (the STORE_UPLINK_KEY_ID setting; docs/storage.md, "Data at
rest"): a key that cannot seal refuses the file at once, with FILESTORE_REJECTION.

Directories and the rename/append/replace filestore requests (table 5-16) have no meaning in
a flat object store: they fail with FilestoreError, so the sender gets a failed filestore
response, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from ccsds.cfdp import FilestoreError
from flight_sw.storage.api import ObjectInfo, ObjectWriter, StorageError, Store

COMMIT_CHUNK = 1 << 20
"""Octets handed to the object writer per call when committing."""
DEFAULT_MAX_STAGED_OCTETS = 32 << 20
"""Largest total of uplinked octets held at once awaiting their checksum (RAM budget)."""

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Staged:
    """An uplinked file being received."""

    writer: ObjectWriter
    room: int
    """Octets the store had free when the file was created."""
    data: bytearray = field(default_factory=bytearray)


class ObjectFilestore:
    """A :class:`ccsds.cfdp.Filestore` whose files are objects of a :class:`Store`."""

    def __init__(self, store: Store, *,
                 max_staged_octets: int = DEFAULT_MAX_STAGED_OCTETS) -> None:
        self.store = store
        self.max_staged_octets = max_staged_octets
        self._staged: dict[str, _Staged] = {}
        self.uplink_key_id: Callable[[], int | None] = lambda: None
        """Key sealing uplinked files at rest (None: plaintext)."""

    # -- staging: what the file transfer decides ------------------------------------------

    @property
    def staged(self) -> tuple[str, ...]:
        """Names of the uplinked files not yet committed or aborted."""
        return tuple(self._staged)

    def staged_octets(self) -> int:
        """Octets held for uplinked files."""
        return sum(len(s.data) for s in self._staged.values())

    def commit(self, name: str) -> ObjectInfo:
        """Store the staged file ``name`` as an object (replacing one of that name).

        Raises StorageError (the staging is dropped then, the store unchanged) or KeyError
        when ``name`` is not staged.
        """
        staged = self._staged.pop(name)
        try:
            view = memoryview(staged.data)
            for offset in range(0, len(view), COMMIT_CHUNK):
                staged.writer.write(offset, view[offset:offset + COMMIT_CHUNK])
            return staged.writer.commit()
        except StorageError:
            staged.writer.abort()
            raise

    def abort(self, name: str) -> bool:
        """Drop the staged file ``name``; returns whether there was one."""
        staged = self._staged.pop(name, None)
        if staged is None:
            return False
        staged.writer.abort()
        return True

    # -- the Filestore protocol ------------------------------------------------------------

    def exists(self, name: str) -> bool:
        return name in self._staged or self._call(self.store.exists, name)

    def size(self, name: str) -> int:
        staged = self._staged.get(name)
        if staged is not None:
            return len(staged.data)
        return self._call(self.store.info, name).size

    def read(self, name: str, offset: int, length: int) -> bytes:
        staged = self._staged.get(name)
        if staged is not None:
            return bytes(staged.data[offset:offset + length])
        return self._call(self.store.read, name, offset, length)

    def create(self, name: str) -> None:
        """Start staging an uplinked file (FilestoreError if one of that name is already
        arriving, or the store refuses the name)."""
        if name in self._staged:
            raise FilestoreError(f"{name!r} is already being received")
        key_id = self.uplink_key_id()
        writer = self._call(self.store.writer, name) if key_id is None else self._call(
            self.store.writer, name, key_id=key_id)
        room = self._call(self.store.health).free_bytes
        self._staged[name] = _Staged(writer, room)

    def write(self, name: str, offset: int, data: bytes) -> None:
        if name not in self._staged:
            self.create(name)
        staged = self._staged[name]
        end = offset + len(data)
        if end > len(staged.data):
            growth = end - len(staged.data)
            if end > staged.room:
                raise FilestoreError(f"{name!r}: {end} octets exceed the free space")
            if self.staged_octets() + growth > self.max_staged_octets:
                raise FilestoreError(f"{name!r}: staging limit of {self.max_staged_octets} "
                                     "octets reached")
            staged.data.extend(bytes(growth))
        staged.data[offset:end] = data

    def delete(self, name: str) -> None:
        """Drop a staged file, else delete the object."""
        if not self.abort(name):
            self._call(self.store.delete, name)

    def rename(self, old: str, new: str) -> None:
        raise FilestoreError("the object store has no rename")

    def append(self, target: str, source: str) -> None:
        raise FilestoreError("the object store has no append")

    def replace(self, target: str, source: str) -> None:
        raise FilestoreError("the object store has no replace")

    def create_directory(self, name: str) -> None:
        raise FilestoreError("the object store has no directories")

    def remove_directory(self, name: str) -> None:
        raise FilestoreError("the object store has no directories")

    def directory_exists(self, name: str) -> bool:
        return False

    @staticmethod
    def _call(operation: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a store operation, its StorageError turned into a FilestoreError."""
        try:
            return operation(*args, **kwargs)
        except StorageError as exc:
            raise FilestoreError(f"{type(exc).__name__}: {exc}") from exc
