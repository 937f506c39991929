"""Simulated link direction: rate, light time, outages and bit errors in simulated time."""

import pytest

from hil.sim_link import Outage, SimulatedLink


def test_octets_arrive_after_serialisation_and_light_time() -> None:
    link = SimulatedLink(rate_bps=8000.0, delay_s=1.28)
    link.send(b"x" * 100, now=0.0)  # 100 octets at 1000 octets/s: on the line 0.0..0.1
    assert link.receive(now=1.37) == b""
    assert link.receive(now=1.381) == b"x" * 100
    assert link.stats.octets_delivered == 100


def test_transmitter_queues_back_to_back() -> None:
    link = SimulatedLink(rate_bps=8000.0, delay_s=0.0)
    link.send(b"a" * 1000, now=0.0)
    link.send(b"b" * 1000, now=0.0)
    assert link.backlog_s(now=0.5) == pytest.approx(1.5)
    assert link.receive(now=1.0) == b"a" * 1000
    assert link.receive(now=1.99) == b""
    assert link.receive(now=2.0) == b"b" * 1000


def test_outage_loses_what_is_on_the_line() -> None:
    link = SimulatedLink(rate_bps=8000.0, delay_s=0.0, outages=(Outage(1.0, 2.0),))
    link.send(b"a" * 10, now=0.5)
    link.send(b"b" * 10, now=1.5)
    link.send(b"c" * 10, now=3.5)
    assert link.receive(now=10.0) == b"a" * 10 + b"c" * 10
    assert link.stats.octets_lost_in_outage == 10


def test_bit_errors_are_applied_and_counted() -> None:
    link = SimulatedLink(rate_bps=1e6, delay_s=0.0, ber=1e-2, seed=1)
    link.send(bytes(10_000), now=0.0)
    received = link.receive(now=1.0)
    flipped = sum(bin(octet).count("1") for octet in received)
    assert flipped == link.stats.bits_flipped > 0
