"""The receiving end of the extended procedures (CCSDS 355.1-B-1, key and SA management).

:func:`execute` carries out one decoded command PDU on an end's SA table and key store and
returns the reply PDU the procedure defines (key verification, key inventory, read ARSN, SA
status) or None. A refused request raises :class:`~ccsds.errors.LocalProtocolError` (state
forbids it, unknown key or SPI) or :class:`~ccsds.sdls.errors.UnwrapError` (OTAR block
fails authentication), after changing nothing: list commands apply to all keys or none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccsds.errors import LocalProtocolError
from ccsds.sdls.association import SaTable, SecurityAssociation
from ccsds.sdls.errors import SaTransitionError, UnknownSpiError
from ccsds.sdls.keys import KeyRole, KeyState, KeyStore
from ccsds.sdls.otar import open_key_block
from ccsds.sdls.procedures import (
    ExpireSaCommand,
    ExtendedProcedure,
    KeyActivationCommand,
    KeyDeactivationCommand,
    KeyDestructionCommand,
    KeyInventoryCommand,
    KeyInventoryReply,
    KeyListCommand,
    KeyVerificationCommand,
    KeyVerificationReply,
    OtarCommand,
    ReadArsnCommand,
    ReadArsnReply,
    RekeySaCommand,
    SaStatusCommand,
    SaStatusReply,
    SetArsnCommand,
    SetArsnWindowCommand,
    SpiCommand,
    StartSaCommand,
    StopSaCommand,
)

_Handler = Callable[[Any, SaTable, KeyStore], ExtendedProcedure | None]


def _spi_sa(table: SaTable, spi: int) -> SecurityAssociation:
    try:
        return table.get(spi)
    except UnknownSpiError as error:  # a request, not a received frame: the caller's error
        raise SaTransitionError(str(error)) from error


def _otar(pdu: OtarCommand, _: SaTable, keys: KeyStore) -> None:
    keys.install_uploaded(open_key_block(pdu, keys))


_KEY_TRANSITIONS: dict[type[KeyListCommand], Callable[[KeyStore, int], None]] = {
    KeyActivationCommand: KeyStore.activate, KeyDeactivationCommand: KeyStore.deactivate,
    KeyDestructionCommand: KeyStore.destroy,
}
"""Key life-cycle procedures: the transition each applies to all its keys or to none."""


def _key_transition(pdu: KeyListCommand, _: SaTable, keys: KeyStore) -> None:
    transition = _KEY_TRANSITIONS[type(pdu)]
    keys.apply_all(pdu.key_ids, lambda key_id: transition(keys, key_id))


def _verify(pdu: KeyVerificationCommand, _: SaTable, keys: KeyStore) -> KeyVerificationReply:
    for key_id, _challenge in pdu.challenges:
        if keys.record(key_id).material is None:
            raise LocalProtocolError(f"key {key_id} is destroyed")
    return KeyVerificationReply(tuple((key_id, *keys.verify(key_id, challenge))
                                      for key_id, challenge in pdu.challenges))


def _inventory(pdu: KeyInventoryCommand, _: SaTable, keys: KeyStore) -> KeyInventoryReply:
    return KeyInventoryReply(tuple((record.key_id, record.state) for record in keys
                                   if pdu.first_key_id <= record.key_id <= pdu.last_key_id))


def _rekey(pdu: RekeySaCommand, table: SaTable, keys: KeyStore) -> None:
    record = keys.record(pdu.key_id)
    if record.role is not KeyRole.SESSION or record.state in (KeyState.DEACTIVATED,
                                                              KeyState.DESTROYED):
        raise LocalProtocolError(f"key {pdu.key_id} cannot key an SA ({record.role.value}, "
                                 f"{record.state.value})")
    _spi_sa(table, pdu.spi).rekey(pdu.key_id, pdu.arsn)


_SA_TRANSITIONS: dict[type[SpiCommand], Callable[[SecurityAssociation], None]] = {
    StartSaCommand: SecurityAssociation.start, StopSaCommand: SecurityAssociation.stop,
    ExpireSaCommand: SecurityAssociation.expire,
}
"""SA state procedures: the transition each makes on its SA."""


def _sa_transition(pdu: SpiCommand, table: SaTable, _: KeyStore) -> None:
    _SA_TRANSITIONS[type(pdu)](_spi_sa(table, pdu.spi))


def _set_arsn(pdu: SetArsnCommand, table: SaTable, _: KeyStore) -> None:
    _spi_sa(table, pdu.spi).set_arsn(pdu.arsn)


def _set_window(pdu: SetArsnWindowCommand, table: SaTable, _: KeyStore) -> None:
    _spi_sa(table, pdu.spi).set_window(pdu.window)


def _read_arsn(pdu: ReadArsnCommand, table: SaTable, _: KeyStore) -> ReadArsnReply:
    return ReadArsnReply(pdu.spi, _spi_sa(table, pdu.spi).arsn)


def _status(pdu: SaStatusCommand, table: SaTable, _: KeyStore) -> SaStatusReply:
    sa = _spi_sa(table, pdu.spi)
    return SaStatusReply(pdu.spi, sa.state, sa.key_id)


_HANDLERS: dict[type[ExtendedProcedure], _Handler] = {
    OtarCommand: _otar, **dict.fromkeys(_KEY_TRANSITIONS, _key_transition),
    KeyVerificationCommand: _verify, KeyInventoryCommand: _inventory,
    RekeySaCommand: _rekey, **dict.fromkeys(_SA_TRANSITIONS, _sa_transition),
    SetArsnCommand: _set_arsn, SetArsnWindowCommand: _set_window,
    ReadArsnCommand: _read_arsn, SaStatusCommand: _status,
}


def execute(pdu: ExtendedProcedure, *, table: SaTable,
            keys: KeyStore) -> ExtendedProcedure | None:
    """Carry out a command PDU; return its reply PDU, if the procedure has one."""
    handler = _HANDLERS.get(type(pdu))
    if handler is None:
        raise LocalProtocolError(f"{type(pdu).__name__} is not a command this end executes")
    return handler(pdu, table, keys)
