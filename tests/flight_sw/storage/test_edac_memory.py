"""EdacMemory over real MemoryRegions: layout, correction of upsets and clusters at every
alignment, detection of double errors, scrub in place, stuck bits, format, persistence and
misuse. Expected positions come from the documented mapping, written out here on its own."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_stubs import secded
from firmware_stubs._buffers import Buffer
from firmware_stubs.board.errors import BoardStateError
from firmware_stubs.board.memory import MemoryRegion
from flight_sw.storage import edac_memory
from flight_sw.storage.api import StorageError
from flight_sw.storage.edac_memory import EdacArgumentError, EdacMemory

DEPTHS = (1, 2, 4, 8)


def make(depth: int, groups: int = 16) -> tuple[MemoryRegion, EdacMemory]:
    size = groups * 9 * depth
    size += -size % 8
    region = MemoryRegion.in_memory("mass", "storage", size)
    return region, EdacMemory(region, interleave=depth)


def data_bit(memory: EdacMemory, word: int, bit: int) -> int:
    """Region bit holding logical data bit ``bit`` of logical word ``word``."""
    depth = memory.interleave
    group, k = divmod(word, depth)
    return group * 64 * depth + bit * depth + k


def check_bit(memory: EdacMemory, word: int, bit: int) -> int:
    """Region bit holding check bit ``bit`` of logical word ``word``."""
    depth = memory.interleave
    group, k = divmod(word, depth)
    return 8 * memory.data_octets + group * 8 * depth + bit * depth + k


def fill(memory: EdacMemory, seed: int) -> bytes:
    data = np.random.default_rng(seed).bytes(memory.data_octets)
    memory.write(0, data)
    return data


@pytest.mark.parametrize("depth", DEPTHS)
def test_geometry(depth: int) -> None:
    """As many whole groups (8D data + D check octets) as fit; less than one group unused."""
    size = (11 * 9 * depth - 1) // 8 * 8  # a multiple of 8 just short of 11 groups
    memory = EdacMemory(MemoryRegion.in_memory("mass", "storage", size), interleave=depth)
    assert memory.interleave == depth
    assert memory.data_octets == 10 * 8 * depth
    assert size - 9 * depth < memory.data_octets * 9 // 8 <= size


@pytest.mark.parametrize("depth", DEPTHS)
def test_stored_bits_follow_the_documented_mapping(depth: int) -> None:
    region, memory = make(depth, groups=3)
    units = np.array([1 << b for b in range(64)], dtype=np.uint64)
    columns = secded.encode(units).tolist()  # H's column of each data bit
    for word, bit in [(0, 0), (depth - 1, 63), (depth + depth // 2, 17), (3 * depth - 1, 40)]:
        memory.format()
        logical = np.zeros(memory.data_octets // 8, dtype=np.uint64)
        logical[word] = np.uint64(1 << bit)
        memory.write(0, logical.tobytes())
        raw = np.unpackbits(region.octets, bitorder="little")
        expected = {data_bit(memory, word, bit)}
        expected |= {check_bit(memory, word, r) for r in range(8) if columns[bit] >> r & 1}
        assert set(np.flatnonzero(raw).tolist()) == expected


@pytest.mark.parametrize("depth", DEPTHS)
def test_round_trip_of_every_aligned_range(depth: int) -> None:
    _, memory = make(depth)
    data = fill(memory, depth)
    group = 8 * depth
    for offset, length in [(0, memory.data_octets), (group, 3 * group), (0, 0),
                           (memory.data_octets - group, group)]:
        result = memory.read(offset, length)
        assert result.data == data[offset:offset + length]
        assert (result.corrected, result.uncorrectable_words) == (0, ())
    assert memory.counters.corrected_words == memory.counters.uncorrectable_words == 0


@pytest.mark.parametrize("depth", DEPTHS)
def test_clusters_of_depth_adjacent_bits_are_corrected_at_every_alignment(depth: int) -> None:
    """MBU model: up to D adjacent flipped cells, anywhere in the data area (3 groups,
    crossing the group boundaries) and the check area; read corrects them and writes the fix
    back."""
    region, memory = make(depth, groups=4)
    data = fill(memory, 3)
    pristine = region.read(0, region.size)
    span = 3 * 64 * depth
    check_start = 8 * memory.data_octets
    starts = [*range(span), *range(check_start, check_start + 24 * depth)]
    flipped = 0
    for start in starts:
        for size in range(1, depth + 1):
            region.flip_bits(range(start, start + size))
            result = memory.read(0, memory.data_octets)
            assert result.data == data
            assert result.corrected == size and result.uncorrectable_words == ()
            assert region.read(0, region.size) == pristine
            flipped += size
    assert memory.counters.corrected_words == flipped


@pytest.mark.parametrize("depth", DEPTHS)
def test_double_errors_are_detected_and_left_alone(depth: int) -> None:
    region, memory = make(depth)
    data = fill(memory, 4)
    word = 5 * depth + depth - 1
    region.flip_bits([data_bit(memory, word, 3), check_bit(memory, word, 6)])
    damaged = region.read(0, region.size)
    result = memory.read(0, memory.data_octets)
    assert result.uncorrectable_words == (word,) and result.corrected == 0
    good = np.ones(len(data), dtype=bool)
    good[8 * word:8 * word + 8] = False
    assert np.array_equal(np.frombuffer(result.data, np.uint8)[good],
                          np.frombuffer(data, np.uint8)[good])
    assert region.read(0, region.size) == damaged  # never "repaired" into wrong data
    scrub = memory.scrub(0, memory.data_octets)
    assert scrub.uncorrectable_words == (word,) and scrub.corrected == 0
    assert memory.counters.uncorrectable_words == 2
    group = 8 * depth
    offset = (word // depth) * group
    memory.write(offset, data[offset:offset + group])  # rewriting the group heals it
    assert memory.scrub(0, memory.data_octets).uncorrectable_words == ()


@pytest.mark.parametrize("depth", DEPTHS)
def test_scrub_repairs_in_place_and_counts(depth: int) -> None:
    region, memory = make(depth, groups=64)
    fill(memory, 5)
    pristine = region.read(0, region.size)
    words = memory.data_octets // 8
    victims = np.random.default_rng(depth).choice(words, 20, replace=False)
    for index, word in enumerate(victims.tolist()):
        position = (data_bit(memory, word, index % 64) if index % 3
                    else check_bit(memory, word, index % 8))
        region.flip_bits([position])
    result = memory.scrub(0, memory.data_octets)
    assert result.corrected == 20 and result.uncorrectable_words == ()
    assert region.read(0, region.size) == pristine
    assert memory.scrub(0, memory.data_octets).corrected == 0
    assert memory.counters.corrected_words == 20
    assert memory.counters.scrubbed_octets == 2 * memory.data_octets


def test_ranges_longer_than_one_kernel_chunk() -> None:
    depth = 4
    groups = 2 * edac_memory.CHUNK_WORDS // depth + 5
    region, memory = make(depth, groups=groups)
    data = fill(memory, 6)
    last = memory.data_octets // 8 - 1
    region.flip_bits([data_bit(memory, 1, 0), data_bit(memory, edac_memory.CHUNK_WORDS, 9),
                      data_bit(memory, last, 1), data_bit(memory, last, 2)])
    result = memory.read(0, memory.data_octets)
    assert result.corrected == 2 and result.uncorrectable_words == (last,)
    assert result.data[:8 * last] == data[:8 * last]
    assert memory.scrub(0, memory.data_octets).uncorrectable_words == (last,)


def test_stuck_bit_is_corrected_on_every_read() -> None:
    region, memory = make(4)
    memory.format()
    position = data_bit(memory, 6, 12)
    region.stick_bits([position], 1)
    for _ in range(3):
        result = memory.read(0, memory.data_octets)
        assert result.data == bytes(memory.data_octets) and result.corrected == 1
    assert memory.counters.corrected_words == 3


@pytest.mark.parametrize("depth", DEPTHS)
def test_format_leaves_valid_zero_memory(depth: int) -> None:
    region, memory = make(depth)
    region.flip_random(500, np.random.default_rng(depth))
    memory.format()
    result = memory.read(0, memory.data_octets)
    assert result.data == bytes(memory.data_octets) and result.corrected == 0
    assert not region.octets[:memory.data_octets * 9 // 8].any()


def test_format_of_a_fresh_sparse_image_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "mass.img"
    with MemoryRegion.file_backed("mass", "nand", path, 9 << 20) as region:
        memory = EdacMemory(region)
        memory.format()
        memory.flush()
        assert os.stat(path).st_blocks == 0


def test_data_survives_a_reopen_of_a_file_backed_region(tmp_path: Path) -> None:
    path = tmp_path / "mass.img"
    region = MemoryRegion.file_backed("mass", "nand", path, 9 * 4096)
    memory = EdacMemory(region, interleave=8)
    data = fill(memory, 7)
    memory.flush(0, 4096)
    memory.flush()
    region.close()
    with MemoryRegion.file_backed("mass", "nand", path, 9 * 4096) as again:
        reopened = EdacMemory(again, interleave=8)
        assert reopened.read(0, reopened.data_octets).data == data
    with pytest.raises(BoardStateError):
        memory.read(0, 64)


@settings(max_examples=60)
@given(st.sampled_from(DEPTHS), st.data())
def test_random_upsets_up_to_two_per_word(depth: int, data: st.DataObject) -> None:
    """Fuzz the stored image with flips (at most two per codeword): a word with one is
    corrected, a word with two reported, every other word returned intact."""
    region, memory = make(depth, groups=4)
    original = fill(memory, depth)
    words = memory.data_octets // 8
    hits: dict[int, set[int]] = {}
    for _ in range(data.draw(st.integers(0, 12))):
        word = data.draw(st.integers(0, words - 1))
        bit = data.draw(st.integers(0, 71))
        if len(hits.setdefault(word, set())) < 2:
            hits[word].add(bit)
    for word, bits in hits.items():
        region.flip_bits([data_bit(memory, word, b) if b < 64 else check_bit(memory, word, b - 64)
                          for b in bits])
    singles = sorted(w for w, b in hits.items() if len(b) == 1)
    doubles = sorted(w for w, b in hits.items() if len(b) == 2)
    result = memory.read(0, memory.data_octets)
    assert result.corrected == len(singles)
    assert list(result.uncorrectable_words) == doubles
    for word in range(words):
        if word not in doubles:
            assert result.data[8 * word:8 * word + 8] == original[8 * word:8 * word + 8]


@pytest.mark.parametrize("depth", [0, 3, 16, True, 4.0, "4"])
def test_bad_interleave_is_refused(depth: object) -> None:
    region = MemoryRegion.in_memory("mass", "storage", 4096)
    with pytest.raises(EdacArgumentError):
        EdacMemory(region, interleave=depth)  # type: ignore[arg-type]


def test_misuse_raises_typed_errors() -> None:
    with pytest.raises(EdacArgumentError, match="no group"):
        EdacMemory(MemoryRegion.in_memory("tiny", "sram", 64), interleave=8)
    with pytest.raises(EdacArgumentError):
        EdacMemory(bytearray(4096))  # type: ignore[arg-type]
    _, memory = make(4)
    bad_ranges = [(8, 32), (0, 8), (-32, 32), (memory.data_octets, 32), (0, "32"),
                  (0, memory.data_octets + 32)]
    for offset, length in bad_ranges:
        with pytest.raises(EdacArgumentError):
            memory.read(offset, length)  # type: ignore[arg-type]
        with pytest.raises(EdacArgumentError):
            memory.scrub(offset, length)  # type: ignore[arg-type]
    with pytest.raises(EdacArgumentError):
        memory.write(0, b"x" * 31)
    with pytest.raises(EdacArgumentError):
        memory.write(16, b"x" * 32)
    with pytest.raises(EdacArgumentError):
        memory.write(0, "text")  # type: ignore[arg-type]
    with pytest.raises(EdacArgumentError):
        memory.flush(0, memory.data_octets + 1)
    assert issubclass(EdacArgumentError, StorageError)


def test_writes_accept_any_buffer_even_unaligned() -> None:
    _, memory = make(2)
    payload = np.random.default_rng(9).bytes(64 + 1)
    view = memoryview(payload)[1:]  # an address not 8-aligned
    memory.write(32, view)
    memory.write(96, bytearray(payload[1:33]))
    assert memory.read(32, 64).data == payload[1:]
    assert memory.read(96, 32).data == payload[1:33]


@settings(max_examples=40)
@given(st.sampled_from(DEPTHS), st.data())
def test_writes_and_reads_agree_with_a_flat_model(depth: int, data: st.DataObject) -> None:
    """Any sequence of aligned writes reads back like a plain bytearray would."""
    _, memory = make(depth, groups=12)
    memory.format()
    model = bytearray(memory.data_octets)
    groups = memory.data_octets // memory.group_octets
    for _ in range(data.draw(st.integers(1, 6))):
        first = data.draw(st.integers(0, groups - 1))
        count = data.draw(st.integers(0, groups - first))
        payload = data.draw(st.binary(min_size=count * memory.group_octets,
                                      max_size=count * memory.group_octets))
        offset = first * memory.group_octets
        memory.write(offset, payload)
        model[offset:offset + len(payload)] = payload
        first = data.draw(st.integers(0, groups))
        count = data.draw(st.integers(0, groups - first))
        start, stop = first * memory.group_octets, (first + count) * memory.group_octets
        result = memory.read(start, stop - start)
        assert result.data == bytes(model[start:stop]) and result.corrected == 0
    assert memory.scrub(0, memory.data_octets) == edac_memory.ScrubResult(0, ())


class HookedRegion(MemoryRegion):
    """A real in-memory region that runs ``hook`` (once) before a write; it does not model
    anything else differently."""

    hook: Callable[[], None] | None = None

    def write(self, offset: int, data: Buffer) -> None:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        super().write(offset, data)


def test_a_write_racing_a_scrub_repair_is_not_lost() -> None:
    """The scrub's write-back of a corrected group and a concurrent write of that group are
    serialised: the writer starts just before the write-back and wins, as it came last."""
    region = HookedRegion("mass", "storage", np.zeros(9 * 64, dtype=np.uint8))
    memory = EdacMemory(region)
    memory.write(0, bytes(range(32)))
    region.flip_bits([data_bit(memory, 2, 5)])
    new = b"\xaa" * 32
    writer = threading.Thread(target=memory.write, args=(0, new))

    def start_writer() -> None:  # inside the scrub's repair, before its write-back
        writer.start()
        writer.join(timeout=0.2)  # every chance to write now; blocked while the repair runs

    region.hook = start_writer
    assert memory.scrub(0, memory.data_octets).corrected == 1
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert memory.read(0, 32).data == new


def test_a_ranged_flush_covers_the_data_and_its_check_octets(tmp_path: Path) -> None:
    region = MemoryRegion.file_backed("mass", "nand", tmp_path / "mass.img", 9 * 4096)
    memory = EdacMemory(region, interleave=4)
    calls: list[tuple[int, int | None]] = []
    real = region.flush

    def recording(offset: int = 0, length: int | None = None) -> None:
        calls.append((offset, length))
        real(offset, length)

    region.flush = recording  # type: ignore[method-assign]
    memory.write(1024, bytes(range(64)))
    memory.flush(1024, 64)
    memory.flush(64, 0)
    memory.flush()
    # data octets 1024..1087 and their check octets, one per 8-octet word
    assert calls == [(1024, 64), (memory.check_offset + 128, 8), (0, None)]
    region.flush = real  # type: ignore[method-assign]
    region.close()
    with MemoryRegion.file_backed("mass", "nand", tmp_path / "mass.img", 9 * 4096) as again:
        assert EdacMemory(again).read(1024, 64).data == bytes(range(64))
