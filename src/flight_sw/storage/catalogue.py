"""The in-memory catalogue: objects by name, the owner of every data block (object, free,
pending or retired), the bad-block list and the health counters. It is rebuilt at open from
the newest checkpoint plus the journal; free space is whatever no committed object owns, so
the blocks of a put cut short by a power loss are free again after recovery."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from flight_sw.storage.api import ObjectNotFoundError, StoreFullError
from flight_sw.storage.records import Counters, Entry, JournalRecord, RecordKind, Snapshot

FREE = -1
PENDING = -2
"""Allocated to a put not yet committed."""
BAD = -3
"""Retired: never allocated again."""


class Catalogue:
    """Objects and block ownership of one store."""

    def __init__(self, total_blocks: int, max_objects: int) -> None:
        self.total_blocks = total_blocks
        self.max_objects = max_objects
        self.entries: dict[str, Entry] = {}
        self.owner: NDArray[np.int32] = np.full(total_blocks, FREE, dtype=np.int32)
        self.counters = Counters()
        self._ids: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._next_id = 0
        self._cursor = 0

    # -- state -------------------------------------------------------------------------------

    def entry(self, name: str) -> Entry:
        """The entry of ``name``, else :class:`api.ObjectNotFoundError`."""
        try:
            return self.entries[name]
        except (KeyError, TypeError):  # TypeError: not even hashable, so not a name
            raise ObjectNotFoundError(f"no object named {name!r}") from None

    def owner_of(self, block: int) -> Entry | None:
        """The entry holding data block ``block``, if any."""
        owner = int(self.owner[block])
        return self.entries[self._names[owner]] if owner >= 0 else None

    @property
    def bad_blocks(self) -> list[int]:
        return [int(block) for block in np.flatnonzero(self.owner == BAD)]

    def count(self, state: int) -> int:
        return int(np.count_nonzero(self.owner == state))

    @property
    def used_blocks(self) -> int:
        return int(np.count_nonzero(self.owner >= 0))

    def snapshot(self) -> Snapshot:
        ordered = [self.entries[name] for name in sorted(self.entries)]
        return Snapshot(ordered, self.bad_blocks, Counters(**vars(self.counters)))

    def load(self, snapshot: Snapshot) -> None:
        """Replace the state with a checkpoint's."""
        self.entries.clear()
        self._ids.clear()
        self._names.clear()
        self.owner.fill(FREE)
        self.counters = Counters(**vars(snapshot.counters))
        self._retire(snapshot.bad_blocks)
        for entry in snapshot.entries:
            self._upsert(entry)

    # -- changes (journal records) -------------------------------------------------------------

    def apply(self, record: JournalRecord) -> None:
        """Apply a committed journal record."""
        if record.kind is RecordKind.UPSERT and record.entry is not None:
            self._upsert(record.entry)
        elif record.kind is RecordKind.DELETE:
            self._delete(record.name)
        elif record.kind is RecordKind.RETIRE:
            self._retire(record.blocks)
        elif record.kind is RecordKind.COUNTERS and record.counters is not None:
            self.counters = Counters(**vars(record.counters))

    def _valid_blocks(self, blocks: NDArray[np.uint32]) -> NDArray[np.int64]:
        indices = blocks.astype(np.int64)
        return indices[indices < self.total_blocks]

    def _upsert(self, entry: Entry) -> None:
        old = self._ids.get(entry.name)
        if old is None:
            old = self._next_id
            self._next_id += 1
            self._ids[entry.name], self._names[old] = old, entry.name
        else:
            self.owner[self.owner == old] = FREE
        self.owner[self._valid_blocks(entry.blocks)] = old
        self.entries[entry.name] = entry

    def _delete(self, name: str) -> None:
        ident = self._ids.pop(name, None)
        if ident is None:
            return
        del self._names[ident]
        del self.entries[name]
        self.owner[self.owner == ident] = FREE

    def _retire(self, blocks: tuple[int, ...] | list[int]) -> None:
        valid = [block for block in blocks if 0 <= block < self.total_blocks]
        self.owner[valid] = BAD

    # -- allocation ----------------------------------------------------------------------------

    def check_room(self, name: str) -> None:
        """Raise :class:`api.StoreFullError` if a new object ``name`` would exceed the catalogue."""
        if name not in self.entries and len(self.entries) >= self.max_objects:
            raise StoreFullError(f"the catalogue holds its maximum of {self.max_objects} objects")

    def allocate(self, count: int) -> NDArray[np.uint32]:
        """``count`` free blocks, next-fit from the last allocation (so a fresh store fills in
        long contiguous runs), marked pending; :class:`api.StoreFullError` if too few."""
        if count == 0:
            return np.empty(0, dtype=np.uint32)
        free = np.flatnonzero(self.owner == FREE)
        if len(free) < count:
            raise StoreFullError(f"{count} blocks needed, {len(free)} free")
        start = int(np.searchsorted(free, self._cursor))
        chosen = np.concatenate((free[start:start + count],
                                 free[:max(0, count - (len(free) - start))]))
        self.owner[chosen] = PENDING
        self._cursor = int(chosen[-1]) + 1
        return chosen.astype(np.uint32)

    def release(self, blocks: NDArray[np.uint32]) -> None:
        """Return pending blocks of an abandoned put to the free space."""
        indices = self._valid_blocks(blocks)
        pending = indices[self.owner[indices] == PENDING]
        self.owner[pending] = FREE
