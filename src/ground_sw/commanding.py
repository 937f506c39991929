"""Telecommands from the dictionary: a command name and typed arguments to a PUS-C TC.

Arguments are validated against the mission database before anything is sent (types,
ranges and enumerations: ECSS-E-ST-70-41C 7.3 parameter types, 7.4.3.1 TC packets).
Critical commands need an explicit operator confirmation (``confirm=True``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from ccsds.config import LinkConfig
from ccsds.errors import LocalProtocolError
from ccsds.mission_db import Command, DictionaryError, MissionDatabase, encode_command
from ccsds.pus import AckFlags, PusTc
from ccsds.pus_types import Value
from ccsds.spacepacket import SEQUENCE_COUNT_MODULUS
from ground_sw.errors import (
    ArgumentValidationError,
    CriticalCommandError,
    UnknownCommandError,
)


@dataclass(frozen=True)
class PreparedCommand:
    """A validated telecommand ready for the uplink."""

    command: Command
    arguments: dict[str, Value]
    tc: PusTc

    @property
    def request(self) -> tuple[int, int]:
        """(APID, sequence count): the key of its verification reports."""
        return (self.tc.apid, self.tc.sequence_count)


class Commander:
    """Builds PUS TCs by command name, numbering them with the packet sequence count."""

    def __init__(self, database: MissionDatabase, config: LinkConfig | None = None) -> None:
        self.database = database
        self.config = config or LinkConfig.baseline()
        self._sequence = 0

    def command(self, name: str) -> Command:
        """The command called ``name`` (UnknownCommandError with the closest names)."""
        try:
            return self.database.command(name)
        except DictionaryError:
            names = [c.name for c in self.database.commands]
            close = difflib.get_close_matches(name, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownCommandError(f"no command {name!r} in dictionary "
                                      f"{self.database.name} {self.database.version}{hint}",
                                      ) from None

    def encode(self, command: Command, arguments: Mapping[str, Value]) -> bytes:
        """The application data (ArgumentValidationError naming the faulty argument)."""
        if command.deduced:
            not_settable = [n for n in arguments if not self._settable(n)]
            if not_settable:
                raise ArgumentValidationError(
                    f"{command.name}: {not_settable} are not settable parameters")
        try:
            return encode_command(self.database, command, arguments)
        except (LocalProtocolError, TypeError) as exc:
            raise ArgumentValidationError(str(exc)) from None

    def _settable(self, name: str) -> bool:
        return any(p.name == name for p in self.database.settable_parameters)

    def prepare(self, name: str, arguments: Mapping[str, Value] | None = None, *,
                confirm: bool = False, ack: AckFlags = AckFlags.ALL) -> PreparedCommand:
        """Validate and build one TC; consumes a sequence count only when valid."""
        command = self.command(name)
        values = dict(arguments or {})
        data = self.encode(command, values)
        if command.critical and not confirm:
            raise CriticalCommandError(f"{name} is critical: send it with confirm=True")
        packets = self.config.packets
        tc = PusTc(packets.apid_pus, self._sequence, command.service, command.subtype, data,
                   source_id=packets.ground_source_id, ack_flags=ack)
        self._sequence = (self._sequence + 1) % SEQUENCE_COUNT_MODULUS
        return PreparedCommand(command, values, tc)
