"""Wiring link security into the flight software and ``flight-sw run`` (docs/security.md 10).

Options (each also from an environment variable, for a supervisor's unit file):

* ``--sdls-kek FILE`` (``SDLS_KEK_FILE``): the 32-octet key-encrypting key. It must not lie
  in the state dir: on a flight board it is the secure element's device key.
* ``--sdls-keys FILE`` (``SDLS_KEY_FILE``): the provisioning key file (wrapped under the
  KEK), used at the first boot only.
* ``--sdls-sa FILE`` (``SDLS_SA_FILE``): the provisioning SA file, first boot only.
* ``--sdls-tm-sa FILE`` (``SDLS_TM_SA_FILE``): the provisioning TM SA file, read at the first
  boot with ``sdls.tm_protection`` (its keys are in the key file).

With ``sdls.enabled`` in the mission configuration the KEK is required (the board refuses
to start without it); without it, giving any of them is an error (a mismatch with the
ground, which would then protect frames the board cannot read).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ccsds.config import LinkConfig
from ccsds.sdls.association import SaTable
from ccsds.sdls.keys import KeyRole, KeyState, KeyStore
from flight_sw.security.persistence import SecuritySetupError, open_state, open_tm_state
from flight_sw.security.service import BoardSecurity

if TYPE_CHECKING:
    from flight_sw.app import FlightSoftware

_OPTIONS = (("--sdls-kek", "SDLS_KEK_FILE", "sdls_kek",
             "32-octet key-encrypting key of the SDLS key file (never in the state dir)"),
            ("--sdls-keys", "SDLS_KEY_FILE", "sdls_keys",
             "provisioning SDLS key file, wrapped under the KEK (first boot)"),
            ("--sdls-sa", "SDLS_SA_FILE", "sdls_sa", "provisioning SDLS SA file (first boot)"),
            ("--sdls-tm-sa", "SDLS_TM_SA_FILE", "sdls_tm_sa",
             "provisioning SDLS TM SA file (first boot with sdls.tm_protection)"))


@dataclass(frozen=True)
class SecuritySettings:
    """Where the board's SDLS KEK and provisioning files are."""

    kek: Path
    keys: Path | None = None
    associations: Path | None = None
    tm_associations: Path | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The SDLS options of ``flight-sw run``."""
    for option, variable, dest, text in _OPTIONS:
        default = os.environ.get(variable)
        parser.add_argument(option, dest=dest, type=Path, metavar="FILE",
                            default=Path(default) if default else None,
                            help=f"{text} (default ${variable})")


def settings_from_args(args: argparse.Namespace) -> SecuritySettings | None:
    """The settings the options give; None when none is given."""
    kek, keys, associations, tm = (getattr(args, dest, None) for _, _, dest, _ in _OPTIONS)
    if kek is None:
        if keys is not None or associations is not None or tm is not None:
            raise SecuritySetupError("--sdls-keys, --sdls-sa and --sdls-tm-sa need --sdls-kek")
        return None
    return SecuritySettings(kek, keys, associations, tm)


def attach_security(software: FlightSoftware,
                    settings: SecuritySettings | None) -> BoardSecurity | None:
    """Load the board's SDLS state and put it on the uplink, service 140 and housekeeping.

    Returns None when the mission has SDLS off; raises SecuritySetupError when the settings
    and the mission configuration disagree or the state cannot be loaded.
    """
    config = software.config
    if not config.sdls.enabled:
        if settings is not None:
            raise SecuritySetupError("SDLS options given but the mission configuration has "
                                     "sdls.enabled = false")
        return None
    if settings is None:
        raise SecuritySetupError("the mission configuration enables SDLS: --sdls-kek is "
                                 "required")
    if settings.tm_associations is not None and not config.sdls.tm_protection:
        raise SecuritySetupError("--sdls-tm-sa given but the mission configuration has "
                                 "sdls.tm_protection = false")
    files, table, keys = open_state(software.state_dir, settings.kek, settings.keys,
                                    settings.associations)
    tc = config.tc.virtual_channel
    for sa in table:
        if sa.applies_to(tc) and sa.service.value != config.sdls.tc_service:
            raise SecuritySetupError(f"SA {sa.spi} on the TC VC is {sa.service.value}, the "
                                     f"mission requires {config.sdls.tc_service}")
    tm_table = None
    if config.sdls.tm_protection:
        tm_table = open_tm_state(files, settings.tm_associations)
        check_tm_associations(config, table, tm_table, keys)
    events = software.services.events
    security = BoardSecurity(config, table, keys, files, database=software.database,
                             emit=software.emit, raise_event=events.raise_event,
                             now=software.clock.monotonic, tm_table=tm_table)
    software.link.uplink.security = security.uplink
    software.link.downlink.security = security.downlink
    software.security = security
    security.register(software.dispatcher)
    return security


def check_tm_associations(config: LinkConfig, tc: SaTable, tm: SaTable, keys: KeyStore) -> None:
    """Refuse a TM SA table the board could not send with, or one sharing a key with the TC
    SAs (the two directions' IVs could then meet under one key, SP 800-38D 8.2.1).

    Every protected VC needs an OPERATIONAL TM SA of service ``sdls.tm_service`` under an
    ACTIVE session key; TM SAs apply to protected VCs only.
    """
    sdls = config.sdls
    protected = set(sdls.tm_virtual_channels)
    for sa in tm:
        if sa.service.value != sdls.tm_service:
            raise SecuritySetupError(f"TM SA {sa.spi} is {sa.service.value}, the mission "
                                     f"requires {sdls.tm_service}")
        if not sa.virtual_channels <= protected:
            raise SecuritySetupError(f"TM SA {sa.spi} names VCs outside "
                                     "sdls.tm_virtual_channels")
    for vc in sorted(protected):
        usable = [sa for sa in tm.operational_for(vc) if sa.key_id is not None
                  and sa.key_id in keys and keys.record(sa.key_id).role is KeyRole.SESSION
                  and keys.state(sa.key_id) is KeyState.ACTIVE]
        if not usable:
            raise SecuritySetupError(f"no operational TM SA under an active session key "
                                     f"for VC {vc}")
    tc_keys = {sa.key_id for sa in tc if sa.key_id is not None}
    for sa in tm:
        if sa.key_id is not None and sa.key_id in tc_keys:
            raise SecuritySetupError(f"TM SA {sa.spi} uses key {sa.key_id} of a TC SA: a "
                                     "session key protects one direction only")
