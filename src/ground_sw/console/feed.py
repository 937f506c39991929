"""The console's inbox: records and transfer progress from other threads, drained by the UI.

Listeners run in the link thread and must not block (docs/ground.md "Listeners"), and a
textual app must only be touched from its own thread. :class:`RecordFeed` takes records
(a :class:`~ground_sw.records.Listener`) and transfer updates into a lock-protected list;
the console drains it at each refresh (10 Hz), so a burst of telemetry costs one screen
update, not one per sample.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ground_sw.records import Record


@dataclass(frozen=True)
class TransferUpdate:
    """Progress of a console file transfer: octets so far, size once known, and the end."""

    key: str
    octets: int
    size: int | None
    finished: bool = False
    result: str = ""
    """How it ended (a success summary or the error), when finished."""
    succeeded: bool = False


class RecordFeed:
    """A thread-safe inbox of records and transfer updates (a ground records Listener)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._transfers: dict[str, TransferUpdate] = {}
        self.taken = 0

    def on_record(self, record: Record) -> None:
        """Take one record from any thread; never blocks beyond a list append."""
        with self._lock:
            self._records.append(record)
            self.taken += 1

    def transfer(self, update: TransferUpdate) -> None:
        """Take a transfer update from any thread (only the latest per transfer is kept)."""
        with self._lock:
            self._transfers[update.key] = update

    def drain(self) -> tuple[list[Record], list[TransferUpdate]]:
        """Everything taken since the last drain, in arrival order."""
        with self._lock:
            records, self._records = self._records, []
            transfers, self._transfers = list(self._transfers.values()), {}
        return records, transfers
