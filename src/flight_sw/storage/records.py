"""Binary codec of the store's metadata: catalogue entries, journal records and the
checkpoint payload (docs/storage.md, "Metadata formats"). Little-endian throughout; every
decoder checks lengths and ranges and raises :class:`RecordError`, never anything else."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from flight_sw.storage.api import (
    MAX_NAME_OCTETS,
    InvalidNameError,
    ObjectInfo,
    ObjectState,
    StorageError,
)

U32 = np.dtype("<u4")
SHA256_OCTETS = 32
SEALED_FLAG = 0x80
"""Set in an entry's state octet when key id, nonce and key check follow the digest."""
SEAL_OCTETS = 2 + 16 + 8
"""Key id (u16), nonce, key check of a sealed entry (flight_sw.storage.at_rest)."""


class RecordError(StorageError):
    """Metadata octets that do not decode (torn, damaged or not a record at all)."""


class RecordKind(IntEnum):
    """Kinds of journal record."""

    UPSERT = 1
    """An object's catalogue entry (new, replaced, relocated or with a new state)."""
    DELETE = 2
    """An object removed."""
    RETIRE = 3
    """Blocks added to the bad-block list."""
    COUNTERS = 4
    """Health counters, saved at the end of a scrub pass and at close."""


@dataclass
class Entry:
    """Catalogue entry: an object and the physical blocks of its stripes (data then parity of
    each stripe, in order) with the CRC-32C of each block. A sealed object (``key_id`` set)
    keeps its plaintext size, its masked plaintext SHA-256, its nonce and key check."""

    name: str
    size: int
    sha256: bytes
    created: float
    state: ObjectState
    blocks: NDArray[np.uint32]
    crcs: NDArray[np.uint32]
    key_id: int | None = None
    nonce: bytes = b""
    key_check: bytes = b""

    def info(self) -> ObjectInfo:
        """The API view of a plaintext entry (the store unmasks a sealed one's digest)."""
        return ObjectInfo(self.name, self.size, self.sha256, self.created, self.state,
                          len(self.blocks), self.key_id)


@dataclass
class Counters:
    """Health counters kept since format (api.StoreHealth)."""

    corrected_words: int = 0
    uncorrectable_words: int = 0
    repaired_blocks: int = 0
    lost_blocks: int = 0
    scrub_passes: int = 0
    last_pass_duration_s: float = 0.0


@dataclass
class Snapshot:
    """Everything a checkpoint holds: the catalogue, the bad-block list and the counters."""

    entries: list[Entry] = field(default_factory=list)
    bad_blocks: list[int] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)


class Reader:
    """Bounds-checked sequential unpacking of a metadata buffer."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise RecordError(f"record truncated: need {count} octets at {self.pos} of "
                              f"{len(self.data)}")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def unpack(self, layout: struct.Struct) -> tuple[object, ...]:
        return layout.unpack(self.take(layout.size))

    def u32_array(self, count: int) -> NDArray[np.uint32]:
        return np.frombuffer(self.take(4 * count), dtype=U32).astype(np.uint32)

    def end(self) -> None:
        if self.pos != len(self.data):
            raise RecordError(f"{len(self.data) - self.pos} stray octets after a record")


_ENTRY = struct.Struct("<QdBI")
_SEAL = struct.Struct("<H16s8s")
_COUNT = struct.Struct("<I")
_COUNTERS = struct.Struct("<QQQQQd")


def check_name(name: object) -> bytes:
    """The UTF-8 octets of a valid object name, else :class:`api.InvalidNameError`."""
    if not isinstance(name, str) or not name:
        raise InvalidNameError("an object name is a non-empty string")
    try:
        octets = name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidNameError(f"object name is not valid UTF-8: {exc}") from exc
    if len(octets) > MAX_NAME_OCTETS:
        raise InvalidNameError(f"object name has {len(octets)} octets, at most "
                               f"{MAX_NAME_OCTETS} are allowed")
    if not name.isprintable() or name.startswith("/") or name.endswith("/"):
        raise InvalidNameError(f"object name {name!r} is not printable or starts/ends with '/'")
    return octets


def encode_name(name: str) -> bytes:
    octets = check_name(name)
    return bytes([len(octets)]) + octets


def decode_name(reader: Reader) -> str:
    (length,) = reader.take(1)
    try:
        name = reader.take(length).decode("utf-8")
        check_name(name)
    except (UnicodeDecodeError, StorageError) as exc:
        raise RecordError(f"bad object name in a record: {exc}") from exc
    return name


def encode_entry(entry: Entry) -> bytes:
    sealed = entry.key_id is not None
    seal = _SEAL.pack(entry.key_id, entry.nonce, entry.key_check) if sealed else b""
    return b"".join((
        encode_name(entry.name),
        _ENTRY.pack(entry.size, entry.created, int(entry.state) | (SEALED_FLAG if sealed else 0),
                    len(entry.blocks)),
        entry.sha256,
        seal,
        entry.blocks.astype(U32).tobytes(),
        entry.crcs.astype(U32).tobytes(),
    ))


def decode_entry(reader: Reader) -> Entry:
    name = decode_name(reader)
    size, created, flags, count = reader.unpack(_ENTRY)
    assert isinstance(size, int) and isinstance(created, float)
    assert isinstance(flags, int) and isinstance(count, int)
    state = flags & ~SEALED_FLAG
    if state not in ObjectState._value2member_map_:
        raise RecordError(f"object state {state} is not defined")
    sha256 = reader.take(SHA256_OCTETS)
    key_id, nonce, check = reader.unpack(_SEAL) if flags & SEALED_FLAG else (None, b"", b"")
    assert isinstance(key_id, int | None) and isinstance(nonce, bytes)
    assert isinstance(check, bytes)
    blocks = reader.u32_array(count)
    crcs = reader.u32_array(count)
    return Entry(name, size, sha256, created, ObjectState(state), blocks, crcs, key_id, nonce,
                 check)


def encode_blocks(blocks: list[int]) -> bytes:
    return _COUNT.pack(len(blocks)) + np.asarray(blocks, dtype=U32).tobytes()


def decode_blocks(reader: Reader) -> list[int]:
    (count,) = reader.unpack(_COUNT)
    assert isinstance(count, int)
    return [int(block) for block in reader.u32_array(count)]


def encode_counters(counters: Counters) -> bytes:
    return _COUNTERS.pack(counters.corrected_words, counters.uncorrectable_words,
                          counters.repaired_blocks, counters.lost_blocks, counters.scrub_passes,
                          counters.last_pass_duration_s)


def decode_counters(reader: Reader) -> Counters:
    values = reader.unpack(_COUNTERS)
    return Counters(*values)  # type: ignore[arg-type]


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """Checkpoint payload: counters, bad blocks, then the entries."""
    parts = [encode_counters(snapshot.counters), encode_blocks(snapshot.bad_blocks),
             _COUNT.pack(len(snapshot.entries))]
    parts += [encode_entry(entry) for entry in snapshot.entries]
    return b"".join(parts)


def decode_snapshot(data: bytes) -> Snapshot:
    reader = Reader(data)
    counters = decode_counters(reader)
    bad = decode_blocks(reader)
    (count,) = reader.unpack(_COUNT)
    assert isinstance(count, int)
    entries = [decode_entry(reader) for _ in range(count)]
    reader.end()
    return Snapshot(entries, bad, counters)


@dataclass(frozen=True)
class JournalRecord:
    """One decoded journal record payload."""

    kind: RecordKind
    entry: Entry | None = None
    name: str = ""
    blocks: tuple[int, ...] = ()
    counters: Counters | None = None


def encode_record(record: JournalRecord) -> bytes:
    """Payload octets of a journal record (the framing is the journal's)."""
    if record.kind is RecordKind.UPSERT and record.entry is not None:
        return encode_entry(record.entry)
    if record.kind is RecordKind.DELETE:
        return encode_name(record.name)
    if record.kind is RecordKind.RETIRE:
        return encode_blocks(list(record.blocks))
    if record.kind is RecordKind.COUNTERS and record.counters is not None:
        return encode_counters(record.counters)
    raise RecordError(f"incomplete {record.kind.name} record")


def decode_record(kind: int, payload: bytes) -> JournalRecord:
    """A journal record from its kind octet and payload."""
    reader = Reader(payload)
    if kind == RecordKind.UPSERT:
        record = JournalRecord(RecordKind.UPSERT, entry=decode_entry(reader))
    elif kind == RecordKind.DELETE:
        record = JournalRecord(RecordKind.DELETE, name=decode_name(reader))
    elif kind == RecordKind.RETIRE:
        record = JournalRecord(RecordKind.RETIRE, blocks=tuple(decode_blocks(reader)))
    elif kind == RecordKind.COUNTERS:
        record = JournalRecord(RecordKind.COUNTERS, counters=decode_counters(reader))
    else:
        raise RecordError(f"journal record kind {kind} is not defined")
    reader.end()
    return record
