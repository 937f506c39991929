"""The console on a GroundStation connected to the real flight software over a pty: link
status, live telemetry, a confirmed critical command and its event, a file upload with its
progress bar."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import ProgressBar

from ground_sw.console.app import ConsoleApp
from ground_sw.console.confirm import ConfirmScreen
from ground_sw.console.transfers_panel import TransferRow
from ground_sw.records import CommandRecord, EventRecord, Outcome, ParameterSample, Record
from ground_sw.station import GroundStation
from tests.ground_sw.board_session import board_station
from tests.ground_sw.console.helpers import pilot_test

SIZE = (140, 40)
Predicate = Callable[[Record], bool]


class Awaiter:
    """A listener added after the console's: when it sees a record, the console has it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waits: list[tuple[Predicate, threading.Event]] = []

    def on_record(self, record: Record) -> None:
        with self._lock:
            for predicate, seen in self._waits:
                if predicate(record):
                    seen.set()

    def expect(self, predicate: Predicate) -> threading.Event:
        seen = threading.Event()
        with self._lock:
            self._waits.append((predicate, seen))
        return seen


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory,
            exported_path: Path) -> Iterator[GroundStation]:
    with board_station(tmp_path_factory.mktemp("console-board"), exported_path) as ground:
        yield ground


@asynccontextmanager
async def live_console(station: GroundStation
                       ) -> AsyncIterator[tuple[ConsoleApp, Pilot[None], Awaiter]]:
    """The console on ``station``, and an awaiter listening while the block runs."""
    app = ConsoleApp(station.dictionary, station)
    awaiter = Awaiter()
    async with app.run_test(size=SIZE) as pilot:
        station.add_listener(awaiter)
        try:
            yield app, pilot, awaiter
        finally:
            station.remove_listener(awaiter)


async def seen(event: threading.Event, app: ConsoleApp, pilot: Pilot[None]) -> None:
    assert await asyncio.to_thread(event.wait, 20.0), "record not received in time"
    app.refresh_data()
    await pilot.pause()


@pilot_test
async def test_live_telemetry_and_link_status(station: GroundStation) -> None:
    async with live_console(station) as (app, pilot, awaiter):
        await seen(awaiter.expect(lambda r: isinstance(r, ParameterSample)
                                  and r.name == "CPU_TEMP"), app, pilot)
        assert str(app.table.cell("CPU_TEMP", "limit")) == "NOMINAL"
        assert str(app.table.cell("CPU_TEMP", "unit")) == "degC"
        assert str(app.table.cell("CPU_TEMP", "value")) != "-"
        text = app.link_panel.text
        assert f"port {station.link.url}: connected" in text
        assert "sync lock" in text and "FOP-1 ACTIVE" in text


def mode_changed(mode: str) -> Predicate:
    return lambda r: isinstance(r, EventRecord) and r.name == "MODE_CHANGED" \
        and r.values.get("current") == mode


def completed(name: str) -> Predicate:
    return lambda r: isinstance(r, CommandRecord) and r.name == name \
        and r.outcome is Outcome.COMPLETED


@pilot_test
async def test_confirmed_critical_command_and_its_event(station: GroundStation) -> None:
    async with live_console(station) as (app, pilot, awaiter):
        for mode in ("SAFE", "NOMINAL"):
            changed = awaiter.expect(mode_changed(mode))
            done = awaiter.expect(completed("BOARD_SET_MODE"))
            app.command_input.value = f"BOARD_SET_MODE mode={mode}"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await seen(done, app, pilot)
            await seen(changed, app, pilot)
            texts = app.events_log.texts
            steps = [t.split("] ", 1)[1] for t in texts if " BOARD_SET_MODE [100/" in t]
            assert steps[-4:] == ["sent", "accepted (1,1)", "started (1,3)",
                                  "completed (1,7)"]
            assert any("MODE_CHANGED" in t and f"current={mode}" in t for t in texts)


async def run_transfer(app: ConsoleApp, pilot: Pilot[None], line: str) -> TransferRow:
    """Type a transfer directive and wait for its worker; the row of the transfer."""
    before = set(app.transfers_panel.rows)
    app.command_input.value = line
    await pilot.press("enter")
    await pilot.pause()
    (key,) = set(app.transfers_panel.rows) - before
    await app.workers.wait_for_complete()
    app.refresh_data()
    await pilot.pause()
    return app.transfers_panel.rows[key]


@pilot_test
async def test_upload_and_download_show_progress_bars(station: GroundStation,
                                                      tmp_path: Path) -> None:
    local = tmp_path / "image.bin"
    local.write_bytes(os.urandom(5000))
    restored = tmp_path / "restored.bin"
    app = ConsoleApp(station.dictionary, station)
    async with app.run_test(size=SIZE) as pilot:
        row = await run_transfer(app, pilot, f":upload {local} console-image 2")
        assert row.outcome == f"upload {local} done: 5000 octets"
        assert app.events_log.texts[-1] == row.outcome
        bar = row.query_one(ProgressBar)
        assert (bar.total, bar.progress) == (5000, 5000)
        row = await run_transfer(app, pilot, f":download console-image {restored} 1")
        assert row.outcome == "download console-image done: 5000 octets"
        assert restored.read_bytes() == local.read_bytes()
        row = await run_transfer(app, pilot, f":download no-such-object {tmp_path / 'x'}")
        assert row.outcome.startswith("download no-such-object: STORE_DOWNLINK: ")
        assert "failed with error" in row.outcome and app.events_log.texts[-1] == row.outcome
        app.command_input.value = ":download console-image"
        await pilot.press("enter")
        await pilot.pause()
        assert app.events_log.texts[-1] == \
            ":download console-image: usage :download SOURCE DESTINATION [1|2]"
