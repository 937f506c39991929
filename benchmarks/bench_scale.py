"""Scale: 16 emulated boards at once on this machine, each with its own ground station.

Every board is a ``flight-sw run`` process behind its own pty relay; every ground station
runs its link threads in this process. Figures: boards answering, the time to start them
all, the round trip of a ping sent to all boards at the same moment (p50, p99 over rounds),
and the CPU used by the boards while idle and while pinged (in cores: 1.0 = one core busy).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Recorder, percentile
from ground_sw.dictionary import resolve_dictionary
from hil.boards.fleet import Fleet

BOARDS = 16
MS = 1e3


def _idle_cpu_cores(fleet: Fleet, window_s: float) -> tuple[float, float]:
    """CPU of the boards and of this process (cores) over ``window_s`` of no commanding."""
    boards, bench, start = fleet.board_cpu_seconds(), time.process_time(), time.monotonic()
    time.sleep(window_s)  # a measurement window: only the boards and ground threads run
    elapsed = time.monotonic() - start
    return ((fleet.board_cpu_seconds() - boards) / elapsed,
            (time.process_time() - bench) / elapsed)


def run(recorder: Recorder) -> None:
    """Start 16 boards, ping them all together for some rounds, measure CPU."""
    rounds = 5 if recorder.quick else 40
    dictionary = resolve_dictionary(None)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as root:
        started = time.monotonic()
        with Fleet(BOARDS, Path(root), dictionary) as fleet:
            start_s = time.monotonic() - started
            answered = {ping.board for ping in fleet.ping_all()}
            idle_boards, idle_bench = _idle_cpu_cores(fleet, 2.0 if recorder.quick else 5.0)
            boards_before, bench_before = fleet.board_cpu_seconds(), time.process_time()
            pinged = time.monotonic()
            trips = [ping.round_trip_s for _ in range(rounds) for ping in fleet.ping_all()]
            busy_s = time.monotonic() - pinged
            busy_boards = (fleet.board_cpu_seconds() - boards_before) / busy_s
            busy_bench = (time.process_time() - bench_before) / busy_s
    cores = os.cpu_count() or 1
    recorder.add("emulated boards answering pings at once", len(answered), "boards",
                 target=BOARDS, note=f"each its own flight-sw process, pty and ground; "
                 f"{cores} CPUs")
    recorder.add("start 16 boards and connect their grounds", start_s, "s",
                 higher_is_better=False, note="in parallel, first boot formats 16 MiB storage")
    recorder.add("ping round trip p50, 16 boards pinged together", percentile(trips, 0.5) * MS,
                 "ms", higher_is_better=False, note=f"{rounds} rounds, (17,1) to (1,7)")
    recorder.add("ping round trip p99, 16 boards pinged together", percentile(trips, 0.99) * MS,
                 "ms", higher_is_better=False)
    recorder.add("CPU of 16 idle boards", idle_boards, "cores", higher_is_better=False,
                 note=f"housekeeping and idle frames; bench process {idle_bench:.2f} cores")
    recorder.add("CPU of 16 boards while pinged", busy_boards, "cores", higher_is_better=False,
                 note=f"bench process (16 grounds) {busy_bench:.2f} cores")
