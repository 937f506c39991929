"""The interface every board backend implements: a session with one board on the bench.

A session gives the ground a port URL (``serial.serial_for_url`` opens it), power-cycles
the board when it can, counts the resets it saw and says where the board's log is. What a
backend can do is declared in :class:`Capabilities`, known before the session is opened so
that tests needing a missing capability are skipped rather than failed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self


class BoardError(Exception):
    """Base class of the errors of board sessions."""


class NotAvailable(BoardError):
    """The board cannot do what was asked: no power control configured, say."""


class BoardStartError(BoardError):
    """The board could not be started or opened; the message says why (and its log)."""


@dataclass(frozen=True)
class Capabilities:
    """What the test bench can do to a board beyond talking to it."""

    fault_injection: bool = False
    """The board accepts fault-injection requests (service 131)."""
    power_control: bool = False
    """:meth:`BoardSession.power_cycle` works."""


@dataclass(frozen=True)
class BoardOptions:
    """The settings a backend is created from (the pytest options, a bench script)."""

    port: str | None = None
    """pyserial URL of an attached board."""
    power_cycle_command: str | None = None
    """Shell command that power-cycles an attached board (``uhubctl -a cycle -p 2``)."""
    state_dir: Path | None = None
    """Where an emulated board keeps its state and log (default: a temporary directory)."""
    fault_injection: bool = True
    """Emulated: start with ``--allow-fault-injection``; attached: the board was."""
    extra_args: tuple[str, ...] = field(default_factory=tuple)
    """More ``flight-sw run`` options for an emulated board."""


class BoardSession(ABC):
    """One board on the bench, from :meth:`open` to :meth:`close`."""

    name: str = ""
    """The registry name of the backend."""

    @classmethod
    @abstractmethod
    def from_options(cls, options: BoardOptions) -> Self:
        """A session configured from ``options`` (nothing is started until :meth:`open`)."""

    @classmethod
    @abstractmethod
    def capabilities_for(cls, options: BoardOptions) -> Capabilities:
        """What a session made from ``options`` will be able to do."""

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What this session can do."""

    @abstractmethod
    def open(self) -> str:
        """Start or attach to the board; returns the URL the ground opens."""

    @property
    @abstractmethod
    def url(self) -> str | None:
        """The URL the ground opens, None while the session is not open."""

    @abstractmethod
    def close(self) -> None:
        """Stop or release the board (idempotent)."""

    @abstractmethod
    def power_cycle(self, timeout: float = 20.0) -> None:
        """Remove and restore the board's power; :class:`NotAvailable` without control."""

    @property
    @abstractmethod
    def reset_count(self) -> int:
        """Resets and power cycles the session has seen since :meth:`open`."""

    @property
    @abstractmethod
    def log_path(self) -> Path | None:
        """The file the board's log (or the session's own) is collected in, if any."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
