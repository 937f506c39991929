"""The SQLite archive: round trips of every record type, queries, concurrency, bad input."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.pus_types import Value
from ccsds.timecode import CucFormat, CucTime
from ground_sw import archive_schema as schema
from ground_sw.archive import Archive, ArchiveError, ArchiveReader, CommandHistory
from ground_sw.archive_values import ArchiveValueError
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    FrameRecord,
    Outcome,
    PacketRecord,
    ParameterSample,
    Record,
)

T0 = 1_750_000_000.0

times = st.floats(min_value=1.6e9, max_value=1.9e9, allow_nan=False)
optional_times = st.none() | st.floats(allow_nan=False).map(lambda x: x + 0.0)  # REAL: no NaN, -0
formats = st.builds(CucFormat, st.integers(1, 7), st.integers(0, 10))


@st.composite
def cuc_times(draw: st.DrawFn) -> CucTime:
    fmt = draw(formats)
    return CucTime(draw(st.integers(0, fmt.coarse_limit - 1)),
                   draw(st.integers(0, (1 << fmt.fine_bits) - 1)), fmt)


values: st.SearchStrategy[Value] = st.one_of(
    st.booleans(), st.integers(-(1 << 70), 1 << 70), st.floats(), st.text(), st.binary(),
    cuc_times())
names = st.text("ABCDEFGHIJ_0123456789", min_size=1, max_size=12)
value_maps = st.dictionaries(names, values, max_size=4)
small = st.integers(0, 0x7FF)

frames = st.builds(FrameRecord, times, st.integers(0, 7), st.binary(max_size=64),
                   st.integers(0, 16))
packets = st.builds(PacketRecord, times, st.integers(0, 7), small, st.binary(max_size=64),
                    st.none() | st.integers(0, 255), st.none() | st.integers(0, 255),
                    optional_times)
parameters = st.builds(ParameterSample, times, names, values, values,
                       st.sampled_from(["NOMINAL", "WARNING_LOW", "ALARM_HIGH"]), optional_times)
events = st.builds(EventRecord, times, names, st.sampled_from(["INFO", "LOW", "HIGH"]),
                   value_maps, optional_times)
commands = st.builds(CommandRecord, times, st.tuples(small, st.integers(0, 0x3FFF)), names,
                     value_maps, st.sampled_from(Outcome), st.none() | st.integers(1, 8),
                     st.none() | st.integers(0, 0xFFFF))
records: st.SearchStrategy[Record] = st.one_of(frames, packets, parameters, events, commands)


def _same(left: list[Record] | list[object], right: list[Record] | list[object]) -> bool:
    """Equal records, NaN equal to NaN and -0.0 distinct from 0.0 (``repr`` shows both)."""
    return [repr(item) for item in left] == [repr(item) for item in right]


@contextmanager
def _stored(records: list[Record], batch_size: int = 20_000) -> Iterator[Archive]:
    """A fresh archive file holding ``records`` (hypothesis examples share no fixture)."""
    with (tempfile.TemporaryDirectory() as directory,
          Archive(Path(directory) / "a.db", batch_size=batch_size) as archive):
        for record in records:
            archive.on_record(record)
        archive.flush(timeout=30)
        yield archive


def _by_time(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda record: record.time)


@settings(max_examples=30)
@given(st.lists(frames, max_size=8), st.lists(packets, max_size=8))
def test_frames_and_packets_round_trip(frames: list[FrameRecord],
                                       packets: list[PacketRecord]) -> None:
    with _stored([*frames, *packets]) as archive:
        assert _same(archive.frames(), _by_time(list(frames)))
        assert _same(archive.packets(), _by_time(list(packets)))


@settings(max_examples=30)
@given(st.lists(parameters, max_size=12))
def test_parameters_round_trip_with_exact_values(samples: list[ParameterSample]) -> None:
    with _stored(list(samples), batch_size=3) as archive:  # series split across batches
        assert _same(archive.parameters(None), _by_time(list(samples)))
        for name in {sample.name for sample in samples}:
            expected = [s for s in samples if s.name == name]
            assert _same(archive.parameters(name), _by_time(list(expected)))
        assert archive.parameter_names() == sorted({s.name for s in samples})


@settings(max_examples=30)
@given(st.lists(events, max_size=8), st.lists(commands, max_size=8))
def test_events_and_commands_round_trip(events: list[EventRecord],
                                        commands: list[CommandRecord]) -> None:
    with _stored([*events, *commands]) as archive:
        assert _same(archive.events(), _by_time(list(events)))
        steps = [step for command in archive.commands() for step in command.history]
        assert _same(sorted(steps, key=repr), sorted(commands, key=repr))


@settings(max_examples=30)
@given(st.lists(records, max_size=20))
def test_records_come_back_in_time_order(records: list[Record]) -> None:
    with _stored(list(records), batch_size=3) as archive:
        replayed = list(archive.records())
        assert [r.time for r in replayed] == sorted(r.time for r in records)
        assert _same(sorted(replayed, key=repr), sorted(records, key=repr))


def _sample(offset: float, name: str, value: float) -> ParameterSample:
    return ParameterSample(T0 + offset, name, int(value * 10), value)


def test_parameter_queries_by_name_and_half_open_time_span(tmp_path: Path) -> None:
    samples = [_sample(t, name, t) for t in range(10) for name in ("CPU_TEMP", "POWER")]
    with Archive(tmp_path / "a.db") as archive:
        for sample in samples:
            archive.on_record(sample)
        archive.flush(timeout=30)
        found = archive.parameters("CPU_TEMP", T0 + 2, T0 + 5)
        assert [s.engineering for s in found] == [2, 3, 4]
        assert {s.name for s in found} == {"CPU_TEMP"}
        assert len(archive.parameters("POWER", start=T0 + 8)) == 2
        assert len(archive.parameters("POWER", end=T0 + 1)) == 1
        assert archive.parameters("UNKNOWN") == []


def test_series_of_several_batches_merge_in_time_order(tmp_path: Path) -> None:
    batches = [[5.0, 1.0], [3.0, 0.0, 1.0], [2.0, 6.0]]
    with Archive(tmp_path / "a.db") as archive:
        for number, batch in enumerate(batches):
            for t in batch:
                archive.on_record(ParameterSample(T0 + t, "POWER", number, t))
            archive.on_record(EventRecord(T0 + 1.0, "MARK", "INFO", {"batch": number}))
            archive.flush(timeout=30)
        expected = sorted(t for batch in batches for t in batch)
        assert [s.engineering for s in archive.parameters("POWER")] == expected
        at_one = [s.raw for s in archive.parameters("POWER", T0 + 1, T0 + 2)]
        assert at_one == [0, 1]  # equal times: arrival order
        replayed = list(archive.records(T0 + 1, T0 + 5.5))
        assert [(type(r).__name__, r.time - T0) for r in replayed] == [
            ("ParameterSample", 1.0), ("ParameterSample", 1.0), ("EventRecord", 1.0),
            ("EventRecord", 1.0), ("EventRecord", 1.0), ("ParameterSample", 2.0),
            ("ParameterSample", 3.0), ("ParameterSample", 5.0)]


def test_event_and_packet_filters(tmp_path: Path) -> None:
    records: list[Record] = [
        EventRecord(T0, "BOOT", "INFO", {"count": 3}),
        EventRecord(T0 + 1, "OVER_TEMP", "HIGH", {"sensor": "cpu", "value": 91.5}),
        EventRecord(T0 + 2, "BOOT", "INFO", {"count": 4}),
        PacketRecord(T0, 0, 100, b"\x08\x64", 3, 25),
        PacketRecord(T0 + 1, 0, 100, b"\x08\x64", 5, 4),
        PacketRecord(T0 + 2, 1, 200, b"\x08\xc8"),
    ]
    with _stored(records) as archive:
        assert [e.values["count"] for e in archive.events(name="BOOT")] == [3, 4]
        assert [e.name for e in archive.events(severity="HIGH")] == ["OVER_TEMP"]
        assert [e.time for e in archive.events(T0 + 1, T0 + 3, name="BOOT")] == [T0 + 2]
        assert [p.subtype for p in archive.packets(apid=100)] == [25, 4]
        assert [p.apid for p in archive.packets(service=5)] == [100]
        assert [p.apid for p in archive.packets(T0 + 1)] == [100, 200]


def _command(offset: float, seq: int, outcome: Outcome, stage: int | None = None,
             error: int | None = None) -> CommandRecord:
    return CommandRecord(T0 + offset, (100, seq), "SET_MODE", {"mode": "SAFE"}, outcome,
                         stage, error)


def test_command_histories_join_verification_to_the_latest_send(tmp_path: Path) -> None:
    records: list[Record] = [
        _command(0, 7, Outcome.SENT),
        _command(0.1, 7, Outcome.ACCEPTED, 1),
        _command(1, 8, Outcome.SENT),
        _command(1.2, 8, Outcome.FAILED, 2, 13),
        _command(0.3, 7, Outcome.COMPLETED, 7),
        _command(5, 9, Outcome.ACCEPTED, 1),  # heard of only by its verification
        _command(6, 7, Outcome.SENT),  # the sequence count came round again
        _command(6.5, 7, Outcome.TIMED_OUT),
    ]
    with _stored(records) as archive:
        histories = archive.commands()
        assert [h.request for h in histories] == [(100, 7), (100, 8), (100, 9), (100, 7)]
        outcomes = [(h.outcome.outcome, h.outcome.error_code) for h in histories]
        assert outcomes == [(Outcome.COMPLETED, None), (Outcome.FAILED, 13),
                            (Outcome.ACCEPTED, None), (Outcome.TIMED_OUT, None)]
        assert [s.outcome for s in histories[0].history] == [
            Outcome.SENT, Outcome.ACCEPTED, Outcome.COMPLETED]
        assert [h.time for h in archive.commands(T0 + 1, T0 + 6)] == [T0 + 1, T0 + 5]
        assert isinstance(histories[0], CommandHistory)
        assert histories[0].name == "SET_MODE"


def test_unstorable_records_are_counted_and_the_rest_of_the_batch_kept(tmp_path: Path) -> None:
    good = [_sample(t, "POWER", t) for t in range(5)]
    bad: list[object] = [
        ParameterSample(T0, "POWER", [1, 2], 3),  # type: ignore[arg-type]  # not a Value
        ParameterSample(math.nan, "POWER", 1, 1),  # no time
        PacketRecord(T0, 0, 1 << 80, b""),  # beyond SQLite integers
        "not a record",
    ]
    with Archive(tmp_path / "a.db") as archive:
        for record in [*good[:2], *bad, *good[2:]]:
            archive.on_record(record)  # type: ignore[arg-type]
        archive.flush(timeout=30)
        assert archive.counters.rejected == len(bad)
        assert archive.counters.stored == len(good)
        assert archive.last_error is not None
        assert [s.engineering for s in archive.parameters("POWER")] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("damage", [
    "UPDATE parameters SET raw_form = 99", "UPDATE parameters SET times = x'00'",
    "UPDATE parameters SET limit_state = NULL, limit_states = '[1]'",
    "UPDATE parameters SET count = 0", "UPDATE parameters SET eng = 'not json'",
    "UPDATE events SET event_values = '{\"a\": [1, 2.5]}'",
    "UPDATE commands SET outcome = 'lost'",
])
def test_a_damaged_row_gives_a_typed_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.on_record(_sample(0, "POWER", 1.5))
        archive.on_record(EventRecord(T0, "BOOT", "INFO", {"a": 1}))
        archive.on_record(_command(0, 1, Outcome.SENT))
    with sqlite3.connect(path) as db:
        db.execute(damage)
    with ArchiveReader(path) as reader, pytest.raises(ArchiveValueError):
        reader.parameters("POWER")
        reader.events()
        reader.commands()
        list(reader.records())


_READER = """
import sys
from ground_sw.archive_reader import ArchiveReader
with ArchiveReader(sys.argv[1]) as archive:
    values = [sample.engineering for sample in archive.parameters("POWER")]
    prefix = values == list(range(len(values)))
    print(len(values), len(archive.events()), prefix)
"""


def test_another_process_reads_while_the_archive_is_written(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with Archive(path) as archive:
        for t in range(500):
            archive.on_record(_sample(t, "POWER", t))
        archive.flush(timeout=30)
        for t in range(500, 100_000):  # the writer is busy with these during the read
            archive.on_record(_sample(t, "POWER", t))
        archive.on_record(EventRecord(T0 + 1e5, "BOOT", "INFO"))
        result = subprocess.run([sys.executable, "-c", _READER, str(path)], check=True,
                                capture_output=True, text=True, timeout=60)
        seen, _, prefix = result.stdout.split()
        assert 500 <= int(seen) <= 100_000
        assert prefix == "True"  # whole batches only: what was queued first, nothing torn
        archive.flush(timeout=60)
        after = subprocess.run([sys.executable, "-c", _READER, str(path)], check=True,
                               capture_output=True, text=True, timeout=60)
        assert after.stdout.split() == ["100000", "1", "True"]


def test_a_reader_of_an_empty_archive_and_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Archive(path).close()
    with ArchiveReader(path) as reader:
        assert reader.parameters("POWER") == []
        assert list(reader.records()) == []
    with pytest.raises(ArchiveError, match="no archive"):
        ArchiveReader(tmp_path / "missing.db")


def test_writer_settings_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        Archive(tmp_path / "a.db", batch_size=0)
    with pytest.raises(ValueError, match="interval_s"):
        Archive(tmp_path / "a.db", interval_s=0)
    with pytest.raises(ArchiveError, match="cannot open"):
        Archive(tmp_path / "missing" / "a.db")


def test_after_close_records_are_counted(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    archive.close()
    archive.on_record(_sample(0, "POWER", 1))
    archive.flush()
    assert archive.counters.after_close == 1


def test_reopening_an_archive_keeps_and_extends_it(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.on_record(_command(0, 1, Outcome.SENT))
        archive.on_record(_sample(0, "POWER", 1))
    with Archive(path) as archive:
        archive.on_record(_command(1, 1, Outcome.COMPLETED, 7))
        archive.on_record(_sample(1, "POWER", 2))
        archive.flush(timeout=30)
        assert [s.engineering for s in archive.parameters("POWER")] == [1, 2]
        (history,) = archive.commands()
        assert history.outcome.outcome is Outcome.COMPLETED


_cells = st.one_of(st.none(), st.integers(-2, 2), st.floats(), st.text(max_size=8),
                   st.binary(max_size=8), st.sampled_from(["sent", "{}", '{"a":[1,3]}']))


@pytest.mark.parametrize(("convert", "width"), [
    (schema.frame_of, 4), (schema.packet_of, 7), (schema.event_of, 5), (schema.command_of, 8)])
@settings(max_examples=60)
@given(data=st.data())
def test_fuzz_stored_rows_decode_or_raise_a_typed_error(
        convert: Callable[[tuple[object, ...]], Record], width: int,
        data: st.DataObject) -> None:
    row = data.draw(st.tuples(*[_cells] * width))
    try:
        record = convert(row)
    except ArchiveValueError:
        return
    assert isinstance(record, FrameRecord | PacketRecord | EventRecord | CommandRecord)
