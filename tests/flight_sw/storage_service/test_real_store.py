"""Service 128 and the file transfer on the real ObjectStore and Scrubber (in-memory region,
faults injected below the EDAC with MemoryRegion.flip_bits): requests, housekeeping from the
store's health, scrubber events through the event service, CFDP uplink into an object."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from ccsds.mission_db import decode_event, decode_housekeeping
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage import dictionary as layout
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.scrubber import Scrubber
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.file_transfer.helpers import Channel, Exchange
from tests.flight_sw.services.helpers import GROUND_DB
from tests.flight_sw.storage.store_support import block_word, word_bits
from tests.flight_sw.storage_service.helpers import StorageBench, decode, decode_list

CONFIG = StoreConfig(max_objects=64, scrub_period_s=20.0, scrub_min_period_s=5.0,
                     scrub_chunk_octets=64 * 1024)
SIZE = 4 << 20


class RealBench(StorageBench):
    """The service bench over a real store on an in-memory region."""

    def __init__(self, state_dir: Path) -> None:
        self.region = MemoryRegion.in_memory("mass", "dram", SIZE)
        store = ObjectStore.open(self.region, CONFIG, clock=lambda: self.clock.now)  # late-bound
        super().__init__(state_dir, store=store, scrubber=Scrubber(store))
        store.on_event = self.storage.on_scrub_event  # as the application wires it

    def events(self) -> list[tuple[str, dict[str, object]]]:
        found = []
        for subtype in (1, 2, 3, 4):
            for data in self.take(5, subtype):
                event, values = decode_event(GROUND_DB, data)
                found.append((event.name, values))
        return found


@pytest.fixture
def real(tmp_path: Path) -> RealBench:
    return RealBench(tmp_path)


def test_requests_on_the_real_store(real: RealBench) -> None:
    data = random.Random(5).randbytes(5000)
    for name in ("b", "a"):
        assert real.outcome(real.command("STORE_PUT_INLINE", object_name=name,
                                         data=data)) == (7, None)
        real.reports.clear()
    real.command("STORE_INFO", object_name="a")
    (info,) = real.take(128, 5)
    assert decode(layout.INFO_REPORT, info)["sha256"] == hashlib.sha256(data).digest()
    real.command("STORE_LIST", prefix="")
    (listing,) = real.take(128, 3)
    assert [e["object_name"] for e in decode_list(listing)[1]] == ["a", "b"]
    real.command("STORE_GET_INLINE", object_name="a", offset=1000, length=3000)
    chunks = [decode(layout.DATA_REPORT, d) for *_, d in real.bulk]
    assert b"".join(c["data"] for c in chunks) == data[1000:4000]  # type: ignore[misc]
    real.reports.clear()
    real.command("STORE_DELETE", object_name="b")
    assert real.outcome(real.command("STORE_INFO", object_name="b")) == (8, 13)


def test_verify_repairs_what_edac_cannot_and_reports_it(real: RealBench) -> None:
    store = real.store
    store.put("obj", random.Random(6).randbytes(40_000))
    real.region.flip_bits(word_bits(store, block_word(store, "obj", 2, 3), (7, 8)))
    real.command("STORE_VERIFY", object_name="obj")
    (report,) = real.take(128, 12)
    verified = decode(layout.VERIFY_REPORT, report)
    assert verified["state"] == 1 and verified["repaired_blocks"] == 1
    assert ("BLOCK_REPAIRED", {"block": int(store.catalogue.entry("obj").blocks[2]),
                               "object_name": "obj".ljust(64, "\0"),
                               "relocated": 0}) in real.events()


def test_scrub_pass_from_the_scheduler_corrects_and_reports(real: RealBench) -> None:
    store = real.store
    store.put("obj", bytes(20_000))
    real.region.flip_bits(word_bits(store, block_word(store, "obj", 1), (3,)))
    real.run(CONFIG.scrub_period_s + 1.0)
    passes = [values for name, values in real.events() if name == "SCRUB_PASS_DONE"]
    assert len(passes) == 1 and passes[0]["corrected"] == 1 and passes[0]["passes"] == 1
    real.command("HK_ONE_SHOT", count=1, structure_id=4)
    real.command("HK_ONE_SHOT", count=1, structure_id=3)
    values = {}
    for data in real.take(3, 25):
        values.update(decode_housekeeping(GROUND_DB, data)[1])
    health = store.health()
    assert values["SCRUB_PASSES"] == 1 and values["EDAC_CORRECTED"] == 1
    assert values["STORE_CAPACITY"] == health.capacity_bytes <= SIZE
    assert values["STORE_USED"] == health.used_bytes > 20_000  # parity counts
    assert values["STORE_OBJECTS"] == 1


def test_scrub_control_drives_the_real_scrubber(real: RealBench) -> None:
    real.command("STORE_SCRUB_CONTROL", enabled=True, base_period_s=10)
    real.run(11.0)
    assert real.store.health().scrub_passes == 1
    real.command("STORE_SCRUB_CONTROL", enabled=False, base_period_s=10)
    real.run(25.0)
    assert real.store.health().scrub_passes == 1
    real.command("STORE_SCRUB_REPORT")
    (report,) = real.take(128, 17)
    scrub = decode(layout.SCRUB_REPORT, report)
    assert (scrub["enabled"], scrub["base_period_s"], scrub["passes"]) == (False, 10, 1)


def test_cfdp_uplink_and_downlink_with_the_real_store(tmp_path: Path) -> None:
    region = MemoryRegion.in_memory("mass", "dram", SIZE)
    store = ObjectStore.open(region, CONFIG, clock=lambda: 0.0)
    exchange = Exchange(store, up=Channel(loss=0.15, seed=21),  # type: ignore[arg-type]
                        down=Channel(loss=0.15, seed=22))
    data = random.Random(7).randbytes(60_000)
    exchange.upload("up/file", data)
    exchange.run_until(exchange.idle)
    assert store.get("up/file") == data
    exchange.board.downlink("up/file", 2, exchange.now, "back")
    exchange.run_until(exchange.idle)
    assert bytes(exchange.ground_files.files["back"]) == data
    transaction = exchange.upload("up/file", b"replacement" * 1000)
    for _ in range(3):
        exchange.step()
    exchange.ground.cancel(transaction, exchange.now)
    exchange.run_until(exchange.idle)
    assert store.get("up/file") == data
    assert list(store.names()) == ["up/file"]
