"""Whole link chains: PUS TM packets -> CADU stream, and CLTU stream -> PUS TCs.

Both run the composed sans-I/O objects the flight and ground software use
(ccsds.board_link, ccsds.ground_link) with the ICD baseline configuration.
"""

from __future__ import annotations

import random

from benchmarks.harness import Recorder, best_rate
from ccsds.board_link import BoardDownlink, BoardUplink
from ccsds.config import LinkConfig
from ccsds.cop1.clcw import Clcw
from ccsds.ground_link import GroundDownlink
from ccsds.pus import PusTc, PusTm
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import segment
from ccsds.tc_uplink import frame_to_cltu, max_frame_data
from ccsds.timecode import CucTime

CONFIG = LinkConfig.baseline()
CLCW = Clcw(virtual_channel=0, report_value=0).encode()


def _telemetry(count: int, rng: random.Random) -> list[tuple[int, int, bytes]]:
    """Field values of housekeeping-sized to bulk-sized TM packets."""
    return [(i % 16384, rng.choice((3, 1, 5, 128)), rng.randbytes(rng.choice((64, 256, 1000))))
            for i in range(count)]


def _downlink_chain(fields: list[tuple[int, int, bytes]]) -> bytes:
    board = BoardDownlink(CONFIG)
    apid = CONFIG.packets.apid_pus
    time = CucTime(coarse=1_000_000, fine=0)
    for count, service, data in fields:
        packet = PusTm(apid, count, service, 25, time=time, source_data=data).encode()
        board.queue_packet(CONFIG.tm.vc_realtime, packet)
    return board.take_cadus(CLCW, max_frames=1 << 30)


def _uplink_stream(count: int, rng: random.Random) -> tuple[bytes, int]:
    portion = max_frame_data(CONFIG.tc)
    stream = bytearray()
    sequence = 0
    for i in range(count):
        tc = PusTc(CONFIG.packets.apid_pus, i % 16384, 128, 1,
                   rng.randbytes(rng.choice((16, 200, 900, 2000))), source_id=1)
        for field in segment(tc.encode(), CONFIG.tc.map_id, portion):
            frame = TcFrame(CONFIG.tc.spacecraft_id, CONFIG.tc.virtual_channel, sequence, field)
            stream += frame_to_cltu(frame, CONFIG.tc)
            sequence = (sequence + 1) % 256
    return bytes(stream), count


def _uplink_chain(stream: bytes, expected: int) -> None:
    board = BoardUplink(CONFIG)
    decoded = [PusTc.decode(packet) for packet in board.feed(stream)]
    if len(decoded) != expected:
        raise RuntimeError(f"uplink chain delivered {len(decoded)} of {expected} TCs")


def run(recorder: Recorder) -> None:
    rng = random.Random(0)
    seconds = 0.3 if recorder.quick else 1.0
    fields = _telemetry(500 if recorder.quick else 3000, rng)
    packet_octets = sum(len(data) + 6 + 17 + 2 for _, _, data in fields)
    cadus = _downlink_chain(fields)
    rate = best_rate(lambda: _downlink_chain(fields), packet_octets / 1e6, seconds=seconds,
                     repeats=3)
    recorder.add("downlink chain: PUS TM packets -> CADU stream", rate, "MB/s", target=20.0,
                 note=f"packet octets in per second; {len(cadus) / packet_octets:.3f} CADU "
                      "octets out per packet octet (ICD: RS(255,223) I=5, randomized, OCF, FECF)")

    ground_rate = best_rate(lambda: GroundDownlink(CONFIG).feed(cadus), len(cadus) / 1e6,
                            seconds=seconds, repeats=3)
    recorder.add("downlink ground: CADU stream -> packets", ground_rate, "MB/s",
                 note="frame sync, derandomize, RS decode, FECF, VC demux")

    stream, count = _uplink_stream(200 if recorder.quick else 1000, rng)
    rate = best_rate(lambda: _uplink_chain(stream, count), len(stream) / 1e6, seconds=seconds,
                     repeats=3)
    recorder.add("uplink chain: CLTU stream -> PUS TCs", rate, "MB/s", target=5.0,
                 note="CLTU extraction + BCH, derandomize, TC frame checks, FARM-1, "
                      "segment reassembly, PUS TC decode with PEC")
