"""Test doubles of the object store and the scrubber, for the service and file transfer tests.

FakeStore keeps whole objects in a dict and follows the api.Store contract (name rules,
atomic put/replace, streamed writers, typed errors, LOST objects never read back). It does NOT
model the medium: no blocks beyond a size-proportional count, no EDAC, erasure code, journal,
durability, power loss, bad blocks or repair; capacity counts object octets only (no parity
or catalogue overhead); ``lose(name)`` stands in for damage beyond repair. FakeScrubber counts
its steps and holds the health counters the tests set; it scrubs nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from flight_sw.storage.api import (
    MAX_NAME_OCTETS,
    Buffer,
    DataLostError,
    InvalidNameError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectState,
    StoreFullError,
    StoreHealth,
    VerifyResult,
)
from flight_sw.storage.config import StoreConfig

BLOCK = 4096


def check_name(name: str) -> None:
    """The api's name rule: printable UTF-8, 1..64 octets, no NUL, no '/' at either end."""
    octets = name.encode("utf-8", "surrogatepass")
    if (not name or len(octets) > MAX_NAME_OCTETS or not name.isprintable()
            or name.startswith("/") or name.endswith("/")):
        raise InvalidNameError(f"invalid object name {name!r}")


@dataclass
class FakeScrubber:
    """Records scrub slices; its configuration and period are what the service sets."""

    steps: list[tuple[float, float]] = field(default_factory=list)
    config: StoreConfig = field(default_factory=lambda: StoreConfig(scrub_period_s=600.0))
    period_s: float = 600.0

    def step(self, now: float, budget_s: float) -> None:
        self.steps.append((now, budget_s))

    def set_base_period(self, period_s: float) -> None:
        self.config = self.config.with_scrub_period(period_s)
        self.period_s = period_s


class FakeWriter:
    """A streamed put held in memory until commit."""

    def __init__(self, store: FakeStore, name: str) -> None:
        self.store = store
        self.name = name
        self.data = bytearray()
        self.done = False

    def write(self, offset: int, data: Buffer) -> None:
        assert not self.done, "write after commit/abort"
        end = offset + len(data)
        if end > len(self.data):
            self.data.extend(bytes(end - len(self.data)))
        self.data[offset:end] = data

    def commit(self) -> ObjectInfo:
        assert not self.done
        self.done = True
        self.store.writers.remove(self)
        return self.store.put(self.name, self.data)

    def abort(self) -> None:
        self.done = True
        if self in self.store.writers:
            self.store.writers.remove(self)


class FakeStore:
    """An in-memory api.Store (see the module docstring for what it leaves out)."""

    def __init__(self, capacity: int = 1 << 20, now: float = 0.0) -> None:
        self.capacity = capacity
        self.now = now
        self.objects: dict[str, tuple[bytes, ObjectInfo]] = {}
        self.writers: list[FakeWriter] = []
        self.health_counters = StoreHealth(capacity, 0, capacity, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0,
                                           600.0)
        self.verify_corrections: dict[str, int] = {}

    def _entry(self, name: str) -> tuple[bytes, ObjectInfo]:
        check_name(name)
        try:
            return self.objects[name]
        except KeyError:
            raise ObjectNotFoundError(f"no object {name!r}") from None

    def _intact(self, name: str) -> tuple[bytes, ObjectInfo]:
        data, info = self._entry(name)
        if info.state is ObjectState.LOST:
            raise DataLostError(f"{name!r} is lost")
        return data, info

    def used(self) -> int:
        return sum(len(data) for data, _ in self.objects.values())

    def put(self, name: str, data: Buffer) -> ObjectInfo:
        check_name(name)
        content = bytes(data)
        old = len(self.objects[name][0]) if name in self.objects else 0
        if self.used() - old + len(content) > self.capacity:
            raise StoreFullError(f"{len(content)} octets do not fit")
        info = ObjectInfo(name, len(content), hashlib.sha256(content).digest(), self.now,
                          ObjectState.INTACT, -(-len(content) // BLOCK))
        self.objects[name] = (content, info)
        return info

    def writer(self, name: str, size_hint: int = 0) -> FakeWriter:
        check_name(name)
        writer = FakeWriter(self, name)
        self.writers.append(writer)
        return writer

    def get(self, name: str) -> bytes:
        return self._intact(name)[0]

    def read(self, name: str, offset: int, length: int) -> bytes:
        return self._intact(name)[0][offset:offset + length]

    def info(self, name: str) -> ObjectInfo:
        return self._entry(name)[1]

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        return [info for name, (_, info) in sorted(self.objects.items())
                if name.startswith(prefix)]

    def exists(self, name: str) -> bool:
        return name in self.objects

    def delete(self, name: str) -> None:
        self._entry(name)
        del self.objects[name]

    def verify(self, name: str) -> VerifyResult:
        _, info = self._entry(name)
        if info.state is ObjectState.LOST:
            return VerifyResult(name, info.state, 0, 0)
        corrected = self.verify_corrections.pop(name, 0)
        if corrected:
            info = replace(info, state=ObjectState.REPAIRED)
            self.objects[name] = (self.objects[name][0], info)
        return VerifyResult(name, info.state, corrected, 1 if corrected else 0)

    def health(self) -> StoreHealth:
        used = self.used()
        return replace(self.health_counters, used_bytes=used, free_bytes=self.capacity - used,
                       objects=len(self.objects))

    def names(self) -> Iterator[str]:
        return iter(sorted(self.objects))

    def lose(self, name: str) -> None:
        """Mark an object damaged beyond repair."""
        data, info = self._entry(name)
        self.objects[name] = (data, replace(info, state=ObjectState.LOST))
