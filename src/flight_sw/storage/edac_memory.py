"""EDAC view of a mass-memory region: SECDED (72,64) on every 64-bit word, bit-interleaved.

Layout of the region (``D`` = ``interleave``, a *group* = ``D`` words = ``8 * D`` octets):

- the data area, octets ``[0, data_octets)``, holds the physical data words;
- the check area, octets ``[data_octets, data_octets + data_octets // 8)``, holds one check
  octet per physical word (check octet ``i`` sits beside physical word ``i``);
- any remaining octets (less than one group plus its check octets) are unused.

Interleaving (multi-bit upsets hit physically adjacent cells, PROFILES.md): logical bit ``j``
of logical word ``k`` (``0 <= k < D``) of group ``g`` is physical bit ``p = j * D + k`` of the
group's ``64 * D`` data bits, i.e. bit ``p % 64`` of physical word ``g * D + p // 64``; its
check bit ``r`` is bit ``r * D + k`` of the group's ``8 * D`` check bits (octet
``data_octets + g * D + (r * D + k) // 8``). Bits are numbered as in
:class:`~firmware_stubs.board.memory.MemoryRegion` (little-endian words). So any ``D``
adjacent physical bits, in the data or the check area and across group boundaries, belong to
``D`` different codewords, each of which sees a single, corrected error. ``D = 1`` is the
plain layout. Logical word ``w`` holds data octets ``[8 * w, 8 * w + 8)``; reported word
indices are logical ones.

The code is the Hsiao SECDED of :mod:`firmware_stubs.secded`: single errors are corrected on
read (and written back), double errors detected, as flight mass-memory EDAC does. Scrubbing
(ECSS-Q-ST-60-15C radiation mitigation practice) reads without copying; only groups holding a
correctable error are rewritten, under the lock that serialises writes, so a scrub never
loses a concurrent write. Concurrent reads and writes of one range are the caller's to order.
A write stores data then check octets; an interruption in between shows up as EDAC errors.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from firmware_stubs import secded
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage.api import Buffer, StorageError

WORD_OCTETS = 8
CHUNK_WORDS = 1 << 16
"""Words per kernel call (512 KiB of data): bounds temporary memory and keeps it in cache."""
INTERLEAVE_DEPTHS = secded.DEPTHS


class EdacArgumentError(StorageError, ValueError):
    """A range or parameter the EDAC memory cannot serve (misaligned, out of bounds)."""


@dataclass
class EdacCounters:
    """EDAC events since the memory object was made (for housekeeping)."""

    corrected_words: int = 0
    """Words whose single error was corrected in memory (by a read or a scrub)."""
    uncorrectable_words: int = 0
    """Detections of words with an uncorrectable error (a word is counted each time seen)."""
    scrubbed_octets: int = 0
    """Data octets checked by :meth:`EdacMemory.scrub`."""


@dataclass(frozen=True)
class EdacRead:
    """Data read through EDAC."""

    data: bytes
    """Single errors corrected; uncorrectable words as read (do not trust them)."""
    corrected: int
    """Words of the range with a corrected single error."""
    uncorrectable_words: tuple[int, ...]
    """Logical indices of the words with an uncorrectable error, ascending."""


@dataclass(frozen=True)
class ScrubResult:
    """Outcome of scrubbing a range."""

    corrected: int
    uncorrectable_words: tuple[int, ...]
    corrected_words: tuple[int, ...] = ()
    """Logical indices of the words whose single error was corrected, ascending."""


class EdacMemory:
    """SECDED-protected, bit-interleaved words over a :class:`MemoryRegion` (layout above)."""

    def __init__(self, region: MemoryRegion, *, interleave: int = 4) -> None:
        if not isinstance(region, MemoryRegion):
            raise EdacArgumentError(f"region must be a MemoryRegion, not {type(region).__name__}")
        if type(interleave) is not int or interleave not in INTERLEAVE_DEPTHS:
            raise EdacArgumentError(
                f"interleave must be one of {INTERLEAVE_DEPTHS}, not {interleave!r}")
        groups = region.size // (9 * interleave)
        if groups == 0:
            raise EdacArgumentError(
                f"region {region.name!r} of {region.size} octets holds no group of "
                f"{8 * interleave} data octets and {interleave} check octets")
        self.region = region
        self.interleave = interleave
        self.group_octets = WORD_OCTETS * interleave
        self.data_octets = groups * self.group_octets
        self.check_offset = self.data_octets
        self.counters = EdacCounters()
        self._lock = threading.Lock()
        self._area: tuple[NDArray[np.uint64], NDArray[np.uint8]] | None = None
        """Cached read-only views of the data and check areas (dropped when closed)."""

    def __repr__(self) -> str:
        return (f"EdacMemory({self.region!r}, interleave={self.interleave}, "
                f"data_octets={self.data_octets})")

    # -- ranges ---------------------------------------------------------------------------

    def _words(self, offset: object, length: object) -> tuple[int, int]:
        """First logical word and word count of a group-aligned range of the data area."""
        try:
            start, count = operator.index(offset), operator.index(length)  # type: ignore[arg-type]
        except TypeError as exc:
            raise EdacArgumentError("offset and length must be integers") from exc
        if start < 0 or count < 0 or start + count > self.data_octets:
            raise EdacArgumentError(
                f"range {start} + {count} is outside the data area of {self.data_octets} octets")
        if start % self.group_octets or count % self.group_octets:
            raise EdacArgumentError(
                f"offset {start} and length {count} must be multiples of the "
                f"{self.group_octets}-octet group (interleave {self.interleave})")
        return start // WORD_OCTETS, count // WORD_OCTETS

    @staticmethod
    def _chunks(first: int, count: int) -> Iterator[tuple[int, int]]:
        for start in range(first, first + count, CHUNK_WORDS):
            yield start, min(CHUNK_WORDS, first + count - start)

    def _views(self, first: int, count: int) -> tuple[NDArray[np.uint64], NDArray[np.uint8]]:
        """Read-only views (no copy) of physical words and their check octets."""
        area = self._area
        if area is None or self.region.closed:
            self._area = None  # let a closed region's mapping go
            octets = self.region.octets  # raises BoardStateError once the region is closed
            area = (octets[:self.data_octets].view(np.uint64),
                    octets[self.check_offset:self.check_offset + self.data_octets // 8])
            self._area = area
        words, checks = area
        return words[first:first + count], checks[first:first + count]

    # -- access ---------------------------------------------------------------------------

    def write(self, offset: int, data: Buffer) -> None:
        """Store ``data`` (a whole number of groups) at ``offset`` with its check octets."""
        try:
            view = memoryview(data).cast("B")
        except TypeError as exc:
            raise EdacArgumentError(f"cannot write {type(data).__name__}: {exc}") from exc
        first, count = self._words(offset, view.nbytes)
        logical = np.frombuffer(view, dtype=np.uint64)
        if not logical.flags.aligned:
            logical = logical.copy()
        physical = np.empty(min(count, CHUNK_WORDS), dtype=np.uint64)
        checks = np.empty(len(physical), dtype=np.uint8)
        with self._lock:
            for start, n in self._chunks(first, count):
                relative = start - first
                secded.encode_interleaved(logical[relative:relative + n], self.interleave,
                                          out_words=physical[:n], out_checks=checks[:n])
                self.region.write(start * WORD_OCTETS, physical[:n])
                self.region.write(self.check_offset + start, checks[:n])

    def read(self, offset: int, length: int) -> EdacRead:
        """Data of a group-aligned range, single errors corrected (and written back)."""
        first, count = self._words(offset, length)
        out = np.empty(count, dtype=np.uint64)
        corrected = 0
        bad: list[int] = []
        for start, n in self._chunks(first, count):
            words, checks = self._views(start, n)
            relative = start - first
            result = secded.check_interleaved(words, checks, self.interleave, correct=False,
                                              decoded=out[relative:relative + n], max_report=0)
            if result.corrected or result.uncorrectable:
                corrected += result.corrected
                bad.extend(self._repair(start, n)[1])
        return EdacRead(out.tobytes(), corrected, tuple(bad))

    def scrub(self, offset: int, length: int) -> ScrubResult:
        """Check a group-aligned range in place, correcting single errors in memory."""
        first, count = self._words(offset, length)
        fixed: list[int] = []
        bad: list[int] = []
        for start, n in self._chunks(first, count):
            words, checks = self._views(start, n)
            result = secded.check_interleaved(words, checks, self.interleave, correct=False,
                                              max_report=0)
            if result.corrected or result.uncorrectable:
                repaired, uncorrectable = self._repair(start, n)
                fixed.extend(repaired)
                bad.extend(uncorrectable)
        with self._lock:
            self.counters.scrubbed_octets += count * WORD_OCTETS
        return ScrubResult(len(fixed), tuple(bad), tuple(sorted(fixed)))

    def _repair(self, first: int, count: int) -> tuple[list[int], list[int]]:
        """Correct the single errors of a range in memory (rewriting only the groups that hold
        one) and count them; return the logical indices of the corrected words and of the
        uncorrectable words."""
        depth = self.interleave
        with self._lock:
            views = self._views(first, count)
            words, checks = views[0].copy(), views[1].copy()
            result = secded.check_interleaved(words, checks, depth, correct=True,
                                              max_report=count)
            for group in np.unique(result.corrected_indices // depth).tolist():
                low, high = group * depth, (group + 1) * depth
                self.region.write((first + low) * WORD_OCTETS, words[low:high])
                self.region.write(self.check_offset + first + low, checks[low:high])
            self.counters.corrected_words += result.corrected
            self.counters.uncorrectable_words += result.uncorrectable
        return ((result.corrected_indices + first).tolist(),
                (result.uncorrectable_indices + first).tolist())

    # -- maintenance ----------------------------------------------------------------------

    def flush(self, offset: int = 0, length: int | None = None) -> None:
        """Persist a range of the data area of a file-backed region: its data octets and
        their check octets, each by a ranged :meth:`MemoryRegion.flush` (msync of the pages
        holding them); the whole region when called without arguments."""
        try:
            start = operator.index(offset)
            count = self.data_octets - start if length is None else operator.index(length)
        except TypeError as exc:
            raise EdacArgumentError("offset and length must be integers") from exc
        if start < 0 or count < 0 or start + count > self.data_octets:
            raise EdacArgumentError(
                f"range {start} + {count} is outside the data area of {self.data_octets} octets")
        if start == 0 and length is None:
            self.region.flush()
            return
        if count == 0:
            return
        self.region.flush(start, count)
        low, high = start // WORD_OCTETS, -(-(start + count) // WORD_OCTETS)
        self.region.flush(self.check_offset + low, high - low)

    def format(self) -> None:
        """All-zero data with valid check octets (the check octets of zero words are zero).

        Only chunks not already zero are written, so formatting a fresh sparse image costs
        reads of holes, not writes.
        """
        total = self.data_octets + self.data_octets // WORD_OCTETS
        zeros = np.zeros(CHUNK_WORDS * WORD_OCTETS, dtype=np.uint8)
        with self._lock:
            for start in range(0, total, len(zeros)):
                stop = min(total, start + len(zeros))
                if self.region.octets[start:stop].any():
                    self.region.write(start, zeros[:stop - start])
