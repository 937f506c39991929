"""Frame synchronizer: ASM search/check/lock/flywheel over an impaired octet stream."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.channel_coding import ASM_LENGTH, CaduEncoder
from ccsds.config import LinkConfig, TmLinkConfig
from ccsds.errors import LocalProtocolError
from ccsds.frame_sync import (
    CodeblockRejected,
    FrameReceived,
    FrameSynchronizer,
    RejectReason,
    SyncAcquired,
    SyncEvent,
    SyncLost,
    SyncState,
)
from ccsds.tm_demux import PacketReceived, TmDemultiplexer
from ccsds.tm_frame import TmFrame, data_field_length
from ccsds.tm_mux import TmMultiplexer

ICD = LinkConfig.baseline().tm
NO_RS = TmLinkConfig(frame_length=200, rs_check_symbols=0)
CADU = ASM_LENGTH + ICD.codeblock_length


def make_frames(config: TmLinkConfig, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    size = data_field_length(config.frame_length, ocf=True, fecf=True)
    return [
        TmFrame(42, n % 2, n % 256, n % 256, 0, rng.randbytes(size), ocf=bytes(4)).encode(
            config.frame_length
        )
        for n in range(count)
    ]


def frames_out(events: Sequence[SyncEvent]) -> list[bytes]:
    return [event.frame for event in events if isinstance(event, FrameReceived)]


def feed_chunked(sync: FrameSynchronizer, stream: bytes, sizes: Sequence[int]) -> list[SyncEvent]:
    events: list[SyncEvent] = []
    position, index = 0, 0
    while position < len(stream):
        size = sizes[index % len(sizes)] if sizes else len(stream)
        events += sync.feed(stream[position : position + size])
        position += size
        index += 1
    return events


def assert_subsequence(delivered: list[bytes], frames: list[bytes]) -> None:
    """Delivered frames are original frames, in order, each at most once."""
    index = {frame: n for n, frame in enumerate(frames)}
    positions = [index[frame] for frame in delivered]  # KeyError: a frame never sent
    assert positions == sorted(set(positions))


def test_clean_stream_whole_bytewise_and_chunked() -> None:
    frames = make_frames(ICD, 12, 1)
    stream = CaduEncoder(ICD).encode_frames(frames)
    whole = FrameSynchronizer(ICD)
    events = whole.feed(stream)
    assert frames_out(events) == frames
    assert events[0] == SyncAcquired(CADU)  # confirmed by the second ASM
    assert whole.state is SyncState.LOCK
    assert whole.counters.frames == 12
    assert whole.counters.octets_skipped == 0
    for sizes in ([1], [7, 1300, 3], [CADU - 1]):
        sync = FrameSynchronizer(ICD)
        assert feed_chunked(sync, stream, sizes) == events
        assert sync.counters == whole.counters


def garbage_between(
    encoder: CaduEncoder, frames: list[bytes], seed: int, runs: list[int]
) -> tuple[bytes, list[list[bytes]]]:
    """Runs of consecutive CADUs separated (and surrounded) by random garbage.

    The trailing garbage is long enough for the flywheel to give up on the last gap: only
    then can the synchronizer look for the CADUs after it.
    """
    rng = random.Random(seed)
    parts, groups, position = [rng.randbytes(rng.randrange(0, 3000))], [], 0
    for run in runs:
        group = frames[position : position + run]
        position += run
        groups.append(group)
        parts.append(encoder.encode_frames(group))
        parts.append(rng.randbytes(rng.randrange(1, 3000)))
    parts.append(rng.randbytes(4 * CADU))
    return b"".join(parts), groups


runs_strategy = st.lists(st.integers(1, 4), min_size=1, max_size=5)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32), runs=runs_strategy, chunk=st.integers(1, 5000))
def test_garbage_around_cadus_without_check(seed: int, runs: list[int], chunk: int) -> None:
    """check_count=0: every CADU, even one alone between garbage, comes out."""
    frames = make_frames(ICD, sum(runs), seed)
    stream, _ = garbage_between(CaduEncoder(ICD), frames, seed, runs)
    sync = FrameSynchronizer(ICD, check_count=0)
    events = sync.feed(stream)
    assert frames_out(events) == frames
    chunked = FrameSynchronizer(ICD, check_count=0)
    assert feed_chunked(chunked, stream, [chunk]) == events
    assert chunked.counters == sync.counters


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32), runs=runs_strategy, chunk=st.integers(1, 5000))
def test_garbage_around_cadus_with_check(seed: int, runs: list[int], chunk: int) -> None:
    """check_count=1: runs of two or more CADUs come out whole; nothing foreign ever does."""
    frames = make_frames(ICD, sum(runs), seed)
    stream, groups = garbage_between(CaduEncoder(ICD), frames, seed, runs)
    sync = FrameSynchronizer(ICD)
    events = sync.feed(stream)
    delivered = frames_out(events)
    assert_subsequence(delivered, frames)
    for group in groups:
        if len(group) >= 2:
            assert set(group) <= set(delivered)
    chunked = FrameSynchronizer(ICD)
    assert feed_chunked(chunked, stream, [chunk]) == events


def test_octets_skipped_counts_garbage() -> None:
    frames = make_frames(ICD, 3, 2)
    encoder = CaduEncoder(ICD)
    stream = bytes(500) + encoder.encode_frames(frames)  # zeros: 19 bits from the ASM
    sync = FrameSynchronizer(ICD)
    sync.feed(stream)
    assert sync.counters.octets_skipped == 500


def slipped_stream(encoder: CaduEncoder, frames: list[bytes], seed: int) -> tuple[bytes, set[int]]:
    """Drop or insert octets in a few CADUs; returns the stream and the damaged indices."""
    rng = random.Random(seed)
    damaged = set(rng.sample(range(2, len(frames)), 3))
    parts = []
    for index, frame in enumerate(frames):
        cadu = bytearray(encoder.encode(frame))
        if index in damaged:
            at = rng.randrange(len(cadu))
            if rng.random() < 0.5:
                del cadu[at : at + rng.randrange(1, 4)]
            else:
                cadu[at:at] = rng.randbytes(rng.randrange(1, 4))
        parts.append(bytes(cadu))
    return b"".join(parts), damaged


@pytest.mark.parametrize("seed", range(12))
def test_octet_drops_and_insertions(seed: int) -> None:
    """Only damaged CADUs are lost (when two damaged CADUs are not adjacent)."""
    frames = make_frames(ICD, 30, seed)
    stream, damaged = slipped_stream(CaduEncoder(ICD), frames, seed)
    sync = FrameSynchronizer(ICD)
    events = sync.feed(stream)
    delivered = frames_out(events)
    assert_subsequence(delivered, frames)
    for index, frame in enumerate(frames):
        if index not in damaged and index + 1 not in damaged and index + 1 < len(frames):
            assert frame in delivered, index
    assert sync.counters.sync_losses >= 1
    assert feed_chunked(FrameSynchronizer(ICD), stream, [1]) == events


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32), chunk=st.integers(1, 3000))
def test_random_slips_and_bit_errors_never_give_foreign_frames(seed: int, chunk: int) -> None:
    rng = random.Random(seed)
    frames = make_frames(NO_RS, 20, seed)
    stream = bytearray(CaduEncoder(NO_RS).encode_frames(frames))
    for _ in range(rng.randrange(0, 20)):
        at = rng.randrange(len(stream))
        action = rng.randrange(3)
        if action == 0:
            del stream[at]
        elif action == 1:
            stream.insert(at, rng.randrange(256))
        else:
            stream[at] ^= 1 << rng.randrange(8)
    sync = FrameSynchronizer(NO_RS)
    events = sync.feed(bytes(stream))
    assert_subsequence(frames_out(events), frames)
    assert feed_chunked(FrameSynchronizer(NO_RS), bytes(stream), [chunk]) == events


def flip_bits(data: bytearray, offset: int, count: int, rng: random.Random) -> None:
    for bit in rng.sample(range(32), count):
        data[offset + bit // 8] ^= 0x80 >> (bit % 8)


@pytest.mark.parametrize("errors", [0, 1, 2, 3])
def test_search_tolerates_two_bit_errors(errors: int) -> None:
    frames = make_frames(ICD, 3, 3)
    stream = bytearray(CaduEncoder(ICD).encode_frames(frames))
    flip_bits(stream, 0, errors, random.Random(errors))
    delivered = frames_out(FrameSynchronizer(ICD, check_count=0).feed(bytes(stream)))
    assert delivered == (frames if errors <= 2 else frames[1:])


@pytest.mark.parametrize(("errors", "coasted"), [(5, 0), (6, 1), (8, 1)])
def test_lock_tolerance_and_flywheel(errors: int, coasted: int) -> None:
    frames = make_frames(ICD, 6, 4)
    stream = bytearray(CaduEncoder(ICD).encode_frames(frames))
    flip_bits(stream, 3 * CADU, errors, random.Random(errors))
    sync = FrameSynchronizer(ICD)
    assert frames_out(sync.feed(bytes(stream))) == frames
    assert sync.counters.flywheel_codeblocks == coasted
    assert sync.counters.sync_losses == 0


def test_flywheel_exhaustion_loses_sync_and_reacquires() -> None:
    frames = make_frames(ICD, 9, 5)
    stream = bytearray(CaduEncoder(ICD).encode_frames(frames))
    for index in (3, 4, 5):  # three missing ASMs: one more than the flywheel of 2
        stream[index * CADU : index * CADU + 4] = bytes(4)
    sync = FrameSynchronizer(ICD, flywheel=2)
    events = sync.feed(bytes(stream))
    assert SyncLost(5 * CADU) in events
    assert sync.counters.sync_losses == 1
    assert sync.counters.flywheel_codeblocks == 2
    # frames 3 and 4 were coasted through; 5 has no ASM; 6 starts a new CHECK, 7 confirms
    assert frames_out(events) == frames[:5] + frames[6:]
    assert events.count(SyncAcquired(7 * CADU)) == 1
    assert sync.state is SyncState.LOCK


def test_check_failure_returns_to_search() -> None:
    frames = make_frames(ICD, 4, 6)
    stream = bytearray(CaduEncoder(ICD).encode_frames(frames))
    stream[CADU : CADU + 4] = bytes(4)  # the confirming ASM is missing
    sync = FrameSynchronizer(ICD, check_count=1)
    events = sync.feed(bytes(stream))
    assert sync.counters.check_failures == 1
    assert frames_out(events) == frames[2:]


def test_rs_corrections_and_uncorrectable_codeblocks() -> None:
    frames = make_frames(ICD, 4, 7)
    stream = bytearray(CaduEncoder(ICD).encode_frames(frames))
    rng = random.Random(7)
    for symbol in rng.sample(range(255), 10):  # 10 symbol errors in codeword 0 of CADU 1
        stream[CADU + ASM_LENGTH + symbol * 5] ^= 0xFF
    for symbol in rng.sample(range(255), 40):  # too many in codeword 2 of CADU 2
        stream[2 * CADU + ASM_LENGTH + symbol * 5 + 2] ^= 0x5A
    sync = FrameSynchronizer(ICD)
    events = sync.feed(bytes(stream))
    assert frames_out(events) == [frames[0], frames[1], frames[3]]
    received = [e for e in events if isinstance(e, FrameReceived)]
    assert received[1].corrected_symbols == 10
    assert CodeblockRejected(2 * CADU, RejectReason.UNCORRECTABLE) in events
    counters = sync.counters
    assert (counters.corrected_symbols, counters.uncorrectable, counters.codeblocks) == (10, 1, 4)


def test_fecf_failures_are_counted() -> None:
    frames = make_frames(NO_RS, 3, 8)
    bad = bytearray(frames[1])
    bad[20] ^= 1
    stream = CaduEncoder(NO_RS).encode_frames([frames[0], bytes(bad), frames[2]])
    sync = FrameSynchronizer(NO_RS)
    events = sync.feed(stream)
    assert frames_out(events) == [frames[0], frames[2]]
    assert sync.counters.fecf_failures == 1
    assert CodeblockRejected(NO_RS.frame_length + ASM_LENGTH, RejectReason.FECF) in events


def test_buffering_is_bounded() -> None:
    rng = random.Random(9)
    sync = FrameSynchronizer(ICD)
    for _ in range(50):
        sync.feed(rng.randbytes(10_000))
        assert sync.buffered <= 3 * CADU
    frames = make_frames(ICD, 3, 9)
    sync.feed(CaduEncoder(ICD).encode_frames(frames))
    for _ in range(50):  # locked, then garbage: flywheel, loss, search
        sync.feed(rng.randbytes(1000))
        assert sync.buffered <= 5 * CADU


@given(st.binary(max_size=5000), st.integers(1, 600))
def test_garbage_never_raises(garbage: bytes, chunk: int) -> None:
    sync = FrameSynchronizer(NO_RS, search_errors=4, lock_errors=8, check_count=0)
    events = feed_chunked(sync, garbage, [chunk])
    assert all(isinstance(e, SyncAcquired | SyncLost | CodeblockRejected) for e in events)


@settings(max_examples=50)
@given(seed=st.integers(0, 2**32), size=st.integers(0, 20_000), chunk=st.integers(1, 3000))
def test_every_garbage_octet_is_counted(seed: int, size: int, chunk: int) -> None:
    """A loose search tolerance makes false candidates that the CHECK then rejects."""
    garbage = random.Random(seed).randbytes(size)
    sync = FrameSynchronizer(ICD, search_errors=6, lock_errors=6)
    events = feed_chunked(sync, garbage, [chunk])
    assert events == []
    if sync.state is SyncState.SEARCH:
        assert sync.counters.octets_skipped == max(0, size - 3)
    assert sync.counters.codeblocks == 0


def test_misuse() -> None:
    with pytest.raises(LocalProtocolError):
        FrameSynchronizer(ICD, search_errors=3, lock_errors=2)
    with pytest.raises(LocalProtocolError):
        FrameSynchronizer(ICD, lock_errors=9)
    with pytest.raises(LocalProtocolError):
        FrameSynchronizer(ICD, flywheel=-1)


def _packet(rng: random.Random, size: int) -> bytes:
    header = bytes([0x08, 100, 0xC0 | rng.randrange(64), rng.randrange(256)])
    return header + (size - 7).to_bytes(2, "big") + rng.randbytes(size - 6)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32), impairments=st.integers(0, 6), chunk=st.integers(1, 4000))
def test_downlink_chain_delivers_only_intact_packets(
    seed: int, impairments: int, chunk: int
) -> None:
    """Packets -> mux -> CADUs -> slips and bit errors -> sync -> demux."""
    rng = random.Random(seed)
    mux = TmMultiplexer(ICD)
    sent: dict[int, list[bytes]] = {0: [], 1: []}
    for _ in range(40):
        vc, packet = rng.choice((0, 1)), _packet(rng, rng.randrange(7, 2500))
        mux.queue_packet(vc, packet)
        sent[vc].append(packet)
    frames = mux.flush(0, bytes(4)) + mux.flush(1, bytes(4)) + [mux.idle_frame(bytes(4))] * 4
    stream = bytearray(CaduEncoder(ICD).encode_frames(frames))
    for _ in range(impairments):
        at = rng.randrange(len(stream) - 6 * CADU)
        choice = rng.randrange(3)
        if choice == 0:
            del stream[at : at + rng.randrange(1, 5)]
        elif choice == 1:
            stream[at:at] = rng.randbytes(rng.randrange(1, 5))
        else:
            stream[at] ^= 0xFF
    sync, demux = FrameSynchronizer(ICD), TmDemultiplexer(ICD)
    received: dict[int, list[bytes]] = {0: [], 1: []}
    for event in feed_chunked(sync, bytes(stream), [chunk]):
        if isinstance(event, FrameReceived):
            for item in demux.feed(event.frame):
                if isinstance(item, PacketReceived):
                    received[item.virtual_channel].append(item.packet)
    for vc in (0, 1):
        assert_subsequence(received[vc], sent[vc])
        if impairments == 0:
            assert received[vc] == sent[vc]
