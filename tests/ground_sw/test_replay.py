"""Replay of archives (order, pace against an injected clock, stop) and of raw captures."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ground_sw.archive import Archive
from ground_sw.records import EventRecord, PacketRecord, ParameterSample, Record
from ground_sw.replay import Replay, play_archive

T0 = 1_750_000_000.0


class FakeClock:
    """A clock that moves only when the replay waits (or a test moves it): no real time."""

    def __init__(self) -> None:
        self.now = 500.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False


class Collector:
    """A listener that keeps what it is given, with the clock reading at delivery."""

    def __init__(self, clock: FakeClock | None = None, cost: float = 0.0) -> None:
        self.records: list[Record] = []
        self.at: list[float] = []
        self._clock = clock
        self._cost = cost

    def on_record(self, record: Record) -> None:
        self.records.append(record)
        if self._clock is not None:
            self.at.append(self._clock.now)
            self._clock.now += self._cost  # a listener that takes time


RECORDS: list[Record] = [
    ParameterSample(T0, "POWER", 1, 1.0),
    EventRecord(T0 + 1, "BOOT", "INFO"),
    PacketRecord(T0 + 3, 0, 100, b"\x08\x64"),
    ParameterSample(T0 + 3, "POWER", 2, 2.0),
]


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "a.db") as archive:
        for record in reversed(RECORDS):  # stored out of order: replay sorts by time
            archive.on_record(record)
        archive.flush(timeout=30)
        yield archive


@pytest.mark.parametrize(("speed", "waits"), [(1.0, [1.0, 2.0]), (10.0, [0.1, 0.2]),
                                               (None, [])])
def test_archive_replay_keeps_order_and_recorded_or_accelerated_pace(
        archive: Archive, speed: float | None, waits: list[float]) -> None:
    clock, listener = FakeClock(), Collector()
    delivered = play_archive(archive, [listener], speed=speed, clock=clock, wait=clock.wait)
    assert delivered == len(RECORDS)
    assert [repr(r) for r in listener.records] == [repr(r) for r in RECORDS]
    assert clock.waits == pytest.approx(waits)


def test_pace_is_kept_against_the_clock_when_listeners_are_slow(archive: Archive) -> None:
    clock = FakeClock()
    listener = Collector(clock, cost=0.5)
    play_archive(archive, [listener], speed=1.0, clock=clock, wait=clock.wait)
    assert clock.waits == pytest.approx([0.5, 1.5])
    start = listener.at[0]
    assert [at - start for at in listener.at] == pytest.approx([0.0, 1.0, 3.0, 3.5])


def test_every_listener_gets_every_record_and_a_time_span_can_be_chosen(
        archive: Archive, tmp_path: Path) -> None:
    first, second = Collector(), Collector()
    assert play_archive(tmp_path / "a.db", [first, second], speed=None,
                        start=T0 + 1, end=T0 + 3) == 1
    assert first.records == second.records == [RECORDS[1]]


def test_stop_during_a_wait_ends_the_replay(archive: Archive) -> None:
    clock, listener = FakeClock(), Collector()
    replay = Replay([listener], speed=1.0, clock=clock, wait=lambda s: replay.stop())
    assert replay.play(archive.records()) == 1
    assert replay.stopped


def test_the_default_wait_is_interrupted_by_stop_from_another_thread(archive: Archive) -> None:
    delivered = threading.Event()

    class Signal(Collector):
        def on_record(self, record: Record) -> None:
            super().on_record(record)
            delivered.set()

    listener = Signal()
    replay = Replay([listener], speed=1e-3)  # the second record is 1000 s away
    worker = threading.Thread(target=replay.play, args=(archive.records(),))
    worker.start()
    assert delivered.wait(timeout=30)
    replay.stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert listener.records == RECORDS[:1]


def test_records_with_times_that_are_not_finite_are_not_waited_for() -> None:
    clock, listener = FakeClock(), Collector()
    records: list[Record] = [ParameterSample(math.inf, "P", 1, 1), *RECORDS[:2],
                             ParameterSample(math.nan, "P", 2, 2)]
    Replay([listener], clock=clock, wait=clock.wait).play(records)
    assert clock.waits == [1.0]
    assert len(listener.records) == 4


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed"):
        Replay([], speed=0)
