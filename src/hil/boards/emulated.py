"""An emulated board: ``flight-sw run`` in a subprocess on a pty, supervised like a board.

The flight software opens the slave of the board pty of a :class:`~hil.boards.relay.PtyRelay`
and keeps its state (boot record, settings, storage image) in the session's state directory.
The ground opens the other pty, whose path does not change when the board restarts. A
supervisor thread plays the board's supervisor (docs/icd.md section 10): when the software
exits with 3 (commanded reset), 4 (watchdog) or 5 (FDIR power cycle) it is started again,
and :meth:`EmulatedBoardSession.power_cycle` is SIGKILL then a start, the state directory
surviving as non-volatile memory does (a SIGKILL from elsewhere, e.g. a bench power-cycle
command ``kill -9 $(cat flight.pid)``, is a power cut as well). Any other exit ends the
session's board, and :attr:`EmulatedBoardSession.exit_status` says how. The software's
log, its stderr and the supervisor's notes are collected in ``flight.log`` in the state
directory.
"""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Self

from flight_sw.run_command import EXIT_POWER_CYCLE, EXIT_RESET, EXIT_WATCHDOG
from hil.boards.base import (
    BoardError,
    BoardOptions,
    BoardSession,
    BoardStartError,
    Capabilities,
)
from hil.boards.relay import PtyRelay, RelayCounters

log = logging.getLogger(__name__)

RESTART_STATUSES = {EXIT_RESET: "commanded reset", EXIT_WATCHDOG: "watchdog reset",
                    EXIT_POWER_CYCLE: "FDIR power cycle", -signal.SIGKILL: "power removed"}
"""Exit statuses after which the board's supervisor starts the software again. SIGKILL
from outside the session is a power cut too: the power comes back and the board boots."""
LOG_NAME = "flight.log"
PID_NAME = "flight.pid"
"""The running software's process id, for a power-cycle command (``kill -9``)."""
STOP_TIMEOUT_S = 10.0
LOG_TAIL = 2000
"""Octets of the log quoted in a start error."""


class EmulatedBoardSession(BoardSession):
    """One ``flight-sw run`` process, restarted on its reset exits, behind a pty relay."""

    name = "emulated"

    def __init__(self, state_dir: Path | None = None, *, fault_injection: bool = True,
                 storage_size: int | None = None, idle_interval: float = 0.2,
                 extra_args: tuple[str, ...] = (), start_timeout: float = 20.0) -> None:
        """``state_dir`` None: a temporary directory, removed by :meth:`close`."""
        self._given_state_dir = state_dir
        self._fault_injection = fault_injection
        self._storage_size = storage_size
        self._idle_interval = idle_interval
        self._extra_args = extra_args
        self._start_timeout = start_timeout
        self._state_dir: Path | None = None
        self._temporary: str | None = None
        self._relay: PtyRelay | None = None
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._supervisor: threading.Thread | None = None
        self._condition = threading.Condition()
        self._closing = False
        self._cycle_requested = False
        self._resets = 0
        self._statuses: list[int] = []
        self._exit_status: int | None = None

    # -- construction from options -----------------------------------------------------

    @classmethod
    def from_options(cls, options: BoardOptions) -> Self:
        if options.port:
            raise BoardStartError(f"the emulated board makes its own port; {options.port} is "
                                  "for an attached board (backend serial)")
        return cls(options.state_dir, fault_injection=options.fault_injection,
                   extra_args=options.extra_args)

    @classmethod
    def capabilities_for(cls, options: BoardOptions) -> Capabilities:
        return Capabilities(fault_injection=options.fault_injection, power_control=True)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(fault_injection=self._fault_injection, power_control=True)

    # -- state -----------------------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        """The board's non-volatile state (BoardError before :meth:`open`)."""
        if self._state_dir is None:
            raise BoardError("the emulated board is not open")
        return self._state_dir

    @property
    def log_path(self) -> Path | None:
        return None if self._state_dir is None else self._state_dir / LOG_NAME

    @property
    def url(self) -> str | None:
        return None if self._relay is None or self._closing else self._relay.ground_path

    @property
    def reset_count(self) -> int:
        with self._condition:
            return self._resets

    @property
    def exit_statuses(self) -> list[int]:
        """Every exit status of the software since :meth:`open` (negative: a signal)."""
        with self._condition:
            return list(self._statuses)

    @property
    def exit_status(self) -> int | None:
        """The status the board ended with when it is no longer restarted, else None."""
        with self._condition:
            return self._exit_status

    @property
    def pid(self) -> int | None:
        """The process id of the running software, None when it is not running."""
        with self._condition:
            process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def relay_counters(self) -> RelayCounters:
        """Octets moved and dropped between the board and the ground."""
        if self._relay is None:
            return RelayCounters()
        return self._relay.counters

    # -- life cycle ------------------------------------------------------------------------

    def open(self) -> str:
        """Start the board; returns the ground's pty path once the board sends octets."""
        if self._relay is not None:
            raise BoardError("the emulated board is already open")
        if self._given_state_dir is None:
            self._temporary = tempfile.mkdtemp(prefix="emulated-board-")
            self._state_dir = Path(self._temporary)
        else:
            self._state_dir = self._given_state_dir
            self._state_dir.mkdir(parents=True, exist_ok=True)
        self._log = (self._state_dir / LOG_NAME).open("ab")
        self._relay = PtyRelay()
        self._relay.start()
        with self._condition:
            self._process = self._spawn()
        self._supervisor = threading.Thread(target=self._supervise, name="board-supervisor",
                                            daemon=True)
        self._supervisor.start()
        try:
            self._wait_first_octets()
        except BaseException:
            self.close()
            raise
        return self._relay.ground_path

    def _wait_first_octets(self) -> None:
        assert self._relay is not None
        deadline = time.monotonic() + self._start_timeout
        while not self._relay.downlink_started.wait(0.05):
            status = self.exit_status
            if status is not None or time.monotonic() > deadline:
                reason = f"exited with status {status}" if status is not None \
                    else f"sent nothing within {self._start_timeout} s"
                raise BoardStartError(f"emulated board {reason}: {self._log_tail()}")

    def _log_tail(self) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(no log)"
        return path.read_bytes()[-LOG_TAIL:].decode(errors="replace")

    def _command(self) -> list[str]:
        assert self._relay is not None and self._state_dir is not None
        command = [sys.executable, "-m", "flight_sw.cli", "run",
                   "--port", self._relay.board_path, "--state-dir", str(self._state_dir),
                   "--idle-interval", str(self._idle_interval),
                   "--log-file", str(self._state_dir / LOG_NAME)]
        if self._fault_injection:
            command.append("--allow-fault-injection")
        if self._storage_size is not None:
            command += ["--storage-size", str(self._storage_size)]
        return [*command, *self._extra_args]

    def _spawn(self) -> subprocess.Popen[bytes]:
        """Start the software and note its process id (condition held)."""
        process = subprocess.Popen(self._command(), stdin=subprocess.DEVNULL, stdout=self._log,
                                   stderr=self._log)
        assert self._state_dir is not None
        (self._state_dir / PID_NAME).write_text(f"{process.pid}\n")
        return process

    def _note(self, message: str) -> None:
        """A supervisor line in the board log (and the bench's own log)."""
        log.info("%s", message)
        if self._log is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            self._log.write(f"{stamp} SUPERVISOR {message}\n".encode())
            self._log.flush()

    def _supervise(self) -> None:
        while True:
            with self._condition:
                process = self._process
            assert process is not None
            status = process.wait()
            with self._condition:
                self._statuses.append(status)
                if self._closing:
                    return
                cycled, self._cycle_requested = self._cycle_requested, False
                if not cycled and status not in RESTART_STATUSES:
                    self._exit_status = status
                    self._note(f"software exited with status {status}: not restarted")
                    self._condition.notify_all()
                    return
                why = "power cycle from the bench" if cycled else RESTART_STATUSES[status]
                self._note(f"software exited with status {status} ({why}): restarting")
                assert self._relay is not None
                self._relay.flush_board_input()
                try:
                    self._process = self._spawn()
                except OSError as error:
                    self._exit_status = status
                    self._note(f"software could not be started again: {error}")
                    self._condition.notify_all()
                    return
                self._resets += 1
                self._condition.notify_all()

    def power_cycle(self, timeout: float = 20.0) -> None:
        """SIGKILL the software (power gone: nothing is flushed) and start it again."""
        with self._condition:
            process = self._process
            if process is None or self._closing or self._exit_status is not None:
                raise BoardError("the emulated board is not running")
            target = self._resets + 1
            self._cycle_requested = True
            process.send_signal(signal.SIGKILL)
            if not self._condition.wait_for(lambda: self._resets >= target
                                            or self._exit_status is not None, timeout):
                raise BoardStartError(f"the board did not restart within {timeout} s")

    def wait_reset(self, count: int, timeout: float = 20.0) -> bool:
        """Wait until :attr:`reset_count` reaches ``count``; False on timeout or exit."""
        with self._condition:
            self._condition.wait_for(lambda: self._resets >= count
                                     or self._exit_status is not None, timeout)
            return self._resets >= count

    def wait_exit(self, timeout: float = 20.0) -> int | None:
        """Wait until the board ends without a restart; its status, None on timeout."""
        with self._condition:
            self._condition.wait_for(lambda: self._exit_status is not None, timeout)
            return self._exit_status

    def close(self) -> None:
        """SIGTERM the software (SIGKILL after 10 s), stop the relay, remove a temporary
        state directory."""
        with self._condition:
            if self._closing:
                return
            self._closing = True
            process = self._process
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._supervisor is not None:
            self._supervisor.join(timeout=STOP_TIMEOUT_S)
        if self._relay is not None:
            self._relay.close()
        if self._log is not None:
            self._log.close()
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
