"""Raw capture replay: CADUs made by the board's TM chain, played through the ground chain."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.board_link import BoardDownlink, DownlinkSecurity
from ccsds.config import LinkConfig, SdlsConfig
from ccsds.errors import DecodeError
from ccsds.ground_link import DownlinkVerification
from ccsds.mission_db import (
    Argument,
    Event,
    HousekeepingStructure,
    Limits,
    MissionDatabase,
    Parameter,
    Severity,
    decode_event,
    decode_housekeeping,
    encode_event,
    encode_housekeeping,
    engineering,
)
from ccsds.pus import PusTm
from ccsds.sdls.association import SaTable, ServiceType
from ccsds.timecode import CucTime
from ground_sw.archive import Archive
from ground_sw.archive_capture import (
    DATA_FILE,
    INDEX_FILE,
    CaptureCounters,
    CaptureError,
    CaptureWriter,
    parse_index_line,
    read_capture,
    read_index,
)
from ground_sw.records import EventRecord, FrameRecord, PacketRecord, ParameterSample, Record
from ground_sw.replay import packet_record, play_capture
from tests.ccsds.sdls.helpers import KEY_B_ID, key_store, make_sa

UNIX_MINUS_1958 = (datetime(1970, 1, 1, tzinfo=UTC)
                   - datetime(1958, 1, 1, tzinfo=UTC)).total_seconds()
"""Seconds from the CCSDS epoch to the Unix epoch, computed here independently."""

T0 = 1_750_000_000.0
CONFIG = LinkConfig.baseline()
APID = CONFIG.packets.apid_pus
DB = MissionDatabase(
    "capture_test", "1", APID,
    parameters=(
        Parameter(name="TEMP", type="uint16", id=1, calibration=(0.0, 0.01),
                  limits=Limits(warning_high=25.0)),
        Parameter(name="VOLTS", type="float32", id=2),
    ),
    events=(Event(1, "BOOT", Severity.INFO, (Argument(name="count", type="uint8"),)),),
    housekeeping=(HousekeepingStructure(1, "hk", ("TEMP", "VOLTS")),),
)


def decode(record: PacketRecord) -> list[Record]:
    """A small decommutator on ccsds.mission_db.codec (the ground station brings its own)."""
    tm = PusTm.decode(record.packet)
    if (tm.service, tm.subtype) == (3, 25):
        _, raw = decode_housekeeping(DB, tm.source_data)
        out: list[Record] = []
        for name, value in raw.items():
            parameter = DB.parameter(name)
            eng = engineering(parameter, value)
            limit = parameter.limit_state(eng).name if isinstance(eng, float) else "NOMINAL"
            out.append(ParameterSample(record.time, name, value, eng, limit,
                                       record.onboard_time))
        return out
    if tm.service == 5:
        event, values = decode_event(DB, tm.source_data)
        return [EventRecord(record.time, event.name, event.severity.name, values,
                            record.onboard_time)]
    return []


def _hk(count: int, temp: int) -> bytes:
    data = encode_housekeeping(DB, "hk", {"TEMP": temp, "VOLTS": 3.5})
    return PusTm(APID, count, 3, 25, time=CucTime(2_100_000_000 + count),
                 source_data=data).encode()


def _cadus(chunks: int, per_chunk: int, board: BoardDownlink | None = None) -> list[bytes]:
    """One CADU per chunk, each carrying ``per_chunk`` housekeeping reports."""
    board = BoardDownlink(CONFIG) if board is None else board
    cadus = []
    for chunk in range(chunks):
        for n in range(per_chunk):
            board.queue_packet(CONFIG.tm.vc_realtime, _hk(chunk * per_chunk + n,
                                                          2000 + chunk * per_chunk + n))
        cadus.append(board.take_cadus(bytes(4), max_frames=1))
    return cadus


def _write(directory: Path, pieces: list[tuple[float, bytes]]) -> None:
    with CaptureWriter(directory) as writer:
        for time, data in pieces:
            writer.write(time, data)


def _parameters(records: list[Record], name: str) -> list[ParameterSample]:
    return [r for r in records if isinstance(r, ParameterSample) and r.name == name]


class Collector:
    def __init__(self) -> None:
        self.records: list[Record] = []

    def on_record(self, record: Record) -> None:
        self.records.append(record)


def test_a_clean_capture_replays_into_frames_packets_and_parameters(tmp_path: Path) -> None:
    cadus = _cadus(chunks=4, per_chunk=3)
    _write(tmp_path, [(T0 + k, cadu) for k, cadu in enumerate(cadus)])
    listener = Collector()
    result = play_capture(tmp_path, [listener], decode, speed=None)
    frames = [r for r in listener.records if isinstance(r, FrameRecord)]
    packets = [r for r in listener.records if isinstance(r, PacketRecord)]
    temps = _parameters(listener.records, "TEMP")
    assert [f.time for f in frames] == [T0, T0 + 1, T0 + 2, T0 + 3]
    assert {f.virtual_channel for f in frames} == {CONFIG.tm.vc_realtime}
    assert [p.time for p in packets] == [T0 + k // 3 for k in range(12)]
    assert {(p.apid, p.service, p.subtype) for p in packets} == {(APID, 3, 25)}
    assert packets[0].onboard_time == pytest.approx(2_100_000_000 - UNIX_MINUS_1958 - 37)
    assert [t.raw for t in temps] == list(range(2000, 2012))
    assert [t.engineering for t in temps] == pytest.approx([r / 100 for r in range(2000, 2012)])
    assert [t.limit for t in temps][-1] == "NOMINAL"
    assert [v.engineering for v in _parameters(listener.records, "VOLTS")] == [3.5] * 12
    assert result.delivered == len(listener.records)
    assert result.capture.octets == sum(map(len, cadus))
    assert result.decoder.counters.decode_errors == 0


def test_garbage_and_a_truncated_capture_are_counted_not_fatal(tmp_path: Path) -> None:
    cadus = _cadus(chunks=6, per_chunk=2)
    garbage = bytes(range(7, 250, 3)) * 3
    _write(tmp_path, [(T0, garbage), (T0 + 1, cadus[0]), (T0 + 2, garbage[:50] + cadus[1]),
                      *[(T0 + 3 + k, cadu) for k, cadu in enumerate(cadus[2:])]])
    data = tmp_path / DATA_FILE
    whole = data.read_bytes()
    data.write_bytes(whole[:-len(cadus[5]) - 700])  # the end lost, as in a crash
    with (tmp_path / INDEX_FILE).open("a") as index:
        index.write("not a line\n17.0\n1 -5\n1.0 3\nnan 99999999\n")
    listener = Collector()
    result = play_capture(tmp_path, [listener], decode, speed=None)
    # CADUs 0-3 arrive (1 found again after the slip), 4 is cut short and 5 is missing
    assert [t.raw for t in _parameters(listener.records, "TEMP")] == list(range(2000, 2008))
    assert result.capture.bad_index_lines == 5
    assert result.capture.missing_octets == 700
    assert result.decoder.downlink.sync.counters.octets_skipped >= len(garbage)
    assert result.decoder.downlink.sync.counters.uncorrectable >= 1


def test_packets_that_do_not_decode_are_counted_and_still_delivered(tmp_path: Path) -> None:
    board = BoardDownlink(CONFIG)
    event = PusTm(APID, 1, 5, 1, source_data=encode_event(DB, "BOOT", {"count": 4})).encode()
    unknown = PusTm(APID, 2, 5, 1, source_data=b"\x00\x09\x01").encode()  # no event 9
    for packet in (event, unknown):
        board.queue_packet(0, packet)
    _write(tmp_path, [(T0, board.take_cadus(bytes(4), max_frames=1))])
    listener = Collector()
    result = play_capture(tmp_path, [listener], decode, speed=None)
    events = [r for r in listener.records if isinstance(r, EventRecord)]
    assert [(e.name, e.values) for e in events] == [("BOOT", {"count": 4})]
    assert len([r for r in listener.records if isinstance(r, PacketRecord)]) == 2
    assert result.decoder.counters.decode_errors == 1
    assert isinstance(result.decoder.counters.last_error, DecodeError)


def test_capture_replay_is_paced_by_the_index_times(tmp_path: Path) -> None:
    cadus = _cadus(chunks=3, per_chunk=1)
    _write(tmp_path, [(T0, cadus[0]), (T0 + 2, cadus[1]), (T0 + 2.5, cadus[2])])
    waits: list[float] = []
    now = [0.0]

    def wait(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    play_capture(tmp_path, [], decode, speed=2.0, clock=lambda: now[0], wait=wait)
    assert waits == pytest.approx([1.0, 0.25])


def test_a_replayed_capture_can_be_archived(tmp_path: Path) -> None:
    _write(tmp_path / "cap", [(T0 + k, c) for k, c in enumerate(_cadus(2, 2))])
    with Archive(tmp_path / "a.db") as archive:
        play_capture(tmp_path / "cap", [archive], decode, speed=None)
        archive.flush(timeout=30)
        assert [s.raw for s in archive.parameters("TEMP")] == [2000, 2001, 2002, 2003]
        assert len(archive.frames()) == 2


def test_missing_files_and_an_empty_index_are_capture_errors(tmp_path: Path) -> None:
    with pytest.raises(CaptureError):
        list(read_capture(tmp_path))
    (tmp_path / DATA_FILE).write_bytes(b"\x1a\xcf")
    (tmp_path / INDEX_FILE).write_text("# nothing valid\n")
    with pytest.raises(CaptureError, match="no valid entry"):
        list(read_capture(tmp_path))


def test_index_lines() -> None:
    assert parse_index_line("1750000000.25 1279") == (1750000000.25, 1279)
    assert parse_index_line("# 1 2") is None
    assert parse_index_line("inf 3") is None
    counters = CaptureCounters()
    assert read_index("1 0\n2 10\n3 5\n4 10\n", counters) == [(1, 0), (2, 10), (4, 10)]
    assert counters.bad_index_lines == 1


def test_packet_records_of_packets_that_are_not_pus_or_have_no_time() -> None:
    record = packet_record(T0, 1, b"\x08\x65\xc0\x00\x00\x00\x00")
    assert (record.apid, record.service, record.subtype, record.onboard_time) == (
        101, None, None, None)
    untimed = packet_record(T0, 0, PusTm(APID, 1, 17, 2).encode())
    assert (untimed.service, untimed.subtype, untimed.onboard_time) == (17, 2, None)


@given(st.text())
def test_fuzz_index_lines(line: str) -> None:
    entry = parse_index_line(line)
    assert entry is None or (math.isfinite(entry[0]) and entry[1] >= 0)


@settings(max_examples=40)
@given(st.binary(max_size=3000), st.text(max_size=200), st.booleans())
def test_fuzz_captures_never_crash_the_replay(data: bytes, index: str, with_cadu: bool) -> None:
    if with_cadu:
        data = data[:100] + _CADU + data[100:]
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / DATA_FILE).write_bytes(data)
        (Path(directory) / INDEX_FILE).write_text(f"{T0} 0\n{index}", errors="replace")
        listener = Collector()
        result = play_capture(directory, [listener], decode, speed=None)
        assert result.delivered == len(listener.records)
        assert result.capture.octets + result.capture.missing_octets >= len(data)


_CADU = _cadus(1, 1)[0]


# --- captures of an SDLS-protected downlink (355.0-B-2 4.2; docs/security.md) -----------------

PROTECTED = dataclasses.replace(CONFIG, sdls=SdlsConfig(
    enabled=True, tm_protection=True, tm_service=ServiceType.AUTHENTICATION.value,
    tm_virtual_channels=(CONFIG.tm.vc_realtime, CONFIG.tm.vc_bulk)))
TM_SA = make_sa(spi=0x80, virtual_channels=frozenset(PROTECTED.sdls.tm_virtual_channels),
                service=ServiceType.AUTHENTICATION, iv_fixed_field=b"\x00\x00\x00\x80")


def _verification(saves: list[int] | None = None) -> DownlinkVerification:
    """The ground's TM receiving end as it stood before the capture (a fresh SA copy)."""
    return DownlinkVerification(SaTable([dataclasses.replace(TM_SA)]), key_store(), PROTECTED,
                                after_accepted=None if saves is None else lambda: saves.append(1))


@pytest.fixture(scope="module")
def protected_cadus() -> list[bytes]:
    board = BoardDownlink(PROTECTED, security=DownlinkSecurity(
        SaTable([dataclasses.replace(TM_SA)]), key_store(), PROTECTED))
    return _cadus(chunks=4, per_chunk=2, board=board)


def test_a_protected_capture_replays_through_verification(tmp_path: Path,
                                                          protected_cadus: list[bytes]) -> None:
    _write(tmp_path, [(T0 + k, cadu) for k, cadu in enumerate(protected_cadus)])
    listener, saves = Collector(), list[int]()
    verification = _verification(saves)
    result = play_capture(tmp_path, [listener], decode, config=PROTECTED,
                          verification=verification, speed=None)
    assert [t.raw for t in _parameters(listener.records, "TEMP")] == list(range(2000, 2008))
    assert result.decoder.counters.unverified == 0
    assert verification.counters.accepted == 4
    assert len(saves) == 4  # after_accepted once per chunk read, as on the live link
    # the same capture again through the same receiving end: every frame is a replay
    again = play_capture(tmp_path, [Collector()], decode, config=PROTECTED,
                         verification=verification, speed=None)
    assert again.decoder.counters.unverified == 4 and again.decoder.counters.packets == 0
    assert verification.counters.replay == 4


def test_a_protected_capture_without_its_keys_yields_no_packet(
        tmp_path: Path, protected_cadus: list[bytes]) -> None:
    _write(tmp_path, [(T0 + k, cadu) for k, cadu in enumerate(protected_cadus)])
    wrong_key = DownlinkVerification(SaTable([dataclasses.replace(TM_SA, key_id=KEY_B_ID)]),
                                     key_store(), PROTECTED)
    for verification, rejection in ((None, "sa_state"), (wrong_key, "mac")):
        listener = Collector()
        result = play_capture(tmp_path, [listener], decode, config=PROTECTED,
                              verification=verification, speed=None)
        assert not [r for r in listener.records if isinstance(r, PacketRecord)]
        assert len([r for r in listener.records if isinstance(r, FrameRecord)]) == 4
        assert result.decoder.counters.unverified == 4
        counters = result.decoder.downlink.security_counters
        assert getattr(counters, rejection) == counters.rejected == 4


@settings(max_examples=30)
@given(st.binary(max_size=3000), st.integers(0, 3000), st.integers(0, 3))
def test_fuzz_protected_captures_never_crash_the_replay(junk: bytes, at: int,
                                                        flips: int) -> None:
    # A genuine protected CADU amid garbage, some of its octets altered: typed rejections
    # (counted) or verified packets, never a crash; nothing unverified is ever delivered.
    cadu = bytearray(_PROTECTED_CADU)
    for index in range(flips):
        cadu[40 + 97 * index] ^= 0xFF
    data = junk[:at] + bytes(cadu) + junk[at:]
    with tempfile.TemporaryDirectory() as directory:
        _write(Path(directory), [(T0, data)])
        listener = Collector()
        verification = _verification()
        result = play_capture(directory, [listener], decode, config=PROTECTED,
                              verification=verification, speed=None)
    packets = [r for r in listener.records if isinstance(r, PacketRecord)]
    assert result.delivered == len(listener.records)
    assert verification.counters.accepted <= 1
    assert not packets or verification.counters.accepted == 1


_PROTECTED_CADU = _cadus(1, 1, BoardDownlink(PROTECTED, security=DownlinkSecurity(
    SaTable([dataclasses.replace(TM_SA)]), key_store(), PROTECTED)))[0]
