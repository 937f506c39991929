"""The ``hil`` command line: the bench, one subcommand per line of :data:`SUBCOMMANDS`.

A subcommand is a name, a help line, ``add_arguments(parser)`` and ``run(args) -> int``;
:func:`module_command` takes both from a module (imported only when the parser is built or
the subcommand runs).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import version
from pathlib import Path
from typing import Any

from hil.link_demo import LinkDemoSettings, run_link_demo
from hil.sim_link import Outage


@dataclass(frozen=True)
class Subcommand:
    """One ``hil`` subcommand."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def module_command(name: str, module: str, help: str) -> Subcommand:
    """A subcommand whose ``add_arguments`` and ``run`` live in ``module``."""
    return Subcommand(name, help, lambda parser: import_module(module).add_arguments(parser),
                      lambda args: int(import_module(module).run(args)))


# -- hil link-demo: both CCSDS stacks in-process over a simulated link -------------------------

def _link_demo_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = LinkDemoSettings()
    parser.add_argument("--file-size", type=int, default=1 << 20, help="octets (default 1 MiB)")
    parser.add_argument("--uplink-bps", type=float, default=defaults.uplink_bps)
    parser.add_argument("--downlink-bps", type=float, default=defaults.downlink_bps)
    parser.add_argument("--delay", type=float, default=defaults.one_way_delay_s,
                        help="one-way light time, s (default %(default)s)")
    parser.add_argument("--uplink-ber", type=float, default=defaults.uplink_ber)
    parser.add_argument("--downlink-ber", type=float, default=defaults.downlink_ber)
    parser.add_argument("--outage", type=float, nargs=2, metavar=("START", "DURATION"),
                        default=(20.0, 5.0), help="loss of signal window, s (default 20 5)")
    parser.add_argument("--no-outage", action="store_true")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the summary as JSON")


def _print_link_summary(summary: dict[str, Any]) -> None:
    up, down = summary["uplink"], summary["downlink"]
    verdict = {True: "intact", False: "CORRUPT OR INCOMPLETE"}
    size = summary["settings"]["file_size"]
    print(f"\nfile: {size} octets, sha256 {summary['file_sha256'][:16]}...")
    print(f"upload   (CFDP class 2, uplink {summary['settings']['uplink_bps']:.0f} bit/s): "
          f"{verdict[summary['upload_intact']]} in {summary['upload_time_s']} s simulated, "
          f"goodput {summary['upload_goodput_bps']} bit/s")
    print(f"download (CFDP class 2, downlink {summary['settings']['downlink_bps']:.0f} bit/s): "
          f"{verdict[summary['download_intact']]} in {summary['download_time_s']} s simulated, "
          f"goodput {summary['download_goodput_bps']} bit/s")
    print(f"uplink:   {up['cltus']} CLTUs, {up['bits_flipped']} bit errors, "
          f"{up['bch_corrected_codeblocks']} BCH-corrected codeblocks, "
          f"{up['octets_lost_in_outage']} octets lost in the outage, "
          f"FARM-1 accepted {up['frames_accepted']} / rejected {up['frames_rejected_by_farm']}, "
          f"FOP-1 retransmitted {up['fop_retransmissions']}")
    print(f"downlink: {down['frames']} frames, {down['bits_flipped']} bit errors, "
          f"{down['rs_corrected_symbols']} RS-corrected symbols, "
          f"{down['uncorrectable_codeblocks']} uncorrectable, {down['frames_lost']} frames lost")
    print(f"simulated {summary['simulated_time_s']} s in {summary['wall_time_s']} s of wall time")


def _link_demo(args: argparse.Namespace) -> int:
    settings = LinkDemoSettings(
        file_size=args.file_size, uplink_bps=args.uplink_bps, downlink_bps=args.downlink_bps,
        one_way_delay_s=args.delay, uplink_ber=args.uplink_ber, downlink_ber=args.downlink_ber,
        outage=None if args.no_outage else Outage(*args.outage), seed=args.seed)
    print(f"link demo: {settings.file_size} octets up and back, one-way light time "
          f"{settings.one_way_delay_s} s, BER up {settings.uplink_ber:g} / down "
          f"{settings.downlink_ber:g}, outage {settings.outage}", flush=True)
    summary = run_link_demo(settings, report=lambda line: print(line, flush=True))
    _print_link_summary(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
        print(f"summary written to {args.json}")
    return 0 if summary["upload_intact"] and summary["download_intact"] else 1


SUBCOMMANDS: tuple[Subcommand, ...] = (
    module_command("demo", "hil.mission_cli", "the mission demo: an emulated board behind a "
                   "lunar link, upload, compute, radiation soak, verify, download, report"),
    Subcommand("link-demo", "both CCSDS stacks in-process: a file up and back over a simulated "
               "lunar link (fast)", _link_demo_arguments, _link_demo),
    module_command("link", "hil.link_command", "run the link channel between two serial ports"),
    module_command("soak", "hil.soak", "radiation soak of the object store on a simulated clock"),
    module_command("campaign", "hil.campaign.command",
                   "a fault-injection campaign from a scenario file, with reports"),
    module_command("transfer-run", "hil.transfer_run",
                   "many files by CFDP class 2 up and down over an impaired simulated link"),
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``hil``."""
    parser = argparse.ArgumentParser(prog="hil", description=__import__("hil").__doc__)
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {version('spacedc-hil')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``hil``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
