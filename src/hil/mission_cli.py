"""``hil demo``: the mission demo's command line (settings from options, progress lines, the
summary, the JSON file; exit status 0 only when every check passed, 2 on bad settings)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hil.mission_demo import run_mission_demo
from hil.mission_settings import DemoSettingsError, MissionDemoSettings
from hil.profiles import profile_names
from hil.profiles.model import CONDITIONS

TRANSFERS = (("upload", "upload"), ("download_compressed", "zlib down"),
             ("download", "download"))
"""(summary key, label) of each CFDP transfer."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``hil demo``."""
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


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The closing summary, one string per line."""
    link = summary["link"]
    lines = [f"\nlink: {link['profile']}, {link['one_way_light_time_s']} s one way; up "
             f"{link['uplink_bps']:.0f} bit/s BER {link['uplink_ber']:g}, down "
             f"{link['downlink_bps']:.0f} bit/s BER {link['downlink_ber']:g}; COP-1 K = "
             f"{link['fop_window']}, T1 = {link['fop_timer_s']:.1f} s"]
    if "ground" in link:
        up, down, ground, board = (link["channel_up"], link["channel_down"], link["ground"],
                                   link["board"])
        lines += [
            f"  uplink:   {up['octets_in']} octets, {up['bits_flipped']} bit errors "
            f"({up['bursts']} bursts); FOP-1 sent {ground['frames_sent']} frames, "
            f"retransmitted {ground['retransmissions']}",
            f"  on board: {board['cltus_received']} CLTUs, FARM-1 accepted "
            f"{board['frames_accepted']} / rejected {board['frames_rejected']} frames, "
            f"{board['tcs_accepted']} TCs accepted / {board['tcs_rejected']} rejected, "
            f"{board['bad_packets']} bad packets",
            f"  downlink: {down['octets_in']} octets, {down['bits_flipped']} bit errors "
            f"({down['bursts']} bursts); {ground['frames_received']} frames, RS corrected "
            f"{ground['rs_corrected_symbols']} symbols, {ground['rs_uncorrectable']} "
            f"uncorrectable, {ground['frames_lost']} frames lost"]
    file = summary["file"]
    lines.append(f"file: {file['name']}, {file['size']} octets, sha256 {file['sha256'][:16]}...")
    for key, label in TRANSFERS:
        if key in summary:
            moved = summary[key]
            lines.append(f"{label + ':':10} {'ok' if moved['ok'] else 'FAILED'}, "
                         f"{moved['octets']} octets in {moved['time_s']} s, goodput "
                         f"{moved['goodput_bps']} bit/s")
    if "compute" in summary:
        sha, packed = summary["compute"]["sha256"], summary["compute"]["compress"]
        lines.append(f"compute:   sha256 {sha['state']}, compress {packed['state']} "
                     f"({packed['result_size']} octets, {packed['ratio']}:1)")
    if "soak" in summary:
        soak = summary["soak"]
        lines.append(f"soak:      {soak['condition']} x{soak['acceleration']:.3g} for "
                     f"{soak['duration_s']:g} s: {soak['events_injected']} upsets, "
                     f"{soak['bits_flipped']} bits flipped + {soak['bits_stuck']} stuck in "
                     f"{soak['commands']} commands; board touched "
                     f"{soak['board_bits_touched']} bits")
    if "verify" in summary:
        verify, scrub = summary["verify"]["verify_all"], summary["verify"]["scrub"]
        lines.append(f"storage:   scrubber corrected {scrub['corrected_words']} words "
                     f"({scrub['uncorrectable_words']} uncorrectable), repaired "
                     f"{scrub['repaired_blocks']} blocks, lost {scrub['lost_blocks']}; verify "
                     f"all: {verify['objects']} objects, {verify['intact']} intact, "
                     f"{verify['repaired']} repaired, {verify['lost']} lost")
    lines += [f"  check {check}: {'PASS' if ok else 'FAIL'}"
              for check, ok in summary["checks"].items()]
    if "error" in summary:
        lines.append(f"error: {summary['error']}")
    lines.append(f"verdict: {'PASS' if summary['verdict'] else 'FAIL'} "
                 f"({summary['wall_time_s']} s wall time)")
    return lines


def run(args: argparse.Namespace) -> int:
    """Run the demo with ``args``; the exit status."""
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
    print("\n".join(summary_lines(summary)))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
        print(f"summary written to {args.json}")
    return 0 if summary["verdict"] else 1
