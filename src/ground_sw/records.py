"""What the ground receives and sends, as records that listeners take: the archive stores
them, the console and the scripting API show and wait on them, replay plays them back.

Times are ground receive (or send) times in seconds since the Unix epoch (UTC); a record
of on-board origin also carries the packet's on-board time when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from ccsds.pus_types import Value


@dataclass(frozen=True)
class FrameRecord:
    """One TM transfer frame as delivered by the frame synchronizer and RS decoder."""

    time: float
    virtual_channel: int
    frame: bytes
    rs_corrected: int = 0


@dataclass(frozen=True)
class PacketRecord:
    """One space packet reassembled from a virtual channel."""

    time: float
    virtual_channel: int
    apid: int
    packet: bytes
    service: int | None = None
    subtype: int | None = None
    onboard_time: float | None = None


@dataclass(frozen=True)
class ParameterSample:
    """A telemetry parameter value decoded from a housekeeping or parameter report."""

    time: float
    name: str
    raw: Value
    engineering: Value
    limit: str = "NOMINAL"
    """ccsds.mission_db.LimitState name: NOMINAL, WARNING_LOW, ALARM_HIGH..."""
    onboard_time: float | None = None


@dataclass(frozen=True)
class EventRecord:
    """An on-board event report (service 5)."""

    time: float
    name: str
    severity: str
    values: dict[str, Value] = field(default_factory=dict)
    onboard_time: float | None = None


class Outcome(Enum):
    """Where a telecommand stands in its verification (PUS service 1)."""

    SENT = "sent"
    ACCEPTED = "accepted"
    STARTED = "started"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed out"


@dataclass(frozen=True)
class CommandRecord:
    """A telecommand sent, or a verification step of one (same ``request`` key)."""

    time: float
    request: tuple[int, int]
    """(APID, sequence count) of the request (its PUS request id)."""
    name: str
    arguments: dict[str, Value]
    outcome: Outcome
    stage: int | None = None
    """Service 1 subtype that produced this record (None when sent)."""
    error_code: int | None = None


Record = FrameRecord | PacketRecord | ParameterSample | EventRecord | CommandRecord


class Listener(Protocol):
    """Anything that takes ground records (archive, console, waiters, UDP bridge)."""

    def on_record(self, record: Record) -> None:
        """Take one record; must not block (queue it if the work is slow)."""
        ...
