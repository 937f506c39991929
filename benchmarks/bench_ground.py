"""Ground station: decommutation and downlink input throughput.

Decom: TM(3,25) reports of the mission's "board" and "link" structures through
:class:`ground_sw.decom.Decommutator` (PUS decode, dictionary decode, calibration, limit
check, one ParameterSample per parameter). Link input: CADUs of real-time VC frames full of
those reports through :meth:`ground_sw.link.LinkPort.receive` (frame sync, RS(255,223) I=5
decoding, derandomisation, VC demux, CLCW to FOP-1), no port involved.
"""

from __future__ import annotations

import itertools

from benchmarks.harness import Recorder, best_rate
from ccsds.board_link import BoardDownlink, BoardUplink
from ccsds.config import LinkConfig
from ccsds.mission_db import MissionDatabase, Parameter, encode_housekeeping
from ccsds.pus import PusTm
from ccsds.pus_types import Value
from ccsds.timecode import CucTime
from ground_sw.decom import Decommutator
from ground_sw.dictionary import export_installed
from ground_sw.link import LinkPort

LINE_RATE_BPS = 1e6
"""The downlink rate of the lunar link demo (docs/benchmarks.md)."""


def _value(parameter: Parameter) -> Value:
    """A valid raw value: the first enumeration value, False, or the minimum (else 1)."""
    if parameter.enumeration:
        return parameter.enumeration[0][1]
    if parameter.type == "bool":
        return False
    return int(parameter.minimum) if parameter.minimum is not None else 1


def _reports(database: MissionDatabase, count: int) -> list[bytes]:
    packets = []
    for sequence, name in zip(range(count), itertools.cycle(("board", "link")), strict=False):
        structure = database.structure(name)
        values = {p.name: _value(p) for p in database.structure_parameters(structure)}
        packets.append(PusTm(100, sequence, 3, 25, time=CucTime(2_100_000_000),
                             source_data=encode_housekeeping(database, structure, values),
                             ).encode())
    return packets


def run(recorder: Recorder) -> None:
    """Record decom and link input rates."""
    seconds, repeats = (0.1, 2) if recorder.quick else (0.5, 5)
    database = export_installed().database
    packets = _reports(database, 200)
    decom = Decommutator(database)

    def decode_all() -> None:
        for packet in packets:
            decom.decode(0, packet, 0.0)

    rate = best_rate(decode_all, len(packets), seconds=seconds, repeats=repeats)
    recorder.add("decom TM(3,25) reports", rate, "packets/s", target=10_000,
                 note="board (9) and link (12) structures alternating")
    samples = decom.counters.samples / max(decom.counters.packets, 1)
    recorder.add("decom parameter samples", rate * samples, "samples/s")

    config = LinkConfig.baseline()
    board_down, board_up = BoardDownlink(config), BoardUplink(config)
    for packet in packets:
        board_down.queue_packet(config.tm.vc_realtime, packet)
    cadus = board_down.take_cadus(board_up.clcw(), max_frames=1000)
    port = LinkPort("loop://", config)
    clock = itertools.count()

    def receive_all() -> None:
        port.receive(cadus, float(next(clock)), 0.0)

    octets_rate = best_rate(receive_all, len(cadus), seconds=seconds, repeats=repeats)
    recorder.add("link input (sync, RS, demux, CLCW)", octets_rate * 8 / 1e6, "Mbit/s",
                 target=LINE_RATE_BPS / 1e6,
                 note=f"{len(cadus) // board_down.cadu_length} CADUs of 1279 octets per call")
