"""The serial proxy over real pseudo-terminals: delay, bit errors, outages, captures."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import serial

from ground_sw.archive_capture import read_capture
from hil.channel import ChannelConfig, DirectionConfig, PassSchedule, SerialProxy
from tests.hil.channel.ptys import Pty


@pytest.fixture
def ptys() -> Iterator[tuple[Pty, Pty]]:
    ground, board = Pty(), Pty()
    yield ground, board
    ground.close()
    board.close()


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    tick, deadline = threading.Event(), time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        tick.wait(0.01)
    return True


def test_both_directions_arrive_after_the_delay(ptys: tuple[Pty, Pty], tmp_path: Path) -> None:
    ground, board = ptys
    direction = DirectionConfig(rate_bps=2e6, delay_s=0.3)
    config = ChannelConfig(direction, direction, seed=1)
    uplink, downlink = os.urandom(3000), os.urandom(5000)
    with SerialProxy(ground.path, board.path, config, capture_dir=tmp_path) as proxy:
        ground.write(uplink)
        board.write(downlink)
        assert board.read(1, timeout=0.2) == b""  # nothing before the light time
        assert board.read(len(uplink), timeout=5.0) == uplink
        assert ground.read(len(downlink), timeout=5.0) == downlink
        stats = proxy.stats()
    assert stats["up"].octets_out == 3000 and stats["down"].octets_out == 5000
    assert (tmp_path / "up.bin").read_bytes() == uplink
    assert b"".join(chunk.data for chunk in read_capture(tmp_path)) == downlink


def test_bit_errors_reach_the_board_as_counted(ptys: tuple[Pty, Pty]) -> None:
    ground, board = ptys
    config = ChannelConfig(DirectionConfig(rate_bps=None, ber=1e-3),
                           DirectionConfig(rate_bps=None), seed=5)
    data = bytes(20_000)
    with SerialProxy(ground.path, board.path, config) as proxy:
        ground.write(data)
        received = board.read(len(data), timeout=5.0)
        assert _wait_for(lambda: proxy.stats()["up"].octets_out == len(data))
        flipped = proxy.stats()["up"].bits_flipped
    assert len(received) == len(data)
    assert int(np.unpackbits(np.frombuffer(received, np.uint8)).sum()) == flipped
    assert 160 - 5 * 13 < flipped < 160 + 5 * 13  # Binomial(160000, 1e-3)


def test_los_loses_octets_and_counts_them(ptys: tuple[Pty, Pty]) -> None:
    ground, board = ptys
    config = ChannelConfig(DirectionConfig(rate_bps=None), DirectionConfig(rate_bps=None),
                           schedule=PassSchedule.from_contacts([]), seed=1)  # LOS throughout
    with SerialProxy(ground.path, board.path, config) as proxy:
        ground.write(b"lost in space" * 10)
        assert _wait_for(lambda: proxy.stats()["up"].octets_lost_in_outage == 130)
        assert board.read(1, timeout=0.1) == b""
        assert proxy.stats()["up"].octets_out == 0


def test_a_bad_url_is_a_serial_error() -> None:
    direction = DirectionConfig(rate_bps=None)
    with pytest.raises(serial.SerialException):
        SerialProxy("/nonexistent/tty", "loop://", ChannelConfig(direction, direction))
