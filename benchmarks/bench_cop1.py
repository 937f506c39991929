"""COP-1: FARM-1 frame rates, an end-to-end FOP-1 -> FARM-1 AD loop and CLCW coding.

No independent Python COP-1 exists to compare with; the targets are a wide margin over the
ICD uplink (at most a few hundred TC frames per second at the fastest TC bit rates).
"""

from __future__ import annotations

from benchmarks.harness import Recorder, best_rate
from ccsds.cop1 import Clcw, Directive, Farm1, Fop1
from ccsds.tc_frame import TcFrame

FRAMES = [TcFrame(42, 0, number, bytes(64)) for number in range(256)]
RAW = [frame.encode() for frame in FRAMES]
CLCW = Clcw(virtual_channel=0, report_value=77, retransmit=True, farm_b_counter=2)


def _farm_decoded() -> None:
    farm = Farm1(0, 10)
    for frame in FRAMES:
        farm.receive(frame)


def _farm_raw() -> None:
    farm = Farm1(0, 10)
    for raw in RAW:
        farm.receive_raw(raw)


def _ad_loop() -> None:
    """256 FDUs through FOP-1 and FARM-1, a CLCW after every frame, lossless."""
    fop, farm = Fop1(42, 0, window=5), Farm1(0, 10)
    fop.directive(Directive.INITIATE_AD_WITHOUT_CLCW, 0.0)
    for number in range(256):
        step = fop.request_ad(FRAMES[number].data, 0.0)
        for follow in (step, *fop.complete_transmissions(step, 0.0)):
            for frame in follow.frames:
                farm.receive(frame)
        fop.receive_clcw(farm.clcw(), 0.0)


def _clcw_round_trip() -> None:
    Clcw.decode(CLCW.encode())


def run(recorder: Recorder) -> None:
    seconds = 0.1 if recorder.quick else 0.5
    recorder.add("cop1 FARM-1 in-sequence AD frames (decoded)",
                 best_rate(_farm_decoded, len(FRAMES), seconds=seconds), "frame/s",
                 target=50_000)
    recorder.add("cop1 FARM-1 AD frames from raw (decode + FECF)",
                 best_rate(_farm_raw, len(RAW), seconds=seconds), "frame/s", target=20_000)
    recorder.add("cop1 FOP-1 -> FARM-1 AD loop, CLCW per frame",
                 best_rate(_ad_loop, 256, seconds=seconds), "FDU/s", target=5_000)
    recorder.add("cop1 CLCW encode + decode",
                 best_rate(_clcw_round_trip, 1, seconds=seconds), "CLCW/s", target=100_000)
