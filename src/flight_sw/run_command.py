"""``flight-sw run``: serve the link on a port until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from ccsds.config import ConfigError, LinkConfig
from flight_sw.app import FlightSoftware
from flight_sw.clock import SystemClock
from flight_sw.hal import HalError, get_hal
from flight_sw.runtime import PortRunner, open_port

log = logging.getLogger("flight_sw")

EXIT_RESET = 3
"""Exit status after a commanded reset: the supervisor starts the software again."""


def default_state_dir() -> Path:
    """$XDG_STATE_HOME/spacedc-hil/flight (~/.local/state/... when unset)."""
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "spacedc-hil" / "flight"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``flight-sw run``."""
    parser.add_argument("--port", required=True, metavar="URL",
                        help="pyserial URL of the link: /dev/serial0, a pty path, socket://...")
    parser.add_argument("--mission", type=Path, metavar="FILE",
                        help="mission link configuration (TOML over the ICD baseline)")
    parser.add_argument("--board", default="emulated",
                        help="HAL backend: emulated (default) or linux (a Pi or Jetson)")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                        help="boot record, settings and storage (default "
                             "$XDG_STATE_HOME/spacedc-hil/flight)")
    parser.add_argument("--baud", type=int, default=115200, help="UART rate (default 115200)")
    parser.add_argument("--bit-rate", type=float, metavar="BPS",
                        help="downlink rate to pace CADUs to (default: unpaced, for a pty; "
                             "on a UART use 8/10 of the baud rate)")
    parser.add_argument("--idle-interval", type=float, metavar="S",
                        help="seconds between idle frames when nothing is queued (default: "
                             "the IDLE_FRAME_INTERVAL_MS setting, 1 s unless set by the ground)")
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
    state_dir = args.state_dir or default_state_dir()
    clock = SystemClock()
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        hal = get_hal(args.board, state_dir=state_dir, clock=clock)
    except (OSError, LookupError, HalError) as error:
        port.close()
        log.error("board %s: %s", args.board, error)
        return 2
    software = FlightSoftware(config, clock, hal, state_dir, bit_rate=args.bit_rate,
                              idle_interval_s=args.idle_interval)
    log.info("flight software serving %s (spacecraft %d, board %s, state %s)", args.port,
             config.tc.spacecraft_id, args.board, state_dir)
    software.boot()
    with port:
        PortRunner(software, port).run(stop)
    hal.close()
    if software.reset_due(clock.monotonic()):
        log.info("stopped for the commanded reset")
        return EXIT_RESET
    log.info("stopped cleanly")
    return 0
