"""The uplink chain: TC frame -> randomizer -> CLTU -> byte stream -> TC frame."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cltu import CltuExtractor, cltu_encode
from ccsds.config import LinkConfig, TcLinkConfig
from ccsds.errors import ChecksumError, LengthError, LocalProtocolError
from ccsds.randomizer import tc_randomize
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SegmentReassembler, segment
from ccsds.tc_uplink import (
    TcUplinkReceiver,
    WrongSpacecraftError,
    frame_to_cltu,
    max_frame_data,
    max_segment_portion,
    raw_frame_to_cltu,
)
from tests.ccsds.test_cltu import chunked, flip, garbage

BASELINE = LinkConfig.baseline().tc


def receive(config: TcLinkConfig, stream: bytes, sizes: list[int]) -> tuple[
        list[TcFrame], TcUplinkReceiver]:
    receiver = TcUplinkReceiver(config)
    frames = [frame for piece in chunked(stream, sizes) for frame in receiver.feed(piece)]
    return frames + receiver.flush(), receiver


@st.composite
def link_frames(draw: st.DrawFn, config: TcLinkConfig = BASELINE) -> TcFrame:
    bypass = draw(st.booleans())
    return TcFrame(
        spacecraft_id=config.spacecraft_id,
        virtual_channel=draw(st.integers(0, 63)),
        sequence_number=draw(st.integers(0, 255)),
        data=draw(st.binary(max_size=draw(st.sampled_from([20, max_frame_data(config)])))),
        bypass=bypass,
        control_command=bypass and draw(st.booleans()),
    )


@pytest.mark.parametrize(("name", "randomize", "fecf"),
                         [("cltu_plain", False, True), ("cltu_randomized", True, False)])
def test_kat(kat: dict[str, Any], name: str, randomize: bool, fecf: bool) -> None:
    config = dataclasses.replace(BASELINE, spacecraft_id=123, randomize=randomize, fecf=fecf)
    raw = bytes.fromhex(kat[name]["tc_frame"])
    frame = TcFrame.decode(raw, fecf=fecf)
    cltu = bytes.fromhex(kat[name]["cltu"])
    assert frame_to_cltu(frame, config) == cltu
    assert TcUplinkReceiver(config).feed(b"\x55\xaa" + cltu) == [frame]


def test_baseline_capacities() -> None:
    assert max_frame_data(BASELINE) == 1024 - 5 - 2
    assert max_segment_portion(BASELINE) == 1024 - 5 - 2 - 1
    unsegmented = dataclasses.replace(BASELINE, segment_header=False, fecf=False)
    assert max_segment_portion(unsegmented) == 1024 - 5


@given(st.lists(st.tuples(garbage, link_frames()), min_size=1, max_size=5),
       st.lists(st.integers(1, 400), min_size=1, max_size=10))
def test_round_trip_through_a_stream(units: list[tuple[bytes, TcFrame]], sizes: list[int]
                                     ) -> None:
    stream = b"".join(junk + frame_to_cltu(frame, BASELINE) for junk, frame in units)
    frames, receiver = receive(BASELINE, stream, sizes * 50)
    assert frames == [frame for _, frame in units]
    assert receiver.counters.frames == len(units)


@given(st.lists(link_frames(), min_size=1, max_size=3), st.randoms(use_true_random=False))
def test_one_bit_error_per_codeblock(frames: list[TcFrame], rng: random.Random) -> None:
    def damaged(cltu: bytes) -> bytes:
        blocks = (len(cltu) - 10) // 8
        return flip(cltu, *(16 + 64 * block + rng.randrange(63) for block in range(blocks)))

    stream = b"".join(damaged(frame_to_cltu(frame, BASELINE)) for frame in frames)
    received, _ = receive(BASELINE, stream, [rng.randrange(1, 300) for _ in range(99)])
    assert received == frames  # junk CLTUs, if an error made a start sequence, are rejected


def test_segmented_packet_end_to_end() -> None:
    rng = random.Random(232)
    packet = rng.randbytes(3000)
    fields = segment(packet, BASELINE.map_id, max_frame_data(BASELINE))
    frames = [TcFrame(BASELINE.spacecraft_id, BASELINE.virtual_channel, n, field)
              for n, field in enumerate(fields)]
    stream = b"".join(frame_to_cltu(frame, BASELINE) for frame in frames)
    received, _ = receive(BASELINE, stream, [rng.randrange(1, 500) for _ in range(50)])
    reassembler = SegmentReassembler()
    results = [reassembler.feed(frame.data) for frame in received]
    assert [sdu.data for sdu in results if sdu] == [packet]


def test_rejections_are_counted() -> None:
    other = TcFrame(BASELINE.spacecraft_id + 1, 0, 0, b"not for us")
    receiver = TcUplinkReceiver(BASELINE)
    assert receiver.feed(frame_to_cltu(other, dataclasses.replace(
        BASELINE, spacecraft_id=other.spacecraft_id))) == []
    assert isinstance(receiver.last_error, WrongSpacecraftError)
    raw = TcFrame(BASELINE.spacecraft_id, 0, 0, b"damaged").encode()
    assert receiver.feed(cltu_encode(tc_randomize(raw[:-1] + bytes([raw[-1] ^ 1])))) == []
    assert isinstance(receiver.last_error, ChecksumError)
    padded_out = cltu_encode(tc_randomize(raw) + bytes(7))  # a spare codeblock after the frame
    assert receiver.feed(padded_out) == []
    assert isinstance(receiver.last_error, LengthError)
    assert receiver.counters.rejected == 3 and receiver.counters.wrong_spacecraft == 1
    assert receiver.counters.frames == 0


def test_frame_longer_than_the_link_allows() -> None:
    config = dataclasses.replace(BASELINE, max_frame_length=100)
    frame = TcFrame(config.spacecraft_id, 0, 0, bytes(101 - 7))
    with pytest.raises(LocalProtocolError):
        frame_to_cltu(frame, config)
    receiver = TcUplinkReceiver(config)
    assert receiver.feed(frame_to_cltu(frame, BASELINE)) == []  # 15 codeblocks fit, 101 > 100
    assert isinstance(receiver.last_error, LengthError)


@given(st.binary(max_size=2000), st.lists(st.integers(1, 100), min_size=1, max_size=10))
def test_garbage_stream(junk: bytes, sizes: list[int]) -> None:
    frames, receiver = receive(BASELINE, junk, sizes * 50)  # raises nothing at all
    assert receiver.counters.frames == len(frames)
    assert receiver.extractor.buffered == 0


def test_extractor_follows_the_link_maximum() -> None:
    config = dataclasses.replace(BASELINE, max_frame_length=64)
    receiver = TcUplinkReceiver(config, start_errors=1)
    assert receiver.extractor.max_codeblocks == 10
    assert receiver.extractor.start_errors == 1
    assert CltuExtractor().max_codeblocks == 147


@given(link_frames(), link_frames(), st.data())
def test_cut_off_cltu_then_whole_one_byte_at_a_time(cut: TcFrame, whole: TcFrame,
                                                    data: st.DataObject) -> None:
    first = frame_to_cltu(cut, BASELINE)
    keep = data.draw(st.integers(0, len(first) - 1))
    stream = first[:keep] + frame_to_cltu(whole, BASELINE)
    frames, receiver = receive(BASELINE, stream, [1] * len(stream))
    assert frames[-1:] == [whole]
    assert receiver.counters.frames == len(frames)


def test_received_frames_keep_their_octets_as_sent() -> None:
    """SDLS needs the octets as received: spare bits survive, CLTU fill does not."""
    frame = TcFrame(BASELINE.spacecraft_id, 0, 3, b"\xc0abc")
    raw = bytearray(frame.encode(fecf=False))
    raw[0] |= 0x0C  # the two spare bits, which TcFrame.encode always clears
    config = dataclasses.replace(BASELINE, fecf=False)
    (received,) = TcUplinkReceiver(config).feed_received(raw_frame_to_cltu(bytes(raw), config))
    assert received.raw == bytes(raw)
    assert received.frame.data == frame.data


def test_security_overhead_shrinks_the_frame_data() -> None:
    assert max_frame_data(BASELINE, 30) == max_frame_data(BASELINE) - 30
    assert max_segment_portion(BASELINE, 30) == max_segment_portion(BASELINE) - 30


def test_raw_frames_beyond_the_link_maximum_are_refused() -> None:
    with pytest.raises(LocalProtocolError):
        raw_frame_to_cltu(bytes(BASELINE.max_frame_length + 1), BASELINE)
