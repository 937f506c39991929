"""Downlink coding throughput: VC multiplexing, CADU encoding, frame synchronization.

Figures are octets of user-visible input per second: packet octets for the multiplexer, frame
octets for the CADU encoder, stream octets for the synchronizer (ICD: RS(255,223) I=5 with the
randomizer, 1115-octet frames). The peer for CADU encoding is reedsolo (pure Python RS with the
same CCSDS code parameters, conventional basis, no interleaving tricks) on the same frames.
"""

from __future__ import annotations

import random

import reedsolo

from benchmarks.harness import Recorder, best_rate
from ccsds.channel_coding import CaduEncoder
from ccsds.config import LinkConfig
from ccsds.frame_sync import FrameSynchronizer
from ccsds.randomizer import tm_randomize
from ccsds.tm_demux import TmDemultiplexer
from ccsds.tm_mux import TmMultiplexer

MB = 1e6
CLCW = b"\x00\x00\x00\x00"


def _packets(rng: random.Random, count: int) -> list[bytes]:
    """PUS-sized TM packets (APID 100) of 50..1000 octets."""
    out = []
    for sequence in range(count):
        size = rng.randrange(50, 1000)
        header = bytes([0x08, 100, 0xC0 | (sequence >> 8) & 0x3F, sequence & 0xFF])
        out.append(header + (size - 7).to_bytes(2, "big") + rng.randbytes(size - 6))
    return out


def _frames(packets: list[bytes]) -> list[bytes]:
    mux = TmMultiplexer(LinkConfig.baseline().tm)
    for packet in packets:
        mux.queue_packet(0, packet)
    return mux.flush(0, CLCW)


def _reedsolo_cadu(codec: reedsolo.RSCodec, frame: bytes, depth: int) -> bytes:
    parities = [codec.encode(frame[row::depth])[-32:] for row in range(depth)]
    parity = bytes(parities[j % depth][j // depth] for j in range(32 * depth))
    return b"\x1a\xcf\xfc\x1d" + tm_randomize(frame + parity)


def run(recorder: Recorder) -> None:
    config = LinkConfig.baseline().tm
    seconds = 0.1 if recorder.quick else 0.5
    repeats = 2 if recorder.quick else 5
    rng = random.Random(1)
    packets = _packets(rng, 400)
    packet_octets = sum(map(len, packets))
    frames = _frames(packets)
    frame_octets = len(frames) * config.frame_length
    joined = b"".join(frames)

    def multiplex() -> None:
        _frames(packets)

    recorder.add(
        "tm mux packets->frames",
        best_rate(multiplex, packet_octets / MB, seconds=seconds, repeats=repeats),
        "MB/s",
        note=f"{len(packets)} packets on VC 0, {len(frames)} ICD frames",
    )

    def demultiplex() -> None:
        demux = TmDemultiplexer(config)
        for frame in frames:
            demux.feed(frame)

    recorder.add(
        "tm demux frames->packets",
        best_rate(demultiplex, frame_octets / MB, seconds=seconds, repeats=repeats),
        "MB/s",
    )

    encoder = CaduEncoder(config)
    codec = reedsolo.RSCodec(32, fcr=112, prim=0x187, generator=_alpha_power(11))
    peer_frames = frames[:4]
    peer_rate = best_rate(
        lambda: [_reedsolo_cadu(codec, f, config.rs_interleave) for f in peer_frames],
        len(peer_frames) * config.frame_length / MB,
        seconds=seconds,
        repeats=1,
    )
    recorder.add(
        "cadu encode batch (frames->CADUs)",
        best_rate(
            lambda: encoder.encode_frames(joined),
            frame_octets / MB,
            seconds=seconds,
            repeats=repeats,
        ),
        "MB/s",
        peer="reedsolo",
        peer_value=peer_rate,
        note=f"{len(frames)} frames per call, RS(255,223) I=5 + randomizer + ASM",
    )
    recorder.add(
        "cadu encode one frame per call",
        best_rate(
            lambda: [encoder.encode(f) for f in frames],
            frame_octets / MB,
            seconds=seconds,
            repeats=repeats,
        ),
        "MB/s",
        peer="reedsolo",
        peer_value=peer_rate,
    )

    stream = encoder.encode_frames(joined)
    chunk = 1 << 16

    def synchronize() -> None:
        sync = FrameSynchronizer(config)
        for start in range(0, len(stream), chunk):
            sync.feed(stream[start : start + chunk])

    recorder.add(
        "frame sync decode clean CADU stream",
        best_rate(synchronize, len(stream) / MB, seconds=seconds, repeats=repeats),
        "MB/s",
        note="64 KiB feeds: ASM check, derandomize, RS decode, FECF check",
    )


def _alpha_power(exponent: int) -> int:
    value = 1
    for _ in range(exponent):
        value = (value << 1) ^ (0x187 if value & 0x80 else 0)
    return value
