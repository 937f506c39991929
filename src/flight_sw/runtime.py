"""The main loop on a real port: bytes between a pyserial port and the flight software.

The port is any pyserial URL (a UART such as /dev/serial0, a pseudo-terminal, socket://...),
opened with ``serial.serial_for_url``. Nothing but link bytes is written to it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import serial

from flight_sw.app import FlightSoftware

log = logging.getLogger(__name__)


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
        while not stop.is_set() and not self.software.reset_due(clock.monotonic()):
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
        if self.software.reset_due(clock.monotonic()):
            log.info("commanded reset")
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
