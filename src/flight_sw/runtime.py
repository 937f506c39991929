"""The main loop on a real port: bytes between a pyserial port and the flight software.

The port is any pyserial URL (a UART such as /dev/serial0, a pseudo-terminal, socket://...),
opened with ``serial.serial_for_url``. Nothing but link bytes is written to it.

:class:`WatchdogMonitor` is the board's watchdog timer circuit: it runs beside the main loop,
so a hung application (service 131 HANG, or a real deadlock) still ends in a watchdog reset.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import serial

from flight_sw.app import FlightSoftware
from flight_sw.hal.base import Clock, HalWatchdog

log = logging.getLogger(__name__)

EXIT_WATCHDOG = 4
"""Exit status of a watchdog reset (the process ends abruptly, as the reset line would)."""
EXIT_POWER_CYCLE = 5
"""Exit status of an FDIR power cycle (latch-up): the supervisor starts the software again."""


def hard_reset(status: int) -> NoReturn:
    """End the process at once, without cleanup or flushing, like a hardware reset.

    File-backed memory regions keep what was written to them: they are shared mappings, so
    the kernel holds the written pages whether or not the process flushes them.
    """
    logging.shutdown()  # the log is the bench's only witness; a real reset loses it
    os._exit(status)


class WatchdogMonitor:
    """The watchdog timer circuit: a thread checks ``watchdog`` every ``period_s`` on
    ``clock``, independently of the main loop, and on expiry (the HAL then has the cause
    WATCHDOG recorded for the next boot) calls ``on_expiry`` -- by default
    :func:`hard_reset` with :data:`EXIT_WATCHDOG`."""

    def __init__(self, watchdog: HalWatchdog, clock: Clock, *, period_s: float = 0.05,
                 on_expiry: Callable[[], object] | None = None) -> None:
        self.watchdog = watchdog
        self.clock = clock
        self.period_s = period_s
        self.on_expiry = on_expiry or (lambda: hard_reset(EXIT_WATCHDOG))
        self.expired = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (a clean shutdown disarms the circuit)."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.period_s):
            if self.watchdog.check(self.clock.monotonic()):
                log.critical("watchdog expired: reset")
                self.expired.set()
                self.on_expiry()
                return


def open_port(url: str, *, baudrate: int = 115200) -> Any:
    """Open a link port by URL (8N1, no flow control), non-blocking reads with a short wait."""
    return serial.serial_for_url(url, baudrate=baudrate, timeout=0.002, write_timeout=1.0)


class PortRunner:
    """Runs a :class:`FlightSoftware` on an open port until ``stop`` is set."""

    def __init__(self, software: FlightSoftware, port: Any, *,
                 line_idle_after_s: float = 0.05) -> None:
        self.software = software
        self.port = port
        self.line_idle_after_s = line_idle_after_s
        self.octets_in = 0
        self.octets_out = 0
        self.octets_dropped = 0

    def run(self, stop: threading.Event) -> None:
        """Serve the port until ``stop`` is set or the port fails."""
        clock = self.software.clock
        last_input = clock.monotonic()
        idle_reported = True
        software = self.software
        while not stop.is_set() and software.stop_reason(clock.monotonic()) is None:
            try:
                data = self.port.read(self.port.in_waiting or 1)
            except serial.SerialException as error:
                log.error("port read failed: %s", error)
                break
            now = clock.monotonic()
            if data:
                self.octets_in += len(data)
                self.software.receive(data)
                last_input, idle_reported = now, False
            elif not idle_reported and now - last_input >= self.line_idle_after_s:
                self.software.line_idle()
                idle_reported = True
            output = self.software.step(now)
            if output and not self._write(output):
                break
        if self.octets_dropped:
            log.warning("%d downlink octets dropped on write timeouts", self.octets_dropped)
        reason = software.stop_reason(clock.monotonic())
        if reason is not None:
            log.info("reset: %s", reason.value)
        log.info("link stopped: %d octets in, %d out", self.octets_in, self.octets_out)

    def _write(self, output: bytes) -> bool:
        """Put downlink octets on the port; False when the port has failed.

        A write that times out (nobody drains the line) drops what did not fit, counted,
        and the software carries on: a stalled receiver must not stop the payload.
        """
        try:
            written = self.port.write(output)
        except serial.SerialTimeoutException:
            self.octets_dropped += len(output)
            return True
        except serial.SerialException as error:
            log.error("port write failed: %s", error)
            return False
        self.octets_out += written if written is not None else len(output)
        return True
