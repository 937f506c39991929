"""Archive ingest: housekeeping packets with their decoded parameters into an SQLite file.

Each packet is a PacketRecord plus 10, 20 or 30 ParameterSamples (20 on average), offered to
``Archive.on_record`` and committed by its writer thread (timed up to ``flush`` returning).
The peer is plain sqlite3: the same rows (packets, parameters with their name) built from the
records and inserted with ``executemany`` in one transaction into tables with the same
indexes, in WAL mode with synchronous=NORMAL, as the archive uses.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Recorder
from ground_sw.archive import Archive, ArchiveReader
from ground_sw.records import PacketRecord, ParameterSample, Record

TARGET_PACKETS_PER_S = 10_000
T0 = 1_750_000_000.0
_NAMES = [[f"HK{structure}_PARAM_{n:02d}" for n in range(30)] for structure in range(3)]


def _records(packets: int) -> list[Record]:
    records: list[Record] = []
    packet = bytes(100)
    for number in range(packets):
        time_s = T0 + number * 0.01
        structure = number % 3
        records.append(PacketRecord(time_s, 0, 100, packet, 3, 25, time_s - 0.5))
        for index, name in enumerate(_NAMES[structure][: 10 * (structure + 1)]):
            raw = 1000 + number + index
            records.append(ParameterSample(time_s, name, raw, raw * 0.01, "NOMINAL",
                                           time_s - 0.5))
    return records


def _ours(records: list[Record], directory: Path) -> float:
    with Archive(directory / "ours.db") as archive:
        start = time.perf_counter()
        for record in records:
            archive.on_record(record)
        archive.flush()
        elapsed = time.perf_counter() - start
        if archive.counters.stored != len(records):
            raise RuntimeError(f"archive stored {archive.counters.stored} of {len(records)}")
    return elapsed


def _reads(path: Path, packets: int) -> tuple[float, float]:
    """Seconds to query one parameter's samples, and to read every record in time order."""
    with ArchiveReader(path) as reader:
        start = time.perf_counter()
        samples = reader.parameters(_NAMES[0][0])
        query = time.perf_counter() - start
        start = time.perf_counter()
        count = sum(1 for _ in reader.records())
        replay = time.perf_counter() - start
    if len(samples) != (packets + 2) // 3:
        raise RuntimeError(f"query found {len(samples)} samples")
    return query, replay / count


_PEER_SCHEMA = """
CREATE TABLE packets (id INTEGER PRIMARY KEY, time REAL, vc INTEGER, apid INTEGER,
    service INTEGER, subtype INTEGER, onboard_time REAL, packet BLOB);
CREATE INDEX packets_by_time ON packets (time);
CREATE INDEX packets_by_apid ON packets (apid, time);
CREATE TABLE parameters (id INTEGER PRIMARY KEY, time REAL, name TEXT, raw, eng,
    limit_state TEXT, onboard_time REAL);
CREATE INDEX parameters_by_name ON parameters (name, time);
"""


def _peer(records: list[Record], directory: Path) -> float:
    db = sqlite3.connect(directory / "peer.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_PEER_SCHEMA)
    start = time.perf_counter()
    packets = [(r.time, r.virtual_channel, r.apid, r.service, r.subtype, r.onboard_time,
                r.packet) for r in records if isinstance(r, PacketRecord)]
    parameters = [(r.time, r.name, r.raw, r.engineering, r.limit, r.onboard_time)
                  for r in records if isinstance(r, ParameterSample)]
    db.execute("BEGIN")
    db.executemany("INSERT INTO packets (time, vc, apid, service, subtype, onboard_time,"
                   " packet) VALUES (?, ?, ?, ?, ?, ?, ?)", packets)
    db.executemany("INSERT INTO parameters (time, name, raw, eng, limit_state, onboard_time)"
                   " VALUES (?, ?, ?, ?, ?, ?)", parameters)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def run(recorder: Recorder) -> None:
    packets = 3_000 if recorder.quick else 30_000
    records = _records(packets)
    best_ours = best_peer = query = per_record = float("inf")
    for _ in range(1 if recorder.quick else 3):
        with tempfile.TemporaryDirectory() as directory:
            best_ours = min(best_ours, _ours(records, Path(directory)))
            best_peer = min(best_peer, _peer(records, Path(directory)))
            reads = _reads(Path(directory) / "ours.db", packets)
            query, per_record = min(query, reads[0]), min(per_record, reads[1])
    recorder.add("archive ingest (HK packet + 10-30 parameters)", packets / best_ours,
                 "packets/s", target=TARGET_PACKETS_PER_S, peer="sqlite3 executemany",
                 peer_value=packets / best_peer,
                 note=f"{packets} packets, {len(records)} records, file archive, best run")
    recorder.add("archive query one parameter", (packets + 2) // 3 / query, "samples/s",
                 note=f"{(packets + 2) // 3} samples of one name among {packets} packets")
    recorder.add("archive read all records in time order", 1 / per_record, "records/s",
                 note="Archive.records(): the replay source, merged across tables")
