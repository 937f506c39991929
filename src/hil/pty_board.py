"""``flight-sw run`` in a subprocess behind a real pseudo-terminal: an emulated board.

This process owns the pty master; the flight software opens the slave by path through
pyserial, exactly as it opens a UART. Waiting is on select() with deadlines, never on sleeps.
Used by the contract tests and the benchmarks; the board sessions of the bench grow from it.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import tty
from collections.abc import Callable
from pathlib import Path

from ccsds.pus import PusTm
from hil.bench_ground import BenchGround


class PtyBoard:
    """One flight software process and the ground that talks to it."""

    def __init__(self, state_dir: Path, *extra_args: str) -> None:
        # the slave stays open here too: with no slave open, reading the master fails (EIO)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.log_file = state_dir / "flight.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flight_sw.cli", "run", "--port", self.path,
             "--state-dir", str(state_dir), "--idle-interval", "0.2",
             "--log-file", str(self.log_file), *extra_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.ground = BenchGround()
        self.start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.start

    def write(self, data: bytes) -> None:
        """Write uplink octets, draining the downlink meanwhile (a pty's buffers are small:
        a writer that does not read would deadlock with a board blocked on its output)."""
        pending = bytearray(data)
        deadline = time.monotonic() + 30.0
        while pending:
            readable, writable, _ = select.select([self.master], [self.master], [], 5.0)
            if readable:
                pending += b"".join(self.ground.receive(os.read(self.master, 65536), self.now()))
            if writable:
                del pending[: os.write(self.master, pending[:4096])]
            if time.monotonic() > deadline:
                raise TimeoutError("the pty did not take the uplink octets within 30 s")

    def pump(self, timeout: float) -> None:
        """Move downlink octets into the ground for up to ``timeout`` seconds of waiting."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            cltus = self.ground.receive(os.read(self.master, 65536), self.now())
            if cltus:
                self.write(b"".join(cltus))

    def wait_for(self, matching: Callable[[PusTm], bool], timeout: float = 10.0) -> PusTm:
        """The first report that matches, removed from the ground's list."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.ground.take(matching)
            if found:
                return found[0]
            if self.process.poll() is not None:
                raise RuntimeError(f"flight software exited: {self.log_file.read_text()}")
            self.pump(min(0.1, max(0.0, deadline - time.monotonic())))
        raise TimeoutError("no matching report")

    def connect(self) -> None:
        """Wait for the first idle frame (the port is open and raw), then start FOP-1."""
        deadline = time.monotonic() + 20.0
        while self.ground.downlink.sync.counters.frames == 0:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise TimeoutError(f"no downlink from the board: {self.log_file.read_text()}")
            self.pump(0.1)
        self.write(b"".join(self.ground.start(self.now())))

    def send(self, packet: bytes) -> None:
        self.write(b"".join(self.ground.send_packet(packet, self.now())))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the process and wait for it; returns its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=10)
        finally:
            os.close(self.master)
            os.close(self.slave)
