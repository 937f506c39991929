"""CFDP class 2 goodput through the full link stack, as a fraction of the configured line rate.

One file per direction between the ground station's CFDP entity and the flight software's
file transfer over its object store (hil.transfer_run.TransferRig: COP-1, BCH CLTUs up;
VC mux, RS(255,223) I=5, ASM down), on a simulated clock. Conditions: (a) a clean link
(no errors, LEO light time 5 ms), target >= 90 %; (b) BER 1e-5 both ways with the lunar
one-way light time of 1.28 s, target >= 75 %. Line rates: 100 kbit/s up, 1 Mbit/s down
(lunar S-band, PROFILES.md Links). The peer is the theoretical maximum, the share of line
bits that can be file data given the CLTU/frame/packet/PDU overheads of the configuration.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from benchmarks.harness import Recorder
from ccsds.config import LinkConfig
from ccsds.spacepacket import PRIMARY_HEADER_LENGTH
from ccsds.tc_uplink import max_segment_portion
from flight_sw.file_transfer import TransferSettings
from hil.transfer_run import LinkSettings, TransferRig, cltu_octets, seeded_files

FILE_DATA_PDU_HEADER = 4 + 2 * 2 + 4 + 4
"""Fixed header, two 2-octet entity ids, 4-octet sequence number, 4-octet offset
(727.0-B-5 5.1, 5.3; ICD entity id and sequence number lengths)."""
TM_PRIMARY_HEADER = 6
"""TM transfer frame primary header, first header pointer included (132.0-B-3 4.1.2)."""

CLEAN = LinkSettings(one_way_delay_s=0.005, uplink_ber=0.0, downlink_ber=0.0, frame_loss=0.0)
LUNAR = LinkSettings(one_way_delay_s=1.28, uplink_ber=1e-5, downlink_ber=1e-5, frame_loss=0.0)
ICD_SEGMENT = TransferSettings().segment_size
SEEDS = (5, 6, 7)
BULK_SEGMENT = 4000
"""Largest segment whose file data PDU fits the entities' 4096-octet PDU limit."""


def uplink_ceiling(config: LinkConfig, segment: int) -> float:
    """File bits per line bit when every TC frame carries one file data PDU of ``segment``."""
    frame_overhead = config.tc.max_frame_length - max_segment_portion(config.tc)
    frame = frame_overhead + PRIMARY_HEADER_LENGTH + FILE_DATA_PDU_HEADER + segment
    return segment / cltu_octets(replace(config, tc=replace(config.tc, max_frame_length=frame)))


def downlink_ceiling(config: LinkConfig, cadu_octets: int, segment: int) -> float:
    """File bits per line bit with packets packed back to back across frames (132.0-B-3)."""
    tm = config.tm
    data_field = tm.frame_length - TM_PRIMARY_HEADER - 4 * tm.ocf - 2 * tm.fecf
    packet = PRIMARY_HEADER_LENGTH + FILE_DATA_PDU_HEADER + segment
    return segment / packet * data_field / cadu_octets


def _goodput(link: LinkSettings, direction: str, size: int, segment: int,
             seed: int) -> tuple[float, float, bool]:
    """Fraction of the line rate achieved, the theoretical ceiling, and whether intact."""
    board = TransferSettings(segment_size=segment)
    rig = TransferRig(link, seed=seed, store_octets=max(16 << 20, 3 * size),
                      board_settings=board)
    files = seeded_files(1, size, size, seed=9)
    name, data = next(iter(files.items()))
    if direction == "up":
        phase = rig.upload(files, concurrency=1, deadline=36_000.0)
        segment = rig.ground.transfers.entity.config.segment_size
        ceiling, rate = uplink_ceiling(rig.config, segment), link.uplink_bps
    else:
        rig.board.store.put(name, data)
        phase = rig.download({name: hashlib.sha256(data).digest()}, {name: size},
                             concurrency=1, deadline=36_000.0)
        ceiling = downlink_ceiling(rig.config, rig.board.downlink.cadu_length, segment)
        rate = link.downlink_bps
    return phase.goodput_bps / rate, ceiling, phase.intact == 1


def _record(recorder: Recorder, name: str, link: LinkSettings, *, direction: str, size: int,
            target: float, segment: int = ICD_SEGMENT) -> None:
    """The mean over seeded runs (one on a clean link: nothing random happens there)."""
    seeds = SEEDS[:1] if recorder.quick or link == CLEAN else SEEDS
    runs = [_goodput(link, direction, size, segment, seed) for seed in seeds]
    fractions = [fraction for fraction, _, _ in runs]
    rate = link.uplink_bps if direction == "up" else link.downlink_bps
    spread = f", {len(runs)} seeds, min {min(fractions):.3f}" if len(runs) > 1 else ""
    recorder.add(name, sum(fractions) / len(fractions), "of line", target=target,
                 peer="theoretical max", peer_value=runs[0][1],
                 note=f"{size >> 10} KiB file at {rate / 1000:g} kbit/s{spread}"
                      f"{'' if all(intact for _, _, intact in runs) else ', FILE NOT INTACT'}")


def run(recorder: Recorder) -> None:
    """Clean and lunar-with-errors, up and down, with the ICD coding; and the downlink with
    RS(255,239) and 4000-octet segments, the configuration that clears 90 % on a clean link."""
    sizes = {"up": 256 << 10, "down": 2 << 20} if recorder.quick else {
        "up": 1 << 20, "down": 8 << 20}
    cases = (("clean link", CLEAN, 0.90), ("BER 1e-5, 1.28 s one way", LUNAR, 0.75))
    for label, link, target in cases:
        for direction in ("up", "down"):
            _record(recorder, f"cfdp class 2 goodput {direction}, {label}", link,
                    direction=direction, size=sizes[direction], target=target)
    for label, link, target in cases:
        _record(recorder, f"cfdp class 2 goodput down, {label}, RS(255,239)",
                replace(link, rs_check_symbols=16), direction="down", size=sizes["down"],
                target=target, segment=BULK_SEGMENT)
