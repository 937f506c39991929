"""A real board at a pyserial URL, power-cycled through a configured shell command.

The session does not open the port itself (the ground does, with ``serial.serial_for_url``);
it checks that pyserial understands the URL. Power control is whatever command the bench
has: a USB relay, a smart plug, ``uhubctl -a cycle -p 2`` for a board powered from a hub
port. Without a command :meth:`SerialBoardSession.power_cycle` raises
:class:`~hil.boards.base.NotAvailable`. The command's output is collected in the session
log when one is given.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path
from typing import Self

import serial

from hil.boards.base import (
    BoardError,
    BoardOptions,
    BoardSession,
    BoardStartError,
    Capabilities,
    NotAvailable,
)


class PowerCycleFailed(BoardError):
    """The power-cycle command failed or did not finish in time."""


class SerialBoardSession(BoardSession):
    """An attached board: its port URL and, optionally, a power-cycle command."""

    name = "serial"

    def __init__(self, url: str, *, power_cycle_command: str | None = None,
                 fault_injection: bool = False, log_path: Path | None = None) -> None:
        """``fault_injection``: the board's software was started allowing it."""
        self.port_url = url
        self._open = False
        self.power_cycle_command = power_cycle_command
        self._fault_injection = fault_injection
        self._log_path = log_path
        self._resets = 0

    @classmethod
    def from_options(cls, options: BoardOptions) -> Self:
        if not options.port:
            raise BoardStartError("the serial board needs a port URL (--hil-port)")
        log_path = None if options.state_dir is None else options.state_dir / "session.log"
        return cls(options.port, power_cycle_command=options.power_cycle_command,
                   fault_injection=options.fault_injection, log_path=log_path)

    @classmethod
    def capabilities_for(cls, options: BoardOptions) -> Capabilities:
        return Capabilities(fault_injection=options.fault_injection,
                            power_control=bool(options.power_cycle_command))

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(fault_injection=self._fault_injection,
                            power_control=bool(self.power_cycle_command))

    @property
    def url(self) -> str | None:
        return self.port_url if self._open else None

    @property
    def reset_count(self) -> int:
        """Power cycles done by this session (resets the board does alone are not seen)."""
        return self._resets

    @property
    def log_path(self) -> Path | None:
        return self._log_path

    def open(self) -> str:
        """Check that pyserial understands the URL; returns it."""
        try:
            serial.serial_for_url(self.port_url, do_not_open=True)
        except (ValueError, serial.SerialException) as error:
            raise BoardStartError(f"{self.port_url}: {error}") from error
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
        self._open = True
        return self.port_url

    def close(self) -> None:
        """Nothing to release: the board stays powered."""
        self._open = False

    def power_cycle(self, timeout: float = 20.0) -> None:
        """Run the power-cycle command; NotAvailable without one, PowerCycleFailed when it
        exits non-zero or runs out of time."""
        if not self.power_cycle_command:
            raise NotAvailable(f"no power control for the board at {self.port_url} "
                               "(configure a command, e.g. --hil-power-cycle "
                               "'uhubctl -a cycle -p 2')")
        argv = shlex.split(self.power_cycle_command)
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                    timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:
            raise PowerCycleFailed(f"{argv[0]} did not finish within {timeout} s") from error
        except OSError as error:
            raise PowerCycleFailed(f"{argv[0]}: {error}") from error
        self._record(argv, result)
        if result.returncode != 0:
            raise PowerCycleFailed(f"{self.power_cycle_command!r} exited with status "
                                   f"{result.returncode}: {result.stderr.decode(errors='replace')}")
        self._resets += 1

    def _record(self, argv: list[str], result: subprocess.CompletedProcess[bytes]) -> None:
        if self._log_path is None:
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with self._log_path.open("ab") as out:
            out.write(f"{stamp} POWER CYCLE {shlex.join(argv)} -> {result.returncode}\n"
                      .encode())
            out.write(result.stdout + result.stderr)
