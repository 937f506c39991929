"""``flight-sw run``: serve the link on a port until SIGINT or SIGTERM, or a reset.

Exit status: 0 after a clean stop, 2 on a configuration, port or board error,
:data:`EXIT_RESET` after a commanded reset, :data:`~flight_sw.runtime.EXIT_WATCHDOG` when the
watchdog expired (the process ends abruptly), :data:`~flight_sw.runtime.EXIT_POWER_CYCLE`
after an FDIR power cycle (latch-up). The supervisor (systemd, the bench) starts it again.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from ccsds.config import ConfigError, LinkConfig
from firmware_stubs.board.errors import BoardError
from flight_sw.app import FlightSoftware
from flight_sw.clock import SystemClock
from flight_sw.hal import HalError, ResetCause, get_hal
from flight_sw.hal.linux import DEFAULT_STORAGE_SIZE
from flight_sw.runtime import (
    EXIT_POWER_CYCLE,
    EXIT_WATCHDOG,
    PortRunner,
    WatchdogMonitor,
    open_port,
)
from flight_sw.security import SecuritySetupError, attach_security, settings_from_args
from flight_sw.security import add_arguments as add_security_arguments
from flight_sw.storage.api import StorageError

log = logging.getLogger("flight_sw")

EXIT_RESET = 3
"""Exit status after a commanded reset: the supervisor starts the software again."""
__all__ = ["EXIT_POWER_CYCLE", "EXIT_RESET", "EXIT_WATCHDOG", "add_arguments", "run"]
_EXIT_BY_CAUSE = {ResetCause.COMMANDED: EXIT_RESET, ResetCause.LATCH_UP: EXIT_POWER_CYCLE}


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
    parser.add_argument("--storage-size", type=_storage_size, default=DEFAULT_STORAGE_SIZE,
                        metavar="BYTES",
                        help="size of the storage region (a sparse file in the state dir; "
                             "default 256 MiB, a multiple of 8; must match an existing image)")
    parser.add_argument("--allow-fault-injection", action="store_true",
                        help="accept fault-injection requests (service 131); the bench only")
    add_security_arguments(parser)
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
        hal = get_hal(args.board, state_dir=state_dir, clock=clock,
                      storage_size=args.storage_size)
    except (OSError, LookupError, HalError, BoardError) as error:
        port.close()
        log.error("board %s: %s", args.board, error)
        return 2
    try:
        software = FlightSoftware(config, clock, hal, state_dir, bit_rate=args.bit_rate,
                                  idle_interval_s=args.idle_interval,
                                  allow_fault_injection=args.allow_fault_injection)
    except (HalError, StorageError) as error:  # no storage region, or a store it cannot open
        port.close()
        hal.close()
        log.error("payload on board %s: %s", args.board, error)
        return 2
    try:
        attach_security(software, settings_from_args(args))
    except SecuritySetupError as error:
        port.close()
        software.close()
        hal.close()
        log.error("link security: %s", error)
        return 2
    log.info("flight software serving %s (spacecraft %d, board %s, state %s%s)", args.port,
             config.tc.spacecraft_id, args.board, state_dir,
             ", fault injection allowed" if args.allow_fault_injection else "")
    software.boot()
    monitor = WatchdogMonitor(hal.watchdog, clock)
    monitor.start()
    with port:
        PortRunner(software, port).run(stop)
    monitor.stop()
    software.close()
    hal.close()
    reason = software.stop_reason(clock.monotonic())
    if reason is not None:
        log.info("stopped for the %s reset", "commanded" if reason is ResetCause.COMMANDED
                 else "power-cycle (latch-up)")
        return _EXIT_BY_CAUSE[reason]
    log.info("stopped cleanly")
    return 0


def _storage_size(text: str) -> int:
    """A storage size in octets: a positive multiple of 8 (0x... accepted)."""
    try:
        size = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of octets: {text!r}") from None
    if size <= 0 or size % 8:
        raise argparse.ArgumentTypeError(f"{size} is not a positive multiple of 8")
    return size
