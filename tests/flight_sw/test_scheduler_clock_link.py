"""Rate groups, clocks and the paced downlink of the flight software."""

from __future__ import annotations

import pytest

from ccsds.config import LinkConfig
from flight_sw.clock import UNIX_TO_1958_S, SimulatedClock, SystemClock, cuc_now
from flight_sw.link import FlightLink
from flight_sw.scheduler import Scheduler


def test_rate_groups_run_at_their_periods() -> None:
    runs: dict[str, list[float]] = {"fast": [], "slow": []}
    scheduler = Scheduler()
    scheduler.add("fast", 0.1, runs["fast"].append)
    scheduler.add("slow", 1.0, runs["slow"].append)
    now = 0.0
    while now < 2.0:
        scheduler.run_due(now)
        now = round(now + 0.05, 10)
    assert len(runs["fast"]) == 20 and len(runs["slow"]) == 2
    assert scheduler.next_deadline() == pytest.approx(2.0)


def test_missed_periods_are_skipped_and_counted() -> None:
    calls: list[float] = []
    scheduler = Scheduler()
    group = scheduler.add("hk", 1.0, calls.append)
    scheduler.run_due(0.0)
    scheduler.run_due(5.5)  # the loop was stalled for 5 s: one run, not five
    assert calls == [0.0, 5.5]
    assert group.skipped_periods == 4
    assert group.next_due == pytest.approx(6.0)


def test_period_change_and_misuse() -> None:
    scheduler = Scheduler()
    scheduler.add("hk", 1.0, lambda now: None)
    scheduler.set_period("hk", 0.2, now=3.0)
    assert scheduler.next_deadline() == pytest.approx(3.2)
    with pytest.raises(ValueError, match="exists"):
        scheduler.add("hk", 1.0, lambda now: None)
    with pytest.raises(ValueError, match="positive"):
        scheduler.add("x", 0.0, lambda now: None)


def test_clocks() -> None:
    simulated = SimulatedClock(tai_at_zero=100.0)
    simulated.advance(2.5)
    assert (simulated.monotonic(), simulated.tai()) == (2.5, 102.5)
    with pytest.raises(ValueError):
        simulated.advance(-1)
    system = SystemClock()
    assert system.tai() > UNIX_TO_1958_S + 1.7e9  # after 2023 in TAI since 1958
    assert cuc_now(simulated).coarse == 102


def test_downlink_is_paced_to_the_bit_rate() -> None:
    config = LinkConfig.baseline()
    link = FlightLink(config, bit_rate=1_000_000.0, idle_interval_s=10.0)
    cadu = link.downlink.cadu_length
    packet = bytes.fromhex("0864c000") + (1000).to_bytes(2, "big") + bytes(1001)
    for _ in range(150):  # more than a second of data at this rate
        link.send(packet, 0)
    sent = sum(len(link.output(t / 100)) for t in range(101))  # one second in 10 ms steps
    frames = sent // cadu
    expected = 1_000_000 / (cadu * 8)  # about 97.7 CADUs per second
    assert expected - 2 <= frames <= expected + 2


def test_idle_frame_only_after_the_interval() -> None:
    link = FlightLink(LinkConfig.baseline(), idle_interval_s=1.0)
    assert len(link.output(0.0)) == link.downlink.cadu_length  # idle: nothing sent yet
    assert link.output(0.5) == b""
    assert len(link.output(1.0)) == link.downlink.cadu_length
    assert link.counters.idle_cadus == 2
