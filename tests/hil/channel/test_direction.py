"""The sans-I/O direction: line rate, delay, outages, impairment counts, queue limit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.channel import (
    BurstConfig,
    ChannelConfigError,
    Direction,
    DirectionConfig,
    PassSchedule,
    Window,
)


def test_octets_arrive_after_serialisation_plus_delay() -> None:
    # 8000 bit/s = 1000 octets/s; 1 ms pieces are one octet each
    direction = Direction(DirectionConfig(rate_bps=8000.0, delay_s=1.28))
    direction.push(b"abcdefghij", now=10.0)
    assert direction.pop(11.28) == b""  # first octet finishes at 10.001, arrives 11.281
    assert direction.pop(11.2815) == b"a"
    assert direction.next_due() == pytest.approx(11.282)
    assert direction.pop(11.2895) == b"bcdefghi"
    assert direction.pop(100.0) == b"j"
    stats = direction.stats()
    assert (stats.octets_in, stats.octets_out, stats.queue_octets) == (10, 10, 0)


def test_the_line_is_shared_by_successive_writes() -> None:
    direction = Direction(DirectionConfig(rate_bps=8000.0, piece_s=1.0))
    direction.push(b"x" * 1000, now=0.0)  # on the line until 1.0
    direction.push(b"y" * 1000, now=0.5)  # queued behind it: on the line 1.0 .. 2.0
    assert direction.pop(1.999) == b"x" * 1000
    assert direction.pop(2.0) == b"y" * 1000


def test_unlimited_rate_delivers_after_the_delay_only() -> None:
    direction = Direction(DirectionConfig(rate_bps=None, delay_s=0.005))
    direction.push(b"\x01" * 100_000, now=1.0)
    assert direction.pop(1.0049) == b""
    assert direction.pop(1.005) == b"\x01" * 100_000


def test_octets_on_the_line_during_los_are_lost_and_counted() -> None:
    schedule = PassSchedule([Window(2.0, 3.0)])
    direction = Direction(DirectionConfig(rate_bps=8000.0, piece_s=0.1), schedule)
    direction.push(bytes(4000), now=0.0)  # 0..4 s on the line, 100-octet pieces
    received = direction.pop(10.0)
    stats = direction.stats()
    # the pieces on the line from 2.0 to 3.0: 1000 octets
    assert stats.octets_lost_in_outage == 1000
    assert received == bytes(3000) and stats.octets_out == 3000


def test_bit_errors_are_counted_exactly() -> None:
    config = DirectionConfig(rate_bps=1e6, ber=1e-3, burst=BurstConfig(1e-4, 1e-2, 0.1))
    direction = Direction(config, rng=np.random.default_rng(4))
    data = bytes(range(256)) * 400
    direction.push(data, now=0.0)
    received = direction.pop(10.0)
    flipped = int(np.unpackbits(np.frombuffer(data, np.uint8)
                                ^ np.frombuffer(received, np.uint8)).sum())
    stats = direction.stats()
    assert flipped == stats.bits_flipped > 0 and stats.bursts > 0


def test_a_full_queue_refuses_and_counts() -> None:
    direction = Direction(DirectionConfig(rate_bps=8000.0, max_queue_octets=100))
    direction.push(bytes(150), now=0.0)
    stats = direction.stats()
    assert (stats.octets_refused_queue_full, stats.queue_octets) == (50, 100)
    assert len(direction.pop(1.0)) == 100


@pytest.mark.parametrize("kwargs", [
    {"rate_bps": 0.0}, {"rate_bps": float("nan")}, {"rate_bps": None, "delay_s": -1.0},
    {"rate_bps": None, "ber": 1.0}, {"rate_bps": None, "drop_rate": -0.1},
    {"rate_bps": None, "piece_s": 0.0}])
def test_bad_parameters_are_typed_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ChannelConfigError):
        DirectionConfig(**kwargs)  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.binary(max_size=200), st.floats(0, 0.05)), max_size=30),
       st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_conservation_of_octets(writes: list[tuple[bytes, float]], seed: int) -> None:
    config = DirectionConfig(rate_bps=64_000.0, delay_s=0.01, ber=0.01, drop_rate=0.01,
                             insert_rate=0.01)
    direction = Direction(config, PassSchedule([Window(0.05, 0.07)]), np.random.default_rng(seed))
    now, out = 0.0, bytearray()
    for data, step in writes:
        now += step
        direction.push(data, now)
        out += direction.pop(now)
    out += direction.pop(1e9)
    stats = direction.stats()
    sent = sum(len(data) for data, _ in writes)
    assert stats.octets_in == sent and stats.octets_out == len(out) and stats.queue_octets == 0
    assert len(out) == (sent - stats.octets_lost_in_outage - stats.octets_dropped
                        + stats.octets_inserted)
