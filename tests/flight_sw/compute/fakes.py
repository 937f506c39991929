"""Test doubles of the compute tests.

:class:`MemoryStore` keeps objects in a dict behind the :class:`flight_sw.storage.api.Store`
protocol. It does not model: EDAC, block CRCs or the erasure code (an object is intact or,
when a test calls :meth:`MemoryStore.lose`, lost as a whole), the journal, durability across
restarts, block allocation (capacity is a plain octet count), repairs or sealing at rest
(a ``key_id`` is only recorded in the object's info; nothing is encrypted or checked).

:class:`CorruptingStore` wraps any store and flips one bit in what one chosen read returns:
silent corruption after the store's checks (a bit flip in RAM), which only DMR can catch.

:class:`SteppingTimer` is a clock that moves a fixed amount each time it is read, standing
in for the wall time a slice takes; it does not model the real time of anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from flight_sw.storage.api import (
    Buffer,
    DataLostError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectState,
    ObjectWriter,
    Store,
    StoreFullError,
    StoreHealth,
    VerifyResult,
)


class _Writer:
    def __init__(self, store: MemoryStore, name: str, key_id: int | None) -> None:
        self.store, self.name, self.data, self.key_id = store, name, bytearray(), key_id

    def write(self, offset: int, data: Buffer) -> None:
        end = offset + len(data)
        self.data.extend(bytes(max(0, end - len(self.data))))
        self.data[offset:end] = data

    def commit(self) -> ObjectInfo:
        return self.store.put(self.name, bytes(self.data), key_id=self.key_id)

    def abort(self) -> None:
        self.data.clear()


@dataclass
class MemoryStore:
    """Objects in a dict (see the module docstring for what it does not model)."""

    capacity: int = 1 << 30
    objects: dict[str, bytes] = field(default_factory=dict)
    infos: dict[str, ObjectInfo] = field(default_factory=dict)
    puts: int = 0
    reads: int = 0

    def put(self, name: str, data: Buffer, *, key_id: int | None = None) -> ObjectInfo:
        octets = bytes(data)
        used = sum(len(v) for k, v in self.objects.items() if k != name)
        if used + len(octets) > self.capacity:
            raise StoreFullError(f"{len(octets)} octets do not fit")
        self.puts += 1
        self.objects[name] = octets
        info = ObjectInfo(name, len(octets), hashlib.sha256(octets).digest(), 0.0,
                          ObjectState.INTACT, 1, key_id=key_id)
        self.infos[name] = info
        return info

    def writer(self, name: str, size_hint: int = 0, *,
               key_id: int | None = None) -> ObjectWriter:
        return _Writer(self, name, key_id)

    def _intact(self, name: str) -> bytes:
        info = self.info(name)
        if info.state is ObjectState.LOST:
            raise DataLostError(f"{name} is lost")
        return self.objects[name]

    def get(self, name: str) -> bytes:
        return self._intact(name)

    def read(self, name: str, offset: int, length: int) -> bytes:
        self.reads += 1
        return self._intact(name)[offset:offset + length]

    def info(self, name: str) -> ObjectInfo:
        try:
            return self.infos[name]
        except KeyError:
            raise ObjectNotFoundError(name) from None

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        return [self.infos[n] for n in sorted(self.infos) if n.startswith(prefix)]

    def exists(self, name: str) -> bool:
        return name in self.infos

    def delete(self, name: str) -> None:
        self.info(name)
        del self.objects[name], self.infos[name]

    def verify(self, name: str) -> VerifyResult:
        return VerifyResult(name, self.info(name).state, 0, 0)

    def health(self) -> StoreHealth:
        used = sum(map(len, self.objects.values()))
        return StoreHealth(self.capacity, used, self.capacity - used, len(self.objects),
                           0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0)

    def names(self) -> Iterator[str]:
        return iter(sorted(self.infos))

    def lose(self, name: str) -> None:
        """Mark an object LOST: every later read raises DataLostError."""
        info = self.info(name)
        self.infos[name] = ObjectInfo(info.name, info.size, info.sha256, info.created,
                                      ObjectState.LOST, info.blocks)


class CorruptingStore:
    """Delegates to ``store``; the ``corrupt_read``-th read of the object at offset 0
    (counting from 1) comes back with its first bit flipped."""

    def __init__(self, store: Store, corrupt_read: int) -> None:
        self.store = store
        self.corrupt_read = corrupt_read
        self.first_reads = 0

    def read(self, name: str, offset: int, length: int) -> bytes:
        data = self.store.read(name, offset, length)
        if offset == 0:
            self.first_reads += 1
            if self.first_reads == self.corrupt_read and data:
                return bytes([data[0] ^ 0x01]) + data[1:]
        return data

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


@dataclass
class SteppingTimer:
    """Advances ``step_s`` every time it is read."""

    step_s: float
    now: float = 0.0

    def __call__(self) -> float:
        self.now += self.step_s
        return self.now
