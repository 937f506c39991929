"""The operator console: ``ground-sw console --port URL`` (textual, full screen).

Live telemetry (units, limit colours), an events and command log, a command line with
completion and argument help from the dictionary, confirmation of critical commands, the
link status and file transfers with progress bars. The console takes records through the
Listener protocol (:attr:`ConsoleApp.listener`), from a :class:`GroundStation` or from a
replay, and redraws at most every ``refresh_s`` (10 Hz). Keys: Ctrl+Q quit, Escape back to
the command line, F1 help, F2 scroll the telemetry, Ctrl+L clear the log.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input

from ccsds.pus_types import Value
from ground_sw.console.arguments import CommandParser, ParsedCommand, split_words
from ground_sw.console.command_input import ArgumentHelp, CommandInput
from ground_sw.console.confirm import ConfirmScreen
from ground_sw.console.events_log import EventsLog
from ground_sw.console.feed import RecordFeed, TransferUpdate
from ground_sw.console.formatting import values_text
from ground_sw.console.link_panel import LinkPanel
from ground_sw.console.telemetry import TelemetryTable
from ground_sw.console.transfers_panel import TransfersPanel
from ground_sw.decom import DecomCounters
from ground_sw.dictionary import Dictionary, DictionaryMismatch
from ground_sw.errors import GroundError
from ground_sw.link import LinkStatus
from ground_sw.records import CommandRecord, EventRecord, Listener, ParameterSample
from ground_sw.station import BOOT_EVENT, HASH_FIELD, HASH_PARAMETER
from ground_sw.transfers import ProgressCallback

REFRESH_S = 0.1
"""Screen refresh period: 10 Hz."""
TRANSFER_TIMEOUT_S = 600.0
HELP = ("keys: Ctrl+Q quit, Escape command line, F2 scroll telemetry, Ctrl+L clear log, "
        "F1 help; "
        "directives: :upload LOCAL OBJECT [1|2], :download OBJECT LOCAL [1|2], :unlock, :quit")


class ConsoleStation(Protocol):
    """What the console uses of a :class:`ground_sw.station.GroundStation`."""

    def add_listener(self, listener: Listener) -> None: ...

    def remove_listener(self, listener: Listener) -> None: ...

    def send(self, command: str, /, arguments: Mapping[str, Value] | None = None, *,
             confirm: bool = False) -> Any: ...

    def link_status(self) -> LinkStatus: ...

    @property
    def decom_counters(self) -> DecomCounters: ...

    def unlock(self, *, confirm: bool = False) -> None: ...

    def upload(self, local_path: str | Path, object_name: str, *, class_: int = 2,
               timeout: float = 120.0, progress: ProgressCallback | None = None) -> Any: ...

    def download(self, object_name: str, local_path: str | Path, *, class_: int = 2,
                 timeout: float = 120.0, progress: ProgressCallback | None = None) -> Any: ...


class ConsoleApp(App[None]):
    """The console on one dictionary, with a station (live) or without one (replay)."""

    TITLE = "ground-sw console"
    CSS = """
    #top { height: 1fr; }
    #telemetry { width: 3fr; }
    #side { width: 2fr; }
    #link { height: auto; border: round $primary; padding: 0 1; }
    #transfers { height: 6; border: round $primary; }
    #log { height: 1fr; border: round $primary; }
    #help { height: auto; max-height: 6; color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "quit"), Binding("f1", "help", "help"),
                Binding("escape", "focus_command", "command line"),
                Binding("f2", "focus_telemetry", "scroll telemetry"),
                Binding("ctrl+l", "clear_log", "clear log")]

    def __init__(self, dictionary: Dictionary, station: ConsoleStation | None = None, *,
                 refresh_s: float = REFRESH_S) -> None:
        super().__init__()
        self.dictionary = dictionary
        self.station = station
        self.refresh_s = refresh_s
        self.parser = CommandParser(dictionary.database)
        self.feed = RecordFeed()
        self.mismatch: DictionaryMismatch | None = None
        self._transfer_ids = itertools.count(1)
        database = dictionary.database
        self.table = TelemetryTable(database, id="telemetry")
        self.link_panel = LinkPanel(id="link")
        self.transfers_panel = TransfersPanel(id="transfers")
        self.events_log = EventsLog(id="log")
        self.help_line = ArgumentHelp(self.parser, id="help")
        self.command_input = CommandInput(self.parser, id="command")
        if station is not None:
            station.add_listener(self.feed)

    @property
    def listener(self) -> Listener:
        """Give records to the console through this (from any thread)."""
        return self.feed

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="top"):
            yield self.table
            with Vertical(id="side"):
                yield self.link_panel
                yield self.transfers_panel
                yield self.events_log
        yield self.help_line
        yield self.command_input
        yield Footer()

    def on_mount(self) -> None:
        """Title from the dictionary; the refresh timer; focus on the command line."""
        database = self.dictionary.database
        self.sub_title = f"{database.name} {database.version} ({self.dictionary.hash[:12]})"
        self.link_panel.border_title = "link"
        self.transfers_panel.border_title = "transfers"
        self.events_log.border_title = "events and commands"
        self.set_interval(self.refresh_s, self.refresh_data)
        self.refresh_data()
        self.command_input.focus()

    def on_unmount(self) -> None:
        """Stop taking records."""
        if self.station is not None:
            self.station.remove_listener(self.feed)

    # -- refresh ---------------------------------------------------------------------------

    def refresh_data(self) -> int:
        """Move what the feed took onto the screen; returns the records handled."""
        records, transfers = self.feed.drain()
        table, log = self.table, self.events_log
        samples: list[ParameterSample] = []
        for record in records:
            if isinstance(record, ParameterSample):
                samples.append(record)
                if record.name == HASH_PARAMETER:
                    self._check_hash(record.raw, "housekeeping")
            elif isinstance(record, EventRecord):
                log.add_event(record)
                if record.name == BOOT_EVENT and HASH_FIELD in record.values:
                    self._check_hash(record.values[HASH_FIELD], "the BOOT event")
            elif isinstance(record, CommandRecord):
                log.add_command(record)
        table.show(samples)
        for update in transfers:
            self.transfers_panel.apply(update)
            if update.finished:
                (log.add if update.succeeded else log.error)(update.result)
        self._show_link(table.unknown_names)
        return len(records)

    def _check_hash(self, reported: Value, where: str) -> None:
        """The board's dictionary hash against ours (docs/icd.md section 9)."""
        if not isinstance(reported, bytes | str):
            return
        if self.dictionary.matches(reported):
            self.mismatch = None
            return
        hex_hash = reported.hex() if isinstance(reported, bytes) else reported.lower()
        mismatch = DictionaryMismatch(self.dictionary.hash, hex_hash, where)
        if self.mismatch is None:
            self.events_log.error(str(mismatch))
        self.mismatch = mismatch

    def _show_link(self, unknown: int) -> None:
        station = self.station
        status = None if station is None else station.link_status()
        counters = None if station is None else station.decom_counters
        self.link_panel.show(status, counters, self.mismatch, unknown)

    # -- command line ----------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        """Argument help for what is being typed."""
        self.help_line.explain(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A telecommand, or a directive starting with a colon."""
        line = event.value.strip()
        event.input.value = ""
        if not line:
            return
        if line.startswith(":"):
            self.directive(line)
            return
        log = self.events_log
        try:
            parsed = self.parser.parse(line)
        except GroundError as exc:
            log.error(str(exc))
            return
        if parsed.command.critical:
            question = f"{parsed.name} {values_text(parsed.arguments)}".strip()
            self.push_screen(ConfirmScreen(f"{question}\n\n{self.parser.help(parsed.command)}"),
                             lambda answer: self._confirmed(parsed, answer))
            return
        self.send(parsed, confirm=False)

    def _confirmed(self, parsed: ParsedCommand, answer: bool | None) -> None:
        if answer:
            self.send(parsed, confirm=True)
        else:
            self.events_log.add(f"{parsed.name} not sent (not confirmed)", "yellow")

    def send(self, parsed: ParsedCommand, *, confirm: bool) -> None:
        """Hand a command to the station (its steps come back as records)."""
        log = self.events_log
        if self.station is None:
            log.error(f"{parsed.name} not sent: no link (replay)")
            return
        try:
            self.station.send(parsed.name, parsed.arguments, confirm=confirm)
        except GroundError as exc:
            log.error(str(exc))

    def directive(self, line: str) -> None:
        """``:help``, ``:quit``, ``:unlock``, ``:upload``, ``:download``."""
        log = self.events_log
        try:
            verb, *words = split_words(line)
        except GroundError as exc:
            log.error(str(exc))
            return
        if verb == ":quit":
            self.exit()
        elif verb == ":help":
            log.add(HELP)
        elif verb not in (":unlock", ":upload", ":download"):
            log.error(f"{verb}: not a directive ({HELP})")
        elif self.station is None:
            log.error(f"{verb}: no link (replay)")
        elif verb == ":unlock":
            self.push_screen(ConfirmScreen("Unlock: recover FOP-1/FARM-1 from the lockout "
                                           "(BC Unlock, CCSDS 232.1-B-2)?"),
                             self._unlock)
        elif len(words) == 2 or (len(words) == 3 and words[2] in ("1", "2")):
            self.transfer(verb[1:], words[0], words[1], int(words[2]) if len(words) == 3 else 2)
        else:
            log.error(f"{line}: usage {verb} SOURCE DESTINATION [1|2]")

    def _unlock(self, answer: bool | None) -> None:
        if answer and self.station is not None:
            self.station.unlock(confirm=True)
            self.events_log.add("unlock sent")

    def transfer(self, direction: str, source: str, destination: str, class_: int) -> str:
        """Start an upload (local -> object) or download (object -> local) in a thread."""
        station = self.station
        assert station is not None
        key = f"{direction}-{next(self._transfer_ids)}"
        self.transfers_panel.start(
            key, f"{direction} {source} -> {destination}")
        feed = self.feed

        def progress(octets: int, size: int | None) -> None:
            feed.transfer(TransferUpdate(key, octets, size))

        def run() -> None:
            try:
                move = station.upload if direction == "upload" else station.download
                done = move(source, destination, class_=class_, timeout=TRANSFER_TIMEOUT_S,
                            progress=progress)
                feed.transfer(TransferUpdate(
                    key, done.octets, done.file_size, True,
                    f"{direction} {source} done: {done.octets} octets", True))
            except (GroundError, OSError) as exc:
                feed.transfer(TransferUpdate(key, 0, None, True, f"{direction} {source}: {exc}"))

        self.run_worker(run, thread=True, name=key, exit_on_error=False)
        return key

    # -- actions ---------------------------------------------------------------------------

    def action_help(self) -> None:
        """Show the keys and directives in the log."""
        self.events_log.add(HELP)

    def action_focus_command(self) -> None:
        """Back to the command line."""
        self.command_input.focus()

    def action_focus_telemetry(self) -> None:
        """Focus the telemetry table (arrows and page keys scroll it)."""
        self.table.focus()

    def action_clear_log(self) -> None:
        """Empty the log."""
        log = self.events_log
        log.clear()
        log.texts.clear()
