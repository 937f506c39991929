"""Telecommands typed as text, ``NAME arg=value ...``, read against the mission dictionary.

Shared by the ``ground-sw cmd`` command line and the console's command input. Each value
is converted by its argument's PUS parameter type (ECSS-E-ST-70-41C 7.3): integers in any
Python base (``42``, ``0x2a``), reals, booleans (``true``/``false``, ``1``/``0``, ``yes``/
``no``, ``on``/``off``), enumeration labels or values, character strings as written (quote
them to keep spaces: ``name="a b"``), octet strings in hex (``0a1b`` or ``0x0a1b``) and
absolute time (CUC, CCSDS 301.0-B-4) as ISO 8601 UTC (``2030-01-01T00:00:00Z``) or seconds
since the CUC epoch. Deduced commands (service 20 set values, ECSS 6.20.4.2) take
``PARAMETER=value`` pairs typed by the parameter table. Ranges and enumerations are checked
later by :class:`ground_sw.commanding.Commander`; here only the text form is judged.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ccsds.config import LinkConfig
from ccsds.errors import LocalProtocolError
from ccsds.mission_db import Command, MissionDatabase
from ccsds.mission_db.model import Field, Parameter
from ccsds.pus_types import Ptc, Value
from ccsds.timecode import TAI_MINUS_UTC, CucTime
from ground_sw.commanding import Commander
from ground_sw.errors import ArgumentValidationError

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True)
class ParsedCommand:
    """A command name from the dictionary and its typed argument values."""

    command: Command
    arguments: dict[str, Value]

    @property
    def name(self) -> str:
        """The command's dictionary name."""
        return self.command.name


def split_words(text: str) -> list[str]:
    """Shell-like words (quotes keep spaces); ArgumentValidationError on unbalanced quotes."""
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ArgumentValidationError(f"cannot read {text!r}: {exc}") from None


def fields_of(database: MissionDatabase, command: Command) -> tuple[Field, ...]:
    """The fields a command takes: its arguments, or the settable parameters when deduced."""
    return database.settable_parameters if command.deduced else command.arguments


def parse_value(item: Field, text: str) -> Value:
    """The value of ``text`` for a field of ``item``'s type (ArgumentValidationError)."""
    ptc = item.pus_type.ptc
    try:
        if ptc == Ptc.BOOLEAN:
            return _boolean(text)
        if ptc == Ptc.REAL:
            return float(text)
        if ptc == Ptc.OCTET_STRING:
            return bytes.fromhex(text.removeprefix("0x").removeprefix("0X"))
        if ptc == Ptc.ABSOLUTE_TIME:
            return _time(text)
        if item.pus_type.is_integer:
            number = _integer_or_none(text)
            if number is not None:
                return number
            if item.enumeration:
                return text  # a label: checked against the enumeration when encoded
            return int(text, 0)
    except (ValueError, OverflowError, LocalProtocolError) as exc:
        raise ArgumentValidationError(
            f"{item.name}={text!r} is not a {item.type} value ({exc})") from None
    return text


def _integer_or_none(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("use true or false")


def _time(text: str) -> CucTime:
    try:
        return CucTime.from_seconds(float(text))
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return CucTime.from_datetime(moment, TAI_MINUS_UTC)


class CommandParser:
    """Reads ``NAME arg=value ...`` lines against one mission database."""

    def __init__(self, database: MissionDatabase, config: LinkConfig | None = None) -> None:
        self.database = database
        self._commander = Commander(database, config)

    def command(self, name: str) -> Command:
        """The command called ``name`` (UnknownCommandError suggesting close names)."""
        return self._commander.command(name)

    def parse(self, text: str) -> ParsedCommand:
        """The command and typed values of a line (UnknownCommandError,
        ArgumentValidationError for a malformed or unknown argument)."""
        words = split_words(text)
        if not words:
            raise ArgumentValidationError("no command given")
        return self.parse_words(words[0], words[1:])

    def parse_words(self, name: str, words: list[str]) -> ParsedCommand:
        """The command ``name`` with ``arg=value`` words, fully validated (types, ranges,
        enumerations, missing arguments) without consuming a sequence count."""
        command = self.command(name)
        fields = {item.name: item for item in fields_of(self.database, command)}
        values: dict[str, Value] = {}
        for word in words:
            key, equals, text = word.partition("=")
            if not equals or not key:
                raise ArgumentValidationError(f"{command.name}: {word!r} is not name=value"
                                              f" ({self.usage(command)})")
            if key not in fields:
                raise ArgumentValidationError(f"{command.name}: no argument {key!r} "
                                              f"({self.usage(command)})")
            if key in values:
                raise ArgumentValidationError(f"{command.name}: {key} given twice")
            values[key] = parse_value(fields[key], text)
        self._commander.encode(command, values)  # missing and out-of-range values, now
        return ParsedCommand(command, values)

    def usage(self, command: Command) -> str:
        """One line: the command and its arguments with their types."""
        fields = fields_of(self.database, command)
        if command.deduced:
            return f"{command.name} PARAMETER=value ... (settable parameters)"
        parts = [command.name, *(f"{item.name}=<{item.type}>" for item in fields)]
        return " ".join(parts)

    def help(self, command: Command) -> str:
        """Argument help: service, criticality, description, each argument's type and range."""
        critical = " CRITICAL (needs confirmation)" if command.critical else ""
        lines = [f"{command.name} ({command.service},{command.subtype}){critical}"
                 + (f": {command.description}" if command.description else "")]
        if command.deduced:
            names = ", ".join(p.name for p in self.database.settable_parameters)
            lines.append(f"  PARAMETER=value for any of: {names}")
        lines += [f"  {field_help(item)}" for item in command.arguments]
        return "\n".join(lines)

    def complete(self, text: str) -> str | None:
        """``text`` completed by the first matching command name, argument name or
        enumeration label (the whole line), or None when nothing fits."""
        head, space, last = text.rpartition(" ")
        if not space:
            return self._first(last, (c.name for c in self.database.commands))
        words = head.split()
        if not words:
            return None
        try:
            command = self.database.command(words[0])
        except LocalProtocolError:
            return None
        fields = fields_of(self.database, command)
        key, equals, partial = last.partition("=")
        if not equals:
            given = {w.partition("=")[0] for w in words[1:]}
            choices = (f"{item.name}=" for item in fields if item.name not in given)
            found = self._first(last, choices)
        else:
            item = next((f for f in fields if f.name == key), None)
            if item is None:
                return None
            labels = [label for label, _ in item.enumeration]
            if item.pus_type.ptc == Ptc.BOOLEAN:
                labels = ["true", "false"]
            found = self._first(partial, labels)
            found = None if found is None else f"{key}={found}"
        return None if found is None else f"{head} {found}"

    @staticmethod
    def _first(prefix: str, choices: Iterable[str]) -> str | None:
        """The first choice starting with ``prefix`` (case-insensitive), exact case kept
        for what was typed so the completion extends it."""
        folded = prefix.casefold()
        for choice in choices:
            if choice.casefold().startswith(folded) and choice != prefix:
                return prefix + choice[len(prefix):]
        return None


def parameter_help(parameter: Parameter) -> str:
    """A parameter's field help with its settable flag and monitoring limits."""
    text = field_help(parameter) + (" (settable)" if parameter.settable else "")
    limits = parameter.limits
    if limits is not None:
        bounds = [f"{name} {_number(value)}" for name, value in (
            ("alarm low", limits.alarm_low), ("warning low", limits.warning_low),
            ("warning high", limits.warning_high), ("alarm high", limits.alarm_high))
            if value is not None]
        text += "; limits: " + ", ".join(bounds)
    return text


def field_help(item: Field) -> str:
    """``name: type [unit] range or labels -- description`` for one field."""
    parts = [f"{item.name}: {item.type}"]
    if item.unit:
        parts.append(f"[{item.unit}]")
    if item.enumeration:
        parts.append("|".join(label for label, _ in item.enumeration))
    elif item.minimum is not None or item.maximum is not None:
        low = "" if item.minimum is None else _number(item.minimum)
        high = "" if item.maximum is None else _number(item.maximum)
        parts.append(f"{low}..{high}")
    text = " ".join(parts)
    return f"{text} -- {item.description}" if item.description else text


def _number(value: float) -> str:
    """A bound as written in the dictionary: integers without exponent or point."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
