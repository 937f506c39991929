"""The storage service 128 on the standard-service bench: a dispatcher, collecting emit and
bulk channels, a simulated clock and scheduler, over the fake store and scrubber (real
ObjectStore tests live in test_real_store.py). Reports are decoded with the codec from the
field layouts of the ICD (docs/icd.md 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccsds.mission_db.codec import decode_fields
from ccsds.pus_types import Value
from flight_sw.file_transfer import FileTransfer
from flight_sw.services.storage import StorageService, install_storage
from flight_sw.storage import dictionary as layout
from tests.flight_sw.file_transfer.helpers import CONFIG, FAST
from tests.flight_sw.services.helpers import Bench, Report
from tests.flight_sw.storage_service.fakes import FakeScrubber, FakeStore


def decode(fields: Any, data: bytes) -> dict[str, Value]:
    values, end = decode_fields(fields, data, 0, "report")
    assert end == len(data)
    return values


def decode_list(data: bytes) -> tuple[dict[str, Value], list[dict[str, Value]]]:
    header, offset = decode_fields(layout.LIST_HEADER, data, 0, "list")
    entries = []
    for _ in range(int(header["count"])):  # type: ignore[call-overload]
        entry, offset = decode_fields(layout.LIST_ENTRY, data, offset, "list entry")
        entries.append(entry)
    assert offset == len(data)
    return header, entries


class StorageBench(Bench):
    """Bench with service 128 installed; ``bulk`` collects the bulk-VC reports."""

    def __init__(self, state_dir: Path | None, store: Any = None, scrubber: Any = None) -> None:
        super().__init__(state_dir)
        self.store = store if store is not None else FakeStore()
        self.scrubber = scrubber if scrubber is not None else FakeScrubber()
        self.bulk: list[Report] = []
        self.cfdp_packets: list[bytes] = []
        self.transfer = FileTransfer(CONFIG, self.store, self.cfdp_packets.append,
                                     settings=FAST)
        self.storage: StorageService = install_storage(
            self.dispatcher, self.emit, self.send_bulk, self.services.events, self.store,
            self.scrubber, self.scheduler, self.clock, self.pool.database,
            file_transfer=self.transfer, pool=self.pool)

    def send_bulk(self, service: int, subtype: int, data: bytes) -> None:
        self.bulk.append((service, subtype, data))
