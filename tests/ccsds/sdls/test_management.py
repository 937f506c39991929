"""Key and SA management procedures end to end, and rekeying with frames in flight."""

from __future__ import annotations

import dataclasses

import pytest

from ccsds.errors import DecodeError, LocalProtocolError
from ccsds.sdls.association import SaState, SaTable
from ccsds.sdls.errors import SaStateError, SaTransitionError, UnwrapError
from ccsds.sdls.keys import KeyRole, KeyState, KeyStore, challenge_reply_matches
from ccsds.sdls.management import execute
from ccsds.sdls.otar import open_key_block, seal_key_block
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
    ReadArsnCommand,
    ReadArsnReply,
    RekeySaCommand,
    SaStatusCommand,
    SaStatusReply,
    SetArsnCommand,
    SetArsnWindowCommand,
    StartSaCommand,
    StopSaCommand,
    decode_pdu,
)

from .helpers import KEY_A_ID, MASTER_ID, MASTER_KEY, Ends, make_sa, tc

NEW_KEY = bytes(range(150, 182))
NEW_ID = 10
CHALLENGE = bytes(range(16))


def _board(ends: Ends, pdu: ExtendedProcedure) -> ExtendedProcedure | None:
    """Send a PDU the way it travels: encoded, decoded on board, executed."""
    reply = execute(decode_pdu(pdu.encode()), table=ends.board, keys=ends.board_keys)
    return None if reply is None else decode_pdu(reply.encode())


def _ground_install(ends: Ends, key_id: int, key: bytes) -> None:
    ends.ground_keys.install(key_id, key, state=KeyState.ACTIVE)


def test_otar_upload_verify_activate() -> None:
    ends = Ends.of(make_sa())
    assert _board(ends, seal_key_block(MASTER_ID, MASTER_KEY, 1, [(NEW_ID, NEW_KEY)])) is None
    assert ends.board_keys.state(NEW_ID) is KeyState.PRE_ACTIVATION
    reply = _board(ends, KeyVerificationCommand(((NEW_ID, CHALLENGE),)))
    assert isinstance(reply, KeyVerificationReply)
    ((key_id, iv, sealed),) = reply.answers
    assert key_id == NEW_ID and challenge_reply_matches(NEW_KEY, CHALLENGE, iv, sealed)
    _board(ends, KeyActivationCommand((NEW_ID,)))
    assert ends.board_keys.state(NEW_ID) is KeyState.ACTIVE
    inventory = _board(ends, KeyInventoryCommand(NEW_ID - 1, NEW_ID))
    assert inventory == KeyInventoryReply(((NEW_ID, KeyState.ACTIVE),))


def test_otar_with_wrong_master_key_or_tampered_block_is_rejected() -> None:
    ends = Ends.of(make_sa())
    forged = seal_key_block(MASTER_ID, bytes(32), 1, [(NEW_ID, NEW_KEY)])
    with pytest.raises(UnwrapError):
        _board(ends, forged)
    genuine = seal_key_block(MASTER_ID, MASTER_KEY, 2, [(NEW_ID, NEW_KEY)])
    tampered = dataclasses.replace(genuine, encrypted_keys=bytes(
        [genuine.encrypted_keys[0] ^ 1]) + genuine.encrypted_keys[1:])
    with pytest.raises(UnwrapError):
        _board(ends, tampered)
    with pytest.raises(UnwrapError):
        _board(ends, dataclasses.replace(genuine, iv=bytes(12)))
    twin = KeyStore()  # the same material under another id: the id is authenticated too
    twin.install(MASTER_ID + 1, MASTER_KEY, role=KeyRole.MASTER)
    with pytest.raises(UnwrapError):
        open_key_block(dataclasses.replace(genuine, master_key_id=MASTER_ID + 1), twin)
    with pytest.raises(LocalProtocolError):  # a session key is no master key
        _board(ends, seal_key_block(KEY_A_ID, bytes(32), 3, [(NEW_ID, NEW_KEY)]))
    assert NEW_ID not in ends.board_keys


def test_refused_requests_change_nothing() -> None:
    ends = Ends.of(make_sa())
    before = (ends.board_keys.state(KEY_A_ID), ends.board.get(1).state)
    for pdu in (KeyActivationCommand((KEY_A_ID,)), KeyDestructionCommand((KEY_A_ID,)),
                StartSaCommand(1), ExpireSaCommand(1), RekeySaCommand(1, KEY_A_ID, 0),
                StopSaCommand(99), SetArsnCommand(1, 5),
                KeyVerificationCommand(((77, CHALLENGE),))):
        with pytest.raises(LocalProtocolError):
            _board(ends, pdu)
    assert (ends.board_keys.state(KEY_A_ID), ends.board.get(1).state) == before
    with pytest.raises(LocalProtocolError):
        execute(SaStatusReply(1, SaState.KEYED, None), table=ends.board, keys=ends.board_keys)


def test_sa_management_and_status_replies() -> None:
    ends = Ends.of(make_sa())
    assert _board(ends, SaStatusCommand(1)) == SaStatusReply(1, SaState.OPERATIONAL, KEY_A_ID)
    _board(ends, StopSaCommand(1))
    _board(ends, SetArsnCommand(1, 500))
    _board(ends, SetArsnWindowCommand(1, 4))
    assert _board(ends, ReadArsnCommand(1)) == ReadArsnReply(1, 500)
    _board(ends, ExpireSaCommand(1))
    assert _board(ends, SaStatusCommand(1)) == SaStatusReply(1, SaState.UNKEYED, None)
    with pytest.raises(LocalProtocolError):  # a master key cannot key an SA
        _board(ends, RekeySaCommand(1, MASTER_ID, 0))
    _board(ends, RekeySaCommand(1, KEY_A_ID, 7))
    _board(ends, StartSaCommand(1))
    assert (ends.board.get(1).state, ends.board.get(1).arsn) == (SaState.OPERATIONAL, 7)


def test_rekeying_with_frames_in_flight_loses_none() -> None:
    """Make before break (355.1-B-1, SA management): SA 2 with the new key is made OPERATIONAL while
    SA 1 still is; frames already protected under SA 1 keep being accepted, in any mix
    with SA 2 frames, until the switch point (Stop SA 1). None is lost; none of SA 1 is
    accepted after it."""
    ends = Ends.of(make_sa(spi=1), make_sa(spi=2, key_id=None, state=SaState.UNKEYED))
    in_flight = [ends.protect_tc(tc(n, b"old %d" % n)) for n in range(5)]

    ends.board_keys.install_uploaded(open_key_block(
        seal_key_block(MASTER_ID, MASTER_KEY, 1, [(NEW_ID, NEW_KEY)]), ends.board_keys))
    _board(ends, KeyActivationCommand((NEW_ID,)))
    _board(ends, RekeySaCommand(2, NEW_ID, 0))
    _board(ends, StartSaCommand(2))
    _ground_install(ends, NEW_ID, NEW_KEY)
    ground_sa2 = ends.ground.get(2)
    ground_sa2.rekey(NEW_ID)
    ground_sa2.start()

    delivered = [ends.receive_tc(in_flight[0]).data, ends.receive_tc(in_flight[1]).data]
    new = [ends.protect_tc(tc(10 + n, b"new %d" % n), spi=2) for n in range(3)]
    delivered += [ends.receive_tc(new[0]).data, ends.receive_tc(in_flight[2]).data,
                  ends.receive_tc(new[1]).data, ends.receive_tc(in_flight[3]).data,
                  ends.receive_tc(in_flight[4]).data]
    _board(ends, StopSaCommand(1))  # the switch point
    delivered.append(ends.receive_tc(new[2]).data)
    assert sorted(delivered) == sorted([b"\xc0old %d" % n for n in range(5)]
                                       + [b"\xc0new %d" % n for n in range(3)])
    late = ends.protect_tc(tc(9, b"late"))  # the ground forgot to switch
    with pytest.raises(SaStateError):
        ends.receive_tc(late)
    _board(ends, ExpireSaCommand(1))
    _board(ends, KeyDeactivationCommand((KEY_A_ID,)))
    _board(ends, KeyDestructionCommand((KEY_A_ID,)))
    assert ends.board_keys.record(KEY_A_ID).material is None
    with pytest.raises(DecodeError):
        ends.receive_tc(in_flight[0])


def test_delete_needs_an_unkeyed_sa() -> None:
    table = SaTable([make_sa()])
    with pytest.raises(SaTransitionError):
        table.delete(1)
