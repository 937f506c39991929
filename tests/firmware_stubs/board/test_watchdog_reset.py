"""Watchdog timing and the boot record persisted across (simulated) restarts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_stubs.board import (
    BoardArgumentError,
    BoardStateError,
    BootStore,
    ResetCause,
    Watchdog,
    WatchdogSupervisor,
)
from firmware_stubs.board.reset import HISTORY_LENGTH


def test_watchdog_expires_after_timeout_without_kicks() -> None:
    dog = Watchdog(5.0)
    assert not dog.expired(100.0)  # not armed yet
    dog.arm(10.0)
    assert not dog.expired(14.999)
    assert dog.expired(15.0)
    dog.kick(15.5)
    assert not dog.expired(20.0)
    assert dog.expired(20.5)
    assert dog.remaining_s(18.5) == pytest.approx(2.0)
    assert dog.kicks == 1


@given(st.lists(st.floats(0.0, 4.99), max_size=30))
def test_regular_kicks_keep_it_alive(gaps: list[float]) -> None:
    dog, now = Watchdog(5.0), 0.0
    dog.arm(now)
    for gap in gaps:
        now += gap
        assert not dog.expired(now)
        dog.kick(now)
    assert dog.expired(now + 5.0)


def test_disabled_watchdog_never_expires() -> None:
    dog = Watchdog(1.0, enabled=False)
    dog.arm(0.0)
    assert not dog.expired(1e9) and dog.remaining_s(1e9) is None


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_timeouts_and_times(bad: float) -> None:
    with pytest.raises(BoardArgumentError):
        Watchdog(bad)
    if not math.isfinite(bad):
        with pytest.raises(BoardArgumentError):
            Watchdog(1.0).kick(bad)


def test_first_boot_is_power_on_and_unrequested_restart_is_unknown(tmp_path: Path) -> None:
    first = BootStore(tmp_path).boot(1.0)
    assert (first.boot_count, first.cause, first.booted_at) == (1, ResetCause.POWER_ON, 1.0)
    second = BootStore(tmp_path).boot(2.0)  # a new process on the same state dir
    assert (second.boot_count, second.cause) == (2, ResetCause.UNKNOWN)
    assert [e.cause for e in second.history] == [ResetCause.POWER_ON, ResetCause.UNKNOWN]


@pytest.mark.parametrize("cause", list(ResetCause))
def test_requested_cause_is_reported_by_the_next_boot_only(tmp_path: Path,
                                                           cause: ResetCause) -> None:
    BootStore(tmp_path).boot(0.0)
    request = BootStore(tmp_path).request(cause, 3.0)
    assert (request.cause, request.requested_at) == (cause, 3.0)
    assert request.power_cycle == (cause in (ResetCause.POWER_ON, ResetCause.LATCH_UP))
    assert BootStore(tmp_path).pending() == cause
    assert BootStore(tmp_path).boot(4.0).cause == cause
    assert BootStore(tmp_path).pending() is None
    assert BootStore(tmp_path).boot(5.0).cause == ResetCause.UNKNOWN


def test_hardware_cause_applies_when_nothing_was_requested(tmp_path: Path) -> None:
    store = BootStore(tmp_path)
    assert store.boot(0.0, marker="a", hardware_cause=ResetCause.WATCHDOG).cause == "watchdog"
    assert store.marker() == "a"
    store.request("commanded", 1.0)
    assert store.boot(2.0, hardware_cause=ResetCause.POWER_ON).cause == ResetCause.COMMANDED


def test_history_is_bounded_and_info_reads_without_booting(tmp_path: Path) -> None:
    store = BootStore(tmp_path)
    assert store.info() is None
    for k in range(HISTORY_LENGTH + 5):
        store.boot(float(k))
    info = store.info()
    assert info is not None and info.boot_count == HISTORY_LENGTH + 5
    assert len(info.history) == HISTORY_LENGTH
    assert info.history[-1].boot == HISTORY_LENGTH + 5 and info.booted_at == HISTORY_LENGTH + 4


def test_state_file_is_written_atomically(tmp_path: Path) -> None:
    store = BootStore(tmp_path)
    store.boot(0.0)
    store.request(ResetCause.COMMANDED, 1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boot.json"]  # no temp files left
    document = json.loads((tmp_path / "boot.json").read_text())
    assert document["pending_cause"] == "commanded" and document["boot_count"] == 1


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"\xff\xfe", b'{"version": 1}',
                                     b'{"version": 99, "boot_count": 1}',
                                     b'{"version": 1, "boot_count": "x", "pending_cause": null,'
                                     b' "history": []}',
                                     b'{"version": 1, "boot_count": 1, "pending_cause": "bad",'
                                     b' "history": []}',
                                     b'{"version": 1, "boot_count": 1, "pending_cause": null,'
                                     b' "history": [{"boot": 1}]}',
                                     b'{"version": 1, "boot_count": Infinity,'
                                     b' "pending_cause": null, "history": []}',
                                     b'{"version": 1, "boot_count": -3, "pending_cause": null,'
                                     b' "history": []}',
                                     b'{"version": 1, "boot_count": 1, "pending_cause": null,'
                                     b' "history": [{"boot": -Infinity, "cause": "unknown",'
                                     b' "at": 0}]}',
                                     b"[" * 100_000 + b"]" * 100_000])
def test_corrupt_state_raises_typed_errors_and_boot_recovers(tmp_path: Path,
                                                             content: bytes) -> None:
    (tmp_path / "boot.json").write_bytes(content)
    store = BootStore(tmp_path)
    with pytest.raises(BoardStateError):
        store.info()
    info = store.boot(7.0)
    assert info.cause == ResetCause.UNKNOWN and store.corrupt_recoveries == 1
    assert BootStore(tmp_path).info() == info


def test_unknown_cause_request_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(BoardArgumentError):
        BootStore(tmp_path).request("meteor", 0.0)


def test_supervisor_records_one_watchdog_reset_per_boot(tmp_path: Path) -> None:
    store = BootStore(tmp_path)
    store.boot(0.0)
    supervisor = WatchdogSupervisor(Watchdog(2.0), store)
    supervisor.rearm(0.0)
    assert not supervisor.check(1.9) and store.pending() is None
    assert supervisor.check(2.0) and supervisor.check(3.0)
    assert supervisor.expiries == 1 and store.pending() == ResetCause.WATCHDOG
    assert BootStore(tmp_path).boot(4.0).cause == ResetCause.WATCHDOG
