"""Memory regions: raw access, bit flips, stuck bits, memmap persistence and sparse files."""

from __future__ import annotations

import mmap
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_stubs.board import BoardArgumentError, BoardError, BoardStateError
from firmware_stubs.board.memory import MemoryRegion, RegionKind

SIZE = 256


def _region(size: int = SIZE) -> MemoryRegion:
    return MemoryRegion.in_memory("sram", RegionKind.SRAM, size)


def _set_bits(region: MemoryRegion) -> list[int]:
    """Positions of the set bits, by an independent route (unpackbits, LSB first)."""
    return np.flatnonzero(np.unpackbits(region.octets, bitorder="little")).tolist()


@given(st.integers(0, SIZE), st.binary(max_size=SIZE))
def test_write_read_round_trip(offset: int, data: bytes) -> None:
    region = _region()
    if offset + len(data) > SIZE:
        with pytest.raises(BoardArgumentError):
            region.write(offset, data)
        return
    region.write(offset, data)
    assert region.read(offset, len(data)) == data
    assert region.read(0, SIZE) == bytes(offset) + data + bytes(SIZE - offset - len(data))


@given(st.integers(0, SIZE // 8), st.lists(st.integers(0, 2**64 - 1), max_size=SIZE // 8))
def test_words_are_little_endian_octets(index: int, words: list[int]) -> None:
    region = _region()
    if index + len(words) > SIZE // 8:
        with pytest.raises(BoardArgumentError):
            region.write_words(index, words)
        return
    region.write_words(index, words)
    packed = struct.pack(f"<{len(words)}Q", *words)
    assert region.read(index * 8, len(packed)) == packed
    assert region.read_words(index, len(words)).tolist() == words
    assert region.words[index:index + len(words)].tolist() == words


@given(st.lists(st.integers(0, SIZE * 8 - 1), max_size=300))
def test_flip_bits_flips_exactly_the_odd_multiplicity_positions(positions: list[int]) -> None:
    region = _region()
    assert region.flip_bits(positions) == len(positions)
    odd = sorted(p for p, n in Counter(positions).items() if n % 2)
    assert _set_bits(region) == odd


@given(st.integers(0, SIZE * 8 - 1))
def test_bit_position_is_word_bit(position: int) -> None:
    region = _region()
    region.flip_bits([position])
    word = region.read_words(position // 64, 1)[0]
    assert int(word) == 1 << (position % 64)


def test_flip_bits_is_an_xor_on_existing_data() -> None:
    region = _region(16)
    region.write(0, bytes(range(16)))
    region.flip_bits([0, 9, 127])
    expected = bytearray(range(16))
    expected[0] ^= 0x01
    expected[1] ^= 0x02
    expected[15] ^= 0x80
    assert region.read(0, 16) == bytes(expected)


@pytest.mark.parametrize("count", [0, 1, 1000, 50_000])
def test_flip_random_returns_positions_it_flipped(count: int) -> None:
    region = _region(1 << 12)
    positions = region.flip_random(count, np.random.default_rng(count))
    assert len(positions) == count
    assert positions.dtype == np.int64
    assert count == 0 or (positions.min() >= 0 and positions.max() < region.bit_count)
    assert _set_bits(region) == sorted(p for p, n in Counter(positions.tolist()).items() if n % 2)


def test_flip_random_is_reproducible_and_uniform_enough() -> None:
    first = _region(1 << 10).flip_random(20_000, np.random.default_rng(7))
    again = _region(1 << 10).flip_random(20_000, np.random.default_rng(7))
    assert np.array_equal(first, again)
    # each eighth of the region gets about an eighth of the flips (chi-square style bound)
    per_eighth = np.bincount(first * 8 // (1 << 13), minlength=8)
    assert per_eighth.min() > 2_200 and per_eighth.max() < 2_800


def test_stuck_bits_reassert_after_writes_fills_and_flips() -> None:
    region = _region(16)
    region.stick_bits([3], 1)
    region.stick_bits([8, 15], 0)
    assert region.stuck_bits == {3: 1, 8: 0, 15: 0}
    assert region.read(0, 2) == b"\x08\x00"  # stuck-at-1 is effective at once
    region.write(0, b"\x00\xff")
    assert region.read(0, 2) == b"\x08\x7e"
    region.write_words(0, [0xFFFF_FFFF_FFFF_FFFF])
    assert region.read(0, 2) == b"\xff\x7e"
    region.fill(0)
    assert region.read(0, 2) == b"\x08\x00"
    region.flip_bits([3, 8, 4])
    assert region.read(0, 2) == b"\x18\x00"
    region.release_bits([3])
    region.write(0, b"\x00\xff")
    assert region.read(0, 2) == b"\x00\x7e"
    region.release_bits()
    region.write(0, b"\x00\xff")
    assert region.read(0, 2) == b"\x00\xff"
    assert region.stuck_bits == {}


def test_stuck_bits_outside_a_write_are_untouched() -> None:
    region = _region(32)
    region.write(0, b"\xff" * 32)
    region.stick_bits([0], 0)
    region.write(16, b"\x00" * 16)
    assert region.read(0, 1) == b"\xfe"
    assert region.read(1, 15) == b"\xff" * 15


def test_volatility_by_kind() -> None:
    assert RegionKind.SRAM.volatile and RegionKind.DRAM.volatile
    assert not any(k.volatile for k in (RegionKind.NAND, RegionKind.NOR, RegionKind.MRAM,
                                        RegionKind.STORAGE))


def test_raw_views_are_read_only() -> None:
    region = _region()
    with pytest.raises(ValueError, match="read-only"):
        region.octets[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        region.words[0] = 1


BAD_CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("read", (-1, 4)), ("read", (0, SIZE + 1)), ("read", (1.5, 2)), ("read", (0, -1)),
    ("write", (SIZE, b"x")), ("write", ("0", b"x")), ("write", (0, "text")),
    ("read_words", (SIZE // 8, 1)), ("write_words", (0, [-1])), ("write_words", (0, [2**64])),
    ("write_words", (0, [1.5])), ("write_words", (0, "abc")),
    ("flip_bits", ([SIZE * 8],)), ("flip_bits", ([-1],)), ("flip_bits", ([0.5],)),
    ("flip_bits", ([2**70],)), ("flip_bits", (np.array([2**63], dtype=np.uint64),)),
    ("flip_random", (-1, np.random.default_rng())), ("stick_bits", ([0], 2)),
    ("stick_bits", ([SIZE * 8], 1)), ("fill", (256,)), ("fill", (None,)),
]


@pytest.mark.parametrize(("method", "args"), BAD_CALLS)
def test_bad_arguments_raise_board_argument_error(method: str, args: tuple[Any, ...]) -> None:
    region = _region()
    region.write(0, b"\xa5" * SIZE)
    with pytest.raises(BoardArgumentError):
        getattr(region, method)(*args)
    assert region.read(0, SIZE) == b"\xa5" * SIZE  # a rejected call changes nothing


@settings(max_examples=200)
@given(st.sampled_from(["read", "write", "read_words", "write_words", "flip_bits", "fill"]),
       st.lists(st.one_of(st.integers(-2**70, 2**70), st.floats(), st.binary(max_size=8),
                          st.text(max_size=3), st.none(),
                          st.lists(st.integers(-2**65, 2**65), max_size=4)),
                min_size=1, max_size=2))
def test_garbage_arguments_only_raise_board_errors(method: str, args: list[Any]) -> None:
    try:
        getattr(_region(), method)(*args)
    except BoardError:
        pass
    except TypeError as exc:  # wrong number of arguments is a programming error, not data
        assert "positional argument" in str(exc)


@pytest.mark.parametrize("size", [0, -8, 12, 2.0])
def test_sizes_must_be_positive_word_multiples(size: Any) -> None:
    with pytest.raises(BoardArgumentError):
        MemoryRegion.in_memory("x", "sram", size)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(BoardArgumentError):
        MemoryRegion.in_memory("x", "flux-capacitor", 8)


def test_closed_region_refuses_access(tmp_path: Path) -> None:
    region = MemoryRegion.file_backed("nand", RegionKind.NAND, tmp_path / "nand.img", 64)
    region.close()
    region.close()  # idempotent
    assert region.closed
    for call in (lambda: region.read(0, 1), lambda: region.write(0, b"x"), region.flush,
                 lambda: region.flip_bits([0]), lambda: region.octets):
        with pytest.raises(BoardStateError):
            call()


def test_memmap_contents_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "state" / "nand.img"
    with MemoryRegion.file_backed("nand", RegionKind.NAND, path, 4096) as region:
        region.write(100, b"persistent")
        region.flip_bits([0, 4095 * 8 + 7])
    assert path.read_bytes()[100:110] == b"persistent"  # on disk, read independently
    with MemoryRegion.file_backed("nand", RegionKind.NAND, path, 4096) as again:
        assert again.read(100, 10) == b"persistent"
        assert again.read(0, 1) == b"\x01" and again.read(4095, 1) == b"\x80"
        assert again.path == path


def test_memmap_size_mismatch_is_a_state_error(tmp_path: Path) -> None:
    path = tmp_path / "nand.img"
    MemoryRegion.file_backed("nand", RegionKind.NAND, path, 64).close()
    with pytest.raises(BoardStateError, match="64"):
        MemoryRegion.file_backed("nand", RegionKind.NAND, path, 128)


def test_memmap_in_unwritable_place_is_a_state_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(BoardStateError):
        MemoryRegion.file_backed("nand", RegionKind.NAND, blocker / "nand.img", 64)


def test_four_gib_region_is_sparse(tmp_path: Path) -> None:
    size = 4 << 30
    path = tmp_path / "big.img"
    with MemoryRegion.file_backed("storage", RegionKind.STORAGE, path, size) as region:
        region.write(size - 8, b"tail end")
        region.write(0, b"head")
        region.flip_random(100, np.random.default_rng(1))
    stat = path.stat()
    assert stat.st_size == size
    assert stat.st_blocks * 512 < 16 << 20  # about 100 touched pages, not 4 GiB
    with MemoryRegion.file_backed("storage", RegionKind.STORAGE, path, size) as region:
        assert region.read(0, 4) == b"head"


class _RecordingMap:
    """Stands in for a memmap's mmap: records the ranges given to ``flush`` and passes them
    on to the real mapping (it models nothing else)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.ranges: list[tuple[int, int]] = []

    def flush(self, offset: int, size: int) -> None:
        self.ranges.append((offset, size))
        self.real.flush(offset, size)


def test_a_ranged_flush_syncs_only_the_pages_of_the_range(tmp_path: Path) -> None:
    page = mmap.ALLOCATIONGRANULARITY
    path = tmp_path / "mass.img"
    region = MemoryRegion.file_backed("mass", RegionKind.STORAGE, path, 16 * page)
    mapping = region._octets._mmap  # type: ignore[union-attr]
    recorder = _RecordingMap(mapping)
    region._octets._mmap = recorder  # type: ignore[union-attr]
    region.write(3 * page + 100, b"flushed range")
    region.flush(3 * page + 100, 13)
    region.flush(5 * page - 4, 8)  # straddles a page boundary: both pages
    assert recorder.ranges == [(3 * page, 100 + 13), (4 * page, page + 4)]
    with path.open("rb") as handle:  # an independent descriptor on the file
        handle.seek(3 * page + 100)
        assert handle.read(13) == b"flushed range"
    region._octets._mmap = mapping  # type: ignore[union-attr]
    region.close()
    with MemoryRegion.file_backed("mass", RegionKind.STORAGE, path, 16 * page) as again:
        assert again.read(3 * page + 100, 13) == b"flushed range"


def test_whole_and_empty_flushes(tmp_path: Path) -> None:
    path = tmp_path / "mass.img"
    with MemoryRegion.file_backed("mass", RegionKind.STORAGE, path, 8192) as region:
        region.write(8000, b"end")
        region.flush()
        region.flush(8192, 0)
        region.flush(4096)  # to the end
        assert path.read_bytes()[8000:8003] == b"end"
    memory = _region()
    memory.flush(0, SIZE)  # in memory: checked, nothing to write
    memory.flush()


@pytest.mark.parametrize(("offset", "length"), [
    (-1, 1), (0, SIZE + 1), (SIZE, 1), (1, -1), (SIZE + 1, None), (1.5, 1), (0, "8"), (None, 1),
])
def test_flush_range_errors_are_typed(tmp_path: Path, offset: Any, length: Any) -> None:
    memory = _region()
    backed = MemoryRegion.file_backed("nand", RegionKind.NAND, tmp_path / "n.img", SIZE)
    for region in (memory, backed):
        with pytest.raises(BoardArgumentError):
            region.flush(offset, length)
    backed.close()
    with pytest.raises(BoardStateError):
        backed.flush(0, 8)
