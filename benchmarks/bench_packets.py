"""Space packets, PUS-C and the packet stream scanner, side by side with spacepackets.

"pack" serialises an existing packet object; "build+pack" is the work of a service
emitting a report: build the packet from field values and serialise it. Both sides get the
time already in their own form (our CucTime, the bytes spacepackets takes). "unpack"
parses and checks (PEC included) one packet into an object. Ours and the peer's are
measured in alternating batches.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from spacepackets.ccsds.spacepacket import PacketId, parse_space_packets
from spacepackets.ccsds.spacepacket import PacketType as SpPacketType
from spacepackets.ecss.tc import PusTc as SpPusTc
from spacepackets.ecss.tm import PusTm as SpPusTm

from benchmarks.harness import Recorder, best_rate
from ccsds.packet_scanner import PacketScanner
from ccsds.pus import PusTc, PusTm
from ccsds.spacepacket import peek_header
from ccsds.timecode import CucTime

SPEEDUP_TARGET = 3.0
SOURCE_DATA = bytes(range(64))
TIME = CucTime(2_100_000_000, 0x1234)
TIME_BYTES = TIME.encode()
APID = 100


def _ours_tm_pack() -> bytes:
    return PusTm(APID, 5, 3, 25, time=TIME, source_data=SOURCE_DATA, message_counter=7,
                 destination_id=1).encode()


def _peer_tm_pack() -> bytearray:
    return SpPusTm(service=3, message_subtype=25, timestamp=TIME_BYTES,
                         source_data=SOURCE_DATA, apid=APID, seq_count=5, message_counter=7,
                         destination_id=1).pack()


def _ours_tc_pack() -> bytes:
    return PusTc(APID, 9, 17, 1, SOURCE_DATA, source_id=1).encode()


def _peer_tc_pack() -> bytearray:
    return SpPusTc(service=17, message_subtype=1, apid=APID, seq_count=9,
                         app_data=SOURCE_DATA, source_id=1).pack()


def _compare(recorder: Recorder, name: str, ours: float, peer: float, what: str) -> None:
    """Record our rate against the peer's and the speedup as its own figure."""
    recorder.add(name, ours, "packets/s", target=SPEEDUP_TARGET * peer, peer="spacepackets",
                 peer_value=peer,
                 note=f"requirement: >= {SPEEDUP_TARGET:g}x spacepackets 0.32 ({what})")
    recorder.add(f"{name} speedup vs spacepackets", ours / peer, "x", target=SPEEDUP_TARGET,
                 note=what)


def _stream(count: int, garbage_every: int) -> bytes:
    """``count`` TM packets with a few octets of garbage after every ``garbage_every``-th."""
    rng = random.Random(7)
    parts = []
    for index in range(count):
        parts.append(PusTm(APID, index % 16384, 3, 25, time=TIME,
                           source_data=SOURCE_DATA).encode())
        if garbage_every and index % garbage_every == 0:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9))))
    return b"".join(parts)


def run(recorder: Recorder) -> None:
    """Measure packing, unpacking, header peeking and stream scanning."""
    seconds = 0.1 if recorder.quick else 0.5
    repeats = 3 if recorder.quick else 5

    def rate(work: Callable[[], object], units: float = 1.0) -> float:
        return best_rate(work, units, seconds=seconds, repeats=repeats)

    def paired(ours: Callable[[], object], peer: Callable[[], object]) -> tuple[float, float]:
        """Best rates of both, measured in alternating batches so drift hits both alike."""
        best = [0.0, 0.0]
        for _ in range(repeats):
            for index, work in enumerate((ours, peer)):
                best[index] = max(best[index], best_rate(work, 1.0, seconds=seconds, repeats=1))
        return best[0], best[1]

    assert _ours_tm_pack() == _peer_tm_pack() and _ours_tc_pack() == _peer_tc_pack()
    tm_raw = _ours_tm_pack()
    tc_raw = _ours_tc_pack()
    tm = PusTm.decode(tm_raw)
    peer_tm = SpPusTm.unpack(tm_raw, len(TIME_BYTES))
    _compare(recorder, "pus tm pack", *paired(tm.encode, peer_tm.pack),
             "serialise an existing packet object (PusTm.encode vs PusTm.pack); our headers "
             "are packed when the immutable packet is built, so see also build+pack")
    _compare(recorder, "pus tm build+pack", *paired(_ours_tm_pack, _peer_tm_pack),
             "build from field values + serialise, 64 octets of source data, CUC 4+2")
    _compare(recorder, "pus tm unpack",
             *paired(lambda: PusTm.decode(tm_raw),
                     lambda: SpPusTm.unpack(tm_raw, len(TIME_BYTES))),
             "parse + PEC check into an object, 64 octets of source data")
    for name, (ours, peer), note in (
        ("pus tc build+pack", paired(_ours_tc_pack, _peer_tc_pack),
         "build + serialise, 64 octets"),
        ("pus tc unpack", paired(lambda: PusTc.decode(tc_raw), lambda: SpPusTc.unpack(tc_raw)),
         "parse + PEC check, 64 octets of application data"),
    ):
        recorder.add(name, ours, "packets/s", peer="spacepackets", peer_value=peer, note=note)
    recorder.add("space packet header peek", rate(lambda: peek_header(tm_raw)), "headers/s",
                 note="six octets to a typed header")

    count = 500 if recorder.quick else 2000
    clean = _stream(count, 0)
    dirty = _stream(count, 4)
    packet_ids = [PacketId(SpPacketType.TM, True, APID)]
    for label, stream in (("clean", clean), ("garbage after every 4th packet", dirty)):
        def scan(data: bytes = stream) -> None:
            PacketScanner(apids={APID}, check_pec=True).feed(data)

        def peer_scan(data: bytes = stream) -> None:
            parse_space_packets(data, packet_ids)

        recorder.add(f"packet scanner, {label}", rate(scan, len(stream)) / 1e6, "MB/s",
                     peer="spacepackets parse_space_packets",
                     peer_value=rate(peer_scan, len(stream)) / 1e6,
                     note="ours validates every PEC; the peer matches packet ids only")
