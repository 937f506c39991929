"""Malformed uplink units through the running flight software (a real process on a pty),
then a ping: it must still answer, and its counters must have seen the damage.

The default run sends FLIGHT_FUZZ_UNITS (default 2,000) units; `make soak` sends 100,000.
"""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ccsds.config import LinkConfig
from ccsds.mission_db import decode_housekeeping, encode_command
from ccsds.pus import PusTc
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SegmentHeader, SequenceFlags
from ccsds.tc_uplink import frame_to_cltu
from flight_sw.dictionary import MISSION
from hil.pty_board import PtyBoard

UNITS = int(os.environ.get("FLIGHT_FUZZ_UNITS", "2000"))
CONFIG = LinkConfig.baseline()
TC = CONFIG.tc


def _bypass_cltu(data_field: bytes, *, spacecraft_id: int = TC.spacecraft_id,
                 virtual_channel: int = TC.virtual_channel) -> bytes:
    """A BD frame (FARM-1 accepts it whatever its sequence number) in a CLTU."""
    frame = TcFrame(spacecraft_id, virtual_channel, 0, data_field, bypass=True)
    return frame_to_cltu(frame, TC)


def _packet_cltu(packet: bytes) -> bytes:
    header = SegmentHeader(SequenceFlags.UNSEGMENTED, TC.map_id).encode()
    return _bypass_cltu(header + packet)


def _generators(rng: random.Random) -> list[Callable[[], bytes]]:
    commands = list(MISSION.commands)

    def garbage() -> bytes:
        return rng.randbytes(rng.randrange(1, 300))

    def cltu_of_garbage() -> bytes:
        return frame_to_cltu(TcFrame(TC.spacecraft_id, 0, 0, b""), TC)[:2] + garbage()

    def wrong_spacecraft() -> bytes:
        return _bypass_cltu(b"\x03" + rng.randbytes(20), spacecraft_id=rng.randrange(0, 41))

    def random_data_field() -> bytes:
        return _bypass_cltu(rng.randbytes(rng.randrange(1, 200)))

    def bad_pec() -> bytes:
        raw = bytearray(PusTc(100, rng.randrange(16384), 17, 1).encode())
        raw[-1] ^= 1 + rng.randrange(255)
        return _packet_cltu(bytes(raw))

    def unknown_service() -> bytes:
        return _packet_cltu(PusTc(100, 1, rng.choice((0, 2, 4, 99, 200)), 1).encode())

    def bad_arguments() -> bytes:
        command = rng.choice(commands)
        data = rng.randbytes(rng.randrange(0, 12))
        return _packet_cltu(PusTc(100, 1, command.service, command.subtype, data).encode())

    def bit_flipped_cltu() -> bytes:
        cltu = bytearray(_packet_cltu(PusTc(100, 1, 17, 1).encode()))
        for _ in range(rng.randrange(2, 6)):
            cltu[rng.randrange(len(cltu))] ^= 1 << rng.randrange(8)
        return bytes(cltu)

    return [garbage, cltu_of_garbage, wrong_spacecraft, random_data_field, bad_pec,
            unknown_service, bad_arguments, bit_flipped_cltu]


def test_malformed_units_then_ping(tmp_path: Path) -> None:
    rng = random.Random(2026)
    board = PtyBoard(tmp_path)
    try:
        board.connect()
        generators = _generators(rng)
        sent: Counter[str] = Counter()
        batch = bytearray()
        for index in range(UNITS):
            generator = rng.choice(generators)
            sent[generator.__name__] += 1
            batch += generator()
            if len(batch) > 16384 or index == UNITS - 1:
                board.write(bytes(batch))
                batch.clear()
                board.pump(0.0)  # keep the downlink drained while the uplink floods
        ping = board.ground.telecommand(17, 1)
        board.send(ping.encode())
        board.wait_for(lambda r: (r.service, r.subtype) == (17, 2), timeout=60)
        board.ground.reports.clear()
        one_shot = MISSION.command("HK_ONE_SHOT")
        data = encode_command(MISSION, one_shot, {"count": 1, "structure_id": 2})
        board.send(board.ground.telecommand(one_shot.service, one_shot.subtype, data).encode())
        report = board.wait_for(lambda r: (r.service, r.subtype) == (3, 25), timeout=30)
        structure, link = decode_housekeeping(MISSION, report.source_data)
        assert structure.name == "link"
        # garbage can hide a following CLTU's start now and then: allow a few percent
        assert link["BAD_PEC"] >= 0.95 * sent["bad_pec"]
        assert link["UNKNOWN_SERVICE"] >= 0.95 * sent["unknown_service"]
        assert link["FRAMES_REJECTED"] >= 0.95 * sent["wrong_spacecraft"]
        assert link["TCS_REJECTED"] >= link["BAD_PEC"] + link["UNKNOWN_SERVICE"]
        assert board.process.poll() is None
    finally:
        board.stop(signal.SIGKILL)
