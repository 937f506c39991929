"""Pass schedules: profile contact plans, AOS/LOS queries, boundaries, schedule files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hil.channel import PassSchedule, ScheduleError, Window, parse_contacts
from hil.profiles import load_profile

DAY = 86_400.0


@pytest.mark.parametrize("name", ["leo-550", "sso-750", "iss-420"])
def test_pass_profiles_give_their_passes_per_day(name: str) -> None:
    contact = load_profile(name).link.contact
    schedule = PassSchedule.generated(contact, seed=3, days=4)
    for day in range(4):
        passes = schedule.contacts(day * DAY, (day + 1) * DAY)
        assert len(passes) == contact.per_day.value
        for window in passes:
            assert contact.duration_min_s.value <= window.duration <= contact.duration_max_s.value
            assert schedule.in_contact(window.start)
            assert not schedule.in_contact(window.end)  # LOS instant belongs to the outage


def test_continuous_profiles_have_their_gaps() -> None:
    contact = load_profile("lunar-surface").link.contact
    schedule = PassSchedule.generated(contact, seed=1, days=3)
    gaps = [w for w in schedule.outages if w.end <= 3 * DAY]
    assert len(gaps) == 3
    assert all(contact.duration_min_s.value <= w.duration <= contact.duration_max_s.value
               for w in gaps)
    assert schedule.outages[-1] == Window(3 * DAY, math.inf)  # LOS beyond the horizon


def test_geo_is_always_up_within_the_horizon() -> None:
    schedule = PassSchedule.generated(load_profile("geo").link.contact, seed=1, days=2)
    assert schedule.contacts(0, 2 * DAY) == [Window(0, 2 * DAY)]


def test_generation_is_deterministic_by_seed() -> None:
    contact = load_profile("sso-750").link.contact
    assert PassSchedule.generated(contact, 7).outages == PassSchedule.generated(contact, 7).outages
    assert PassSchedule.generated(contact, 7).outages != PassSchedule.generated(contact, 8).outages


def test_outage_boundaries_are_half_open() -> None:
    schedule = PassSchedule([Window(10.0, 20.0)])
    assert not schedule.in_outage(9.0, 10.0)
    assert schedule.in_outage(9.0, 10.0001)
    assert schedule.in_outage(10.0, 10.0) and schedule.in_outage(19.9, 25.0)
    assert not schedule.in_outage(20.0, 21.0) and not schedule.in_outage(20.0, 20.0)


def test_schedule_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "passes.txt"
    path.write_text("# aos los\n100 700\n\n5000.5 5600  # second pass\n")
    schedule = PassSchedule.from_file(path)
    assert schedule.contacts(0, 10_000) == [Window(100, 700), Window(5000.5, 5600)]
    assert schedule.outages[0] == Window(0, 100) and schedule.outages[-1].end == math.inf


@pytest.mark.parametrize("text", ["1 2 3", "5 4", "-1 3", "nan 4", "a b", "inf 5"])
def test_bad_schedule_lines_are_typed_errors(text: str) -> None:
    with pytest.raises(ScheduleError, match="line 1"):
        parse_contacts(text)


def test_overlapping_contacts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="overlap"):
        PassSchedule.from_contacts([Window(0, 10), Window(5, 20)])
    with pytest.raises(ScheduleError, match="cannot read"):
        PassSchedule.from_file(tmp_path / "missing.txt")


@given(st.text(max_size=300))
def test_parse_contacts_fuzz(text: str) -> None:
    try:
        windows = parse_contacts(text)
    except ScheduleError:
        return
    assert all(0 <= w.start < w.end for w in windows)
