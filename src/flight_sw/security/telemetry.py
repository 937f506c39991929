"""Housekeeping source of the security parameters (structure 7, ids 224..239).

Sampled whether or not SDLS is attached: with SDLS off every counter reads 0; with SDLS on
but no security attached (every frame rejected, fail secure) the rejections still count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ccsds.pus_types import Value
from ccsds.sdls.association import SaState
from ccsds.sdls.keys import KeyRole, KeyState
from flight_sw.board_telemetry import counters_source
from flight_sw.services.arguments import Rejections

if TYPE_CHECKING:
    from flight_sw.app import FlightSoftware
    from flight_sw.security.service import BoardSecurity

_UINT8 = 0xFF


def security_parameters(software: FlightSoftware) -> dict[str, int | bool]:
    """The security parameters by name (counters wrap in the pool's source)."""
    frames = software.link.uplink.security_counters
    values: dict[str, int | bool] = {
        "SDLS_ENABLED": software.config.sdls.enabled,
        "SDLS_FRAMES_ACCEPTED": frames.accepted,
        "SDLS_FRAMES_REJECTED": frames.rejected,
        "SDLS_REJECTED_MAC": frames.mac,
        "SDLS_REJECTED_REPLAY": frames.replay,
        "SDLS_REJECTED_WINDOW": frames.out_of_window,
        "SDLS_REJECTED_SPI": frames.unknown_spi,
        "SDLS_REJECTED_SA": frames.sa_state + frames.wrong_channel + frames.key_state,
        "SDLS_REJECTED_FORMAT": frames.malformed + frames.truncated + frames.iv
        + frames.pad_length + frames.other,
    }
    security = software.security
    return values | (_state(security) if security is not None else dict.fromkeys(
        ("SDLS_PROCEDURES_DONE", "SDLS_PROCEDURES_REFUSED", "SDLS_OPERATIONAL_SAS",
         "SDLS_ACTIVE_KEYS", "SDLS_EVENTS_SUPPRESSED", "SDLS_SAVE_FAILURES"), 0))


def _state(security: BoardSecurity) -> dict[str, int | bool]:
    counters = security.counters
    operational = sum(sa.state is SaState.OPERATIONAL for sa in security.table)
    active = sum(record.role is KeyRole.SESSION and record.state is KeyState.ACTIVE
                 for record in security.keys)
    return {
        "SDLS_PROCEDURES_DONE": counters.procedures_done,
        "SDLS_PROCEDURES_REFUSED": counters.procedures_refused
        + _refused_at_acceptance(counters.rejected),
        "SDLS_OPERATIONAL_SAS": min(operational, _UINT8),
        "SDLS_ACTIVE_KEYS": min(active, _UINT8),
        "SDLS_EVENTS_SUPPRESSED": counters.events_suppressed,
        "SDLS_SAVE_FAILURES": counters.save_failures,
    }


def _refused_at_acceptance(rejections: Rejections) -> int:
    return rejections.invalid_data + rejections.out_of_range + rejections.unknown_id


def security_source(software: FlightSoftware) -> Callable[[float], Mapping[str, Value]]:
    """The pool source of the security parameters of ``software``."""
    return counters_source(lambda: security_parameters(software))
