"""Data at rest through service 128 and the CFDP uplink, on the real store (docs/icd.md 11,
docs/storage.md "Data at rest"): the STORE_UPLINK_KEY_ID setting seals objects from the
ground, info and list reports show the key and whether it is still there, and requests on a
crypto-erased object fail with KEY_UNAVAILABLE (21) while delete still works. The key store
is the SDLS one, and its file in the state dir is checked to hold no key in clear."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from ccsds.sdls.keys import KeyState, KeyStore
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.security.persistence import SecurityFiles
from flight_sw.services.verification import ErrorCode
from flight_sw.storage import dictionary as layout
from flight_sw.storage.at_rest import BoardDataKeys
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.scrubber import Scrubber
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.file_transfer.helpers import Channel, Exchange
from tests.flight_sw.storage_service.helpers import StorageBench, decode, decode_list

CONFIG = StoreConfig(max_objects=64, scrub_chunk_octets=64 * 1024)
SIZE = 4 << 20
KEY, OTHER = 7, 8
COMPLETED = (7, None)
UNAVAILABLE = (8, int(ErrorCode.KEY_UNAVAILABLE))
SEALED, UNREADABLE, PLAINTEXT = 1, 2, 0


class SealingBench(StorageBench):
    """The service bench over a real store on a file in the state dir, with SDLS keys."""

    def __init__(self, state_dir: Path) -> None:
        self.image = state_dir / "mass.img"
        self.region = MemoryRegion.file_backed("mass", "dram", self.image, SIZE)
        store = ObjectStore.open(self.region, CONFIG, clock=lambda: 0.0)
        self.keys = KeyStore()
        rng = random.Random(42)
        self.material = {key_id: rng.randbytes(32) for key_id in (KEY, OTHER)}
        for key_id, material in self.material.items():
            self.keys.install(key_id, material, state=KeyState.ACTIVE)
        store.keys = BoardDataKeys(self.keys)
        super().__init__(state_dir, store=store, scrubber=Scrubber(store))

    def info(self, name: str) -> dict[str, object]:
        assert self.outcome(self.command("STORE_INFO", object_name=name)) == COMPLETED
        (report,) = self.take(128, 5)
        return decode(layout.INFO_REPORT, report)

    def erase(self, key_id: int) -> None:
        self.keys.deactivate(key_id)
        self.keys.destroy(key_id)


@pytest.fixture
def bench(tmp_path: Path) -> SealingBench:
    return SealingBench(tmp_path)


def test_put_inline_seals_under_the_setting(bench: SealingBench) -> None:
    data = random.Random(1).randbytes(3000)
    assert bench.outcome(bench.command("PARAM_SET", STORE_UPLINK_KEY_ID=KEY)) == COMPLETED
    assert bench.outcome(bench.command("STORE_PUT_INLINE", object_name="s",
                                       data=data)) == COMPLETED
    assert bench.outcome(bench.command("PARAM_SET", STORE_UPLINK_KEY_ID=0)) == COMPLETED
    assert bench.outcome(bench.command("STORE_PUT_INLINE", object_name="p",
                                       data=data)) == COMPLETED
    sealed, plain = bench.info("s"), bench.info("p")
    assert (sealed["key_id"], sealed["at_rest"]) == (KEY, SEALED)
    assert (plain["key_id"], plain["at_rest"]) == (0, PLAINTEXT)
    assert sealed["sha256"] == plain["sha256"] == hashlib.sha256(data).digest()
    bench.command("STORE_GET_INLINE", object_name="s", offset=100, length=2000)
    chunks = [decode(layout.DATA_REPORT, d) for *_, d in bench.bulk]
    assert b"".join(c["data"] for c in chunks) == data[100:2100]  # type: ignore[misc]


def test_a_setting_naming_an_unusable_key_refuses_the_put(bench: SealingBench) -> None:
    bench.command("PARAM_SET", STORE_UPLINK_KEY_ID=999)
    tc = bench.command("STORE_PUT_INLINE", object_name="x", data=b"data")
    assert bench.outcome(tc) == UNAVAILABLE
    assert not bench.store.exists("x")
    assert bench.storage.counters.store_errors == 1


def test_requests_on_a_crypto_erased_object(bench: SealingBench) -> None:
    store = bench.store
    store.put("gone", b"secret" * 500, key_id=KEY)
    store.put("kept", b"other" * 100, key_id=OTHER)
    store.put("plain", b"clear")
    bench.erase(KEY)
    info = bench.info("gone")
    assert (info["key_id"], info["at_rest"], info["sha256"]) == (KEY, UNREADABLE, bytes(32))
    bench.command("STORE_LIST", prefix="")
    (listing,) = bench.take(128, 3)
    assert [(e["object_name"], e["key_id"], e["at_rest"]) for e in decode_list(listing)[1]] == [
        ("gone", KEY, UNREADABLE), ("kept", OTHER, SEALED), ("plain", 0, PLAINTEXT)]
    for name, values in (("STORE_GET_INLINE", {"offset": 0, "length": 0}),
                         ("STORE_VERIFY", {}),
                         ("STORE_DOWNLINK", {"destination_name": "", "transmission_class": 2})):
        assert bench.outcome(bench.command(name, object_name="gone", **values)) == UNAVAILABLE
    assert bench.bulk == [] and bench.cfdp_packets == []
    assert bench.outcome(bench.command("STORE_VERIFY", object_name="kept")) == COMPLETED
    assert bench.outcome(bench.command("STORE_DELETE", object_name="gone")) == COMPLETED
    assert not store.exists("gone")


def test_verify_all_counts_unreadable_objects_in_objects_only(bench: SealingBench) -> None:
    bench.store.put("a", b"1" * 100, key_id=KEY)
    bench.store.put("b", b"2" * 100)
    bench.erase(KEY)
    assert bench.outcome(bench.command("STORE_VERIFY_ALL")) == COMPLETED
    bench.run(1.0)
    (report,) = bench.take(128, 14)
    counts = decode(layout.VERIFY_ALL_REPORT, report)
    assert (counts["objects"], counts["intact"], counts["lost"], counts["vanished"]) == (
        2, 1, 0, 0)


def test_cfdp_uplink_is_sealed_under_the_setting(bench: SealingBench) -> None:
    bench.command("PARAM_SET", STORE_UPLINK_KEY_ID=KEY)
    exchange = Exchange(bench.store, up=Channel(loss=0.1, seed=3),  # type: ignore[arg-type]
                        down=Channel(seed=4))
    exchange.board.filestore.uplink_key_id = bench.transfer.filestore.uplink_key_id
    data = random.Random(2).randbytes(30_000)
    exchange.upload("up/sealed", data)
    exchange.run_until(exchange.idle)
    assert bench.store.get("up/sealed") == data
    assert bench.store.info("up/sealed").key_id == KEY
    bench.erase(KEY)
    exchange.upload("up/refused", b"x" * 2000)
    exchange.run_until(exchange.idle)
    assert not bench.store.exists("up/refused")
    ended = [values for name, values in exchange.events if name == "FILE_TRANSFER_ENDED"]
    assert [values["committed"] for values in ended] == [1, 0]


def test_the_state_dir_holds_no_key_and_no_plaintext(bench: SealingBench, tmp_path: Path
                                                     ) -> None:
    """The store image and the board's key file (wrapped under a KEK kept elsewhere) side by
    side in the state dir: neither key material, nor the derived data keys, nor the sealed
    object's content appear in any file, raw or through the EDAC."""
    secret = random.Random(3).randbytes(20_000)
    bench.store.put("secret", secret, key_id=KEY)
    SecurityFiles(tmp_path / "sdls", random.Random(4).randbytes(32), 1).save_keys(bench.keys)
    bench.store.close()
    bench.region.flush()
    data_keys = BoardDataKeys(bench.keys)
    needles = [*bench.material.values(),
               *(data_keys.data_key(key_id, writing=False) for key_id in bench.material)]
    files = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) >= 2
    decoded = bytes(bench.store.medium.read(0, bench.store.medium.data_octets).data)
    for content in [*files, decoded]:
        assert not any(needle is not None and needle in content for needle in needles)
        assert not any(secret[at:at + 16] in content for at in range(0, 19_000, 997))
