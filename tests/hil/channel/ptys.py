"""A real pseudo-terminal for the channel's integration tests."""

from __future__ import annotations

import os
import select
import time
import tty


class Pty:
    """A pseudo-terminal: the test holds the master, the proxy opens the slave by path."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            select.select([], [self.master], [], 5.0)
            view = view[os.write(self.master, view[:4096]):]

    def read(self, count: int, timeout: float) -> bytes:
        """Up to ``count`` octets, waiting at most ``timeout`` seconds in all."""
        data, deadline = bytearray(), time.monotonic() + timeout
        while len(data) < count:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.master], [], [], left)[0]:
                break
            data += os.read(self.master, count - len(data))
        return bytes(data)

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)
