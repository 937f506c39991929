"""Flight software over a real pty: TC(17,1) -> TM(1,7) round trip, no link simulation.

The board is `flight-sw run` in a subprocess on an emulated HAL; the ground is the ccsds
stack (FOP-1, CLTUs out; frame sync, RS, demux in) in this process. Each ping waits for its
completion report before the next is sent. hil.pty_board is the contract tests' board too.
"""

from __future__ import annotations

import signal
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Recorder, percentile
from ccsds.pus import AckFlags
from hil.pty_board import PtyBoard


def run(recorder: Recorder) -> None:
    count = 50 if recorder.quick else 500
    with tempfile.TemporaryDirectory() as state:
        board = PtyBoard(Path(state), "--idle-interval", "1.0")
        try:
            board.connect()
            board.wait_for(lambda r: (r.service, r.subtype) == (5, 1))  # the boot event
            samples = []
            for _ in range(count + 10):
                tc = board.ground.telecommand(17, 1, ack=AckFlags.COMPLETION)
                start = time.perf_counter()
                board.send(tc.encode())
                board.wait_for(lambda r: (r.service, r.subtype) == (1, 7))
                samples.append(time.perf_counter() - start)
                board.ground.reports.clear()
        finally:
            board.stop(signal.SIGTERM)
    samples = samples[10:]  # the first pings warm caches and the FOP-1 window
    note = f"{count} pings over a pty, unpaced downlink, emulated board"
    recorder.add("flight ping TC(17,1) -> TM(1,7) median", statistics.median(samples) * 1e3,
                 "ms", note=note, higher_is_better=False)
    recorder.add("flight ping TC(17,1) -> TM(1,7) p99", percentile(samples, 0.99) * 1e3, "ms",
                 target=10.0, higher_is_better=False, note=note)
