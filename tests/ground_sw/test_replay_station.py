"""Replay into the scripting API: an offline station fed recorded packets answers telemetry
and event queries and wakes its waiters, as on a live link (no port is opened)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ccsds.mission_db import (
    Argument,
    Event,
    HousekeepingStructure,
    MissionDatabase,
    Parameter,
    Severity,
    encode_event,
    encode_housekeeping,
)
from ccsds.pus import PusTm
from ccsds.pus_types import Value
from ground_sw.archive import Archive
from ground_sw.errors import EventTimeout
from ground_sw.records import PacketRecord
from ground_sw.replay import play_archive
from ground_sw.station import GroundStation

DB = MissionDatabase(
    name="REPLAY", version="1", apid=100,
    parameters=(Parameter(name="TEMP", type="uint16", id=1, calibration=(-273.15, 0.01)),),
    events=(Event(9, "HOT", Severity.MEDIUM, (Argument(name="value", type="uint16"),)),),
    housekeeping=(HousekeepingStructure(4, "health", ("TEMP",)),),
)
T0 = 1_750_000_000.0


def _packet(time: float, service: int, subtype: int, data: bytes) -> PacketRecord:
    raw = PusTm(100, 1, service, subtype, source_data=data).encode()
    return PacketRecord(time, 0, 100, raw, service, subtype)


def _recording() -> list[PacketRecord]:
    return [_packet(T0 + i, 3, 25, encode_housekeeping(DB, "health", {"TEMP": 29_315 + i}))
            for i in range(5)] + [_packet(T0 + 5, 5, 2, encode_event(DB, "HOT", {"value": 7}))]


def test_an_archive_replayed_into_an_offline_station(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite") as archive:
        for record in _recording():
            archive.on_record(record)
        archive.flush()
        station = GroundStation.offline(DB)
        try:
            played = play_archive(archive, [station], speed=None)
            assert played == 6
            assert station.telemetry("TEMP") == pytest.approx(29_319 * 0.01 - 273.15)
            assert station.await_event("HOT", timeout=1.0, value=7).values["value"] == 7
        finally:
            station.close()


def test_a_waiter_wakes_when_the_replay_delivers() -> None:
    station = GroundStation.offline(DB)
    try:
        records = _recording()
        feeder = threading.Thread(target=lambda: [station.on_record(r) for r in records])
        feeder.start()
        event = station.await_event("HOT", timeout=10.0)
        feeder.join(timeout=10.0)
        assert event.values == {"value": 7}
        with pytest.raises(EventTimeout):
            station.await_event("HOT", timeout=0.05, value=8)
    finally:
        station.close()


def _board_housekeeping(database: MissionDatabase, digest: bytes) -> PacketRecord:
    """A (3,25) of the board structure with every value at its first legal raw value."""
    structure = database.structure("board")
    values: dict[str, Value] = {}
    for parameter in database.structure_parameters(structure):
        if parameter.name == "DICTIONARY_HASH":
            values[parameter.name] = digest
        elif parameter.enumeration:
            values[parameter.name] = parameter.enumeration[0][1]
        else:
            values[parameter.name] = int(parameter.minimum or 0)
    data = encode_housekeeping(database, structure, values)
    return _packet(T0, 3, 25, data)


def test_a_ground_that_joins_late_checks_the_hash_from_housekeeping(
        exported_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No BOOT event seen: the board housekeeping's DICTIONARY_HASH is compared instead."""
    station = GroundStation.offline(exported_path)
    try:
        database = station.dictionary.database
        station.on_record(_board_housekeeping(database, bytes.fromhex(station.dictionary.hash)))
        assert station.dictionary_mismatch is None
        assert station.board_dictionary_hash == station.dictionary.hash
        with caplog.at_level("WARNING", "ground_sw"):
            station.on_record(_board_housekeeping(database, bytes(32)))
        mismatch = station.dictionary_mismatch
        assert mismatch is not None and mismatch.where == "housekeeping"
        assert mismatch.reported == "00" * 32 and "dictionary mismatch" in caplog.text
    finally:
        station.close()
