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


def _activate(pdu: KeyActivationCommand, _: SaTable, keys: KeyStore) -> None:
    keys.apply_all(pdu.key_ids, keys.activate)


def _deactivate(pdu: KeyDeactivationCommand, _: SaTable, keys: KeyStore) -> None:
    keys.apply_all(pdu.key_ids, keys.deactivate)


def _destroy(pdu: KeyDestructionCommand, _: SaTable, keys: KeyStore) -> None:
    keys.apply_all(pdu.key_ids, keys.destroy)


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


def _start(pdu: StartSaCommand, table: SaTable, _: KeyStore) -> None:
    _spi_sa(table, pdu.spi).start()


def _stop(pdu: StopSaCommand, table: SaTable, _: KeyStore) -> None:
    _spi_sa(table, pdu.spi).stop()


def _expire(pdu: ExpireSaCommand, table: SaTable, _: KeyStore) -> None:
    _spi_sa(table, pdu.spi).expire()


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
    OtarCommand: _otar, KeyActivationCommand: _activate,
    KeyDeactivationCommand: _deactivate, KeyDestructionCommand: _destroy,
    KeyVerificationCommand: _verify, KeyInventoryCommand: _inventory,
    RekeySaCommand: _rekey, StartSaCommand: _start, StopSaCommand: _stop,
    ExpireSaCommand: _expire, SetArsnCommand: _set_arsn, SetArsnWindowCommand: _set_window,
    ReadArsnCommand: _read_arsn, SaStatusCommand: _status,
}


def execute(pdu: ExtendedProcedure, *, table: SaTable,
            keys: KeyStore) -> ExtendedProcedure | None:
    """Carry out a command PDU; return its reply PDU, if the procedure has one."""
    handler = _HANDLERS.get(type(pdu))
    if handler is None:
        raise LocalProtocolError(f"{type(pdu).__name__} is not a command this end executes")
    return handler(pdu, table, keys)
