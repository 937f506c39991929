"""SA files: the security association table of one end as JSON text.

Both ends configure their SAs from such a file (the same parameters on each side, each end
keeping its own ARSN). The format, ``{"format": "sdls-sa/1", "associations": [...]}`` with
one object per SA holding every :class:`~ccsds.sdls.association.SecurityAssociation` field
(octet strings in hex), is documented in docs/security.md. SA files hold no key material.

A sending end must never reuse a sequence number after a reset (the IV would repeat under
the key, NIST SP 800-38D 8.3): it saves its table with a ``reserve`` ahead of the ARSN
before using those numbers, and restarts from the saved value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ccsds.errors import LocalProtocolError
from ccsds.sdls.association import SaState, SaTable, SecurityAssociation, ServiceType
from ccsds.sdls.errors import KeyFileError, SaTransitionError
from ccsds.sdls.iv import MAX_COUNTER

FORMAT = "sdls-sa/1"
_INT_FIELDS = ("spi", "iv_field_length", "sn_field_length", "pad_field_length",
               "arsn_window", "arsn")
_FIELDS = frozenset((*_INT_FIELDS, "virtual_channels", "service", "iv_fixed_field",
                     "auth_mask", "key_id", "state"))


def _entry(sa: SecurityAssociation, reserve: int) -> dict[str, object]:
    return {
        "spi": sa.spi,
        "virtual_channels": sorted(sa.virtual_channels),
        "service": sa.service.value,
        "iv_fixed_field": sa.iv_fixed_field.hex(),
        "iv_field_length": sa.iv_field_length,
        "sn_field_length": sa.sn_field_length,
        "pad_field_length": sa.pad_field_length,
        "arsn_window": sa.arsn_window,
        "auth_mask": sa.auth_mask.hex(),
        "key_id": sa.key_id,
        "state": sa.state.value,
        "arsn": min(sa.arsn + reserve, MAX_COUNTER),
    }


def dumps_sa_table(table: SaTable, *, reserve: Mapping[int, int] | None = None) -> str:
    """JSON text of ``table``; ``reserve`` adds, per SPI, sequence numbers to skip on reload."""
    reserve = reserve or {}
    document = {"format": FORMAT,
                "associations": [_entry(sa, reserve.get(sa.spi, 0)) for sa in table]}
    return json.dumps(document, indent=2)


def _integer(entry: Mapping[str, Any], name: str) -> int:
    value = entry[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise KeyFileError(f"SA field {name!r} must be an integer")
    return value


def _octets(entry: Mapping[str, Any], name: str) -> bytes:
    value = entry[name]
    if not isinstance(value, str):
        raise KeyFileError(f"SA field {name!r} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError as error:
        raise KeyFileError(f"SA field {name!r} is not hex") from error


def _association(entry: object) -> SecurityAssociation:
    if not isinstance(entry, dict):
        raise KeyFileError("each SA must be a JSON object")
    if set(entry) != _FIELDS:
        raise KeyFileError(f"SA fields differ from the format: {sorted(set(entry) ^ _FIELDS)}")
    channels = entry["virtual_channels"]
    if not isinstance(channels, list) or not all(
            isinstance(vc, int) and not isinstance(vc, bool) for vc in channels):
        raise KeyFileError("SA field 'virtual_channels' must be a list of integers")
    key_id = entry["key_id"]
    if key_id is not None:
        key_id = _integer(entry, "key_id")
    try:
        service = ServiceType(entry["service"])
        state = SaState(entry["state"])
        return SecurityAssociation(
            spi=_integer(entry, "spi"), virtual_channels=frozenset(channels), service=service,
            iv_fixed_field=_octets(entry, "iv_fixed_field"),
            iv_field_length=_integer(entry, "iv_field_length"),
            sn_field_length=_integer(entry, "sn_field_length"),
            pad_field_length=_integer(entry, "pad_field_length"),
            arsn_window=_integer(entry, "arsn_window"), auth_mask=_octets(entry, "auth_mask"),
            key_id=key_id, state=state, arsn=_integer(entry, "arsn"))
    except (ValueError, TypeError) as error:  # bad enum value, or a LocalProtocolError
        raise KeyFileError(f"invalid SA: {error}") from error


def loads_sa_table(text: str | bytes) -> SaTable:
    """Parse an SA file; :class:`KeyFileError` for anything malformed or inconsistent."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise KeyFileError(f"SA file is not JSON: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT \
            or set(document) != {"format", "associations"} \
            or not isinstance(document["associations"], list):
        raise KeyFileError(f"not an SA file of format {FORMAT}")
    try:
        return SaTable([_association(entry) for entry in document["associations"]])
    except (SaTransitionError, LocalProtocolError) as error:
        raise KeyFileError(f"invalid SA table: {error}") from error
