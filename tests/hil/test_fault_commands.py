"""FaultCommander: a radiation schedule's events become FAULT_FLIP_BITS / FAULT_STICK_BITS
commands carrying exactly the scheduled bits, a TC frame's worth each."""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from hil.fault_commands import POSITIONS_PER_COMMAND, FaultCommander, encode_positions
from hil.profiles import load_profile
from hil.radiation import (
    EnvironmentModel,
    Injector,
    MemorySpec,
    UpsetEvent,
    UpsetKind,
    UpsetSchedule,
)

BITS = 32 << 20


@dataclass
class RecordedHandle:
    """A sent command that completes at once (or fails when ``error`` is set)."""

    error: Exception | None = None
    waited: list[float] = field(default_factory=list)

    def wait_completed(self, timeout: float = 10.0) -> object:
        self.waited.append(timeout)
        if self.error is not None:
            raise self.error
        return self


@dataclass
class RecordingStation:
    """Records what would be sent. Does not model the dictionary's argument validation, the
    link, nor verification reports arriving later: every command completes at once."""

    sent: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    handles: list[RecordedHandle] = field(default_factory=list)
    now: float = 100.0

    def clock(self) -> float:
        return self.now

    def send(self, command: str, /, arguments: Mapping[str, Any] | None = None, *,
             confirm: bool = False) -> RecordedHandle:
        self.sent.append((command, dict(arguments or {}), confirm))
        self.handles.append(RecordedHandle())
        return self.handles[-1]


def _positions(raw: bytes) -> list[int]:
    return [value for (value,) in struct.iter_unpack(">Q", raw)]


def _schedule(seed: int = 2) -> UpsetSchedule:
    """About 1000 upsets over the region in 10 s, a few of them stuck bits."""
    model = EnvironmentModel(load_profile("lunar-transit"), "worst-day", 2e11)
    return model.schedule([MemorySpec("nand", "nand", BITS)], 10.0,
                          np.random.default_rng(seed), soc=None)


def test_every_scheduled_bit_goes_up_once_with_its_stuck_value() -> None:
    schedule = _schedule()
    events = list(schedule)
    station = RecordingStation()
    commander = FaultCommander(station)
    injector = Injector(schedule, inject_event=commander)
    injector.advance(math.inf)
    sent_bits = commander.flush()
    flipped = [p for name, args, _ in station.sent if name == "FAULT_FLIP_BITS"
               for p in _positions(args["positions"])]
    stuck = {(p, args["value"]) for name, args, _ in station.sent if name == "FAULT_STICK_BITS"
             for p in _positions(args["positions"])}
    expected_flips = [p for e in events if e.kind in (UpsetKind.BIT, UpsetKind.CLUSTER)
                      for p in e.positions]
    expected_stuck = {(p, e.stuck_value) for e in events if e.kind is UpsetKind.STUCK
                      for p in e.positions}
    assert flipped == expected_flips and stuck == expected_stuck and expected_stuck
    assert sent_bits == len(expected_flips) + sum(
        len(e.positions) for e in events if e.kind is UpsetKind.STUCK)
    assert all(len(args["positions"]) <= 8 * POSITIONS_PER_COMMAND
               and args["region"] == "nand" and confirm for _, args, confirm in station.sent)
    log = commander.log
    assert log.commands == len(station.sent) and log.events == len(events)
    assert log.bits_flipped == len(expected_flips) and log.timeline == [(100.0, sent_bits)]


def test_device_events_are_counted_not_sent_and_nothing_pending_sends_nothing() -> None:
    station = RecordingStation()
    commander = FaultCommander(station)
    commander(UpsetEvent(1.0, "soc", UpsetKind.SEFI, ()))
    commander(UpsetEvent(2.0, "soc", UpsetKind.LATCHUP, ()))
    assert commander.flush() == 0
    assert station.sent == [] and commander.log.timeline == []
    assert commander.skipped == {UpsetKind.SEFI.value: 1, UpsetKind.LATCHUP.value: 1}


def test_wait_all_waits_for_each_command_and_raises_a_failure() -> None:
    station = RecordingStation()
    commander = FaultCommander(station)
    commander(UpsetEvent(0.5, "nand", UpsetKind.CLUSTER,
                         tuple(range(POSITIONS_PER_COMMAND + 1))))
    commander.flush()
    assert len(station.sent) == 2  # 101 positions: two commands
    commander.wait_all(5.0)
    assert all(h.waited for h in station.handles)
    station.handles[1].error = TimeoutError("no completion report")
    with pytest.raises(TimeoutError):
        commander.wait_all(5.0)


def test_positions_are_64_bit_big_endian() -> None:
    assert encode_positions([1, 1 << 40]) == struct.pack(">QQ", 1, 1 << 40)
