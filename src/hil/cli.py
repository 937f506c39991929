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
from hil.mission_demo import DemoSettingsError, MissionDemoSettings, run_mission_demo
from hil.profiles import profile_names
from hil.profiles.model import CONDITIONS
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


# -- hil demo: the mission demo ---------------------------------------------------------------

def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = MissionDemoSettings()
    parser.add_argument("--file-size", type=int, default=defaults.file_size,
                        help="octets of generated data to upload (default %(default)s)")
    parser.add_argument("--profile", default=defaults.profile, choices=profile_names(),
                        help="link and radiation profile (default %(default)s)")
    parser.add_argument("--condition", default=defaults.condition, choices=CONDITIONS,
                        help="solar condition of the soak (default %(default)s)")
    parser.add_argument("--soak", type=float, default=defaults.soak_s, metavar="S",
                        help="radiation soak duration, s (default %(default)s)")
    parser.add_argument("--upset-bits", type=float, default=defaults.upset_bits, metavar="N",
                        help="expected upset bits over the soak: sets the acceleration "
                             "(default %(default)s)")
    parser.add_argument("--scrub-period", type=int, default=defaults.scrub_period_s,
                        metavar="S", help="patrol scrub base period during the soak, 10..86400 s"
                                          " (default %(default)s)")
    parser.add_argument("--storage-size", type=int, default=defaults.storage_size,
                        metavar="OCTETS", help="the board's storage region, a multiple of 8 "
                                               "(default %(default)s)")
    parser.add_argument("--delay", type=float, metavar="S",
                        help="override the profile's one-way light time, s")
    parser.add_argument("--no-bursts", action="store_true",
                        help="independent bit errors only (no Gilbert-Elliott bursts)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--report", type=Path, default=Path("hil-demo-report.png"),
                        metavar="PNG", help="write the PNG report here (default %(default)s)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the summary as JSON")
    parser.add_argument("--capture-dir", type=Path, metavar="DIR",
                        help="keep the raw link captures (up.bin/.idx, down.bin/.idx) here")
    parser.add_argument("--work-dir", type=Path, metavar="DIR",
                        help="keep the board state, dictionary, mission file and ground "
                             "archive here (default: a temporary directory)")


def _print_demo_summary(summary: dict[str, Any]) -> None:
    link = summary["link"]
    print(f"\nlink: {link['profile']}, {link['one_way_light_time_s']} s one way; up "
          f"{link['uplink_bps']:.0f} bit/s BER {link['uplink_ber']:g}, down "
          f"{link['downlink_bps']:.0f} bit/s BER {link['downlink_ber']:g}; COP-1 K = "
          f"{link['fop_window']}, T1 = {link['fop_timer_s']:.1f} s")
    if "ground" in link:
        up, down, ground, board = (link["channel_up"], link["channel_down"], link["ground"],
                                   link["board"])
        print(f"  uplink:   {up['octets_in']} octets, {up['bits_flipped']} bit errors "
              f"({up['bursts']} bursts); board took {board['cltus_received']} CLTUs, FARM-1 "
              f"accepted {board['frames_accepted']} / rejected {board['frames_rejected']} "
              f"frames; FOP-1 sent {ground['frames_sent']}, retransmitted "
              f"{ground['retransmissions']}")
        print(f"  downlink: {down['octets_in']} octets, {down['bits_flipped']} bit errors "
              f"({down['bursts']} bursts); {ground['frames_received']} frames, RS corrected "
              f"{ground['rs_corrected_symbols']} symbols, {ground['rs_uncorrectable']} "
              f"uncorrectable, {ground['frames_lost']} frames lost")
    file = summary["file"]
    print(f"file: {file['name']}, {file['size']} octets, sha256 {file['sha256'][:16]}...")
    for name in ("upload", "download"):
        if name in summary:
            moved = summary[name]
            print(f"{name + ':':9} {'ok' if moved['ok'] else 'FAILED'} in {moved['time_s']} s, "
                  f"goodput {moved['goodput_bps']} bit/s")
    if "compute" in summary:
        sha, packed = summary["compute"]["sha256"], summary["compute"]["compress"]
        print(f"compute:  sha256 {sha['state']}, compress {packed['state']} "
              f"({packed['result_size']} octets, {packed['ratio']}:1)")
    if "soak" in summary:
        soak = summary["soak"]
        print(f"soak:     {soak['condition']} x{soak['acceleration']:.3g} for "
              f"{soak['duration_s']:g} s: {soak['events_injected']} upsets, "
              f"{soak['bits_flipped']} bits flipped + {soak['bits_stuck']} stuck in "
              f"{soak['commands']} commands; board touched {soak['board_bits_touched']} bits")
    if "verify" in summary:
        verify, scrub = summary["verify"]["verify_all"], summary["verify"]["scrub"]
        print(f"storage:  scrubber corrected {scrub['corrected_words']} words "
              f"({scrub['uncorrectable_words']} uncorrectable), repaired "
              f"{scrub['repaired_blocks']} blocks, lost {scrub['lost_blocks']}; verify all: "
              f"{verify['objects']} objects, {verify['intact']} intact, {verify['repaired']} "
              f"repaired, {verify['lost']} lost")
    for check, ok in summary["checks"].items():
        print(f"  check {check}: {'PASS' if ok else 'FAIL'}")
    if "error" in summary:
        print(f"error: {summary['error']}")
    print(f"verdict: {'PASS' if summary['verdict'] else 'FAIL'} "
          f"({summary['wall_time_s']} s wall time)")


def _demo(args: argparse.Namespace) -> int:
    try:
        settings = MissionDemoSettings(
            file_size=args.file_size, profile=args.profile, condition=args.condition,
            soak_s=args.soak, upset_bits=args.upset_bits, scrub_period_s=args.scrub_period,
            storage_size=args.storage_size, one_way_delay_s=args.delay,
            bursts=not args.no_bursts, seed=args.seed, work_dir=args.work_dir,
            capture_dir=args.capture_dir, report=args.report)
    except DemoSettingsError as exc:
        print(f"hil demo: {exc}")
        return 2
    print(f"mission demo: emulated board behind a {settings.profile} link, "
          f"{settings.file_size} octets up, compute, {settings.soak_s:g} s radiation soak, "
          "verify, download", flush=True)
    summary = run_mission_demo(settings, progress=lambda line: print(line, flush=True))
    _print_demo_summary(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
        print(f"summary written to {args.json}")
    return 0 if summary["verdict"] else 1


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
    Subcommand("demo", "the mission demo: an emulated board behind a lunar link, upload, "
               "compute, radiation soak, verify, download, report", _demo_arguments, _demo),
    Subcommand("link-demo", "both CCSDS stacks in-process: a file up and back over a simulated "
               "lunar link (fast)", _link_demo_arguments, _link_demo),
    module_command("link", "hil.link_command", "run the link channel between two serial ports"),
    module_command("soak", "hil.soak", "radiation soak of the object store on a simulated clock"),
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
