"""``hil link``: run the link channel between a ground port and a board port.

``hil link --ground URL --board URL --profile NAME --capture-dir DIR`` moves octets both ways
with the profile's line rates, light time, bit errors, bursts and pass schedule, prints live
statistics, and writes raw captures (docs/link-channel.md).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

import serial

from hil.channel import (
    CaptureError,
    ChannelConfig,
    ChannelConfigError,
    DirectionStats,
    PassSchedule,
    ScheduleError,
    SerialProxy,
    channel_config,
)
from hil.profiles import ProfileError, load_profile, load_profile_file, profile_names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``hil link``."""
    parser.add_argument("--ground", required=True, metavar="URL",
                        help="the ground side port (pyserial URL or device path)")
    parser.add_argument("--board", required=True, metavar="URL",
                        help="the board side port (pyserial URL or device path)")
    parser.add_argument("--profile", default="lunar-transit",
                        help=f"environment profile: {', '.join(profile_names())} "
                             "(default %(default)s)")
    parser.add_argument("--profile-file", type=Path, metavar="TOML",
                        help="a profile file of one's own instead of --profile")
    parser.add_argument("--capture-dir", type=Path, metavar="DIR",
                        help="write up.bin/up.idx and down.bin/down.idx here")
    parser.add_argument("--schedule", type=Path, metavar="FILE",
                        help="contact windows '<aos_s> <los_s>' per line instead of the "
                             "profile's generated pass schedule")
    parser.add_argument("--no-outages", action="store_true", help="keep the link up throughout")
    parser.add_argument("--no-bursts", action="store_true",
                        help="independent bit errors only (no Gilbert-Elliott bursts)")
    parser.add_argument("--time-offset", type=float, default=0.0, metavar="S",
                        help="start this far into the pass schedule (default 0)")
    parser.add_argument("--uplink-bps", type=float, help="override the profile's uplink rate")
    parser.add_argument("--downlink-bps", type=float,
                        help="override the profile's downlink rate")
    parser.add_argument("--delay", type=float, help="override the one-way light time, s")
    parser.add_argument("--uplink-ber", type=float, help="override the uplink bit error rate")
    parser.add_argument("--downlink-ber", type=float,
                        help="override the downlink bit error rate")
    parser.add_argument("--seed", type=int, default=0, help="impairment and schedule seed")
    parser.add_argument("--duration", type=float, metavar="S",
                        help="stop after this many seconds (default: until interrupted)")
    parser.add_argument("--stats-interval", type=float, default=5.0, metavar="S",
                        help="seconds between statistics lines (default %(default)s)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write the final statistics as JSON")


def build_config(args: argparse.Namespace) -> ChannelConfig:
    """The channel configuration the options ask for."""
    profile = (load_profile_file(args.profile_file) if args.profile_file
               else load_profile(args.profile))
    if args.no_outages:
        schedule: PassSchedule | None = PassSchedule.always_up()
    elif args.schedule:
        schedule = PassSchedule.from_file(args.schedule)
    else:
        schedule = None
    config = channel_config(profile, seed=args.seed, schedule=schedule,
                            bursts=not args.no_bursts)
    up, down = config.up, config.down
    if args.uplink_bps is not None:
        up = replace(up, rate_bps=args.uplink_bps)
    if args.downlink_bps is not None:
        down = replace(down, rate_bps=args.downlink_bps)
    if args.delay is not None:
        up, down = replace(up, delay_s=args.delay), replace(down, delay_s=args.delay)
    if args.uplink_ber is not None:
        up = replace(up, ber=args.uplink_ber)
    if args.downlink_ber is not None:
        down = replace(down, ber=args.downlink_ber)
    return replace(config, up=up, down=down)


def _line(name: str, stats: DirectionStats) -> str:
    return (f"{name}: in {stats.octets_in} out {stats.octets_out} queued {stats.queue_octets} "
            f"flipped {stats.bits_flipped} bursts {stats.bursts} dropped {stats.octets_dropped} "
            f"inserted {stats.octets_inserted} lost-in-LOS {stats.octets_lost_in_outage} "
            f"refused {stats.octets_refused_queue_full}")


def _describe(config: ChannelConfig, offset: float) -> None:
    for name, direction in (("uplink", config.up), ("downlink", config.down)):
        print(f"{name}: {direction.rate_bps or 'unlimited'} bit/s, delay {direction.delay_s} s, "
              f"BER {direction.ber:g}, bursts p_gb {direction.burst.p_good_to_bad:g} "
              f"p_bg {direction.burst.p_bad_to_good:g} BER_bad {direction.burst.ber_bad:g}")
    contacts = config.schedule.contacts(offset, offset + 86_400.0)
    print(f"contacts in the next 24 h of schedule time: {len(contacts)}")
    for window in contacts[:8]:
        print(f"  AOS {window.start - offset:10.1f} s  LOS {window.end - offset:10.1f} s "
              f"({window.duration / 60:.1f} min)")


def run(args: argparse.Namespace) -> int:
    """Run ``hil link`` until interrupted or ``--duration``; 0 on a clean stop."""
    try:
        config = build_config(args)
        proxy = SerialProxy(args.ground, args.board, config, capture_dir=args.capture_dir,
                            time_offset_s=args.time_offset)
    except (ProfileError, ScheduleError, ChannelConfigError, CaptureError,
            serial.SerialException, OSError) as exc:
        print(f"hil link: {exc}")
        return 2
    _describe(config, args.time_offset)
    tick = threading.Event()
    start = time.monotonic()
    try:
        with proxy:
            print(f"channel running between {args.ground} (ground) and {args.board} (board)",
                  flush=True)
            while args.duration is None or time.monotonic() - start < args.duration:
                left = None if args.duration is None else args.duration - (time.monotonic()
                                                                           - start)
                tick.wait(args.stats_interval if left is None
                          else max(0.0, min(args.stats_interval, left)))
                stats = proxy.stats()
                print(f"t={proxy.now():.1f} s {_line('up', stats['up'])} | "
                      f"{_line('down', stats['down'])}", flush=True)
    except KeyboardInterrupt:
        print("interrupted")
    final = {name: asdict(stats) for name, stats in proxy.stats().items()}
    ports = {name: asdict(stats) for name, stats in proxy.port_stats().items()}
    if args.json:
        args.json.write_text(json.dumps({"directions": final, "ports": ports}, indent=1))
    return 0
