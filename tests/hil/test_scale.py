"""Scale: several emulated boards at once, each with its own ground, all answering pings.

The full figure (16 boards) is benchmarks/bench_scale.py; this is the default-run version.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from flight_sw.dictionary import MISSION
from ground_sw.dictionary import resolve_dictionary
from hil.boards.fleet import Fleet, cpu_seconds_from_stat, process_cpu_seconds

BOARDS = 4


def test_four_boards_at_once_each_answer_pings(tmp_path: Path) -> None:
    with Fleet(BOARDS, tmp_path, resolve_dictionary(MISSION)) as fleet:
        pids = {board.pid for board in fleet.boards}
        urls = {board.url for board in fleet.boards}
        assert len(pids) == len(urls) == BOARDS and None not in pids
        for _ in range(2):
            answers = fleet.ping_all()
            assert sorted(answer.board for answer in answers) == list(range(BOARDS))
        # each ground talks to its own board: a value set through one is read back from it
        threshold = fleet.dictionary.database.parameter("OVERTEMP_THRESHOLD")
        for index, ground in enumerate(fleet.grounds):
            ground.send_and_assert("PARAM_SET", OVERTEMP_THRESHOLD=30_000 + index)
        for index, ground in enumerate(fleet.grounds):
            report = ground.send_and_assert("PARAM_REPORT", count=1, parameter_id=threshold.id)
            ground.assert_telemetry("OVERTEMP_THRESHOLD", 30_000 + index, since=report.time)
        assert {p.name for p in tmp_path.iterdir()} == {f"board-{i:02d}" for i in range(BOARDS)}
        assert fleet.board_cpu_seconds() > 0


@given(st.text(), st.integers(0, 2**40), st.integers(0, 2**40),
       st.lists(st.integers(0, 2**31), min_size=10, max_size=10))
def test_cpu_time_is_read_from_a_stat_line_whatever_the_command_name(
        command: str, utime: int, stime: int, before: list[int]) -> None:
    """proc(5): utime and stime are fields 14 and 15, after ``pid (comm) state``."""
    line = " ".join(["4242", f"({command})", "S", *map(str, before), str(utime),
                     str(stime), "0 0 20 0 1 0"])
    assert cpu_seconds_from_stat(line, 100) == (utime + stime) / 100


@given(st.text())
def test_a_malformed_stat_line_gives_none_or_a_time(text: str) -> None:
    seconds = cpu_seconds_from_stat(text, 100)
    assert seconds is None or seconds >= 0


def test_cpu_time_of_this_process_and_of_no_process() -> None:
    mine = process_cpu_seconds(os.getpid())
    assert mine is not None and mine > 0
    assert process_cpu_seconds(2**22 + 1) is None  # above Linux's largest pid
