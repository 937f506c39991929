"""Many emulated boards at once, each with its own ground station: the bench at scale.

The boards start in parallel (each ``flight-sw run`` spends most of its start importing),
each in its own state directory under ``root``. :meth:`Fleet.ping_all` sends
TEST_ARE_YOU_ALIVE (17,1) to every board at the same moment and times each until its
completion report (1,7), so the figure includes the contention of all boards on the CPUs.
CPU time of the board processes comes from ``/proc/<pid>/stat`` (Linux).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from hil.boards.emulated import EmulatedBoardSession

if TYPE_CHECKING:
    from ground_sw.dictionary import Dictionary
    from ground_sw.station import GroundStation

SMALL_STORAGE = 16 << 20
"""Storage region of each board: small, so that formatting it at the first boot is quick."""
LINK_TIMEOUT_S = 30.0
PING_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Ping:
    """One board's answer to a ping."""

    board: int
    round_trip_s: float
    """From the send to the completion report (1,7), on the ground's clock."""


def cpu_seconds_from_stat(text: str, ticks_per_second: float) -> float | None:
    """utime + stime of a ``/proc/<pid>/stat`` line (proc(5): fields 14 and 15, in clock
    ticks), None when the line is malformed. The command name (field 2) may hold spaces and
    parentheses, so the fields are counted from its last closing parenthesis."""
    _, closing, rest = text.rpartition(")")
    fields = rest.split()
    if not closing or len(fields) < 13:
        return None
    try:
        utime, stime = int(fields[11]), int(fields[12])
    except ValueError:
        return None
    return None if utime < 0 or stime < 0 else (utime + stime) / ticks_per_second


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used so far (None where /proc does not tell)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return cpu_seconds_from_stat(stat, os.sysconf("SC_CLK_TCK"))


class Fleet:
    """``count`` emulated boards and their ground stations."""

    def __init__(self, count: int, root: Path, dictionary: Dictionary, *,
                 storage_size: int = SMALL_STORAGE, fault_injection: bool = False) -> None:
        self.dictionary = dictionary
        self.boards = [EmulatedBoardSession(root / f"board-{index:02d}",
                                            fault_injection=fault_injection,
                                            storage_size=storage_size, start_timeout=60.0)
                       for index in range(count)]
        self.grounds: list[GroundStation] = []
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="fleet")

    def open(self) -> None:
        """Start every board and connect a ground station to each (all in parallel)."""
        from ground_sw.station import GroundStation  # noqa: PLC0415

        def start(board: EmulatedBoardSession) -> GroundStation:
            return GroundStation.connect(board.open(), self.dictionary,
                                         link_timeout=LINK_TIMEOUT_S)

        try:
            self.grounds = list(self._pool.map(start, self.boards))
        except BaseException:
            self.close()
            raise

    def ping_all(self, timeout: float = PING_TIMEOUT_S) -> list[Ping]:
        """Ping every board at once; their round trips (VerificationFailed or
        VerificationTimeout from a board that does not answer)."""
        def ping(index: int) -> Ping:
            ground = self.grounds[index]
            handle = ground.send("TEST_ARE_YOU_ALIVE")
            handle.wait_completed(timeout)
            return Ping(index, ground.clock() - handle.time)

        return list(self._pool.map(ping, range(len(self.grounds))))

    def board_cpu_seconds(self) -> float:
        """CPU time all running board processes have used so far."""
        pids = [board.pid for board in self.boards]
        return sum(process_cpu_seconds(pid) or 0.0 for pid in pids if pid is not None)

    def close(self) -> None:
        """Close every ground station and stop every board."""
        for ground in self.grounds:
            ground.close()
        list(self._pool.map(lambda board: board.close(), self.boards))
        self._pool.shutdown()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

