"""The link channel between two serial ports: ground side and board side.

Both ends are opened with ``serial.serial_for_url`` (a UART, a pty path, ``socket://``,
``loop://``). Per direction a reader thread pushes what the sender wrote into the sans-I/O
:class:`~hil.channel.direction.Direction` and a writer thread waits on a
:class:`threading.Event` until the next octets are due, then writes them to the receiver and
to the capture. Channel time starts at 0 when the proxy starts (``time_offset_s`` starts it
elsewhere in the pass schedule).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import serial

from hil.channel.capture import CaptureError, CaptureWriter
from hil.channel.config import ChannelConfig
from hil.channel.direction import Direction, DirectionStats

READ_TIMEOUT_S = 0.05
WRITE_TIMEOUT_S = 2.0
IDLE_WAIT_S = 0.1


@dataclass
class PortStats:
    """Trouble met on the ports of one direction."""

    read_errors: int = 0
    octets_write_failed: int = 0
    capture_errors: int = 0


class _Pump:
    """One direction: a reader thread and a writer thread around a Direction."""

    def __init__(self, name: str, source: Any, sink: Any, direction: Direction, *,
                 clock: Callable[[], float], wall_clock: Callable[[], float],
                 stopping: threading.Event, capture: CaptureWriter | None) -> None:
        self.name, self.source, self.sink, self.direction = name, source, sink, direction
        self.clock, self.wall_clock, self.stopping = clock, wall_clock, stopping
        self.capture = capture
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.ports = PortStats()
        self.threads = [threading.Thread(target=self._read, name=f"channel-{name}-read",
                                         daemon=True),
                        threading.Thread(target=self._write, name=f"channel-{name}-write",
                                         daemon=True)]

    def _read(self) -> None:
        while not self.stopping.is_set():
            try:  # block for the first octet, then take whatever else has come with it
                data = self.source.read(1)
                waiting = self.source.in_waiting if data else 0
                if waiting:
                    data += self.source.read(waiting)
            except (serial.SerialException, OSError, TypeError):
                self.ports.read_errors += 1
                self.stopping.wait(IDLE_WAIT_S)
                continue
            if data:
                with self.lock:
                    self.direction.push(bytes(data), self.clock())
                self.wake.set()

    def _write(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            with self.lock:
                now = self.clock()
                data = self.direction.pop(now)
                due = self.direction.next_due()
            if data:
                self._deliver(data)
                continue
            self.wake.wait(IDLE_WAIT_S if due is None else min(IDLE_WAIT_S, due - now))

    def _deliver(self, data: bytes) -> None:
        try:
            self.sink.write(data)
        except (serial.SerialException, OSError):
            self.ports.octets_write_failed += len(data)
            return
        if self.capture is not None:
            try:
                self.capture.write(self.wall_clock(), data)
            except CaptureError:
                self.ports.capture_errors += 1

    def stats(self) -> DirectionStats:
        with self.lock:
            return self.direction.stats()


class SerialProxy:
    """The channel between ``ground_url`` (uplink source, downlink sink) and ``board_url``."""

    def __init__(self, ground_url: str, board_url: str, config: ChannelConfig, *,
                 capture_dir: str | Path | None = None, baudrate: int = 115_200,
                 time_offset_s: float = 0.0, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._stopping = threading.Event()
        self._ports: list[Any] = []
        self._captures: list[CaptureWriter | None] = [None, None]
        try:
            for url in (ground_url, board_url):
                self._ports.append(serial.serial_for_url(
                    url, baudrate=baudrate, timeout=READ_TIMEOUT_S, write_timeout=WRITE_TIMEOUT_S))
            if capture_dir is not None:
                self._captures = [CaptureWriter(capture_dir, "up"), None]
                self._captures[1] = CaptureWriter(capture_dir, "down")
        except BaseException:
            self._release()
            raise
        ground, board = self._ports
        seeds = np.random.SeedSequence(config.seed).spawn(2)
        self._start = clock()

        def channel_time() -> float:
            return clock() - self._start + time_offset_s

        self.now = channel_time
        self.up, self.down = (
            _Pump(name, source, sink,
                  Direction(direction, config.schedule, np.random.default_rng(seed)),
                  clock=channel_time, wall_clock=wall_clock, stopping=self._stopping,
                  capture=capture)
            for name, source, sink, direction, seed, capture in (
                ("up", ground, board, config.up, seeds[0], self._captures[0]),
                ("down", board, ground, config.down, seeds[1], self._captures[1])))
        self._started = False

    def start(self) -> SerialProxy:
        """Start moving octets (returns self)."""
        if not self._started:
            self._started = True
            for pump in (self.up, self.down):
                for thread in pump.threads:
                    thread.start()
        return self

    def stats(self) -> dict[str, DirectionStats]:
        """Live counters of both directions."""
        return {"up": self.up.stats(), "down": self.down.stats()}

    def port_stats(self) -> dict[str, PortStats]:
        """Port and capture trouble of both directions."""
        return {"up": self.up.ports, "down": self.down.ports}

    def close(self) -> None:
        """Stop the threads, close the ports and the captures (idempotent)."""
        self._stopping.set()
        for pump in (self.up, self.down):
            pump.wake.set()
            for thread in pump.threads:
                if thread.is_alive():
                    thread.join(timeout=WRITE_TIMEOUT_S + 1.0)
        self._release()

    def _release(self) -> None:
        for port in self._ports:
            port.close()
        for capture in self._captures:
            if capture is not None:
                capture.close()

    def __enter__(self) -> SerialProxy:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
