"""Two raw pseudo-terminals joined by a thread: a null-modem cable between board and ground.

The board opens the slave of one pty, the ground the slave of the other, both by path, as
they would open a UART. The relay copies octets between the two masters. It holds both
slaves open itself, so the ground's port stays valid while the board restarts and the
masters never read EIO. Like a UART with nobody listening, a side that does not read loses
octets instead of stopping the sender: beyond :data:`PENDING_LIMIT` octets waiting they are
dropped and counted. It models no baud rate, bit errors or delays (hil.channel does).
"""

from __future__ import annotations

import os
import select
import termios
import threading
import tty
from dataclasses import dataclass, field

PENDING_LIMIT = 64 * 1024
"""Octets held for a side that does not read before newer ones are dropped."""
READ_SIZE = 65536


@dataclass
class RelayCounters:
    """Octets moved and dropped, per direction."""

    uplink: int = 0
    downlink: int = 0
    uplink_dropped: int = 0
    downlink_dropped: int = 0
    error: str = ""
    """Why the relay stopped on its own (an I/O error), empty while it runs."""


@dataclass
class _Direction:
    source: int
    sink: int
    pending: bytearray = field(default_factory=bytearray)
    moved: int = 0
    dropped: int = 0


class _Pty:
    """One raw pseudo-terminal: its master, its slave (held open) and the slave's path."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


class PtyRelay:
    """The board's pty and the ground's pty, joined while :meth:`start`\\ ed."""

    def __init__(self) -> None:
        self._board = _Pty()
        self._ground = _Pty()
        self._up = _Direction(self._ground.master, self._board.master)
        self._down = _Direction(self._board.master, self._ground.master)
        self._wake_read, self._wake_write = os.pipe()
        self._stopping = threading.Event()
        self._error = ""
        self.downlink_started = threading.Event()
        """Set once the board has sent its first octets."""
        self._thread = threading.Thread(target=self._run, name="pty-relay", daemon=True)
        self._closed = False

    @property
    def board_path(self) -> str:
        """The path the board opens."""
        return self._board.path

    @property
    def ground_path(self) -> str:
        """The path the ground opens."""
        return self._ground.path

    @property
    def counters(self) -> RelayCounters:
        """A snapshot of the octets moved and dropped."""
        return RelayCounters(self._up.moved, self._down.moved, self._up.dropped,
                             self._down.dropped, self._error)

    def start(self) -> None:
        self._thread.start()

    def flush_board_input(self) -> None:
        """Discard uplink octets the board has not read (its UART FIFO loses them at a
        reset), so a restarted board does not start on the previous life's backlog."""
        termios.tcflush(self._board.slave, termios.TCIFLUSH)

    def close(self) -> None:
        """Stop the thread and close every descriptor (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        os.write(self._wake_write, b"x")
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for pty in (self._board, self._ground):
            pty.close()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        directions = (self._up, self._down)
        try:
            while not self._stopping.is_set():
                readable = [self._wake_read] + [d.source for d in directions]
                writable = [d.sink for d in directions if d.pending]
                ready, can_write, _ = select.select(readable, writable, [])
                for direction in directions:
                    if direction.source in ready and self._take(direction) \
                            and direction is self._down:
                        self.downlink_started.set()
                    if direction.sink in can_write:
                        self._give(direction)
        except OSError as error:
            self._error = f"relay stopped: {error}"

    @staticmethod
    def _take(direction: _Direction) -> bool:
        """Read what the source sent; True when there was something."""
        try:
            data = os.read(direction.source, READ_SIZE)
        except BlockingIOError:
            return False
        direction.pending += data
        excess = len(direction.pending) - PENDING_LIMIT
        if excess > 0:  # the oldest octets go: a receiver that catches up gets the newest
            del direction.pending[:excess]
            direction.dropped += excess
        return bool(data)

    @staticmethod
    def _give(direction: _Direction) -> None:
        try:
            written = os.write(direction.sink, direction.pending)
        except BlockingIOError:
            return
        del direction.pending[:written]
        direction.moved += written
