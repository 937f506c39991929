"""The console fed with records through the Listener protocol (no link): telemetry with limit
colours, the events log, completion and argument help, critical command confirmation, bad
input, the dictionary check, replay of an archive, and a snapshot of the main screen."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.pilot import Pilot

from ground_sw.archive import Archive
from ground_sw.archive_reader import ArchiveReader
from ground_sw.console.app import ConsoleApp
from ground_sw.console.command_input import ArgumentHelp, CommandInput
from ground_sw.console.confirm import ConfirmScreen
from ground_sw.console.events_log import EventsLog
from ground_sw.console.formatting import LIMIT_STYLES
from ground_sw.console.link_panel import LinkPanel
from ground_sw.console.telemetry import TelemetryTable
from ground_sw.dictionary import Dictionary
from ground_sw.records import CommandRecord, EventRecord, Outcome, ParameterSample, Record
from ground_sw.replay import Replay
from tests.ground_sw.console.helpers import pilot_test, snapshot_dictionary

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
SIZE = (140, 40)


def pass_records(dictionary: Dictionary) -> list[Record]:
    """A deterministic pass: nominal, warning and alarm values, a boot, a command."""
    return [
        ParameterSample(T0, "CPU_TEMP", 45, 45.0, "NOMINAL"),
        ParameterSample(T0, "BOARD_TEMP", 65, 65.0, "WARNING_HIGH"),
        ParameterSample(T0, "POWER", 23, 23.0, "ALARM_HIGH"),
        ParameterSample(T0, "MODE", 1, "NOMINAL"),
        ParameterSample(T0, "UPTIME", 1234, 1234),
        EventRecord(T0 + 0.5, "BOOT", "INFO", {"boot_count": 2, "reset_cause": "WATCHDOG"}),
        EventRecord(T0 + 0.7, "OVER_TEMPERATURE", "MEDIUM", {"temperature": 91}),
        CommandRecord(T0 + 1, (100, 4), "TEST_ARE_YOU_ALIVE", {}, Outcome.SENT),
        CommandRecord(T0 + 1.2, (100, 4), "TEST_ARE_YOU_ALIVE", {}, Outcome.COMPLETED, 7),
    ]


def feed(app: ConsoleApp, records: list[Record]) -> None:
    for record in records:
        app.listener.on_record(record)
    app.refresh_data()


def style_of(cell: object) -> str:
    assert isinstance(cell, Text)
    return str(cell.style)


@pilot_test
async def test_telemetry_with_units_and_limit_colours(exported: Dictionary) -> None:
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE):
        feed(app, pass_records(exported))
        table = app.query_one(TelemetryTable)
        assert table.row_count == len(exported.database.parameters)
        for name, value, limit in (("CPU_TEMP", "45", "NOMINAL"),
                                   ("BOARD_TEMP", "65", "WARNING_HIGH"),
                                   ("POWER", "23", "ALARM_HIGH")):
            assert str(table.cell(name, "value")) == value
            assert style_of(table.cell(name, "value")) == LIMIT_STYLES[limit]
            assert str(table.cell(name, "limit")) == limit
        assert str(table.cell("CPU_TEMP", "unit")) == "degC"
        assert str(table.cell("POWER", "unit")) == "W"
        assert str(table.cell("CPU_TEMP", "time")) == "08:00:00.000"
        assert str(table.cell("MODE", "value")) == "NOMINAL"
        assert str(table.cell("CPU_LOAD", "value")) == "-"  # nothing received yet
        feed(app, [ParameterSample(T0 + 1, "CPU_TEMP", 90, 90.0, "ALARM_HIGH"),
                   ParameterSample(T0 + 1, "NOT_IN_DICTIONARY", 1, 1)])
        assert style_of(table.cell("CPU_TEMP", "value")) == LIMIT_STYLES["ALARM_HIGH"]
        assert table.unknown_names == 1
        assert "1 samples of parameters unknown" in app.query_one(LinkPanel).text


@pilot_test
async def test_f2_scrolls_the_telemetry(exported: Dictionary) -> None:
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE) as pilot:
        assert app.table.row_count > app.table.size.height  # more rows than fit
        await pilot.press("f2", "pagedown")
        await pilot.pause()
        assert app.table.has_focus and app.table.scroll_offset.y > 0
        await pilot.press("escape")
        assert app.command_input.has_focus


@pilot_test
async def test_events_and_command_steps_are_logged(exported: Dictionary) -> None:
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE):
        feed(app, pass_records(exported))
        texts = app.query_one(EventsLog).texts
        assert texts[0].startswith("08:00:00.500 INFO   BOOT boot_count=2 reset_cause=WATCHDOG")
        assert texts[1] == "08:00:00.700 MEDIUM OVER_TEMPERATURE temperature=91"
        assert texts[2:] == ["08:00:01.000 TEST_ARE_YOU_ALIVE [100/4] sent",
                             "08:00:01.200 TEST_ARE_YOU_ALIVE [100/4] completed (1,7)"]
        assert app.mismatch is None


@pilot_test
async def test_completion_and_argument_help(exported: Dictionary) -> None:
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE) as pilot:
        command = app.query_one(CommandInput)
        assert command.has_focus
        for keys, expected in (("BOARD_S", "BOARD_SET_MODE"), (" m", "BOARD_SET_MODE mode="),
                               ("N", "BOARD_SET_MODE mode=NOMINAL")):
            await pilot.press(*keys)
            await pilot.pause()
            await pilot.press("tab")
            assert command.value == expected
        help_text = app.query_one(ArgumentHelp).text
        assert help_text.startswith("BOARD_SET_MODE (130,1) CRITICAL")
        assert "mode: enum8 SAFE|NOMINAL" in help_text
        command.value = "HK_MODIFY"
        await pilot.pause()
        assert "commands: HK_MODIFY_INTERVAL" in app.query_one(ArgumentHelp).text
        await pilot.press("tab")
        assert command.value == "HK_MODIFY_INTERVAL"
        assert "interval_ms: uint32 [ms] 100..3600000" in app.query_one(ArgumentHelp).text


async def press_line(pilot: Pilot[None], app: ConsoleApp, line: str) -> None:
    app.query_one(CommandInput).value = line
    await pilot.press("enter")
    await pilot.pause()


@pilot_test
async def test_critical_command_needs_confirmation(exported: Dictionary) -> None:
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE) as pilot:
        await press_line(pilot, app, "BOARD_RESET delay_s=5")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question.startswith("BOARD_RESET delay_s=5")
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        log = app.query_one(EventsLog)
        assert log.texts[-1] == "BOARD_RESET not sent (not confirmed)"
        await press_line(pilot, app, "BOARD_RESET delay_s=5")
        await pilot.press("y")
        await pilot.pause()
        assert log.texts[-1] == "BOARD_RESET not sent: no link (replay)"
        await press_line(pilot, app, "TEST_ARE_YOU_ALIVE")  # not critical: no question
        assert not isinstance(app.screen, ConfirmScreen)
        assert log.texts[-1] == "TEST_ARE_YOU_ALIVE not sent: no link (replay)"


BAD_INPUT = [
    ("BOARD_RESTE", "did you mean BOARD_RESET"),
    ("BOARD_RESET delay_s=601", "601 above maximum 600"),
    ("BOARD_RESET delay_s=soon", "delay_s='soon' is not a uint16 value"),
    ("BOARD_SET_MODE mode=OFF", "OFF"),
    ("STORE_INFO object_name=\"unterminated", "No closing quotation"),
    (":frobnicate", "not a directive"),
    (":upload only-one-word", "no link"),
]


@pilot_test
async def test_bad_input_is_a_message_not_a_crash(exported: Dictionary) -> None:
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE) as pilot:
        for line, message in BAD_INPUT:
            await press_line(pilot, app, line)
            assert not isinstance(app.screen, ConfirmScreen)
            assert message in app.query_one(EventsLog).texts[-1], line
            assert app.query_one(CommandInput).value == ""
        assert app.is_running


@pilot_test
async def test_dictionary_mismatch_is_shown(exported: Dictionary) -> None:
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE):
        feed(app, [EventRecord(T0, "BOOT", "INFO", {"dictionary_hash": bytes(32)})])
        assert app.mismatch is not None and app.mismatch.reported == "00" * 32
        assert "DICTIONARY MISMATCH" in app.query_one(LinkPanel).text
        assert app.query_one(EventsLog).texts[-1].startswith("dictionary mismatch")
        feed(app, [EventRecord(T0 + 9, "BOOT", "INFO", {"dictionary_hash": exported.digest})])
        assert app.mismatch is None
        assert "MISMATCH" not in app.query_one(LinkPanel).text


@pilot_test
async def test_replay_of_an_archive_into_the_console(exported: Dictionary,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "pass.db"
    with Archive(path) as archive:
        for record in pass_records(exported):
            archive.on_record(record)
    app = ConsoleApp(exported)
    async with app.run_test(size=SIZE):
        with ArchiveReader(path) as reader:
            delivered = Replay([app.listener], speed=None).play(reader.records())
        assert delivered == len(pass_records(exported))
        assert app.refresh_data() == delivered
        table = app.query_one(TelemetryTable)
        assert str(table.cell("POWER", "limit")) == "ALARM_HIGH"
        assert len(app.query_one(EventsLog).texts) == 4


def test_main_screen_snapshot(snap_compare: object) -> None:
    dictionary = snapshot_dictionary()
    app = ConsoleApp(dictionary)

    async def populate(pilot: Pilot[None]) -> None:
        feed(app, pass_records(dictionary))
        app.query_one(CommandInput).value = "BOARD_SET_MODE mode="
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=populate)  # type: ignore[operator]
