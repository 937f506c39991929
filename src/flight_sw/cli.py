"""The ``flight-sw`` command line."""

from __future__ import annotations

import argparse
from importlib.metadata import version


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; subcommands are added as the flight_sw package grows."""
    parser = argparse.ArgumentParser(prog="flight-sw", description=__import__("flight_sw").__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('spacedc-hil')}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``flight-sw``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
    return 0
