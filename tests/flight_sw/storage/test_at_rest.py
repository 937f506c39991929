"""Data at rest in the object store (docs/storage.md, "Data at rest"): objects sealed with
AES-256-GCM under a key of the board's SDLS key store, opened on read, crypto-erased when the
key is destroyed. Expected ciphertext is rebuilt in the tests from the documented construction
with an independent HKDF (RFC 5869 over hmac); the medium is scanned for plaintext."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import random
import struct
from pathlib import Path

import crcmod.predefined
import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.sdls.keys import KeyRole, KeyState, KeyStore
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.api import DataLostError, KeyUnavailableError, ObjectState
from flight_sw.storage.at_rest import (
    AtRestUnsupportedError,
    BoardDataKeys,
    ObjectCipher,
    SealBrokenError,
    chunk_octets,
    sealed_size,
)
from flight_sw.storage.edac_memory import EdacMemory
from flight_sw.storage.layout import Geometry, StoreFormatError
from flight_sw.storage.records import (
    Entry,
    JournalRecord,
    RecordError,
    RecordKind,
    decode_record,
    encode_record,
)
from flight_sw.storage.store import ObjectStore
from tests.flight_sw.storage.store_support import SMALL, Events, block_word, make_store, word_bits

ACTIVE, SPARE, MASTER = 7, 8, 1
BLOCK = SMALL.block_size
CHUNK = BLOCK - 16


def hkdf(secret: bytes, salt: bytes | None, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-SHA-256, written from the RFC (independent of the store's library)."""
    prk = hmac.new(salt or bytes(32), secret, hashlib.sha256).digest()
    out, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
    return out[:length]


def key_store() -> tuple[KeyStore, dict[int, bytes]]:
    rng = random.Random(99)
    material = {key_id: rng.randbytes(32) for key_id in (ACTIVE, SPARE, MASTER)}
    keys = KeyStore()
    keys.install(MASTER, material[MASTER], role=KeyRole.MASTER)
    keys.install(ACTIVE, material[ACTIVE], state=KeyState.ACTIVE)
    keys.install(SPARE, material[SPARE], state=KeyState.ACTIVE)
    return keys, material


def sealed_store(size: int = 4 << 20) -> tuple[ObjectStore, MemoryRegion, KeyStore,
                                                dict[int, bytes]]:
    store, region, _ = make_store(size)
    keys, material = key_store()
    store.keys = BoardDataKeys(keys)
    return store, region, keys, material


def data_space(store: ObjectStore) -> bytes:
    """Everything the EDAC decodes from the medium: what someone holding it can read."""
    return bytes(store.medium.read(0, store.medium.data_octets).data)


def pieces(data: bytes, step: int = 509, width: int = 16) -> list[bytes]:
    return [data[at:at + width] for at in range(0, len(data) - width, step)]


def crypto_erase(keys: KeyStore, key_id: int) -> None:
    """Key Deactivation then Key Destruction (355.1-B-1), as service 140 does them."""
    keys.deactivate(key_id)
    keys.destroy(key_id)


# -- sealing and opening ---------------------------------------------------------------------

SIZES = (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 8 * CHUNK, 8 * CHUNK + 5, 21 * CHUNK + 100)


@pytest.mark.parametrize("size", SIZES)
def test_sealed_round_trip_at_chunk_and_stripe_edges(size: int) -> None:
    store, _, _, _ = sealed_store()
    data = random.Random(size).randbytes(size)
    info = store.put("obj", data, key_id=ACTIVE)
    assert (info.size, info.key_id, info.readable) == (size, ACTIVE, True)
    assert info.sha256 == hashlib.sha256(data).digest()
    assert store.get("obj") == data
    assert store.verify("obj").state is ObjectState.INTACT
    k, m = SMALL.data_blocks, SMALL.parity_blocks
    chunks = -(-size // CHUNK)
    assert info.blocks == chunks + m * -(-chunks // k)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5 * CHUNK + 77), st.data())
def test_ranged_reads_of_a_sealed_object(size: int, draw: st.DataObject) -> None:
    store, _, _, _ = sealed_store(2 << 20)
    data = random.Random(size).randbytes(size)
    store.put("obj", data, key_id=ACTIVE)
    offset = draw.draw(st.integers(0, size))
    length = draw.draw(st.integers(0, size - offset))
    assert store.read("obj", offset, length) == data[offset:offset + length]


def test_blocks_hold_the_documented_construction() -> None:
    """Chunk i = AES-GCM(object key, IV = i, AAD = "SPAR" | size | i | name); object key and
    digest mask from HKDF(data key, salt = nonce, info = label | key id | name), data key from
    HKDF(SDLS key, info = label | key id)."""
    store, _, _, material = sealed_store()
    data = random.Random(3).randbytes(3 * CHUNK + 10)
    store.put("docs/one", data, key_id=ACTIVE)
    entry = store.catalogue.entry("docs/one")
    data_key = hkdf(material[ACTIVE], None,
                    b"spacedc-hil storage at rest v1 data key" + ACTIVE.to_bytes(2, "big"), 32)
    okm = hkdf(data_key, entry.nonce, b"spacedc-hil storage at rest v1 object"
               + ACTIVE.to_bytes(2, "big") + b"docs/one", 72)
    aead = AESGCM(okm[:32])
    for index in range(4):
        chunk = data[index * CHUNK:(index + 1) * CHUNK]
        aad = struct.pack(">4sQI", b"SPAR", len(data), index) + b"docs/one"
        sealed = aead.encrypt(index.to_bytes(12, "big"), chunk, aad)
        offset = store.layout.block_offset(int(entry.blocks[index]))
        assert bytes(store.medium.read(offset, BLOCK).data)[:len(sealed)] == sealed
    digest = hashlib.sha256(data).digest()
    assert entry.sha256 == bytes(a ^ b for a, b in zip(digest, okm[32:64], strict=True))
    assert entry.key_check == okm[64:72]


def test_no_plaintext_key_or_digest_on_the_medium() -> None:
    store, region, keys, material = sealed_store()
    secret = random.Random(4).randbytes(40_000)
    store.put("secret", secret, key_id=ACTIVE)
    store.put("public", secret[:20_000])  # positive control: plaintext objects are visible
    store.put("secret", secret, key_id=ACTIVE)  # a rewrite: nothing of the old one either
    store.checkpoint()
    space, raw = data_space(store), bytes(region.octets)
    found = [piece for piece in pieces(secret[:20_000]) if piece in space]
    assert len(found) == len(pieces(secret[:20_000]))
    assert not any(piece in space for piece in pieces(secret[20_000:]))
    assert not any(piece in raw for piece in pieces(secret[20_000:]))
    data_key = BoardDataKeys(keys).data_key(ACTIVE, writing=False)
    assert data_key is not None
    for needle in (material[ACTIVE], data_key, hashlib.sha256(secret).digest()):
        assert needle not in space and needle not in raw


def test_every_put_draws_a_new_nonce() -> None:
    store, _, _, _ = sealed_store()
    data = bytes(5000)
    store.put("a", data, key_id=ACTIVE)
    first = store.catalogue.entry("a")
    first_block = bytes(store.medium.read(store.layout.block_offset(int(first.blocks[0])),
                                          BLOCK).data)
    store.put("a", data, key_id=ACTIVE)
    second = store.catalogue.entry("a")
    second_block = bytes(store.medium.read(store.layout.block_offset(int(second.blocks[0])),
                                           BLOCK).data)
    assert first.nonce != second.nonce and first_block != second_block
    assert store.get("a") == data


def test_swapped_blocks_fail_authentication_and_are_lost_not_returned() -> None:
    """Two data blocks exchanged on the medium with their CRCs (a consistent rewrite: the
    CRC-32C and erasure code cannot tell): GCM refuses both; the object is LOST."""
    store, _, _, _ = sealed_store()
    data = random.Random(5).randbytes(4 * CHUNK)
    store.put("obj", data, key_id=ACTIVE)
    entry = store.catalogue.entry("obj")
    offsets = [store.layout.block_offset(int(entry.blocks[i])) for i in (0, 1)]
    blocks = [bytes(store.medium.read(offset, BLOCK).data) for offset in offsets]
    store.medium.write(offsets[0], blocks[1])
    store.medium.write(offsets[1], blocks[0])
    entry.crcs[[0, 1]] = entry.crcs[[1, 0]]
    with pytest.raises(DataLostError):
        store.read("obj", 0, 10)
    assert store.info("obj").state is ObjectState.LOST
    with pytest.raises(DataLostError):
        store.get("obj")


def test_open_refuses_every_altered_chunk() -> None:
    cipher = ObjectCipher(bytes(range(72)), "x", 3 * CHUNK, BLOCK)
    sealed = cipher.seal(bytes(3 * CHUNK))
    for at in (0, CHUNK + 3, BLOCK + 20, len(sealed) - 1):
        altered = bytearray(sealed)
        altered[at] ^= 0x01
        with pytest.raises(SealBrokenError) as caught:
            cipher.open(bytes(altered), 0, 3)
        assert caught.value.index == at // BLOCK


@settings(max_examples=200)
@given(st.binary(min_size=0, max_size=3 * BLOCK), st.integers(0, 2))
def test_open_fuzz(garbage: bytes, first: int) -> None:
    """Random octets never open: SealBrokenError, never plaintext, never another error."""
    cipher = ObjectCipher(bytes(range(72)), "x", 3 * CHUNK - 5, BLOCK)
    with pytest.raises(SealBrokenError):
        cipher.open(garbage, first, 3)


def test_sizes() -> None:
    assert chunk_octets(4096) == 4080
    assert [sealed_size(size, 4096) for size in (0, 1, 4080, 4081)] == [0, 17, 4096, 4113]


# -- repair without keys ------------------------------------------------------------------------

def test_scrub_repairs_sealed_blocks_without_the_key() -> None:
    store, region, keys, _ = sealed_store()
    events = Events()
    store.on_event = events
    data = random.Random(6).randbytes(6 * CHUNK)
    store.put("obj", data, key_id=ACTIVE)
    store.keys = None  # the patrol and the erasure code work on ciphertext
    for position in (1, 4):
        region.flip_bits(word_bits(store, block_word(store, "obj", position, 2), (5, 6)))
    store.scrub_span(0, store.medium.data_octets)
    assert len(events.named("BLOCK_REPAIRED")) == 2
    with pytest.raises(KeyUnavailableError):
        store.get("obj")
    store.keys = BoardDataKeys(keys)
    assert store.get("obj") == data
    assert store.info("obj").state is ObjectState.REPAIRED


def test_read_repairs_then_opens() -> None:
    store, region, _, _ = sealed_store()
    data = random.Random(7).randbytes(9 * CHUNK)
    store.put("obj", data, key_id=ACTIVE)
    region.flip_bits(word_bits(store, block_word(store, "obj", 2, 7), (1, 2)))
    assert store.get("obj") == data
    assert store.verify("obj").state is ObjectState.REPAIRED


# -- key life cycle and crypto-erase -----------------------------------------------------------

def test_crypto_erase() -> None:
    store, _, keys, _ = sealed_store()
    secret, other = random.Random(8).randbytes(9000), random.Random(9).randbytes(700)
    store.put("secret", secret, key_id=ACTIVE)
    store.put("other", other, key_id=SPARE)
    store.put("plain", b"in clear")
    keys.deactivate(ACTIVE)  # no new objects under it, old ones still readable
    assert store.get("secret") == secret
    with pytest.raises(KeyUnavailableError):
        store.put("new", b"x", key_id=ACTIVE)
    assert not store.exists("new")
    keys.destroy(ACTIVE)
    for call in (lambda: store.get("secret"), lambda: store.read("secret", 0, 1),
                 lambda: store.verify("secret"), lambda: store.read("secret", 0, 0)):
        with pytest.raises(KeyUnavailableError):
            call()
    info = store.info("secret")
    assert (info.readable, info.key_id, info.sha256, info.state) == (
        False, ACTIVE, bytes(32), ObjectState.INTACT)
    assert [(i.name, i.readable) for i in store.list()] == [
        ("other", True), ("plain", True), ("secret", False)]
    assert store.get("other") == other and store.get("plain") == b"in clear"
    store.delete("secret")
    assert not store.exists("secret")
    store.put("secret", b"again", key_id=SPARE)
    assert store.get("secret") == b"again"


def test_keys_followed_through_a_function_as_the_application_wires_them() -> None:
    """``BoardDataKeys(lambda: ...)``: the key store attached later (SDLS set up after the
    store opens) or not at all."""
    store, _, keys, _ = sealed_store()
    attached: list[KeyStore] = []
    store.keys = BoardDataKeys(lambda: attached[0] if attached else None)
    with pytest.raises(KeyUnavailableError):
        store.put("x", b"data", key_id=ACTIVE)
    attached.append(keys)
    store.put("x", b"data", key_id=ACTIVE)
    assert store.get("x") == b"data"


def test_keys_that_cannot_seal() -> None:
    store, _, keys, _ = sealed_store()
    keys.install(9, bytes(32))  # PRE_ACTIVATION
    for key_id in (MASTER, 9, 1234, -1, 65536, True):
        with pytest.raises(KeyUnavailableError):
            store.put("x", b"data", key_id=key_id)  # type: ignore[arg-type]
    with pytest.raises(KeyUnavailableError):
        store.writer("x", key_id=9)
    store.keys = None
    with pytest.raises(KeyUnavailableError):
        store.put("x", b"data", key_id=ACTIVE)
    assert list(store.names()) == []


def test_streamed_put_is_sealed_and_checked_again_at_commit() -> None:
    store, _, keys, _ = sealed_store()
    writer = store.writer("stream", key_id=ACTIVE)
    writer.write(100, b"tail")
    writer.write(0, b"head")
    writer.commit()
    assert store.get("stream") == b"head" + bytes(96) + b"tail"
    assert store.info("stream").key_id == ACTIVE
    late = store.writer("late", key_id=ACTIVE)
    late.write(0, b"x" * 100)
    crypto_erase(keys, ACTIVE)
    with pytest.raises(KeyUnavailableError):
        late.commit()
    assert not store.exists("late")


def test_another_key_under_the_same_id_is_unavailable_not_lost() -> None:
    """A key store re-provisioned with other material under the id (a ground error) makes
    the objects unavailable; they are not marked LOST, so the right key brings them back."""
    store, _, keys, _ = sealed_store()
    store.put("obj", b"payload" * 1000, key_id=ACTIVE)
    impostor = KeyStore()
    impostor.install(ACTIVE, bytes(32), state=KeyState.ACTIVE)
    store.keys = BoardDataKeys(impostor)
    with pytest.raises(KeyUnavailableError):
        store.get("obj")
    assert store.info("obj").state is ObjectState.INTACT
    store.keys = BoardDataKeys(keys)
    assert store.get("obj") == b"payload" * 1000


# -- persistence and layout versions ------------------------------------------------------------

def test_sealed_objects_survive_reopen_and_erase_survives_it(tmp_path: Path) -> None:
    path = tmp_path / "mass.img"
    keys, _ = key_store()
    region = MemoryRegion.file_backed("mass", "dram", path, 4 << 20)
    store = ObjectStore.open(region, SMALL, clock=lambda: 0.0)
    store.keys = BoardDataKeys(keys)
    data = random.Random(10).randbytes(12_000)
    store.put("kept", data, key_id=SPARE)
    store.put("erased", data, key_id=ACTIVE)
    store.checkpoint()
    store.put("journal-only", data[:100], key_id=SPARE)
    store.close()
    crypto_erase(keys, ACTIVE)
    region.close()
    reopened = ObjectStore.open(MemoryRegion.file_backed("mass", "dram", path, 4 << 20), SMALL,
                                clock=lambda: 0.0)
    reopened.keys = BoardDataKeys(keys)
    assert reopened.get("kept") == data and reopened.get("journal-only") == data[:100]
    assert reopened.info("kept").sha256 == hashlib.sha256(data).digest()
    assert not reopened.info("erased").readable
    with pytest.raises(KeyUnavailableError):
        reopened.get("erased")
    space = data_space(reopened)
    assert not any(piece in space for piece in pieces(data))


def test_a_version_1_medium_opens_and_refuses_sealed_objects() -> None:
    region = MemoryRegion.in_memory("mass", "dram", 4 << 20)
    medium = EdacMemory(region, interleave=SMALL.interleave)
    old = ObjectStore.format(medium, SMALL, clock=lambda: 0.0, version=1)
    old.put("legacy", b"from before")
    reopened = ObjectStore.open(region, SMALL, clock=lambda: 0.0)
    assert reopened.layout.geometry.version == 1
    assert reopened.get("legacy") == b"from before"
    reopened.keys = BoardDataKeys(key_store()[0])
    with pytest.raises(AtRestUnsupportedError, match="version 1"):
        reopened.put("new", b"x", key_id=ACTIVE)
    assert reopened.layout.checkpoint_octets <= ObjectStore.open(
        MemoryRegion.in_memory("m2", "dram", 4 << 20), SMALL,
        clock=lambda: 0.0).layout.checkpoint_octets


def test_a_medium_of_a_later_version_is_refused_by_name() -> None:
    store, region, _, _ = sealed_store()
    geometry = store.layout.geometry
    future = Geometry(geometry.format_id, geometry.block_size, geometry.data_blocks,
                      geometry.parity_blocks, geometry.interleave, geometry.max_objects,
                      geometry.data_octets, version=3)
    for offset in store.layout.superblocks:
        store.medium.write(offset, future.encode())
    assert Geometry.decode(future.encode()) is None
    with pytest.raises(StoreFormatError, match="version 3"):
        ObjectStore.open(region, SMALL, clock=lambda: 0.0)


@given(st.binary(max_size=128))
def test_superblock_version_fuzz(octets: bytes) -> None:
    version = Geometry.authentic_version(octets)
    assert version is None or octets[:4] == b"SPSB"


def test_block_crcs_cover_the_ciphertext() -> None:
    """CRC-32C (computed here with crcmod, an independent implementation) of every block
    as it lies on the medium: scrubbing and repair check ciphertext, no key needed."""
    crc32c = crcmod.predefined.mkCrcFun("crc-32c")
    store, _, _, _ = sealed_store()
    store.put("obj", random.Random(11).randbytes(3 * CHUNK), key_id=ACTIVE)
    entry = store.catalogue.entry("obj")
    assert entry.key_id == ACTIVE and len(entry.nonce) == 16 and len(entry.key_check) == 8
    on_medium = [bytes(store.medium.read(store.layout.block_offset(int(block)), BLOCK).data)
                 for block in entry.blocks]
    assert [crc32c(block) for block in on_medium] == [int(crc) for crc in entry.crcs]


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
                min_size=1, max_size=16).filter(
    lambda name: name.isprintable() and name[0] != "/" and name[-1] != "/")


sealed_entries = st.builds(
    lambda name, size, state, key_id, nonce, check, blocks: Entry(
        name, size, bytes(range(32)), 1.5, state, np.array(blocks, np.uint32),
        np.array(blocks, np.uint32) ^ np.uint32(0xA5A5A5A5), key_id, nonce, check),
    names, st.integers(0, 2**40), st.sampled_from(ObjectState), st.integers(0, 0xFFFF),
    st.binary(min_size=16, max_size=16), st.binary(min_size=8, max_size=8),
    st.lists(st.integers(0, 2**32 - 1), max_size=20))


@given(sealed_entries)
def test_sealed_entry_round_trip(entry: Entry) -> None:
    back = decode_record(RecordKind.UPSERT, encode_record(
        JournalRecord(RecordKind.UPSERT, entry=entry))).entry
    assert back is not None
    fields = ("name", "size", "sha256", "created", "state", "key_id", "nonce", "key_check")
    assert [getattr(back, f) for f in fields] == [getattr(entry, f) for f in fields]
    assert np.array_equal(back.blocks, entry.blocks) and np.array_equal(back.crcs, entry.crcs)


@given(st.binary(max_size=120))
def test_sealed_entry_decoder_fuzz(tail: bytes) -> None:
    """A sealed entry's prefix followed by garbage: RecordError or an entry, nothing else."""
    entry = Entry("n", 5, bytes(32), 0.0, ObjectState.INTACT, np.zeros(1, np.uint32),
                  np.zeros(1, np.uint32), 3, bytes(16), bytes(8))
    encoded = encode_record(JournalRecord(RecordKind.UPSERT, entry=entry))
    with contextlib.suppress(RecordError):
        record = decode_record(RecordKind.UPSERT, encoded[:len(tail) % len(encoded)] + tail)
        assert record.entry is not None
