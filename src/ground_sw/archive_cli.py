"""Archive subcommands of ``ground-sw``: ``plot`` and ``export``.

``add_commands(subparsers)`` registers them on the ``ground-sw`` parser; each sets
``handler`` (``args -> exit status``) on its namespace. Times are ISO 8601 (UTC when no zone
is given) or Unix seconds.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from ccsds.errors import CcsdsError
from ccsds.mission_db import MissionDatabase, loads
from ground_sw.archive_csv import EXPORT_KINDS, ExportError
from ground_sw.archive_reader import ArchiveError, ArchiveReader
from ground_sw.archive_values import ArchiveValueError
from ground_sw.plot import PlotError, plot_events, plot_parameter


def parse_time(text: str) -> float:
    """Unix seconds of ``text``: a number, or an ISO 8601 time (UTC unless it has a zone)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither seconds nor ISO 8601") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _span(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", type=Path, required=True, help="archive file (SQLite)")
    parser.add_argument("--start", type=parse_time, help="from this time (inclusive)")
    parser.add_argument("--end", type=parse_time, help="up to this time (exclusive)")


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``plot`` and ``export``."""
    plot = subparsers.add_parser("plot", help="plot an archived parameter (or the events)")
    plot.add_argument("parameter", help="parameter name, or 'events'")
    plot.add_argument("--png", type=Path, required=True, help="PNG file to write")
    plot.add_argument("--dictionary", type=Path,
                      help="mission dictionary JSON (limits drawn from it)")
    _span(plot)
    plot.set_defaults(handler=_plot)
    export = subparsers.add_parser("export", help="export archived records as CSV")
    export.add_argument("kind", choices=EXPORT_KINDS)
    export.add_argument("--csv", type=Path, required=True, help="CSV file to write")
    export.add_argument("--name", help="only this parameter, event or command")
    _span(export)
    export.set_defaults(handler=_export)


def _database(path: Path | None) -> MissionDatabase | None:
    return None if path is None else loads(path.read_bytes())


def _plot(args: argparse.Namespace) -> int:
    try:
        with ArchiveReader(args.archive) as archive:
            if args.parameter == "events":
                plot_events(archive, args.png, start=args.start, end=args.end)
            else:
                plot_parameter(archive, args.parameter, args.png, start=args.start,
                               end=args.end, database=_database(args.dictionary))
    except (ArchiveError, ArchiveValueError, PlotError, CcsdsError, OSError) as exc:
        print(f"ground-sw plot: {exc}", file=sys.stderr)
        return 1
    print(args.png)
    return 0


def _export(args: argparse.Namespace) -> int:
    try:
        with ArchiveReader(args.archive) as archive:
            rows = archive.export_csv(args.kind, args.csv, name=args.name, start=args.start,
                                      end=args.end)
    except (ArchiveError, ArchiveValueError, ExportError, OSError) as exc:
        print(f"ground-sw export: {exc}", file=sys.stderr)
        return 1
    print(f"{rows} rows written to {args.csv}")
    return 0
