"""Console refresh with 1,000 parameters: can the telemetry table keep 10 Hz?

The console (textual, headless: ``App.run_test`` at 140 x 40 cells) shows a dictionary of
1,000 parameters, a third of them with limits. Each frame, every parameter gets a new value
(the worst case: all cells change) through the Listener protocol, then the console drains
its feed (:meth:`ConsoleApp.refresh_data`) and the screen is updated (``pilot.pause()``
returns once the app is idle again, the repaint done). Figures:

* frame update cost (CPU time of the console's thread, median and p99) against the 100 ms
  budget of a 10 Hz refresh (the wall time, which includes waiting for textual's screen
  update timer, in the note);
* sustained for a few seconds, a feeder thread delivering 1,000 samples every 100 ms while
  the console's own 10 Hz timer drains them: the refresh rate achieved, the largest drain
  (no backlog growing) and the share of the time spent refreshing;
* the listener cost per sample (what the link thread pays);
* peer: a plain rich ``Table`` of the same 1,000 rows rendered to an off-screen console
  (no virtual scrolling: it renders every row, as a naive console would).
"""

from __future__ import annotations

import asyncio
import io
import statistics
import threading
import time

from rich.console import Console
from rich.table import Table

from benchmarks.harness import Recorder, percentile
from ccsds.mission_db import Limits, MissionDatabase, Parameter
from ground_sw.console.app import ConsoleApp
from ground_sw.console.formatting import value_text
from ground_sw.dictionary import Dictionary
from ground_sw.records import ParameterSample

PARAMETERS = 1000
REFRESH_HZ = 10.0
BUDGET_MS = 1000.0 / REFRESH_HZ
SIZE = (140, 40)
LIMITS = Limits(warning_low=10.0, warning_high=90.0, alarm_low=5.0, alarm_high=95.0)
T0 = 1_800_000_000.0


def _dictionary() -> Dictionary:
    parameters = tuple(
        Parameter(name=f"P{number:04d}", type="uint16", id=number, unit="degC",
                  limits=LIMITS if number % 3 == 0 else None)
        for number in range(PARAMETERS))
    return Dictionary.of(MissionDatabase("bench_console", "1", 100, parameters=parameters))


def _frame(number: int) -> list[ParameterSample]:
    """One sample per parameter, every value different from the last frame's."""
    samples = []
    for index in range(PARAMETERS):
        value = (number * 7 + index) % 100
        limit = LIMITS.state(float(value)).name if index % 3 == 0 else "NOMINAL"
        samples.append(ParameterSample(T0 + number / REFRESH_HZ, f"P{index:04d}", value,
                                       float(value), limit))
    return samples


async def _frame_times(frames: int) -> tuple[list[float], list[float]]:
    """Per frame: CPU seconds of the console's thread (drain, cells, repaint) and wall
    seconds until the app is idle again (includes waiting for the screen's update timer)."""
    app = ConsoleApp(_dictionary(), refresh_s=3600.0)  # frames driven here, not by the timer
    cpu, wall = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for number in range(frames + 3):
            samples = _frame(number)
            start, start_cpu = time.perf_counter(), time.thread_time()
            for sample in samples:
                app.listener.on_record(sample)
            app.refresh_data()
            await pilot.pause()
            if number >= 3:  # the first frames fill caches
                cpu.append(time.thread_time() - start_cpu)
                wall.append(time.perf_counter() - start)
    return cpu, wall


async def _sustained(seconds: float) -> tuple[float, int, float, bool]:
    """With a feeder thread delivering 1,000 samples every 100 ms while the console's own
    10 Hz timer drains them: refreshes per second, the largest drain (samples), the share
    of wall time spent in refresh_data, and whether every sample fed was drained."""
    app = ConsoleApp(_dictionary())
    drained: list[int] = []
    busy = [0.0]
    refresh = app.refresh_data

    def timed_refresh() -> int:
        start = time.perf_counter()
        handled = refresh()
        busy[0] += time.perf_counter() - start
        drained.append(handled)
        return handled

    app.refresh_data = timed_refresh  # type: ignore[method-assign]
    stop = threading.Event()
    fed = [0]

    def feeder() -> None:
        number = 0
        next_due = time.monotonic()
        while not stop.is_set():
            for sample in _frame(number):
                app.listener.on_record(sample)
            fed[0] += PARAMETERS
            number += 1
            next_due += 1.0 / REFRESH_HZ
            stop.wait(max(0.0, next_due - time.monotonic()))

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        drained.clear()
        thread = threading.Thread(target=feeder, daemon=True)
        start = time.monotonic()
        thread.start()
        await asyncio.sleep(seconds)
        stop.set()
        thread.join()
        elapsed = time.monotonic() - start
        ticks = len(drained)
        app.refresh_data()  # what the last period left
        kept_up = sum(drained) == fed[0]
    return ticks / elapsed, max(drained, default=0), busy[0] / elapsed, kept_up


def _rich_table_time(frames: int) -> float:
    """Median CPU seconds to render the 1,000-row rich Table off screen."""
    console = Console(file=io.StringIO(), width=SIZE[0], force_terminal=True,
                      color_system="truecolor")
    times = []
    for number in range(frames):
        table = Table("Parameter", "Value", "Unit", "Limit")
        for sample in _frame(number):
            table.add_row(sample.name, value_text(sample.engineering), "degC", sample.limit)
        start = time.thread_time()
        console.print(table)
        times.append(time.thread_time() - start)
        console.file = io.StringIO()
    return statistics.median(times)


def _listener_cost() -> float:
    """Seconds per sample taken by the console's listener (the link thread's share)."""
    app = ConsoleApp(_dictionary())
    samples = _frame(0) * 20
    start = time.perf_counter()
    for sample in samples:
        app.listener.on_record(sample)
    return (time.perf_counter() - start) / len(samples)


def run(recorder: Recorder) -> None:
    """Frame update time, sustained refresh rate, listener cost, rich Table peer."""
    frames = 20 if recorder.quick else 100
    cpu, wall = asyncio.run(_frame_times(frames))
    peer = _rich_table_time(3 if recorder.quick else 10)
    recorder.add("console frame update CPU, 1000 parameters all changed (median)",
                 statistics.median(cpu) * 1e3, "ms", target=BUDGET_MS, higher_is_better=False,
                 peer="rich Table, 1000 rows", peer_value=peer * 1e3,
                 note=f"headless 140x40: drain + rows + repaint; wall median "
                      f"{statistics.median(wall) * 1e3:.1f} ms incl. the screen timer")
    recorder.add("console frame update CPU, 1000 parameters all changed (p99)",
                 percentile(cpu, 0.99) * 1e3, "ms", target=BUDGET_MS, higher_is_better=False)
    rate, largest, busy, kept_up = asyncio.run(_sustained(1.5 if recorder.quick else 5.0))
    recorder.add("console refresh rate, 1000 parameters changing at 10 Hz", rate, "Hz",
                 target=REFRESH_HZ * 0.9,
                 note=f"largest drain {largest} samples (2 periods = {2 * PARAMETERS}); "
                      f"{'every sample shown' if kept_up else 'SAMPLES LEFT BEHIND'}")
    recorder.add("console refresh busy share at 10 Hz with 1000 parameters", busy * 100, "%",
                 target=50.0, higher_is_better=False,
                 note="refresh_data time / wall time (the repaint comes on top)")
    recorder.add("console listener cost per sample", _listener_cost() * 1e6, "us",
                 higher_is_better=False, note="paid by the link thread")
