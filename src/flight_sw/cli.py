"""The ``flight-sw`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import version
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; each subcommand registers itself on the subparsers."""
    parser = argparse.ArgumentParser(prog="flight-sw", description=__import__("flight_sw").__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('spacedc-hil')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(commands)
    _add_dictionary(commands)
    return parser


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from flight_sw import run_command  # noqa: PLC0415 (keep --help fast)

    parser = commands.add_parser(
        "run", help="run the flight software on a link port",
        description="Serve the ICD link (CLTUs in, CADUs out) on a pyserial URL until SIGINT "
                    "or SIGTERM. Nothing but link octets is written to the port.")
    run_command.add_arguments(parser)
    parser.set_defaults(handler=run_command.run)


def _add_dictionary(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "dictionary", help="export the mission dictionary (JSON or XTCE 1.2)",
        description="Write the mission dictionary: canonical JSON (whose SHA-256 the board "
                    "reports at boot) or XTCE 1.2 for an XTCE ground system.")
    parser.add_argument("--format", choices=("json", "xtce"), default="json",
                        help="export format (default: json)")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="write to FILE instead of standard output")
    parser.set_defaults(handler=_dictionary)


def _dictionary(args: argparse.Namespace) -> int:
    from ccsds.mission_db import dumps, to_xtce  # noqa: PLC0415 (keep --help fast)
    from flight_sw.dictionary import MISSION  # noqa: PLC0415

    text = dumps(MISSION) if args.format == "json" else to_xtce(MISSION)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``flight-sw``."""
    # One main loop runs everything (jobs in bounded slices): BLAS worker threads would only
    # add wake-ups around the small per-slice products. Set before numpy is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
