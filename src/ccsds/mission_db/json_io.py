"""Canonical JSON export and load of a mission database, and its SHA-256 hash.

The canonical form (sorted keys, one-space indent, ASCII only, newline at the end) is a
pure function of the definitions, so its SHA-256 is stable across runs and machines; the
board reports it in its boot event and the ground checks it against the file it loaded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ccsds.errors import DecodeError
from ccsds.mission_db.model import (
    Argument,
    Command,
    DictionaryError,
    Event,
    Field,
    HousekeepingStructure,
    Limits,
    MissionDatabase,
    Parameter,
    Severity,
)

FORMAT_VERSION = 1
"""Version of the JSON layout (key ``format``)."""


class DictionaryFormatError(DecodeError):
    """A JSON document is not a valid mission database export."""


# ----------------------------------------------------------------------------- export

def _field(item: Field) -> dict[str, Any]:
    return {"name": item.name, "type": item.type, "unit": item.unit, "minimum": item.minimum,
            "maximum": item.maximum, "enumeration": [list(pair) for pair in item.enumeration],
            "description": item.description}


def _parameter(item: Parameter) -> dict[str, Any]:
    limits = item.limits
    return {**_field(item), "id": item.id, "calibration": list(item.calibration),
            "settable": item.settable,
            "limits": None if limits is None else {
                "warning_low": limits.warning_low, "warning_high": limits.warning_high,
                "alarm_low": limits.alarm_low, "alarm_high": limits.alarm_high}}


def to_dict(db: MissionDatabase) -> dict[str, Any]:
    """The database as plain JSON-able data (list order kept: it is the definition order)."""
    return {
        "format": FORMAT_VERSION, "name": db.name, "version": db.version, "apid": db.apid,
        "commands": [{"name": c.name, "service": c.service, "subtype": c.subtype,
                      "critical": c.critical, "deduced": c.deduced,
                      "description": c.description,
                      "arguments": [_field(a) for a in c.arguments]} for c in db.commands],
        "parameters": [_parameter(p) for p in db.parameters],
        "events": [{"id": e.id, "name": e.name, "severity": e.severity.name.lower(),
                    "description": e.description,
                    "parameters": [_field(a) for a in e.parameters]} for e in db.events],
        "housekeeping": [{"id": h.id, "name": h.name, "parameters": list(h.parameters),
                          "interval_s": h.interval_s, "enabled": h.enabled,
                          "description": h.description} for h in db.housekeeping],
    }


def dumps(db: MissionDatabase) -> str:
    """The canonical JSON text."""
    return json.dumps(to_dict(db), sort_keys=True, indent=1, ensure_ascii=True,
                      allow_nan=False) + "\n"


def dictionary_digest(db: MissionDatabase) -> bytes:
    """SHA-256 of the canonical JSON (32 octets, as the boot event carries it)."""
    return hashlib.sha256(dumps(db).encode("ascii")).digest()


def dictionary_hash(db: MissionDatabase) -> str:
    """SHA-256 of the canonical JSON, in hex."""
    return dictionary_digest(db).hex()


# ----------------------------------------------------------------------------- load

def _field_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {"name": data["name"], "type": data["type"], "unit": data["unit"],
            "minimum": data["minimum"], "maximum": data["maximum"],
            "enumeration": tuple((label, value) for label, value in data["enumeration"]),
            "description": data["description"]}


def _load_parameter(data: dict[str, Any]) -> Parameter:
    limits = data["limits"]
    return Parameter(**_field_kwargs(data), id=data["id"],
                     calibration=tuple(data["calibration"]), settable=data["settable"],
                     limits=None if limits is None else Limits(**limits))


def from_dict(data: dict[str, Any]) -> MissionDatabase:
    """Rebuild a database from :func:`to_dict` data (DictionaryFormatError if malformed)."""
    try:
        if data["format"] != FORMAT_VERSION:
            raise DictionaryFormatError(f"JSON format {data['format']!r}, expected 1")
        return MissionDatabase(
            name=data["name"], version=data["version"], apid=data["apid"],
            commands=tuple(Command(
                c["name"], c["service"], c["subtype"],
                tuple(Argument(**_field_kwargs(a)) for a in c["arguments"]),
                critical=c["critical"], description=c["description"], deduced=c["deduced"],
            ) for c in data["commands"]),
            parameters=tuple(_load_parameter(p) for p in data["parameters"]),
            events=tuple(Event(
                e["id"], e["name"], Severity[e["severity"].upper()],
                tuple(Argument(**_field_kwargs(a)) for a in e["parameters"]), e["description"],
            ) for e in data["events"]),
            housekeeping=tuple(HousekeepingStructure(
                h["id"], h["name"], tuple(h["parameters"]), h["interval_s"], h["enabled"],
                h["description"]) for h in data["housekeeping"]),
        )
    except DictionaryFormatError:
        raise
    except (DictionaryError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DictionaryFormatError(f"not a mission database export: {exc!r}") from None


def loads(text: str | bytes) -> MissionDatabase:
    """Load a database from JSON text (DictionaryFormatError if malformed)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DictionaryFormatError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DictionaryFormatError("a mission database export is a JSON object")
    return from_dict(data)
