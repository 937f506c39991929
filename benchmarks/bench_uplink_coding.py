"""TC uplink coding: CLTU encoding and extraction (CCSDS 231.0-B-4), frame to CLTU and back.

Rates are in MB/s of CLTU stream (what the link carries). The stream is fed in 4 KiB reads,
as a port driver would hand it over. No target here: the >= 5 MB/s requirement covers the
whole chain from CLTU stream to PUS TCs and is measured by the lead.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from benchmarks.harness import Recorder, best_rate
from ccsds.cltu import CltuExtractor, cltu_encode
from ccsds.config import LinkConfig
from ccsds.randomizer import tc_randomize
from ccsds.tc_frame import TcFrame
from ccsds.tc_uplink import TcUplinkReceiver, frame_to_cltu

READ_SIZE = 4096
CONFIG = LinkConfig.baseline().tc


def _frames(data_length: int, count: int, rng: random.Random) -> list[TcFrame]:
    return [TcFrame(CONFIG.spacecraft_id, 0, n % 256, rng.randbytes(data_length))
            for n in range(count)]


def _reads(stream: bytes) -> list[bytes]:
    return [stream[i : i + READ_SIZE] for i in range(0, len(stream), READ_SIZE)]


def _with_bit_errors(cltu: bytes, rng: random.Random) -> bytes:
    """One bit error in every codeblock (all corrected by the decoder)."""
    out = bytearray(cltu)
    for block in range((len(cltu) - 10) // 8):
        bit = rng.randrange(63)
        out[2 + 8 * block + bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def _encode(frames: list[bytes]) -> Callable[[], None]:
    def work() -> None:
        for frame in frames:
            cltu_encode(frame)

    return work


def _extract(reads: list[bytes], expected: int, start_errors: int = 0) -> Callable[[], None]:
    def work() -> None:
        extractor = CltuExtractor(start_errors=start_errors)
        count = sum(len(extractor.feed(piece)) for piece in reads)
        assert count >= expected

    return work


def _receive(reads: list[bytes], expected: int) -> Callable[[], None]:
    def work() -> None:
        receiver = TcUplinkReceiver(CONFIG)
        count = sum(len(receiver.feed(piece)) for piece in reads)
        assert count == expected

    return work


def run(recorder: Recorder) -> None:
    """Record encode, extraction and receive rates for long and short frames."""
    rng = random.Random(231)
    timing = {"seconds": 0.1, "repeats": 2} if recorder.quick else {}
    count = 50 if recorder.quick else 300
    for label, data_length in (("1024-octet frames", 1024 - 7), ("64-octet frames", 64 - 7)):
        frames = _frames(data_length, count, rng)
        cltus = [frame_to_cltu(frame, CONFIG) for frame in frames]
        stream = b"".join(cltus)
        megabytes = len(stream) / 1e6
        reads = _reads(stream)
        raw = [tc_randomize(frame.encode()) for frame in frames]
        recorder.add(f"CLTU encode ({label})",
                     best_rate(_encode(raw), megabytes, **timing),
                     "MB/s", note="randomized frame -> CLTU, MB of CLTU out")
        recorder.add(f"CLTU extraction ({label})",
                     best_rate(_extract(reads, count), megabytes, **timing), "MB/s",
                     note="CLTU stream in 4 KiB reads -> decoded codeblocks")
        recorder.add(f"CLTU extraction, start sequence with 1 error allowed ({label})",
                     best_rate(_extract(reads, count, 1), megabytes, **timing), "MB/s",
                     note="start_errors=1: more false starts, all searched again")
        noisy = _reads(b"".join(_with_bit_errors(cltu, rng) for cltu in cltus))
        recorder.add(f"CLTU extraction, 1 bit error per codeblock ({label})",
                     best_rate(_extract(noisy, count), megabytes, **timing), "MB/s",
                     note="every codeblock corrected; each CLTU searched again")
        recorder.add(f"uplink receive ({label})",
                     best_rate(_receive(reads, count), megabytes, **timing), "MB/s",
                     note="CLTU stream -> derandomized, checked TC frames (FECF, SCID)")
