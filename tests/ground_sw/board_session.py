"""A ground station on the real flight software behind a :class:`BoardRelay` (pty)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ground_sw.dictionary import Dictionary
from ground_sw.station import GroundStation
from tests.ground_sw.board import BoardRelay


@contextmanager
def board_station(state_dir: Path, dictionary: Dictionary | Path, *,
                  link_timeout: float = 20.0) -> Iterator[GroundStation]:
    """The ground connects first, then the board boots (its BOOT event is seen); the
    station is yielded with the link up, and board and relay stop on the way out."""
    relay = BoardRelay(state_dir)
    try:
        with GroundStation.connect(relay.url, dictionary) as station:
            relay.start_board()
            station.wait_link(link_timeout)
            yield station
    finally:
        relay.stop()
