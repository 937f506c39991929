"""Integration: capture the downlink of `flight-sw run` behind a real pty, then replay it.

The capture replayed through the ground chain must give exactly the records a live decoder
fed with the same reads gave, and they must include the board's boot event and housekeeping.
"""

from __future__ import annotations

import os
import select
import signal
import time
from pathlib import Path

from ccsds.mission_db import MissionDatabase, decode_event, decode_housekeeping, engineering
from ccsds.pus import PusTm
from flight_sw.dictionary import MISSION
from ground_sw.archive import Archive
from ground_sw.archive_capture import CaptureWriter
from ground_sw.records import EventRecord, PacketRecord, ParameterSample, Record
from ground_sw.replay import CaptureDecoder, Decode, play_capture
from hil.pty_board import PtyBoard


def _decoder(db: MissionDatabase) -> Decode:
    def decode(record: PacketRecord) -> list[Record]:
        if record.apid != db.apid:
            return []
        tm = PusTm.decode(record.packet)
        if (tm.service, tm.subtype) == (3, 25):
            _, raw = decode_housekeeping(db, tm.source_data)
            return [ParameterSample(record.time, name, value,
                                    engineering(db.parameter(name), value))
                    for name, value in raw.items()]
        if tm.service == 5:
            event, values = decode_event(db, tm.source_data)
            return [EventRecord(record.time, event.name, event.severity.name, values)]
        return []
    return decode


class Collector:
    def __init__(self) -> None:
        self.records: list[Record] = []

    def on_record(self, record: Record) -> None:
        self.records.append(record)


def _capture(board: PtyBoard, directory: Path, live: CaptureDecoder) -> list[Record]:
    """Record the line until housekeeping and an event came (30 s at most)."""
    records: list[Record] = []
    deadline = time.monotonic() + 30.0
    with CaptureWriter(directory) as writer:
        while time.monotonic() < deadline:
            kinds = {type(r) for r in records}
            if ParameterSample in kinds and EventRecord in kinds:
                return records
            ready, _, _ = select.select([board.master], [], [], 0.5)
            if ready:
                data = os.read(board.master, 65536)
                now = time.time()
                writer.write(now, data)
                records += live.feed(now, data)
    raise TimeoutError(f"no housekeeping and event in 30 s: {board.log_file.read_text()}")


def test_a_captured_board_downlink_replays_as_it_was_decoded_live(tmp_path: Path) -> None:
    (tmp_path / "board").mkdir()
    board = PtyBoard(tmp_path / "board")
    decode = _decoder(MISSION)
    try:
        live = _capture(board, tmp_path / "capture", CaptureDecoder(decode))
    finally:
        board.stop(signal.SIGKILL)
    replayed = Collector()
    with Archive(tmp_path / "a.db") as archive:
        result = play_capture(tmp_path / "capture", [replayed, archive], decode, speed=None)
        archive.flush(timeout=30)
        assert [repr(r) for r in replayed.records] == [repr(r) for r in live]
        assert result.decoder.counters.decode_errors == 0
        names = {s.name for s in archive.parameters(None)}
        assert {"CPU_TEMP", "MODE"} <= names
        assert archive.events()
