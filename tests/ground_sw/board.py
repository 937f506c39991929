"""The real flight software behind a real pseudo-terminal, joined to a port the ground opens.

``flight-sw run`` opens the slave of pty A. A relay thread copies octets between the master
of pty A and the ground's side: the master of pty B (the ground opens B's slave by path) or
a TCP connection (the ground opens ``socket://127.0.0.1:PORT``). The relay is a null-modem
cable: it does not model a baud rate, bit errors or delays; it can inject octets into the
downlink and drop the TCP connection (a port that disappears and comes back).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import tty
from pathlib import Path


def _raw_pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


class BoardRelay:
    """One flight software process and the relay to the ground's port."""

    def __init__(self, state_dir: Path, *, ground: str = "pty") -> None:
        self.state_dir = state_dir
        self.board_master, self.board_slave, self.board_path = _raw_pty()
        self._wake_read, self._wake_write = os.pipe()
        self._stop = False
        self._inject: list[bytes] = []
        self._lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.connection: socket.socket | None = None
        self.connections = 0
        if ground == "pty":
            self.ground_master, self.ground_slave, self.url = _raw_pty()
        else:
            self.listener = socket.create_server(("127.0.0.1", 0))
            self.url = f"socket://127.0.0.1:{self.listener.getsockname()[1]}"
        self.process: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self._relay, daemon=True)
        self.thread.start()

    def start_board(self, *extra: str) -> None:
        """Start ``flight-sw run`` on pty A."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flight_sw.cli", "run", "--port", self.board_path,
             "--state-dir", str(self.state_dir), "--idle-interval", "0.2",
             "--log-file", str(self.state_dir / "flight.log"), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def inject_downlink(self, data: bytes) -> None:
        """Put ``data`` on the line toward the ground, between the board's own octets."""
        with self._lock:
            self._inject.append(data)
        os.write(self._wake_write, b"x")

    def drop_connection(self) -> None:
        """Close the ground's TCP connection (the relay accepts the next one)."""
        with self._lock:
            connection, self.connection = self.connection, None
        if connection is not None:
            connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        os.write(self._wake_write, b"x")

    def _ground_fd(self) -> int | None:
        if self.listener is None:
            return self.ground_master
        return None if self.connection is None else self.connection.fileno()

    def _to_ground(self, data: bytes) -> None:
        if self.listener is None:
            os.write(self.ground_master, data)
            return
        with self._lock:
            connection = self.connection
        if connection is not None:
            with contextlib.suppress(OSError):  # the line carries nothing while it is gone
                connection.sendall(data)

    def _relay(self) -> None:
        while not self._stop:
            ground = self._ground_fd()
            readable = [self.board_master, self._wake_read]
            readable += [ground] if ground is not None else []
            readable += [self.listener.fileno()] if self.listener is not None else []
            ready, _, _ = select.select(readable, [], [], 1.0)
            if self._wake_read in ready:
                os.read(self._wake_read, 4096)
                with self._lock:
                    pending, self._inject = self._inject, []
                for data in pending:
                    self._to_ground(data)
            if self.listener is not None and self.listener.fileno() in ready:
                connection, _ = self.listener.accept()
                with self._lock:
                    self.connection = connection
                    self.connections += 1
            if self.board_master in ready:
                try:
                    data = os.read(self.board_master, 65536)
                except OSError:
                    return
                self._to_ground(data)
            if ground is not None and ground in ready:
                try:
                    data = (os.read(ground, 65536) if self.listener is None
                            else self._recv())
                except OSError:
                    data = b""
                if data:
                    os.write(self.board_master, data)

    def _recv(self) -> bytes:
        with self._lock:
            connection = self.connection
        if connection is None:
            return b""
        data = connection.recv(65536)
        if not data:
            with self._lock:
                self.connection = None
            connection.close()
        return data

    def stop(self) -> None:
        """Kill the board, stop the relay and close every descriptor."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self._stop = True
        os.write(self._wake_write, b"x")
        self.thread.join(timeout=5)
        fds = [self.board_master, self.board_slave, self._wake_read, self._wake_write]
        if self.listener is None:
            fds += [self.ground_master, self.ground_slave]
        else:
            self.listener.close()
            if self.connection is not None:
                self.connection.close()
        for fd in fds:
            os.close(fd)
