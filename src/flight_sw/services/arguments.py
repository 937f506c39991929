"""Acceptance checks shared by the standard services: decode a request's application data
with the mission database codec and turn every failure into a counted CommandError, so the
dispatcher answers (1,2) with its code (ECSS-E-ST-70-41C 6.1.4, acceptance)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ccsds.errors import DecodeError
from ccsds.mission_db import MissionDatabase, UnknownIdError, ValueRangeError, decode_command
from ccsds.pus import PusTc
from ccsds.pus_types import Value
from flight_sw.dispatch import CommandError
from flight_sw.services.verification import ErrorCode

Arguments = dict[str, Value]
T = TypeVar("T")
_UINT16 = struct.Struct(">H")


@dataclass
class Rejections:
    """Requests a service refused at acceptance, by reason."""

    invalid_data: int = 0
    out_of_range: int = 0
    unknown_id: int = 0
    not_settable: int = 0

    def unknown(self, what: str, item_id: int) -> CommandError:
        """Count and build the refusal of an id the dictionary lacks (data: the id)."""
        self.unknown_id += 1
        return CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE, f"no {what} {item_id}",
                            _UINT16.pack(item_id & 0xFFFF))


def request_parser(database: MissionDatabase, service: int, subtype: int,
                   rejections: Rejections, check: Callable[[Arguments], T]
                   ) -> Callable[[PusTc], T]:
    """The acceptance step of (``service``, ``subtype``): decode its arguments as the
    dictionary defines them, then ``check`` them (which raises CommandError to refuse).

    Out-of-range values and unknown ids give ARGUMENT_OUT_OF_RANGE, any other malformed
    data INVALID_APPLICATION_DATA.
    """
    command = database.command_by_type(service, subtype)

    def parse(tc: PusTc) -> T:
        try:
            arguments = decode_command(database, command, tc.application_data)
        except (ValueRangeError, UnknownIdError) as exc:
            rejections.out_of_range += 1
            raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE, str(exc)) from None
        except DecodeError as exc:
            rejections.invalid_data += 1
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, str(exc)) from None
        return check(arguments)

    return parse


def integer(arguments: Arguments, name: str) -> int:
    """An integer argument (the codec decoded it from an integer field)."""
    value = arguments[name]
    if not isinstance(value, int):
        raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, f"{name} is not an integer")
    return value
