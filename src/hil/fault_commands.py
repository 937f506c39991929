"""Radiation upsets delivered as fault-injection commands (service 131, docs/icd.md section
13): :class:`FaultCommander` is an :class:`~hil.radiation.Injector`'s ``inject_event``
callable that batches bit positions into FAULT_FLIP_BITS (131,1) and FAULT_STICK_BITS (131,4)
requests, sent critical (confirmed, ECSS-E-ST-70-41C 5.3.5.2) without waiting."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hil.radiation import UpsetEvent, UpsetKind

POSITIONS_PER_COMMAND = 100
"""Bit positions per FAULT_FLIP_BITS / FAULT_STICK_BITS: one TC frame each (ICD section 2)."""
POSITION_OCTETS = 8
"""Each position is a 64-bit big-endian bit index (ICD section 13)."""


class Completion(Protocol):
    """A sent command (:class:`~ground_sw.verification.CommandHandle`)."""

    def wait_completed(self, timeout: float = ...) -> object:
        """Wait for the completion report (1,7); VerificationFailed on a failure."""


class CommandSender(Protocol):
    """What the commander needs of a ground station (:class:`~ground_sw.station.GroundStation`
    satisfies it)."""

    @property
    def clock(self) -> Callable[[], float]:
        """Ground time (Unix seconds)."""

    def send(self, command: str, /, arguments: Mapping[str, Any] | None = None, *,
             confirm: bool = False) -> Completion:
        """Validate and send a command; its handle at once."""


@dataclass
class InjectionLog:
    """What the bench sent to the board as fault-injection commands."""

    events: int = 0
    bits_flipped: int = 0
    bits_stuck: int = 0
    commands: int = 0
    timeline: list[tuple[float, int]] = field(default_factory=list)
    """(ground time, bits touched by the commands sent then)."""


def encode_positions(positions: list[int]) -> bytes:
    """The ``positions`` argument of (131,1) and (131,4): 64-bit big-endian bit indices."""
    return b"".join(p.to_bytes(POSITION_OCTETS, "big") for p in positions)


class FaultCommander:
    """Collects each event's bit positions and, on :meth:`flush`, sends them as
    FAULT_FLIP_BITS and FAULT_STICK_BITS commands; device events (SEFI, latch-up) are
    counted in :attr:`skipped`, not delivered."""

    def __init__(self, station: CommandSender) -> None:
        self.station = station
        self.log = InjectionLog()
        self.handles: list[Completion] = []
        self.skipped: dict[str, int] = {}
        """Device events the commander does not deliver, by kind."""
        self._flips: dict[str, list[int]] = {}
        self._stuck: dict[tuple[str, int], list[int]] = {}

    def __call__(self, event: UpsetEvent) -> None:
        self.log.events += 1
        bits = list(event.positions)
        if event.kind in (UpsetKind.BIT, UpsetKind.CLUSTER):
            self._flips.setdefault(event.region, []).extend(bits)
        elif event.kind is UpsetKind.STUCK:
            key = (event.region, event.stuck_value or 0)
            self._stuck.setdefault(key, []).extend(bits)
        else:
            self.skipped[event.kind.value] = self.skipped.get(event.kind.value, 0) + 1

    def flush(self) -> int:
        """Send what was collected; returns the bits sent."""
        sent = 0
        for region, positions in self._flips.items():
            sent += self._send("FAULT_FLIP_BITS", {"region": region}, positions)
            self.log.bits_flipped += len(positions)
        for (region, value), positions in self._stuck.items():
            sent += self._send("FAULT_STICK_BITS", {"region": region, "value": value},
                               positions)
            self.log.bits_stuck += len(positions)
        self._flips.clear()
        self._stuck.clear()
        if sent:
            self.log.timeline.append((self.station.clock(), sent))
        return sent

    def _send(self, command: str, arguments: dict[str, Any], positions: list[int]) -> int:
        for start in range(0, len(positions), POSITIONS_PER_COMMAND):
            chunk = positions[start:start + POSITIONS_PER_COMMAND]
            self.handles.append(self.station.send(
                command, {**arguments, "positions": encode_positions(chunk)}, confirm=True))
            self.log.commands += 1
        return len(positions)

    def wait_all(self, timeout: float) -> None:
        """Wait for every command's completion report (VerificationFailed on a failure)."""
        deadline = time.monotonic() + timeout
        for handle in self.handles:
            handle.wait_completed(max(0.1, deadline - time.monotonic()))
