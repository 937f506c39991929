"""CLTU encoding and extraction, CCSDS 231.0-B-4 sections 3 and 5."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cltu import (
    CODEBLOCK_LENGTH,
    FILL_OCTET,
    INFO_LENGTH,
    START_SEQUENCE,
    TAIL_SEQUENCE,
    Cltu,
    CltuEnd,
    CltuExtractor,
    cltu_encode,
    codeblocks_for,
)
from ccsds.errors import LocalProtocolError
from ccsds.randomizer import tc_randomize

MAX_CLTU = 2 + CODEBLOCK_LENGTH * (codeblocks_for(1024) + 1)


def padded(frame: bytes) -> bytes:
    """What the extractor gives back for ``frame``: its octets, then fill to a codeblock."""
    return frame + bytes([FILL_OCTET]) * (-len(frame) % INFO_LENGTH)


def chunked(data: bytes, sizes: Iterable[int]) -> list[bytes]:
    """Cut ``data`` into pieces of the given sizes in turn, the last piece taking the rest."""
    pieces, offset = [], 0
    for size in sizes:
        if offset >= len(data):
            break
        pieces.append(data[offset : offset + size])
        offset += size
    pieces.append(data[offset:])
    return pieces


def feed_all(extractor: CltuExtractor, pieces: Iterable[bytes], *, flush: bool = True
             ) -> list[Cltu]:
    """Feed every piece, checking the hold-back bound after each call, then flush."""
    found: list[Cltu] = []
    for piece in pieces:
        found += extractor.feed(piece)
        assert extractor.buffered <= MAX_CLTU
    if flush:
        found += extractor.flush()
        assert extractor.buffered == 0 and not extractor.in_cltu
    return found


def flip(data: bytes, *bits: int) -> bytes:
    out = bytearray(data)
    for bit in bits:
        out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def is_subsequence(needles: Sequence[object], haystack: Sequence[object]) -> bool:
    remaining = iter(haystack)
    return all(any(item == needle for item in remaining) for needle in needles)


def has_start(data: bytes, errors: int = 0) -> bool:
    """Whether some octet pair of ``data`` is within ``errors`` bits of the start sequence."""
    return any(
        bin(int.from_bytes(data[i : i + 2], "big") ^ 0xEB90).count("1") <= errors
        for i in range(len(data) - 1)
    )


frames = st.binary(min_size=1, max_size=200)
# Frames whose CLTU holds no start sequence past its own: the extractor never searches again
# inside them, so exact results can be expected.
plain_frames = frames.filter(lambda frame: not has_start(cltu_encode(frame)[1:], 1))
garbage = st.binary(max_size=40).filter(lambda junk: not has_start(junk, 1))
chunk_sizes = st.lists(st.integers(1, 64), min_size=1, max_size=30)


# --- encoding -------------------------------------------------------------------------------


def test_sequences_match_kat(kat: dict[str, Any]) -> None:
    sequences = kat["cltu_sequences"]
    assert bytes.fromhex(sequences["start"]) == START_SEQUENCE
    assert bytes.fromhex(sequences["tail"]) == TAIL_SEQUENCE
    assert bytes.fromhex(sequences["fill_octet"]) == bytes([FILL_OCTET])


@pytest.mark.parametrize("name", ["cltu_plain", "cltu_randomized"])
def test_kat_encode_and_extract(kat: dict[str, Any], name: str) -> None:
    frame = bytes.fromhex(kat[name]["tc_frame"])
    cltu = bytes.fromhex(kat[name]["cltu"])
    randomized = name == "cltu_randomized"
    assert cltu_encode(tc_randomize(frame) if randomized else frame) == cltu
    (result,) = CltuExtractor().feed(cltu)
    assert result.clean and result.end is CltuEnd.TAIL and result.corrected == 0
    head = result.data[: len(frame)]
    assert (tc_randomize(head) if randomized else head) == frame
    assert result.data[len(frame) :] == bytes([FILL_OCTET]) * (len(result.data) - len(frame))


@given(frames)
def test_encode_structure(frame: bytes) -> None:
    cltu = cltu_encode(frame)
    assert cltu.startswith(START_SEQUENCE) and cltu.endswith(TAIL_SEQUENCE)
    body = cltu[len(START_SEQUENCE) : -len(TAIL_SEQUENCE)]
    assert len(body) == CODEBLOCK_LENGTH * codeblocks_for(len(frame))
    info = b"".join(body[i : i + INFO_LENGTH] for i in range(0, len(body), CODEBLOCK_LENGTH))
    assert info == padded(frame)  # systematic code: information octets travel unchanged
    assert all(body[i + 7] & 1 == 0 for i in range(0, len(body), CODEBLOCK_LENGTH))  # filler


def test_encode_rejects_empty_frame() -> None:
    with pytest.raises(LocalProtocolError):
        cltu_encode(b"")


def test_extractor_rejects_bad_settings() -> None:
    with pytest.raises(LocalProtocolError):
        CltuExtractor(start_errors=2)
    with pytest.raises(LocalProtocolError):
        CltuExtractor(max_frame_length=0)


# --- extraction of clean streams ------------------------------------------------------------


@given(st.lists(st.tuples(garbage, frames), min_size=1, max_size=6), chunk_sizes,
       st.sampled_from([0, 1]))
def test_round_trip_any_chunking(
    units: list[tuple[bytes, bytes]], sizes: list[int], start_errors: int
) -> None:
    stream = b"".join(junk + cltu_encode(frame) for junk, frame in units)
    expected = [padded(frame) for _, frame in units]
    for pieces in ([stream], [stream[i : i + 1] for i in range(len(stream))],
                   chunked(stream, sizes * 100)):
        extractor = CltuExtractor(start_errors=start_errors)
        found = feed_all(extractor, pieces)
        clean = [cltu.data for cltu in found if cltu.clean]
        assert is_subsequence(expected, clean)
        if not any(has_start(cltu_encode(frame)[1:], start_errors) for _, frame in units):
            assert [cltu.data for cltu in found] == expected
            assert extractor.counters.cltus == len(units)
            assert extractor.counters.skipped_octets == sum(len(junk) for junk, _ in units)
        assert extractor.counters.codeblocks >= sum(map(codeblocks_for, map(len, expected)))


# --- bit errors -------------------------------------------------------------------------------


@given(st.lists(plain_frames, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_one_bit_error_per_codeblock_is_corrected(frames_: list[bytes], rng: random.Random) -> None:
    def damaged(frame: bytes) -> bytes:
        # one error in each codeblock, among its 63 code bits (the filler bit is not coded)
        bits = [16 + 64 * block + rng.randrange(63) for block in range(codeblocks_for(len(frame)))]
        return flip(cltu_encode(frame), *bits)

    cltus = [damaged(frame) for frame in frames_]
    extractor = CltuExtractor()
    found = feed_all(extractor, chunked(b"".join(cltus), [rng.randrange(1, 50) for _ in range(99)]))
    expected = [Cltu(padded(f), codeblocks_for(len(f)), CltuEnd.TAIL) for f in frames_]
    if any(has_start(cltu[1:]) for cltu in cltus):  # an error made a start sequence
        assert is_subsequence(expected, found)
    else:
        assert found == expected
        assert extractor.counters.corrected == sum(c.corrected for c in expected)


@given(plain_frames.filter(lambda frame: len(frame) > INFO_LENGTH), plain_frames,
       st.data())
def test_two_errors_in_a_block_end_the_cltu(first: bytes, second: bytes, data: st.DataObject
                                            ) -> None:
    blocks = codeblocks_for(len(first))
    bad_block = data.draw(st.integers(0, blocks - 1))
    bits = data.draw(st.lists(st.integers(0, 62), min_size=2, max_size=2, unique=True))
    cltu = flip(cltu_encode(first), *(16 + 64 * bad_block + bit for bit in bits))
    extractor = CltuExtractor()
    found = feed_all(extractor, [cltu, cltu_encode(second)])
    good_part = padded(first)[: INFO_LENGTH * bad_block]
    if bad_block:
        assert found[0] == Cltu(good_part, 0, CltuEnd.UNCORRECTABLE)
        assert extractor.counters.uncorrectable >= 1
    else:
        assert extractor.counters.empty >= 1
    assert found[-1] == Cltu(padded(second), 0, CltuEnd.TAIL)


def test_tail_with_one_bit_error_still_ends_cleanly() -> None:
    cltu = cltu_encode(b"frame")
    for bit in range(64):
        damaged = cltu[:-8] + flip(TAIL_SEQUENCE, bit)
        (found,) = CltuExtractor().feed(damaged)
        assert found.clean and found.data == padded(b"frame")


def test_start_sequence_with_one_bit_error() -> None:
    cltu = flip(cltu_encode(b"telecommand"), 5)
    assert CltuExtractor().feed(cltu) == []
    (found,) = CltuExtractor(start_errors=1).feed(cltu)
    assert found.data == padded(b"telecommand")
    assert CltuExtractor(start_errors=1).feed(flip(cltu, 9)) == []  # two errors: no start


# --- truncation, overlong CLTUs, garbage ----------------------------------------------------


@given(frames, st.data(), frames, frames)
def test_cut_off_cltu_does_not_hide_the_next(cut: bytes, data: st.DataObject,
                                             after: bytes, last: bytes) -> None:
    whole = cltu_encode(cut)
    keep = data.draw(st.integers(0, len(whole) - 1))
    stream = whole[:keep] + cltu_encode(after) + cltu_encode(last)
    for pieces in ([stream], chunked(stream, [7, 1, 13])):
        found = feed_all(CltuExtractor(), pieces)
        assert is_subsequence([padded(after), padded(last)],
                              [cltu.data for cltu in found if cltu.clean])


@pytest.mark.parametrize("start_bit_error", [None, *range(16)])
def test_cut_off_in_step_with_the_next_start(start_bit_error: int | None) -> None:
    # The cut leaves 6 octets of a codeblock, so the next start sequence completes it: the
    # decoder reads on in step, and the extractor must still find the second CLTU, also
    # when that start sequence has a bit error it is configured to tolerate.
    first = cltu_encode(bytes(range(30)))
    second = cltu_encode(b"second frame")
    if start_bit_error is not None:
        second = flip(second, start_bit_error)
    stream = first[: 2 + 8 + 6] + second
    found = CltuExtractor(start_errors=int(start_bit_error is not None)).feed(stream)
    assert found[-1] == Cltu(padded(b"second frame"), 0, CltuEnd.TAIL)


def test_cut_off_where_the_next_start_completes_a_codeword() -> None:
    # Worst case: the 6 octets left of a codeblock and the next start sequence form a valid
    # codeblock, so the first CLTU reads on without error through the second one's tail.
    rng = random.Random(5)
    head = next(head for head in iter(lambda: rng.randbytes(6), b"")
                if cltu_encode(head + b"\xeb")[2:10] == head + START_SEQUENCE)
    first = cltu_encode(bytes(7) + head + bytes(20))
    second = cltu_encode(b"second frame")
    found = CltuExtractor().feed(first[: 2 + 8 + 6] + second)
    assert found[0] == Cltu(bytes(7) + head + b"\xeb" + padded(b"second frame"), 0,
                            CltuEnd.TAIL)  # indistinguishable from a real CLTU...
    assert found[-1] == Cltu(padded(b"second frame"), 0, CltuEnd.TAIL)  # ...but searched


def test_overlong_cltu_is_abandoned_and_bounded() -> None:
    extractor = CltuExtractor(max_frame_length=70)  # at most 10 codeblocks
    long_cltu = cltu_encode(bytes(71))
    found = feed_all(extractor, [long_cltu, cltu_encode(bytes(70))])
    assert extractor.counters.abandoned == 1
    assert [cltu.data for cltu in found] == [bytes(70)]


def test_endless_codeblocks_never_stall() -> None:
    extractor = CltuExtractor()
    body = cltu_encode(bytes(7 * 1000))[:-8]  # a start then 1000 codeblocks, no tail
    found = feed_all(extractor, chunked(body, [100]))
    assert found == []
    assert extractor.counters.abandoned == 1
    assert extractor.buffered <= MAX_CLTU


@given(st.binary(max_size=3000), chunk_sizes, st.sampled_from([0, 1]))
def test_garbage_only(junk: bytes, sizes: list[int], start_errors: int) -> None:
    extractor = CltuExtractor(start_errors=start_errors)
    found = feed_all(extractor, chunked(junk, sizes * 100))  # raises nothing at all
    counted = extractor.counters
    assert counted.cltus == len(found)
    assert all(cltu.codeblocks and len(cltu.data) % INFO_LENGTH == 0 for cltu in found)
    if not has_start(junk, start_errors):
        assert counted.skipped_octets == len(junk)


def test_cltu_waiting_for_its_tail() -> None:
    cltu = cltu_encode(bytes(range(100)))
    extractor = CltuExtractor()
    assert feed_all(extractor, [cltu[:-8]], flush=False) == []
    assert extractor.in_cltu
    assert extractor.feed(cltu[-8:]) == [Cltu(padded(bytes(range(100))), 0, CltuEnd.TAIL)]
    assert not extractor.in_cltu and extractor.buffered == 0


@given(frames, st.data())
def test_flush_ends_a_cltu_without_tail(frame: bytes, data: st.DataObject) -> None:
    cltu = cltu_encode(frame)
    cut = data.draw(st.integers(len(START_SEQUENCE), len(cltu) - len(TAIL_SEQUENCE)))
    extractor = CltuExtractor()
    found = feed_all(extractor, [cltu[:cut]])
    blocks = (cut - len(START_SEQUENCE)) // CODEBLOCK_LENGTH
    if blocks:
        assert found[0] == Cltu(padded(frame)[: blocks * INFO_LENGTH], 0, CltuEnd.INTERRUPTED)
        assert extractor.counters.interrupted >= 1
    else:
        assert extractor.counters.empty >= 1


def test_random_garbage_with_cltus_inside() -> None:
    rng = random.Random(231)
    frames_ = [rng.randbytes(rng.randrange(1, 300)) for _ in range(40)]
    stream = b"".join(rng.randbytes(rng.randrange(0, 500)) + cltu_encode(f) for f in frames_)
    extractor = CltuExtractor(start_errors=1)
    found = feed_all(extractor, chunked(stream, [rng.randrange(1, 700) for _ in range(200)]))
    assert is_subsequence([padded(f) for f in frames_], [c.data for c in found if c.clean])


# --- start sequence bit errors (tc.start_sequence_errors, 231.0-B-4 section 5) --------------

START_BITS = range(8 * len(START_SEQUENCE))
CLEAN_FRAME = b"start sequence frame"


def test_clean_frame_has_no_near_start_in_its_body() -> None:
    # the precondition of the tests below: no false start can stand in for the real one
    assert not has_start(cltu_encode(CLEAN_FRAME)[len(START_SEQUENCE) :], errors=2)


@pytest.mark.parametrize("bit", START_BITS)
def test_every_one_bit_start_error_is_accepted_only_when_allowed(bit: int) -> None:
    damaged = flip(cltu_encode(CLEAN_FRAME), bit)
    assert CltuExtractor(start_errors=0).feed(damaged) == []
    assert CltuExtractor(start_errors=1).feed(damaged) == [
        Cltu(padded(CLEAN_FRAME), 0, CltuEnd.TAIL)]


@pytest.mark.parametrize("start_errors", [0, 1])
def test_two_start_errors_are_never_accepted(start_errors: int) -> None:
    cltu = cltu_encode(CLEAN_FRAME)
    for first in START_BITS:
        for second in range(first + 1, len(START_BITS)):
            extractor = CltuExtractor(start_errors=start_errors)
            assert feed_all(extractor, [flip(cltu, first, second)]) == []
            assert extractor.counters.cltus == 0


@given(frames, st.sets(st.sampled_from(START_BITS), max_size=3), st.sampled_from([0, 1]),
       st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_start_errors_decide_recovery(frame: bytes, bits: set[int], start_errors: int,
                                      sizes: list[int]) -> None:
    # Recovered exactly when the start sequence has at most ``start_errors`` bits in error,
    # whatever the split of the stream into pieces (the search spans piece boundaries).
    stream = flip(cltu_encode(frame), *bits)
    found = feed_all(CltuExtractor(start_errors=start_errors), chunked(stream, sizes))
    recovered = any(cltu.data == padded(frame) and cltu.clean for cltu in found)
    assert recovered == (len(bits) <= start_errors)
