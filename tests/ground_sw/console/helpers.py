"""Helpers of the console tests: pilot coroutines run as plain pytest tests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec

from ccsds.mission_db import (
    Argument,
    Command,
    Event,
    Limits,
    MissionDatabase,
    Parameter,
    Severity,
)
from ground_sw.dictionary import Dictionary

P = ParamSpec("P")


def pilot_test(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an ``async`` test (textual's ``app.run_test()`` pilot) in its own event loop."""
    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def snapshot_dictionary() -> Dictionary:
    """A small fixed mission database: snapshots must not change when the flight
    software's dictionary grows."""
    temperature = Limits(warning_low=-20.0, warning_high=70.0, alarm_low=-40.0,
                         alarm_high=85.0)
    parameters = (
        Parameter(name="CPU_TEMP", type="uint16", id=1, unit="degC", limits=temperature),
        Parameter(name="BOARD_TEMP", type="uint16", id=2, unit="degC", limits=temperature),
        Parameter(name="POWER", type="uint16", id=3, unit="W",
                  limits=Limits(warning_high=18.0, alarm_high=22.0)),
        Parameter(name="MODE", type="enum8", id=4, enumeration=(("SAFE", 0), ("NOMINAL", 1))),
        Parameter(name="UPTIME", type="uint32", id=5, unit="s"),
        Parameter(name="STORE_USED", type="uint64", id=6, unit="octet"),
    )
    commands = (
        Command("TEST_ARE_YOU_ALIVE", 17, 1),
        Command("BOARD_SET_MODE", 130, 1, (Argument(
            name="mode", type="enum8", enumeration=(("SAFE", 0), ("NOMINAL", 1)),
            description="target mode"),), critical=True, description="change the board mode"),
    )
    events = (Event(1, "BOOT", Severity.INFO, (Argument(name="boot_count", type="uint16"),)),
              Event(2, "OVER_TEMPERATURE", Severity.MEDIUM,
                    (Argument(name="temperature", type="uint16"),)))
    return Dictionary.of(MissionDatabase("snapshot_mission", "1.0", 100, commands, parameters,
                                         events))
