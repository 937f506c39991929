"""The payload's object store (docs/storage.md): objects by name on an EDAC-protected medium,
erasure-coded across blocks, committed atomically through a mirrored journal.

A put writes the object's stripes copy-on-write into free blocks, appends its catalogue entry
to the journal (both copies), flushes blocks and record together and only then returns; at
recovery a last record whose blocks did not all reach the medium is dropped, so a power cut
at any instant leaves the old object or the new one. Reads check every block's CRC-32C
and the object's SHA-256; a block that fails is rebuilt from its stripe (erasure code),
rewritten, and retired to the bad-block list when its cells do not keep the rewrite.
An object may be sealed under a board key at rest (:mod:`flight_sw.storage.at_rest`): the
blocks then hold its AES-GCM chunks, which a read opens after the checks above.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from typing import NoReturn, Protocol

import numpy as np

from firmware_stubs.board.memory import MemoryRegion
from firmware_stubs.crc32c import crc32c
from flight_sw.storage.api import (
    Buffer,
    DataLostError,
    InvalidNameError,
    KeyUnavailableError,
    ObjectInfo,
    ObjectState,
    StoreFullError,
    StoreHealth,
    VerifyResult,
)
from flight_sw.storage.at_rest import (
    AtRestUnsupportedError,
    DataKeys,
    ObjectCipher,
    SealBrokenError,
    check_key_id,
    cipher_for,
    new_nonce,
    sealed_size,
)
from flight_sw.storage.blockio import BlockIO, BlockRead, Tally
from flight_sw.storage.catalogue import BAD, FREE, Catalogue
from flight_sw.storage.checkpoint import Checkpoint, load_checkpoint, write_checkpoint
from flight_sw.storage.config import StoreConfig
from flight_sw.storage.edac_memory import EdacMemory
from flight_sw.storage.erasure import StripeCoder, TooManyErasuresError
from flight_sw.storage.errors import (
    InvalidRangeError,
    StoreClosedError,
    as_count,
    as_octets,
)
from flight_sw.storage.journal import Journal, JournalFullError
from flight_sw.storage.layout import (
    LAYOUT_VERSION,
    SUPPORTED_VERSIONS,
    Geometry,
    Layout,
    StoreFormatError,
)
from flight_sw.storage.medium import Medium
from flight_sw.storage.records import (
    Counters,
    Entry,
    JournalRecord,
    RecordKind,
    Snapshot,
    check_name,
)
from flight_sw.storage.stripes import Stripe, StripeShape
from flight_sw.storage.writer import BufferedWriter

Clock = Callable[[], float]


class EventSink(Protocol):
    """Receiver of store events: BLOCK_REPAIRED, BLOCK_LOST, MEMORY_UNCORRECTABLE,
    SCRUB_PASS_DONE (docs/storage.md, "Events")."""

    def __call__(self, name: str, /, **values: int | float | str) -> None: ...


def _ignore(name: str, /, **values: int | float | str) -> None:
    """Default event sink: drops events."""


def _blank(region: MemoryRegion, block_size: int) -> bool:
    """Whether the raw octets where superblocks live are all zero (a never-formatted medium);
    a medium with data there but no valid superblock is not formatted over silently."""
    span = min(region.size, 2 * block_size)
    return not np.any(region.octets[:span])


class ObjectStore:
    """Implements :class:`flight_sw.storage.api.Store` on one medium."""

    def __init__(self, medium: Medium, layout: Layout, config: StoreConfig, *, clock: Clock,
                 on_event: EventSink | None = None, keys: DataKeys | None = None) -> None:
        """Use :meth:`open` or :meth:`attach`, which format or recover the medium."""
        geometry = layout.geometry
        self.config = config
        self.medium = medium
        self.layout = layout
        self.unit = 8 * geometry.interleave
        self.shape = StripeShape(geometry.block_size, geometry.data_blocks,
                                 geometry.parity_blocks)
        self.coder = StripeCoder(geometry.data_blocks, geometry.parity_blocks)
        self.catalogue = Catalogue(layout.total_blocks, geometry.max_objects)
        self.journal = Journal(medium, layout, self.unit)
        self.io = BlockIO(medium, layout)
        self.clock = clock
        self.on_event: EventSink = on_event or _ignore
        self.lock = threading.RLock()
        self.generation = 0
        self.scrub_progress = 0.0
        self.scrub_period_s = config.scrub_period_s
        self.keys = keys
        """Keys of sealed objects (the board's key store); None: no object can be sealed or
        opened (at_rest.DataKeys)."""
        self._digests: dict[bytes, bytes] = {}
        """Plaintext SHA-256 of sealed objects by nonce, unmasked once (no key material)."""
        self._counted: set[int] | None = None
        """Uncorrectable words already counted by the operation under way (each once)."""
        self._streaks: dict[int, tuple[int, int]] = {}
        """Word -> (pass it was last corrected in, consecutive passes corrected)."""
        self._streak_pass = 0
        self._closed = False

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, region: MemoryRegion, config: StoreConfig, *, clock: Clock,
             on_event: EventSink | None = None) -> ObjectStore:
        """The store on ``region``: formatted if the region is blank, else recovered (newest
        checkpoint plus journal replay; blocks of uncommitted puts become free)."""
        medium = EdacMemory(region, interleave=config.interleave)
        return cls.attach(medium, config, clock=clock, on_event=on_event,
                          may_format=_blank(region, config.block_size))

    @classmethod
    def attach(cls, medium: Medium, config: StoreConfig, *, clock: Clock,
               on_event: EventSink | None = None, may_format: bool = False) -> ObjectStore:
        """The store on an EDAC ``medium``: recovered when a superblock is found, formatted
        when none is and ``may_format``, else :class:`StoreFormatError`."""
        unit = config.write_unit
        geometry = cls._find_superblock(medium, config, unit)
        if geometry is None:
            cls._refuse_other_version(medium, config, unit)
            if not may_format:
                raise StoreFormatError("the medium holds no valid superblock and is not blank; "
                                       "format it explicitly with ObjectStore.format")
            return cls.format(medium, config, clock=clock, on_event=on_event)
        mismatch = [name for name in ("block_size", "data_blocks", "parity_blocks",
                                      "interleave")
                    if getattr(geometry, name) != getattr(config, name)]
        if mismatch:
            raise StoreFormatError(f"the medium was formatted with other {', '.join(mismatch)}")
        store = cls(medium, Layout.plan(geometry), config, clock=clock, on_event=on_event)
        store._recover()
        return store

    @classmethod
    def format(cls, medium: Medium, config: StoreConfig, *, clock: Clock,
               on_event: EventSink | None = None,
               version: int = LAYOUT_VERSION) -> ObjectStore:
        """An empty store on ``medium`` (what was there is gone). Writes only the metadata
        headers, so a sparse multi-gigabyte medium formats in milliseconds. ``version`` 1
        makes a medium earlier software can open (no sealed objects)."""
        if version not in SUPPORTED_VERSIONS:
            raise StoreFormatError(f"layout version {version} is not one of {SUPPORTED_VERSIONS}")
        geometry = Geometry.from_config(config, secrets.randbits(63), medium.data_octets,
                                        version)
        store = cls(medium, Layout.plan(geometry), config, clock=clock, on_event=on_event)
        write_checkpoint(medium, store.layout, store.unit, Checkpoint(0, 0, Snapshot()))
        store._write_superblocks()
        return store

    @staticmethod
    def _superblock_copies(medium: Medium, config: StoreConfig, unit: int) -> Iterator[bytes]:
        """The octets where each superblock copy lives (those EDAC reads cleanly)."""
        first = -(-64 // unit) * unit
        size = config.block_size
        for offset in (0, size, (medium.data_octets // size - 1) * size):
            if offset < 0 or offset + first > medium.data_octets:
                continue
            result = medium.read(offset, first)
            if not result.uncorrectable_words:
                yield result.data

    @classmethod
    def _find_superblock(cls, medium: Medium, config: StoreConfig,
                         unit: int) -> Geometry | None:
        for octets in cls._superblock_copies(medium, config, unit):
            geometry = Geometry.decode(octets)
            if geometry is not None and geometry.data_octets == medium.data_octets:
                return geometry
        return None

    @classmethod
    def _refuse_other_version(cls, medium: Medium, config: StoreConfig, unit: int) -> None:
        """Raise :class:`StoreFormatError` naming the version of an authentic superblock this
        software does not read (a medium from newer software is never formatted over)."""
        for octets in cls._superblock_copies(medium, config, unit):
            version = Geometry.authentic_version(octets)
            if version is not None and version not in SUPPORTED_VERSIONS:
                raise StoreFormatError(f"the medium's store layout is version {version}; this "
                                       f"software reads versions {SUPPORTED_VERSIONS}")

    def _write_superblocks(self) -> None:
        octets = self.layout.geometry.encode()
        for offset in self.layout.superblocks:
            self.medium.write(offset, octets)
            self.medium.flush(offset, len(octets))

    def _recover(self) -> None:
        checkpoint = load_checkpoint(self.medium, self.layout, self.unit)
        if checkpoint is None:
            raise StoreFormatError("no valid catalogue checkpoint copy on the medium")
        self.catalogue.load(checkpoint.snapshot)
        self.generation = checkpoint.generation
        records = list(self.journal.replay(checkpoint.sequence))
        if records and not self._durable(records[-1]):
            records.pop()
        for record in records:
            self.catalogue.apply(record)
        self.checkpoint()

    def _durable(self, record: JournalRecord) -> bool:
        """Whether the blocks a put's record points to reached the medium. A put flushes its
        blocks and its record together, so after a power cut the last record may be durable
        without all of its blocks: it counts only if every stripe decodes (at most m blocks
        failing their CRC-32C; fewer are left to the scrubber to repair)."""
        entry = record.entry
        if record.kind is not RecordKind.UPSERT or entry is None or (
                entry.state is ObjectState.LOST):
            return True
        span = self.io.read(entry.blocks, entry.crcs, 0, len(entry.blocks), check=None,
                            tally=Tally())
        width = self.shape.data_blocks + self.shape.parity_blocks
        failing = [position // width for position in span.bad]
        return all(failing.count(stripe) <= self.shape.parity_blocks for stripe in failing)

    # -- metadata ------------------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Write the catalogue to the older checkpoint generation and reset the journal."""
        with self.lock:
            self.generation += 1
            sequence = self.journal.next_sequence - 1
            write_checkpoint(self.medium, self.layout, self.unit,
                             Checkpoint(self.generation, sequence, self.catalogue.snapshot()))
            self.journal.reset(sequence)

    def _commit(self, record: JournalRecord, *, flush_all: bool = False) -> None:
        """Make ``record`` durable in the journal (with everything written before it when
        ``flush_all``), then apply it."""
        try:
            self.journal.append(record, flush=not flush_all)
        except JournalFullError:
            self.checkpoint()
            self.journal.append(record, flush=not flush_all)
        if flush_all:
            self.medium.flush()
        self.catalogue.apply(record)

    def refresh_metadata(self) -> None:
        """Rewrite every metadata copy from memory: the superblocks and both checkpoint
        generations (after damage in a metadata area)."""
        with self.lock:
            self._write_superblocks()
            self.checkpoint()
            self.checkpoint()

    def save_counters(self) -> None:
        """Journal the health counters (at the end of a scrub pass and at close)."""
        with self.lock:
            self._live()
            self._commit(JournalRecord(RecordKind.COUNTERS,
                                       counters=Counters(**vars(self.catalogue.counters))))

    def close(self) -> None:
        """Save the counters and flush; the store cannot be used afterwards."""
        with self.lock:
            if self._closed:
                return
            self.save_counters()
            self.medium.flush()
            self._closed = True

    def _live(self) -> None:
        if self._closed:
            raise StoreClosedError("the store is closed")

    # -- objects -------------------------------------------------------------------------------

    def put(self, name: str, data: Buffer, *, key_id: int | None = None) -> ObjectInfo:
        """Store an object atomically (replacing one of the same name); durable on return.
        With ``key_id`` it is sealed under that key (which must be an active session key:
        else :class:`KeyUnavailableError`, nothing changed)."""
        check_name(name)
        view = as_octets(data)
        with self.lock:
            self._live()
            nonce = new_nonce() if key_id is not None else b""
            cipher = self._sealing(name, len(view), key_id, nonce)
            self.catalogue.check_room(name)
            stored = sealed_size(len(view), self.shape.block_size) if cipher else len(view)
            blocks = self.catalogue.allocate(self.shape.block_count(stored))
            try:
                digest = hashlib.sha256(view).digest()
                image, crcs = self.shape.encode(cipher.seal(view) if cipher else view,
                                                self.coder)
                self.io.write(blocks, image, flush=False)
                entry = Entry(name, len(view), cipher.mask(digest) if cipher else digest,
                              self.clock(), ObjectState.INTACT, blocks, crcs, key_id, nonce,
                              cipher.check if cipher else b"")
            except BaseException:
                self.catalogue.release(blocks)
                raise
            # a failure from here on may leave the record durable: the blocks stay pending
            # (never reused in this session) and the next open settles them either way
            old = self.catalogue.entries.get(name)
            self._commit(JournalRecord(RecordKind.UPSERT, entry=entry), flush_all=True)
            if old is not None:
                self._digests.pop(old.nonce, None)
            if cipher:
                self._digests[nonce] = digest
            return self._info(entry)

    def _sealing(self, name: str, size: int, key_id: int | None,
                 nonce: bytes) -> ObjectCipher | None:
        """The cipher sealing a new object under ``key_id`` (None: plaintext)."""
        if key_id is None:
            return None
        check_key_id(key_id)
        if not self.layout.geometry.holds_sealed:
            raise AtRestUnsupportedError("the medium has store layout version 1, without room "
                                         "for sealed objects: reformat it to seal objects")
        return cipher_for(self.keys, key_id, nonce, name, size=size,
                          block_size=self.shape.block_size, writing=True)

    def _opening(self, entry: Entry) -> ObjectCipher | None:
        """The cipher opening a sealed object (None: plaintext), else
        :class:`KeyUnavailableError` (destroyed key, or another key under its id)."""
        if entry.key_id is None:
            return None
        cipher = cipher_for(self.keys, entry.key_id, entry.nonce, entry.name, size=entry.size,
                            block_size=self.shape.block_size, writing=False)
        if cipher.check != entry.key_check:
            raise KeyUnavailableError(f"{entry.name!r}: key {entry.key_id} is not the key the "
                                      "object was sealed with")
        return cipher

    def _stored_size(self, entry: Entry) -> int:
        """Octets of what the blocks hold: the object, or its sealed image."""
        if entry.key_id is None:
            return entry.size
        return sealed_size(entry.size, self.shape.block_size)

    def _readable(self, entry: Entry) -> bool:
        return entry.key_id is None or (self.keys is not None and
                                        self.keys.can_read(entry.key_id))

    def _info(self, entry: Entry) -> ObjectInfo:
        """The API view of an entry: a sealed object's digest unmasked while its key is
        there, zeros (and not readable) once it is not."""
        info = entry.info()
        if entry.key_id is None:
            return info
        digest = self._digests.get(entry.nonce)
        if digest is None and self._readable(entry):
            with contextlib.suppress(KeyUnavailableError):
                cipher = self._opening(entry)
                assert cipher is not None
                digest = self._digests[entry.nonce] = cipher.mask(entry.sha256)
        if digest is None or not self._readable(entry):
            return replace(info, sha256=bytes(32), readable=False)
        return replace(info, sha256=digest)

    def writer(self, name: str, size_hint: int = 0, *,
               key_id: int | None = None) -> BufferedWriter:
        """Start a streamed put (held in memory until commit), sealed under ``key_id`` when
        given (checked now and again at commit)."""
        check_name(name)
        size_hint = as_count(size_hint, "size_hint")
        with self.lock:
            self._live()
            self._sealing(name, size_hint, key_id, bytes(16))
            capacity = self.layout.total_blocks * self.layout.geometry.block_size
            if size_hint > capacity:
                raise StoreFullError(f"{size_hint} octets exceed the store's {capacity}")
            return BufferedWriter(name, capacity, partial(self.put, key_id=key_id))

    def info(self, name: str) -> ObjectInfo:
        """The catalogue entry of one object."""
        with self.lock:
            return self._info(self.catalogue.entry(name))

    def exists(self, name: str) -> bool:
        """Whether an object has that name."""
        with self.lock:
            return isinstance(name, str) and name in self.catalogue.entries

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Catalogue entries whose name starts with ``prefix``, sorted by name."""
        if not isinstance(prefix, str):
            raise InvalidNameError(f"a name prefix is a string, not {type(prefix).__name__}")
        with self.lock:
            return [self._info(self.catalogue.entries[name])
                    for name in sorted(self.catalogue.entries) if name.startswith(prefix)]

    def names(self) -> Iterator[str]:
        """Every object name, sorted."""
        with self.lock:
            return iter(sorted(self.catalogue.entries))

    def delete(self, name: str) -> None:
        """Remove an object (durably) and free its blocks."""
        with self.lock:
            self._live()
            entry = self.catalogue.entry(name)
            self._commit(JournalRecord(RecordKind.DELETE, name=name))
            self._digests.pop(entry.nonce, None)

    def get(self, name: str) -> bytes:
        """The whole object, checked against its SHA-256 (repaired when it can be); a sealed
        one opened (:class:`KeyUnavailableError` without its key)."""
        with self.lock, self._counting():
            self._live()
            entry = self.catalogue.entry(name)
            if entry.state is ObjectState.LOST:
                raise DataLostError(f"object {name!r} is lost")
            cipher = self._opening(entry)
            stored, first_read = self._stored_size(entry), Tally()
            count = self.shape.data_count(stored)
            data = self._read_data(entry, 0, count, first_read, check_parity=False,
                                   check_blocks=False)[:stored]
            if not first_read.uncorrectable_words:
                with contextlib.suppress(SealBrokenError):  # rechecked block by block below
                    plain = self._open(entry, cipher, data, 0, count, lost=False)
                    if self._digest_matches(entry, cipher, plain):
                        return plain  # fast path: EDAC saw nothing it could not fix
            data = self._read_data(entry, 0, count, Tally(), check_parity=False)[:stored]
            plain = self._open(self.catalogue.entry(name), cipher, data, 0, count)
            if not self._digest_matches(entry, cipher, plain):
                self._mark_lost(self.catalogue.entry(name), [])
            return plain

    def _open(self, entry: Entry, cipher: ObjectCipher | None, data: bytes, first: int,
              stop: int, *, lost: bool = True) -> bytes:
        """The plaintext of data blocks ``first..stop-1`` read back as ``data``. A chunk
        failing its tag after the CRC checks and repair is lost (``lost``: the object is
        marked LOST and :class:`DataLostError` raised); never returned."""
        if cipher is None:
            return data
        try:
            return cipher.open(data, first, stop)
        except SealBrokenError as error:
            if not lost:
                raise
            self._mark_lost(entry, [self.shape.position_of_data(error.index)])

    @staticmethod
    def _digest_matches(entry: Entry, cipher: ObjectCipher | None, data: bytes) -> bool:
        digest = hashlib.sha256(data).digest()
        return (cipher.mask(digest) if cipher else digest) == entry.sha256

    def read(self, name: str, offset: int, length: int) -> bytes:
        """Part of an object, checked by block CRC-32C (repaired when it can be)."""
        with self.lock, self._counting():
            self._live()
            entry = self.catalogue.entry(name)
            offset, length = as_count(offset, "offset"), as_count(length, "length")
            if offset + length > entry.size:
                raise InvalidRangeError(f"octets {offset}+{length} are outside object {name!r} "
                                        f"of {entry.size}")
            cipher = self._opening(entry)
            if length == 0:
                return b""
            size = cipher.chunk if cipher else self.shape.block_size
            first, stop = offset // size, -(-(offset + length) // size)
            data = self._read_data(entry, first, stop, Tally(), check_parity=False)
            data = self._open(self.catalogue.entry(name), cipher, data, first, stop)
            start = offset - first * size
            return data[start:start + length]

    def verify(self, name: str) -> VerifyResult:
        """Read an object back fully (parity too) and check it, repairing what can be."""
        with self.lock, self._counting():
            self._live()
            entry = self.catalogue.entry(name)
            tally = Tally()
            try:
                if entry.state is ObjectState.LOST:
                    raise DataLostError(f"object {name!r} is lost")
                cipher = self._opening(entry)
                stored = self._stored_size(entry)
                count = self.shape.data_count(stored)
                data = self._read_data(entry, 0, count, tally, check_parity=True)[:stored]
                plain = self._open(self.catalogue.entry(name), cipher, data, 0, count)
                if not self._digest_matches(entry, cipher, plain):
                    self._mark_lost(self.catalogue.entry(name), [])
            except DataLostError:
                pass
            state = self.catalogue.entry(name).state
            return VerifyResult(name, state, tally.corrected_words, tally.repaired_blocks)

    def health(self) -> StoreHealth:
        """Capacity and counters for housekeeping."""
        with self.lock:
            size = self.layout.geometry.block_size
            catalogue, counters = self.catalogue, self.catalogue.counters
            bad = catalogue.count(BAD)
            capacity = (self.layout.total_blocks - bad) * size
            used = catalogue.used_blocks * size
            return StoreHealth(
                capacity, used, capacity - used, len(catalogue.entries), bad,
                counters.corrected_words, counters.uncorrectable_words,
                counters.repaired_blocks, counters.lost_blocks, counters.scrub_passes,
                counters.last_pass_duration_s, self.scrub_progress, self.scrub_period_s)

    # -- reading and repair --------------------------------------------------------------------

    def _read_data(self, entry: Entry, first: int, stop: int, tally: Tally, *,
                   check_parity: bool, check_blocks: bool = True) -> bytes:
        """Data blocks ``first..stop-1`` of ``entry`` joined, every block CRC-checked (unless
        not ``check_blocks``: the caller checks the SHA-256) and repaired from its stripe when
        it fails or holds words EDAC could not correct; :class:`DataLostError` when it cannot
        be."""
        if stop <= first:
            return b""
        shape, size = self.shape, self.shape.block_size
        start_pos = shape.position_of_data(first)
        stored, width = self._stored_size(entry), shape.data_blocks + shape.parity_blocks
        last = shape.stripe((stop - 1) // shape.data_blocks, stored)
        stop_pos = last.first + last.data_count + (last.parity_count if check_parity else 0)
        wanted = [shape.position_of_data(index) for index in range(first, stop)]
        check = None if check_parity else wanted if check_blocks else []
        span = self._read_blocks(entry, start_pos, stop_pos, check, tally)
        suspects = span.bad | span.damaged if check_blocks else span.bad
        for index in sorted({position // width for position in suspects}):
            stripe = shape.stripe(index, stored)
            entry = self._repair_stripe(self.catalogue.entry(entry.name), stripe, tally)
            self._patch(span, entry, stripe, size)
        view = memoryview(span.image)
        return b"".join(view[(position - start_pos) * size:(position - start_pos + 1) * size]
                        for position in wanted) if len(wanted) > 1 else bytes(
            view[(wanted[0] - start_pos) * size:(wanted[0] - start_pos + 1) * size])

    def _patch(self, span: BlockRead, entry: Entry, stripe: Stripe, size: int) -> None:
        """Put the repaired blocks of ``stripe`` (read back, now verified) into ``span``."""
        fresh = self.io.read(entry.blocks, entry.crcs, stripe.first,
                             stripe.first + stripe.data_count, check=None, tally=Tally())
        for position in stripe.data_positions:
            if span.first <= position < span.first + len(span.image) // size:
                at = (position - span.first) * size
                span.image[at:at + size] = fresh.block(position, size)

    def _read_blocks(self, entry: Entry, first: int, stop: int, check: Sequence[int] | None,
                     tally: Tally) -> BlockRead:
        """Blocks ``first..stop-1`` of ``entry`` (see :meth:`BlockIO.read`), their EDAC
        outcome added to ``tally`` and to the store's counters."""
        read = Tally()
        span = self.io.read(entry.blocks, entry.crcs, first, stop, check=check, tally=read)
        self.catalogue.counters.corrected_words += read.corrected_words
        self._count_uncorrectable(span.words)
        tally.corrected_words += read.corrected_words
        tally.uncorrectable_words += read.uncorrectable_words
        return span

    def _repair_stripe(self, entry: Entry, stripe: Stripe, tally: Tally) -> Entry:
        """Rebuild the failing blocks of ``stripe`` from the others and rewrite them, and
        rewrite blocks that pass their CRC-32C but hold words EDAC found uncorrectable (a
        double error in check bits: the rewrite re-encodes them), relocating blocks whose
        cells do not keep data; returns the entry as it now is. Raises
        :class:`DataLostError` (object marked LOST) beyond the code's reach."""
        size = self.shape.block_size
        stop = stripe.first + stripe.data_count + stripe.parity_count
        span = self._read_blocks(entry, stripe.first, stop, None, tally)
        if not span.bad and not span.damaged:
            return entry
        octets = {position: span.block(position, size) for position in span.damaged}
        if span.bad:
            octets.update(self._rebuild(entry, stripe, span))
        for position in sorted(octets):
            entry = self._rewrite(entry, position, octets[position])
            tally.repaired_blocks += 1
        if entry.state is ObjectState.INTACT:
            entry = replace(entry, state=ObjectState.REPAIRED)
            self._commit(JournalRecord(RecordKind.UPSERT, entry=entry))
        return entry

    def _rebuild(self, entry: Entry, stripe: Stripe, span: BlockRead) -> dict[int, bytes]:
        """The failed blocks of ``stripe`` rebuilt by the erasure code from the others, each
        checked against its CRC-32C; else the object is marked LOST."""
        size = self.shape.block_size
        blocks: list[bytes | None] = [None if position in span.bad else span.block(position, size)
                                      for position in stripe.positions]
        try:
            data = self.coder.reconstruct(blocks, stripe.data_count)
        except TooManyErasuresError:
            self._mark_lost(entry, sorted(span.bad))
        full = data + self.coder.encode(data)
        if any(crc32c(full[position - stripe.first]) != int(entry.crcs[position])
               for position in span.bad):
            self._mark_lost(entry, sorted(span.bad))
        return {position: full[position - stripe.first] for position in span.bad}

    def _rewrite(self, entry: Entry, position: int, octets: bytes) -> Entry:
        """Write a rebuilt block back; relocate it and retire the old block when its cells do
        not keep the data. Returns the entry as it now is."""
        block = int(entry.blocks[position])
        self.catalogue.counters.repaired_blocks += 1
        relocated = False
        if not self.io.rewrite(block, octets, int(entry.crcs[position])):
            entry, relocated = self._relocate(entry, position, octets)
        self.on_event("BLOCK_REPAIRED", block=block, name=entry.name, relocated=int(relocated))
        return entry

    def _relocate(self, entry: Entry, position: int, octets: bytes) -> tuple[Entry, bool]:
        """Move block ``position`` of ``entry`` (holding ``octets``) to a newly allocated
        block and retire the old one (docs/storage.md, "Bad-block retirement"); returns the
        entry as it now is and whether it moved (not when the store is full or the new block
        does not keep the data either: it stays, and is dealt with again later)."""
        block, crc = int(entry.blocks[position]), int(entry.crcs[position])
        try:
            new = self.catalogue.allocate(1)
        except StoreFullError:
            return entry, False
        if not self.io.rewrite(int(new[0]), octets, crc):
            self.catalogue.release(new)
            return entry, False
        blocks = entry.blocks.copy()
        blocks[position] = new[0]
        entry = replace(entry, blocks=blocks)
        self._commit(JournalRecord(RecordKind.UPSERT, entry=entry))
        self._commit(JournalRecord(RecordKind.RETIRE, blocks=(block,)))
        return entry, True

    def _mark_lost(self, entry: Entry, positions: Sequence[int]) -> NoReturn:
        """Mark ``entry`` LOST durably, count and report its lost blocks, raise."""
        if entry.state is not ObjectState.LOST:  # reported once, when first found
            self.catalogue.counters.lost_blocks += len(positions)
            for position in positions:
                self.on_event("BLOCK_LOST", block=int(entry.blocks[position]), name=entry.name)
            self._commit(JournalRecord(RecordKind.UPSERT,
                                       entry=replace(entry, state=ObjectState.LOST)))
        raise DataLostError(f"object {entry.name!r} cannot be read back intact "
                            f"({len(positions)} blocks beyond repair)")

    # -- scrubbing -----------------------------------------------------------------------------

    def scrub_span(self, offset: int, length: int) -> tuple[int, int]:
        """EDAC-scrub ``length`` octets of the medium at ``offset`` and deal with what EDAC
        could not correct: object blocks rebuilt from their stripe, free blocks rewritten
        (retired if they do not keep data), metadata rewritten from memory. Returns the
        corrected and uncorrectable word counts (each word once; words in retired blocks,
        LOST objects and known weak metadata cells are not counted).

        A word corrected again on ``retire_corrected_passes`` consecutive passes (the cell
        does not keep what EDAC wrote back) retires its data block, the data moved to
        another block, so stuck bits do not keep the patrol tightened."""
        with self.lock, self._counting():
            self._live()
            result = self.medium.scrub(offset, length)
            corrected = [word for word in result.corrected_words if not self._retired(word)]
            weak_blocks, known = self._track_corrected(corrected)
            counted = len(corrected) - known
            self.catalogue.counters.corrected_words += counted
            words = tuple(word for word in result.uncorrectable_words if self._news(word))
            self._count_uncorrectable(words)
            if words:
                self._handle_uncorrectable(words)
            for block in sorted(weak_blocks):
                self._retire_weak(block)
            return counted, len(words)

    @contextlib.contextmanager
    def _counting(self) -> Iterator[None]:
        """Within one operation, an uncorrectable word seen by several reads (a scrub, then
        the repair's read) is counted once."""
        if self._counted is not None:
            yield
            return
        self._counted = set()
        try:
            yield
        finally:
            self._counted = None

    def _count_uncorrectable(self, words: Sequence[int]) -> None:
        counted = self._counted if self._counted is not None else set()
        fresh = set(words) - counted
        counted.update(fresh)
        self.catalogue.counters.uncorrectable_words += len(fresh)

    def _retired(self, word: int) -> bool:
        block = self.layout.block_at(word * 8)
        return block is not None and self.catalogue.owner[block] == BAD

    def _track_corrected(self, words: Sequence[int]) -> tuple[set[int], int]:
        """Follow words corrected pass after pass. Returns the data blocks holding a word
        corrected on ``retire_corrected_passes`` consecutive passes, and the number of
        ``words`` that are such persistent words in a metadata area (not counted)."""
        passes = self.catalogue.counters.scrub_passes
        if passes != self._streak_pass:  # a new pass: forget words the last one did not see
            self._streaks = {word: seen for word, seen in self._streaks.items()
                             if seen[0] >= passes - 1}
            self._streak_pass = passes
        blocks: set[int] = set()
        known = 0
        for word in words:
            last, streak = self._streaks.get(word, (passes, 0))
            if last != passes or not streak:
                streak = streak + 1 if last == passes - 1 else 1
            self._streaks[word] = (passes, streak)
            if streak >= self.config.retire_corrected_passes:
                block = self.layout.block_at(word * 8)
                if block is None:
                    known += 1
                else:
                    blocks.add(block)
        return blocks, known

    def _retire_weak(self, block: int) -> None:
        """Retire a data block with a persistent correctable error: a free one at once, an
        object's after moving its (CRC-checked) data; a block that fails its check is
        repaired through its stripe first and moved on a later pass."""
        owner = int(self.catalogue.owner[block])
        if owner == FREE:
            self._commit(JournalRecord(RecordKind.RETIRE, blocks=(block,)))
        entry = self.catalogue.owner_of(block)
        if entry is not None and entry.state is not ObjectState.LOST:
            position = int(np.flatnonzero(entry.blocks == block)[0])
            span = self.io.read(entry.blocks, entry.crcs, position, position + 1, check=None,
                                tally=Tally())  # its corrected words were counted by the scrub
            self._count_uncorrectable(span.words)
            if span.bad or span.damaged:
                with contextlib.suppress(DataLostError):  # reported by BLOCK_LOST
                    self._repair_stripe(entry, self.shape.stripe_of(
                        position, self._stored_size(entry)), Tally())
                return
            entry, moved = self._relocate(entry, position,
                                          span.block(position, self.shape.block_size))
            if moved:
                self.catalogue.counters.repaired_blocks += 1
                self.on_event("BLOCK_REPAIRED", block=block, name=entry.name, relocated=1)
        if self.catalogue.owner[block] == BAD:
            first = self.layout.block_offset(block) // 8
            for word in range(first, first + self.shape.block_size // 8):
                self._streaks.pop(word, None)

    def _news(self, word: int) -> bool:
        """Whether an uncorrectable word is news: not in a retired block or a LOST object,
        which were reported when they went bad."""
        block = self.layout.block_at(word * 8)
        if block is None:
            return True
        if self.catalogue.owner[block] == BAD:
            return False
        entry = self.catalogue.owner_of(block)
        return entry is None or entry.state is not ObjectState.LOST

    def _handle_uncorrectable(self, words: tuple[int, ...]) -> None:
        """Report uncorrectable words per block (-1: a metadata area) and repair each."""
        by_block: dict[int, list[int]] = {}
        for word in words:
            block = self.layout.block_at(word * 8)
            by_block.setdefault(-1 if block is None else block, []).append(word)
        for block, found in sorted(by_block.items()):
            self.on_event("MEMORY_UNCORRECTABLE", block=block, words=len(found),
                          offset=found[0] * 8)
            if block < 0:
                self._repair_metadata(found)
                continue
            entry = self.catalogue.owner_of(block)
            if entry is None:
                self._repair_free(block)
                continue
            position = int(np.flatnonzero(entry.blocks == block)[0])
            with contextlib.suppress(DataLostError):  # reported by BLOCK_LOST
                self._repair_stripe(entry, self.shape.stripe_of(position,
                                                                self._stored_size(entry)),
                                    Tally())

    def _repair_free(self, block: int) -> None:
        """Clear a damaged free block; retire it if its cells do not keep zeros."""
        zeros = bytes(self.shape.block_size)
        if self.catalogue.owner[block] != FREE:
            return
        if not self.io.rewrite(block, zeros, crc32c(zeros)):
            self._commit(JournalRecord(RecordKind.RETIRE, blocks=(block,)))

    def _repair_metadata(self, words: Sequence[int]) -> None:
        """Rewrite all metadata from memory, then clear stale metadata words still damaged."""
        self.refresh_metadata()
        for word in words:
            if self.layout.block_at(word * 8) is not None:
                continue
            unit_offset = word * 8 // self.unit * self.unit
            if self.medium.read(unit_offset, self.unit).uncorrectable_words:
                self.medium.write(unit_offset, bytes(self.unit))
                self.medium.flush(unit_offset, self.unit)
