"""``flight-sw run``: serve the link on a port until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from typing import Any

from ccsds.config import ConfigError, LinkConfig
from flight_sw.app import FlightSoftware
from flight_sw.clock import SystemClock
from flight_sw.runtime import PortRunner, open_port

log = logging.getLogger("flight_sw")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``flight-sw run``."""
    parser.add_argument("--port", required=True, metavar="URL",
                        help="pyserial URL of the link: /dev/serial0, a pty path, socket://...")
    parser.add_argument("--mission", type=Path, metavar="FILE",
                        help="mission link configuration (TOML over the ICD baseline)")
    parser.add_argument("--baud", type=int, default=115200, help="UART rate (default 115200)")
    parser.add_argument("--bit-rate", type=float, metavar="BPS",
                        help="downlink rate to pace CADUs to (default: unpaced, for a pty; "
                             "on a UART use 8/10 of the baud rate)")
    parser.add_argument("--idle-interval", type=float, default=1.0, metavar="S",
                        help="seconds between idle frames when nothing is queued (default 1)")
    parser.add_argument("--log-file", type=Path, help="log here instead of stderr")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def run(args: argparse.Namespace) -> int:
    """Run until a signal asks for a clean stop; returns the exit status."""
    logging.basicConfig(
        level=args.log_level, filename=args.log_file,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = LinkConfig.load(args.mission)
    except ConfigError as error:
        log.error("%s", error)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        port = open_port(args.port, baudrate=args.baud)
    except (OSError, ValueError) as error:
        log.error("cannot open %s: %s", args.port, error)
        return 2
    software = FlightSoftware(config, SystemClock(), bit_rate=args.bit_rate,
                              idle_interval_s=args.idle_interval)
    log.info("flight software serving %s (spacecraft %d)", args.port, config.tc.spacecraft_id)
    with port:
        PortRunner(software, port).run(stop)
    log.info("stopped cleanly")
    return 0
