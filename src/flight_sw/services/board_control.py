"""Board control, mission service 130: set mode (130,1) and reset (130,2), both critical.

A reset is recorded with the HAL (so the next boot reports a commanded reset) and carried out
after the requested delay by the runtime, which stops and exits with status 3 for the
supervisor (systemd on a board, the bench's board session in emulation) to start it again.
"""

from __future__ import annotations

from collections.abc import Callable

from ccsds.mission_db import MissionDatabase
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.modes import Mode, ModeManager
from flight_sw.services.arguments import Arguments, Rejections, request_parser
from flight_sw.services.verification import ErrorCode, Verification

SERVICE = 130


def register(dispatcher: Dispatcher, database: MissionDatabase, modes: ModeManager,
             now: Callable[[], float], request_reset: Callable[[float], None]) -> Rejections:
    """Route (130,1) and (130,2); returns the acceptance refusal counters."""
    rejections = Rejections()

    def mode_argument(arguments: Arguments) -> Mode:
        return Mode(_integer(arguments, "mode"))  # the dictionary admits SAFE and NOMINAL

    def delay_argument(arguments: Arguments) -> float:
        return float(_integer(arguments, "delay_s"))

    def set_mode(target: Mode, verification: Verification) -> None:
        if modes.mode is Mode.BOOT:
            raise CommandError(ErrorCode.NOT_ALLOWED_IN_MODE, "still booting")
        modes.command(target, now())

    def reset(delay_s: float, verification: Verification) -> None:
        request_reset(delay_s)

    dispatcher.register(SERVICE, 1, set_mode,
                        parse=request_parser(database, SERVICE, 1, rejections, mode_argument))
    dispatcher.register(SERVICE, 2, reset,
                        parse=request_parser(database, SERVICE, 2, rejections, delay_argument))
    return rejections


def _integer(arguments: Arguments, name: str) -> int:
    value = arguments[name]
    if not isinstance(value, int):
        raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, f"{name} is not an integer")
    return value
