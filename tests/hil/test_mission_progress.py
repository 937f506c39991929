"""The demo's step spans and transfer progress on an injected clock."""

from __future__ import annotations

import pytest

from ground_sw.records import ParameterSample
from hil.mission_progress import (
    PROGRESS_POINTS,
    BoardReceived,
    ProgressTracker,
    Steps,
    count,
    transfer_summary,
)


class Clock:
    """A settable clock."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_steps_record_their_spans_and_say_so() -> None:
    clock, lines = Clock(), list[str]()
    steps = Steps(lines.append, clock)
    clock.now += 2.0
    with steps.step("upload", "upload a file"):
        clock.now += 5.5
    assert steps.spans == [{"step": "upload", "start_s": 2.0, "duration_s": 5.5}]
    assert lines == ["[   2.0 s] upload a file ...", "[   7.5 s] upload: done in 5.5 s"]


def test_a_failed_step_leaves_no_span() -> None:
    steps = Steps(lambda _: None, Clock())
    with pytest.raises(RuntimeError), steps.step("verify", "verify"):
        raise RuntimeError("no report")
    assert steps.spans == []


def test_tracker_samples_every_call_and_reports_each_fifth() -> None:
    clock, lines = Clock(), list[str]()
    tracker = ProgressTracker("download", Steps(lines.append, clock))
    for octets in range(0, 1001, 50):
        clock.now += 1.0
        tracker(octets, 1000)
    assert len(tracker.samples) == 21 and tracker.samples[-1] == (21.0, 1000)
    assert lines == [f"    download: {n}/1000 octets" for n in (200, 400, 600, 800, 1000)]


def test_board_counter_feeds_the_tracker_from_its_baseline() -> None:
    steps = Steps(lambda _: None, Clock())
    tracker = ProgressTracker("upload", steps)
    received = BoardReceived(tracker, "CFDP_OCTETS_RECEIVED", 1000, baseline=300)
    for raw in (300, 700, 5000):
        received.on_record(ParameterSample(1.0, "CFDP_OCTETS_RECEIVED", raw, raw))
    received.on_record(ParameterSample(1.0, "EDAC_CORRECTED", 99, 99))  # another parameter
    assert [octets for _, octets in tracker.samples] == [0, 400, 1000]  # capped at the size


def test_summary_thins_samples_keeps_the_last_and_computes_goodput() -> None:
    for total in (1, PROGRESS_POINTS + 1, 150, 1001):
        samples = [(float(t), t * 10) for t in range(total)]
        kept = transfer_summary(True, 8000, 4.0, samples)["progress"]
        assert len(kept) <= PROGRESS_POINTS + 1 and kept[-1] == samples[-1]
        assert kept[0] == samples[0] and kept == sorted(kept)
    summary = transfer_summary(True, 8000, 4.0, samples)
    assert summary["goodput_bps"] == 16_000 and summary["time_s"] == 4.0
    assert transfer_summary(False, 10, 0.0, [])["goodput_bps"] is None


def test_count_takes_only_integers() -> None:
    assert [count(v) for v in (7, None, "7", 2.0, True)] == [7, 0, 0, 0, 0]
