"""Mission database: housekeeping decommutation against space-packet-parser, and exports.

"decommutate" is the ground's work per TM(3,25) packet: check and parse the PUS packet,
decode the structure's raw values and calibrate them. The peer (space-packet-parser, an
XTCE decoder) parses the same packet from our XTCE export, calibrators included.
"""

from __future__ import annotations

import io
import warnings

import space_packet_parser as spp

from benchmarks.harness import Recorder, best_rate
from ccsds.mission_db import (
    decode_housekeeping,
    dictionary_hash,
    encode_housekeeping,
    engineering,
    to_xtce,
)
from ccsds.pus import PusTm
from ccsds.timecode import CucTime
from flight_sw.dictionary import MISSION

SPEEDUP_TARGET = 3.0
STRUCTURE = MISSION.structure("board")
VALUES = {"CPU_TEMP": 31000, "BOARD_TEMP": 30500, "POWER": 12500, "CPU_LOAD": 90,
          "MEMORY_USED": 80, "UPTIME": 3600, "MODE": 1, "BOOT_COUNT": 12, "RESET_CAUSE": 0}
PARAMETERS = MISSION.structure_parameters(STRUCTURE)


def _packet() -> bytes:
    return PusTm(MISSION.apid, 5, 3, 25, time=CucTime(2_000_000_000, 99),
                 source_data=encode_housekeeping(MISSION, STRUCTURE, VALUES)).encode()


def _ours(packet: bytes) -> dict[str, object]:
    _, raw = decode_housekeeping(MISSION, PusTm.decode(packet).source_data)
    return {p.name: engineering(p, raw[p.name]) for p in PARAMETERS}


def run(recorder: Recorder) -> None:
    seconds = 0.1 if recorder.quick else 0.5
    packet = _packet()
    definition = spp.XtcePacketDefinition.from_xtce(io.BytesIO(to_xtce(MISSION).encode()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        peer_values = definition.parse_bytes(packet)
    if any(peer_values[name].raw_value != raw for name, raw in VALUES.items()):
        raise RuntimeError("space-packet-parser decodes other raw values")
    ours = best_rate(lambda: _ours(packet), 1, seconds=seconds)
    peer = best_rate(lambda: definition.parse_bytes(packet), 1, seconds=seconds)
    recorder.add("mission_db HK decommutate (board, 11 params)", ours, "packets/s",
                 target=SPEEDUP_TARGET * peer, peer="space-packet-parser", peer_value=peer,
                 note="PUS TM check + decode + calibrate vs the XTCE decoder on our XTCE")
    recorder.add("mission_db HK encode (board)", best_rate(
        lambda: encode_housekeeping(MISSION, STRUCTURE, VALUES), 1, seconds=seconds),
        "reports/s")
    recorder.add("mission_db dictionary hash (JSON + SHA-256)", best_rate(
        lambda: dictionary_hash(MISSION), 1, seconds=seconds, repeats=3), "hashes/s")
    recorder.add("mission_db XTCE export", best_rate(
        lambda: to_xtce(MISSION), 1, seconds=seconds, repeats=3), "exports/s")
