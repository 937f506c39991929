"""The ``ground-sw`` command line: commands, telemetry, events, files, archive, console, bridge.

Every subcommand that talks to a board takes ``--port URL`` (any pyserial URL), and
``--dictionary FILE`` (the ``flight-sw dictionary`` JSON export; default: the installed
flight software's export), ``--mission FILE`` (link configuration TOML over the ICD
baseline) and ``--archive FILE`` (also record everything to this SQLite archive).
Exit status: 0 done, 1 the board refused or a wait timed out, 2 bad input (unknown
command, bad argument, unreadable file), 3 link problem (port cannot open, link not ready),
130 interrupted. Errors are one ``ground-sw: error: ...`` line, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeAlias

from ccsds.config import ConfigError, LinkConfig
from ground_sw import archive_cli
from ground_sw.archive_reader import ArchiveError, ArchiveReader
from ground_sw.console.arguments import CommandParser, field_help, parameter_help
from ground_sw.console.formatting import command_line, event_line, record_line, sample_line
from ground_sw.dictionary import Dictionary, resolve_dictionary
from ground_sw.errors import (
    GroundError,
    GroundTimeoutError,
    LinkError,
    TransferFailed,
    UnknownTelemetryError,
    VerificationFailed,
)
from ground_sw.records import (
    CommandRecord,
    EventRecord,
    FrameRecord,
    PacketRecord,
    ParameterSample,
    Record,
)
from ground_sw.station import GroundStation
from ground_sw.transfers import Transfer

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LINK = 3
EXIT_INTERRUPTED = 130
FAILURES = (VerificationFailed, GroundTimeoutError, TransferFailed)
"""Errors that mean the board or the link did not do what was asked (exit 1)."""
Handler = Callable[[argparse.Namespace], int]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


# -- shared options -------------------------------------------------------------------------

def _dictionary_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dictionary", type=Path, metavar="FILE",
                        help="mission dictionary JSON (flight-sw dictionary --format json); "
                             "default: export of the installed flight software")


def _link_options(parser: argparse.ArgumentParser, *, wait: bool = True) -> None:
    parser.add_argument("--port", required=True, metavar="URL",
                        help="link port: a device, a pty path, socket://HOST:PORT, rfc2217://")
    _dictionary_option(parser)
    parser.add_argument("--mission", type=Path, metavar="FILE",
                        help="mission link configuration TOML (default: the ICD baseline)")
    parser.add_argument("--archive", type=Path, metavar="FILE",
                        help="also record every record to this SQLite archive")
    parser.add_argument("--baudrate", type=int, default=115200, help="UART rate (115200)")
    if wait:
        parser.add_argument("--link-timeout", type=float, default=20.0, metavar="S",
                            help="wait this long for the link (FOP-1 from a CLCW), 20 s")


def _subcommand(commands: Commands, name: str, handler: Handler, summary: str,
                description: str | None = None) -> argparse.ArgumentParser:
    """Declare subcommand ``name`` run by ``handler``."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.set_defaults(handler=handler)
    return parser


def _follow_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--follow", action="store_true", help="print as they arrive")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N (with --follow)")
    parser.add_argument("--duration", type=float, metavar="S",
                        help="stop after S seconds (default: --follow runs until Ctrl-C)")


def _dictionary(path: Path | None) -> Dictionary:
    return resolve_dictionary(path)


@contextmanager
def _station(args: argparse.Namespace, *listeners: Any,
             dictionary: Dictionary | None = None) -> Iterator[GroundStation]:
    """A station on ``--port`` with ``listeners`` (and ``--archive``) attached before the
    port opens, so nothing received is missed; the mismatch warning on the way out."""
    from ground_sw.archive import Archive  # noqa: PLC0415 (only when recording)

    config = LinkConfig.load(args.mission)
    station = GroundStation(args.port, dictionary or _dictionary(args.dictionary), config,
                            baudrate=args.baudrate)
    with ExitStack() as stack:
        stack.callback(station.close)
        if args.archive is not None:
            archive = stack.enter_context(Archive(args.archive))
            station.add_listener(archive)
        for listener in listeners:
            station.add_listener(listener)
        station.open()
        _note(f"connected to {args.port}")
        try:
            yield station
        finally:
            if station.dictionary_mismatch is not None:
                _note(f"warning: {station.dictionary_mismatch}")


def _wait_link(station: GroundStation, timeout: float) -> None:
    station.wait_link(timeout)
    _note("link ready")


def _note(message: str) -> None:
    print(f"ground-sw: {message}", file=sys.stderr, flush=True)


def _out(line: str) -> None:
    print(line, flush=True)


class _Sink:
    """A listener queueing the records ``accept`` wants, for the main thread to print."""

    def __init__(self, accept: Callable[[Record], bool]) -> None:
        self.accept = accept
        self.queue: queue.Queue[Record] = queue.Queue()

    def on_record(self, record: Record) -> None:
        if self.accept(record):
            self.queue.put(record)

    def follow(self, show: Callable[[Record], None], count: int | None,
               duration: float | None) -> int:
        """Show records until ``count`` were shown or ``duration`` ran out."""
        deadline = None if duration is None else time.monotonic() + duration
        shown = 0
        while count is None or shown < count:
            remaining = 0.5 if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                record = self.queue.get(timeout=remaining)
            except queue.Empty:
                continue
            show(record)
            shown += 1
        return shown


# -- cmd ------------------------------------------------------------------------------------

def _add_cmd(commands: Commands) -> None:
    parser = _subcommand(
        commands, "cmd", _cmd, "send a telecommand and wait for its verification",
        "Send NAME with ARG=VALUE arguments (checked against the dictionary before anything "
        "is sent) and print its PUS service 1 verification.")
    parser.add_argument("name", metavar="NAME", help="command name (see ground-sw dictionary)")
    parser.add_argument("arguments", nargs="*", metavar="ARG=VALUE")
    parser.add_argument("--confirm", action="store_true",
                        help="confirm a critical command (required for those)")
    parser.add_argument("--expedited", action="store_true",
                        help="BD service: bypass FOP-1 sequence control")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="wait this long for the completion report (10 s)")
    _link_options(parser)


def _cmd(args: argparse.Namespace) -> int:
    dictionary = _dictionary(args.dictionary)
    parsed = CommandParser(dictionary.database).parse_words(args.name, args.arguments)
    if parsed.command.critical and not args.confirm:
        raise _Usage(f"{parsed.name} is critical: repeat with --confirm to send it")
    steps = _Sink(lambda r: isinstance(r, CommandRecord))
    with _station(args, steps, dictionary=dictionary) as station:
        _wait_link(station, args.link_timeout)
        handle = station.send(parsed.name, parsed.arguments, confirm=args.confirm,
                              expedited=args.expedited)
        try:
            handle.wait_completed(args.timeout)
        finally:
            while not steps.queue.empty():
                record = steps.queue.get()
                if isinstance(record, CommandRecord) and record.request == handle.request:
                    _out(command_line(record))
    return 0


# -- tlm and events -------------------------------------------------------------------------

def _add_tlm(commands: Commands) -> None:
    parser = _subcommand(
        commands, "tlm", _tlm, "print telemetry parameters",
        "Print the latest value of each PARAM (waiting for it), or every parameter received "
        "within --duration; --follow prints samples as they arrive. Values are engineering "
        "values with units and limit states.")
    parser.add_argument("parameters", nargs="*", metavar="PARAM")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="wait this long for each PARAM (10 s)")
    _follow_options(parser)
    _link_options(parser, wait=False)


def _tlm(args: argparse.Namespace) -> int:
    dictionary = _dictionary(args.dictionary)
    database = dictionary.database
    names = [_parameter(dictionary, name) for name in args.parameters]
    units = {p.name: p.unit for p in database.parameters}

    def show(record: Record) -> None:
        assert isinstance(record, ParameterSample)
        _out(sample_line(record, units.get(record.name, "")))

    wanted = set(names)
    sink = _Sink(lambda r: isinstance(r, ParameterSample) and (not wanted or r.name in wanted))
    with _station(args, sink, dictionary=dictionary) as station:
        if args.follow:
            sink.follow(show, args.count, args.duration)
            return 0
        if not names:
            sink.follow(lambda _: None, None, 3.0 if args.duration is None else args.duration)
            names = [p.name for p in database.parameters if station.latest(p.name) is not None]
        for name in names:
            show(station.wait_telemetry(name, timeout=args.timeout))
    return 0


def _parameter(dictionary: Dictionary, name: str) -> str:
    from ccsds.mission_db import DictionaryError  # noqa: PLC0415

    try:
        return dictionary.database.parameter(name).name
    except DictionaryError:
        raise UnknownTelemetryError(f"no parameter {name!r} in the dictionary") from None


def _add_events(commands: Commands) -> None:
    parser = _subcommand(
        commands, "events", _events, "print on-board events (service 5)",
        "Print the events received within --duration (5 s; --count N: or once N arrived), "
        "or with --follow as they arrive. --name keeps only the events named.")
    parser.add_argument("--name", action="append", metavar="EVENT",
                        help="only this event (repeatable)")
    _follow_options(parser)
    _link_options(parser, wait=False)


def _events(args: argparse.Namespace) -> int:
    dictionary = _dictionary(args.dictionary)
    known = {e.name for e in dictionary.database.events}
    unknown = [n for n in args.name or () if n not in known]
    if unknown:
        raise UnknownTelemetryError(f"no event {unknown[0]!r} in the dictionary")
    names = set(args.name or ())
    sink = _Sink(lambda r: isinstance(r, EventRecord) and (not names or r.name in names))

    def show(record: Record) -> None:
        assert isinstance(record, EventRecord)
        _out(event_line(record))

    with _station(args, sink, dictionary=dictionary):
        duration = args.duration if args.follow or args.duration is not None else 5.0
        if args.follow:
            sink.follow(show, args.count, duration)
        else:
            received: list[Record] = []
            sink.follow(received.append, args.count, duration)
            for record in received:
                show(record)
    return 0


# -- files ----------------------------------------------------------------------------------

def _add_files(commands: Commands) -> None:
    upload = _subcommand(commands, "upload", _upload, "send a file to the payload by CFDP")
    upload.add_argument("local", type=Path, metavar="LOCAL")
    upload.add_argument("object_name", metavar="OBJECT", help="name in the payload store")
    download = _subcommand(commands, "download", _download,
                           "fetch a stored object by CFDP (STORE_DOWNLINK)")
    download.add_argument("object_name", metavar="OBJECT")
    download.add_argument("local", type=Path, metavar="LOCAL")
    for parser in (upload, download):
        parser.add_argument("--class", dest="class_", type=int, choices=(1, 2), default=2,
                            help="CFDP class: 1 unacknowledged, 2 acknowledged (default)")
        parser.add_argument("--timeout", type=float, default=300.0, metavar="S")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        _link_options(parser)


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on standard error, fed by the link thread (rich is thread-safe)."""
    if not enabled:
        yield None
        return
    from rich.console import Console  # noqa: PLC0415 (only for transfers)
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(),
                  console=Console(file=sys.stderr)) as bar:
        task = bar.add_task(label, total=None)

        def update(octets: int, size: int | None) -> None:
            bar.update(task, completed=octets, total=size)

        yield update


def _transfer(args: argparse.Namespace, verb: str, source: str | Path, destination: str | Path,
              run: Callable[..., Transfer]) -> int:
    """Run one CFDP transfer (``run`` is the station's upload or download) and report it."""
    with _station(args) as station:
        _wait_link(station, args.link_timeout)
        name = source.name if isinstance(source, Path) else source
        with _progress(f"{verb} {name}", not args.no_progress) as progress:
            transfer = run(station, source, destination, class_=args.class_,
                           timeout=args.timeout, progress=progress)
    _out(f"{verb}ed {source} to {destination}: {transfer.octets} octets, class {args.class_}")
    return 0


def _upload(args: argparse.Namespace) -> int:
    if not args.local.is_file():
        raise _Usage(f"no file {args.local}")
    return _transfer(args, "upload", args.local, args.object_name, GroundStation.upload)


def _download(args: argparse.Namespace) -> int:
    return _transfer(args, "download", args.object_name, args.local, GroundStation.download)


# -- archive, replay, dictionary ------------------------------------------------------------

def _add_archive(commands: Commands) -> None:
    archive_cli.add_commands(commands)  # top-level ``plot`` and ``export``
    group = commands.add_parser("archive", help="archive queries: export, plot")
    archive_cli.add_commands(group.add_subparsers(dest="archive_command", metavar="COMMAND",
                                                  required=True))


def _add_replay(commands: Commands) -> None:
    parser = _subcommand(
        commands, "replay", _replay, "play an archive back (as text or into the console)",
        "Print the records of an archive at their recorded pace divided by --speed (--fast: "
        "at once), or play them into the console.")
    parser.add_argument("--archive", type=Path, required=True, metavar="FILE")
    parser.add_argument("--speed", type=float, default=1.0, help="pace factor (1.0)")
    parser.add_argument("--fast", action="store_true", help="as fast as possible")
    parser.add_argument("--start", type=archive_cli.parse_time, help="from this time")
    parser.add_argument("--end", type=archive_cli.parse_time, help="up to this time")
    parser.add_argument("--all", action="store_true", help="also frames and packets")
    parser.add_argument("--console", action="store_true", help="play into the console")
    _dictionary_option(parser)


def _replay(args: argparse.Namespace) -> int:
    from ground_sw.replay import Replay  # noqa: PLC0415

    if not args.archive.is_file():
        raise _Usage(f"no archive {args.archive}")
    speed = None if args.fast else args.speed
    if args.console:
        return _console_replay(args, speed)
    units = {p.name: p.unit for p in _dictionary(args.dictionary).database.parameters} \
        if args.dictionary is not None else {}

    class Printer:
        def on_record(self, record: Record) -> None:
            if args.all or not isinstance(record, FrameRecord | PacketRecord):
                name = record.name if isinstance(record, ParameterSample) else ""
                _out(record_line(record, units.get(name, "")))

    with ArchiveReader(args.archive) as reader:
        delivered = Replay([Printer()], speed=speed).play(reader.records(args.start, args.end))
    _note(f"{delivered} records replayed")
    return 0


def _add_dictionary(commands: Commands) -> None:
    parser = _subcommand(
        commands, "dictionary", _show_dictionary,
        "show the mission dictionary (commands, parameters, events)",
        "Print the dictionary's name, version and SHA-256 and its commands, parameters and "
        "events; NAME prints the help of one of them.")
    parser.add_argument("name", nargs="?", metavar="NAME")
    parser.add_argument("--export", type=Path, metavar="FILE", help="write the JSON to FILE")
    _dictionary_option(parser)


def _show_dictionary(args: argparse.Namespace) -> int:
    from ccsds.mission_db import DictionaryError, dumps  # noqa: PLC0415

    dictionary = _dictionary(args.dictionary)
    database = dictionary.database
    if args.export is not None:
        args.export.write_text(dumps(database), encoding="utf-8")
    parser = CommandParser(database)
    if args.name is None:
        _out(f"{database.name} {database.version} sha256 {dictionary.hash} "
             f"({dictionary.source})")
        _out("commands:")
        for command in database.commands:
            critical = "  [critical]" if command.critical else ""
            _out(f"  {parser.usage(command)}{critical}")
        _out("parameters:")
        for parameter in database.parameters:
            _out(f"  {parameter_help(parameter)}")
        _out("events:")
        for event in database.events:
            _out(f"  {event.name} ({event.severity.name}) "
                 + " ".join(p.name for p in event.parameters))
        return 0
    def event_help(name: str) -> str:
        event = database.event(name)
        return "\n".join([f"{event.name} ({event.severity.name}, (5,{event.subtype}))",
                          *(f"  {field_help(item)}" for item in event.parameters)])

    for describe in (lambda name: parser.help(database.command(name)),
                     lambda name: parameter_help(database.parameter(name)), event_help):
        try:
            _out(describe(args.name))
            return 0
        except DictionaryError:
            pass
    names = [*(c.name for c in database.commands), *(p.name for p in database.parameters),
             *(e.name for e in database.events)]
    close = difflib.get_close_matches(args.name, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise _Usage(f"no command, parameter or event {args.name!r}{hint}")


# -- console and bridge ---------------------------------------------------------------------

def _add_console(commands: Commands) -> None:
    _link_options(_subcommand(
        commands, "console", _console, "the full-screen operator console",
        "Live telemetry with limit colours, events, commands with completion and "
        "confirmation of critical ones, link status and file transfers. Keys: see "
        "docs/console.md (F1 or 'help' in the command line)."), wait=False)


def _console(args: argparse.Namespace) -> int:
    from ground_sw.console.app import ConsoleApp  # noqa: PLC0415 (textual only here)

    dictionary = _dictionary(args.dictionary)
    with _station(args, dictionary=dictionary) as station:
        app = ConsoleApp(dictionary, station=station)
        app.run()
    return 0


def _console_replay(args: argparse.Namespace, speed: float | None) -> int:
    from ground_sw.console.app import ConsoleApp  # noqa: PLC0415
    from ground_sw.replay import Replay  # noqa: PLC0415

    app = ConsoleApp(_dictionary(args.dictionary))
    replay = Replay([app.listener], speed=speed)
    with ArchiveReader(args.archive) as reader:
        thread = threading.Thread(target=replay.play, args=(reader.records(args.start,
                                                                           args.end),),
                                  name="console replay", daemon=True)
        thread.start()
        try:
            app.run()
        finally:
            replay.stop()
            thread.join(timeout=5.0)
    return 0


def _add_bridge(commands: Commands) -> None:
    parser = _subcommand(
        commands, "bridge", _bridge, "UDP interop bridge for YAMCS / OpenC3 COSMOS",
        "Forward every TM transfer frame received as one UDP datagram to --tm-to, and send "
        "the TCs received by UDP on --tc-listen through this station's FOP-1 (see "
        "docs/console.md). Runs until Ctrl-C.")
    parser.add_argument("--tm-to", required=True, metavar="HOST:PORT")
    parser.add_argument("--tc-listen", metavar="HOST:PORT", help="accept TCs here")
    parser.add_argument("--tc-format", choices=("frame", "packet"), default="frame",
                        help="a TC datagram is a TC transfer frame (default) or a packet")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    _link_options(parser, wait=False)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise _Usage(f"{text!r} is not HOST:PORT")
    return host, int(port)


def _bridge(args: argparse.Namespace) -> int:
    from ground_sw.bridge import UdpBridge  # noqa: PLC0415

    tm_to = _address(args.tm_to)
    tc_listen = None if args.tc_listen is None else _address(args.tc_listen)
    with _station(args) as station, UdpBridge(station, tm_to, tc_listen,
                                                tc_format=args.tc_format) as bridge:
        _note(f"bridge: TM frames to {args.tm_to}"
              + (f", TCs from {bridge.tc_address[0]}:{bridge.tc_address[1]}"
                 if bridge.tc_address else ""))
        stop = threading.Event()
        try:
            stop.wait(args.duration)
        finally:
            _note(f"bridge counters: {bridge.counters}")
    return 0


# -- main -----------------------------------------------------------------------------------

class _Usage(GroundError):
    """Bad input found by the command line itself."""


def build_parser() -> argparse.ArgumentParser:
    """The ``ground-sw`` parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="ground-sw", description=__import__("ground_sw").__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('spacedc-hil')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_cmd, _add_tlm, _add_events, _add_files, _add_archive, _add_replay,
                _add_dictionary, _add_console, _add_bridge):
        add(commands)
    return parser


def exit_status(error: BaseException) -> int:
    """The exit status of an error (see the module docstring)."""
    if isinstance(error, LinkError):
        return EXIT_LINK
    if isinstance(error, FAILURES):
        return EXIT_FAILED
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ground-sw``: the exit status, errors as one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (GroundError, ArchiveError, ConfigError, OSError) as exc:
        print(f"ground-sw: error: {exc}", file=sys.stderr, flush=True)
        return exit_status(exc)


if __name__ == "__main__":
    sys.exit(main())
