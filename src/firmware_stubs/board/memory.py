"""Named memory regions of the board with raw access below any EDAC.

A region is a flat array of octets (a numpy array, or a numpy memmap of a sparse file so
that gigabyte-sized non-volatile images survive restarts without being read whole). Bit
``p`` of a region is bit ``p % 8`` (0 = least significant) of octet ``p // 8``; 64-bit words
are little-endian, so bit ``p`` is also bit ``p % 64`` of word ``p // 64``. Single event
upsets are modelled as bit flips and permanent cell damage as stuck-at bits that reassert
after every write, the fault model of ECSS-Q-ST-60-15C (radiation hardness assurance).
The EDAC layer (SECDED over 64-bit words) sits above this and sees what a real one would.
"""

from __future__ import annotations

import mmap
import operator
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from firmware_stubs._buffers import Buffer, as_uint8
from firmware_stubs.board.errors import BoardArgumentError, BoardStateError

WORD_OCTETS = 8
WORD_DTYPE = np.dtype("<u8")


class RegionKind(StrEnum):
    """The technology of a region; it decides what a power cycle does to the contents."""

    SRAM = "sram"
    DRAM = "dram"
    NAND = "nand"
    NOR = "nor"
    MRAM = "mram"
    STORAGE = "storage"
    """A file on a real board's own storage (SD card, eMMC, NVMe)."""

    @property
    def volatile(self) -> bool:
        """Whether the contents are lost when power is removed."""
        return self in (RegionKind.SRAM, RegionKind.DRAM)


def _index(value: object, what: str) -> int:
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError as exc:
        raise BoardArgumentError(f"{what} must be an integer, not {type(value).__name__}") from exc


def _integers(values: object, dtype: np.dtype[Any], low: int, high: int,
              what: str) -> NDArray[Any]:
    """``values`` (integers, a sequence of them or an integer array) as a flat ``dtype``
    array, each in ``[low, high]``; no silent wrap-around or float truncation."""
    if isinstance(values, np.ndarray):
        array = values.reshape(-1)
        if array.size and array.dtype.kind not in "ui":
            raise BoardArgumentError(f"{what} must be integers, not dtype {array.dtype}")
        items = array
    else:
        if isinstance(values, (str, bytes, bytearray, memoryview)):
            raise BoardArgumentError(f"{what} must be integers, not {type(values).__name__}")
        try:
            sequence = list(values)  # type: ignore[call-overload]
        except TypeError:
            sequence = [values]
        items = np.array([_index(value, what) for value in sequence], dtype=object)
    if items.size and (int(items.min()) < low or int(items.max()) > high):
        raise BoardArgumentError(f"{what} must lie in [{low}, {high}]")
    return np.asarray(items, dtype=dtype)


def _check_size(size: object) -> int:
    size = _index(size, "size")
    if size <= 0 or size % WORD_OCTETS:
        raise BoardArgumentError(f"size must be a positive multiple of {WORD_OCTETS}, not {size}")
    return size


class MemoryRegion:
    """A named region of ``size`` octets with raw octet, word and bit access.

    Build one with :meth:`in_memory` or :meth:`file_backed`. Stuck bits (:meth:`stick_bits`)
    hold their value through writes, fills and flips until released.
    """

    def __init__(self, name: str, kind: RegionKind | str, octets: NDArray[np.uint8],
                 path: Path | None = None) -> None:
        if (not isinstance(octets, np.ndarray) or octets.dtype != np.uint8 or octets.ndim != 1
                or not octets.flags.c_contiguous or not octets.flags.writeable):
            raise BoardArgumentError("a region needs a writable 1-D contiguous uint8 array")
        try:
            self.kind = RegionKind(kind)
        except ValueError as exc:
            raise BoardArgumentError(f"unknown region kind {kind!r}") from exc
        self.name = name
        self.size = _check_size(len(octets))
        self.path = path
        self._octets: NDArray[np.uint8] | None = octets
        self._stuck: dict[int, int] = {}
        self._stuck_octets: NDArray[np.int64] = np.empty(0, np.int64)
        self._stuck_zero: NDArray[np.uint8] = np.empty(0, np.uint8)
        self._stuck_one: NDArray[np.uint8] = np.empty(0, np.uint8)

    @classmethod
    def in_memory(cls, name: str, kind: RegionKind | str, size: int) -> MemoryRegion:
        """A zero-filled region in process memory (pages are allocated when first written)."""
        return cls(name, kind, np.zeros(_check_size(size), dtype=np.uint8))

    @classmethod
    def file_backed(cls, name: str, kind: RegionKind | str, path: str | Path,
                    size: int) -> MemoryRegion:
        """A region mapped from ``path``, created as a sparse zero file when missing.

        An existing file must have exactly ``size`` octets; it is mapped, not read, so opening
        a 4 GiB image costs no I/O. Writes reach the file at :meth:`flush` or :meth:`close`.
        """
        size, path = _check_size(size), Path(path)
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("xb") as handle:
                    handle.truncate(size)  # a hole: no blocks allocated until written
            actual = path.stat().st_size
            if actual != size:
                raise BoardStateError(f"{path} holds {actual} octets, region {name!r} needs {size}")
            octets = np.memmap(path, dtype=np.uint8, mode="r+", shape=(size,))
        except (OSError, ValueError, OverflowError) as exc:  # also: no room in a 32-bit space
            raise BoardStateError(f"cannot map region {name!r} from {path}: {exc}") from exc
        return cls(name, kind, octets, path)

    # -- life cycle ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._octets is None

    def _live(self) -> NDArray[np.uint8]:
        if self._octets is None:
            raise BoardStateError(f"region {self.name!r} is closed")
        return self._octets

    def flush(self, offset: int = 0, length: int | None = None) -> None:
        """Write a file-backed region's changes in octets ``[offset, offset + length)`` (to
        the end when ``length`` is None) to its file; a no-op in memory.

        Only the pages holding the range are synchronised (msync of the page-aligned range
        through the memmap's underlying mmap), so a small range costs a small write-back.
        A range outside the region raises :class:`BoardArgumentError`.
        """
        octets = self._live()
        start = _index(offset, "offset")
        count = self.size - start if length is None else _index(length, "length")
        if start < 0 or count < 0 or start + count > self.size:
            raise BoardArgumentError(
                f"flush range {start} + {count} is outside region {self.name!r} of "
                f"{self.size} octets")
        if not isinstance(octets, np.memmap) or count == 0:
            return
        mapping = getattr(octets, "_mmap", None)
        if mapping is None or (start == 0 and count == self.size):
            octets.flush()
            return
        # numpy maps from the offset rounded down to the allocation granularity
        base = octets.offset % mmap.ALLOCATIONGRANULARITY
        low = (base + start) // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
        mapping.flush(low, base + start + count - low)

    def close(self) -> None:
        """Flush and release the array; later access raises :class:`BoardStateError`."""
        if self._octets is not None:
            self.flush()
            self._octets = None

    def __enter__(self) -> MemoryRegion:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return f"MemoryRegion({self.name!r}, {self.kind.value!r}, size={self.size}{where})"

    # -- raw access ------------------------------------------------------------------------

    @property
    def bit_count(self) -> int:
        """Number of bits in the region."""
        return self.size * 8

    @property
    def octets(self) -> NDArray[np.uint8]:
        """A read-only view of the whole region (no copy)."""
        view = self._live().view(np.ndarray)
        view.flags.writeable = False
        return view

    @property
    def words(self) -> NDArray[np.uint64]:
        """A read-only view of the region as little-endian 64-bit words (no copy)."""
        return self.octets.view(WORD_DTYPE)

    def _span(self, offset: object, length: object, unit: int, what: str) -> tuple[int, int]:
        start, count = _index(offset, what), _index(length, "length")
        limit = self.size // unit
        if start < 0 or count < 0 or start + count > limit:
            raise BoardArgumentError(
                f"{what} {start} + {count} is outside region {self.name!r} of {limit} units")
        return start * unit, (start + count) * unit

    def read(self, offset: int, length: int) -> bytes:
        """``length`` octets from ``offset``."""
        start, stop = self._span(offset, length, 1, "offset")
        return self._live()[start:stop].tobytes()

    def write(self, offset: int, data: Buffer) -> None:
        """Write ``data`` at ``offset``; stuck bits keep their value."""
        try:
            source = np.frombuffer(as_uint8(data), dtype=np.uint8)
        except (TypeError, ValueError) as exc:
            raise BoardArgumentError(f"cannot write {type(data).__name__}: {exc}") from exc
        start, stop = self._span(offset, len(source), 1, "offset")
        self._live()[start:stop] = source
        self._reassert(start, stop)

    def read_words(self, index: int, count: int) -> NDArray[np.uint64]:
        """A copy of ``count`` 64-bit words from word ``index``."""
        start, stop = self._span(index, count, WORD_OCTETS, "word index")
        return self._live()[start:stop].view(WORD_DTYPE).copy()

    def write_words(self, index: int, words: npt.ArrayLike) -> None:
        """Write 64-bit words (unsigned integers) from word ``index``; stuck bits hold."""
        values = _integers(words, WORD_DTYPE, 0, 2**64 - 1, "words")
        start, stop = self._span(index, len(values), WORD_OCTETS, "word index")
        self._live()[start:stop] = values.view(np.uint8)
        self._reassert(start, stop)

    def fill(self, value: int = 0) -> None:
        """Set every octet to ``value`` (what a power cycle leaves in a volatile region)."""
        octet = _index(value, "value")
        if not 0 <= octet <= 0xFF:
            raise BoardArgumentError(f"fill value {octet} is not an octet")
        self._live().fill(octet)
        self._reassert(0, self.size)

    # -- faults ----------------------------------------------------------------------------

    def _positions(self, positions: npt.ArrayLike) -> NDArray[np.int64]:
        return _integers(positions, np.dtype(np.int64), 0, self.bit_count - 1, "bit positions")

    def flip_bits(self, positions: npt.ArrayLike) -> int:
        """Invert the bits at ``positions`` (a position given twice flips back).

        Stuck bits do not change. Returns the number of positions applied.
        """
        flat = self._positions(positions)
        masks = np.left_shift(1, flat & 7).astype(np.uint8)
        np.bitwise_xor.at(self._live(), flat >> 3, masks)
        self._reassert(0, self.size)
        return len(flat)

    def flip_random(self, count: int, rng: np.random.Generator) -> NDArray[np.int64]:
        """Flip ``count`` bits at uniformly drawn positions (with replacement); return them."""
        count = _index(count, "count")
        if count < 0:
            raise BoardArgumentError(f"count must be >= 0, not {count}")
        if not isinstance(rng, np.random.Generator):
            raise BoardArgumentError(f"rng must be a numpy Generator, not {type(rng).__name__}")
        positions = rng.integers(0, self.bit_count, size=count, dtype=np.int64)
        self.flip_bits(positions)
        return positions

    @property
    def stuck_bits(self) -> dict[int, int]:
        """Stuck bits as ``{position: value}``."""
        return dict(self._stuck)

    def stick_bits(self, positions: npt.ArrayLike, value: int) -> None:
        """Make the bits at ``positions`` stuck at ``value`` (0 or 1), effective at once."""
        if value not in (0, 1):
            raise BoardArgumentError(f"a stuck bit is 0 or 1, not {value!r}")
        self._stuck.update(dict.fromkeys(self._positions(positions).tolist(), value))
        self._rebuild_stuck()

    def release_bits(self, positions: npt.ArrayLike | None = None) -> None:
        """Release the stuck bits at ``positions`` (all when None); their values stay."""
        if positions is None:
            self._stuck.clear()
        else:
            for position in self._positions(positions).tolist():
                self._stuck.pop(position, None)
        self._rebuild_stuck()

    def _rebuild_stuck(self) -> None:
        positions = np.fromiter(self._stuck, dtype=np.int64, count=len(self._stuck))
        values = np.fromiter(self._stuck.values(), dtype=np.uint8, count=len(self._stuck))
        octets, inverse = np.unique(positions >> 3, return_inverse=True)
        bits = np.left_shift(1, positions & 7).astype(np.uint8)
        zero, one = np.zeros(len(octets), np.uint8), np.zeros(len(octets), np.uint8)
        np.bitwise_or.at(zero, inverse, np.where(values == 0, bits, 0).astype(np.uint8))
        np.bitwise_or.at(one, inverse, np.where(values == 1, bits, 0).astype(np.uint8))
        self._stuck_octets, self._stuck_zero, self._stuck_one = octets, zero, one
        self._reassert(0, self.size)

    def _reassert(self, start: int, stop: int) -> None:
        """Force the stuck bits of octets ``[start, stop)`` back to their values."""
        if not self._stuck:
            return
        low, high = np.searchsorted(self._stuck_octets, (start, stop))
        where = self._stuck_octets[low:high]
        octets: Any = self._live()
        octets[where] = (octets[where] & ~self._stuck_zero[low:high]) | self._stuck_one[low:high]
