"""Key life cycle (355.1-B-1, key management), key wrap (RFC 3394) and key verification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import LocalProtocolError
from ccsds.sdls.errors import KeyStateError, KeyStateTransitionError, UnknownKeyError, UnwrapError
from ccsds.sdls.keys import (
    KeyRole,
    KeyState,
    KeyStore,
    challenge_reply_matches,
    unwrap_key,
    wrap_key,
)

from .helpers import KEY_A, KEY_B, MASTER_ID, MASTER_KEY

# RFC 3394 section 4.6: 256 bits of key data wrapped with a 256-bit KEK
RFC_KEK = bytes(range(32))
RFC_KEY = bytes.fromhex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f")
RFC_WRAPPED = bytes.fromhex("28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326"
                            "cbc7f0e71a99f43bfb988b9b7a02dd21")

LEGAL = {  # (state, action) -> next state
    (KeyState.PRE_ACTIVATION, "activate"): KeyState.ACTIVE,
    (KeyState.ACTIVE, "deactivate"): KeyState.DEACTIVATED,
    (KeyState.PRE_ACTIVATION, "destroy"): KeyState.DESTROYED,
    (KeyState.DEACTIVATED, "destroy"): KeyState.DESTROYED,
}


def _store_with_key_in(state: KeyState) -> KeyStore:
    keys = KeyStore()
    keys.install(7, KEY_A)
    if state in (KeyState.ACTIVE, KeyState.DEACTIVATED):
        keys.activate(7)
    if state is KeyState.DEACTIVATED:
        keys.deactivate(7)
    if state is KeyState.DESTROYED:
        keys.destroy(7)
    assert keys.state(7) is state
    return keys


def test_wrap_matches_rfc3394_vector() -> None:
    assert wrap_key(RFC_KEK, RFC_KEY) == RFC_WRAPPED
    assert unwrap_key(RFC_KEK, RFC_WRAPPED) == RFC_KEY


@given(kek=st.binary(min_size=32, max_size=32), key=st.binary(min_size=32, max_size=32),
       other=st.binary(min_size=32, max_size=32))
def test_wrap_round_trip_and_wrong_kek_rejected(kek: bytes, key: bytes, other: bytes) -> None:
    wrapped = wrap_key(kek, key)
    assert key not in wrapped
    assert unwrap_key(kek, wrapped) == key
    if other != kek:
        with pytest.raises(UnwrapError):
            unwrap_key(other, wrapped)


@given(wrapped=st.binary(max_size=64))
def test_unwrap_of_arbitrary_octets_is_a_typed_error(wrapped: bytes) -> None:
    """Any length, any content: the 64-bit integrity check fails (RFC 3394 2.2.3)."""
    with pytest.raises(UnwrapError):
        unwrap_key(RFC_KEK, wrapped)


@pytest.mark.parametrize("state", KeyState)
@pytest.mark.parametrize("action", ["activate", "deactivate", "destroy"])
def test_key_transitions_follow_the_life_cycle(state: KeyState, action: str) -> None:
    keys = _store_with_key_in(state)
    target = LEGAL.get((state, action))
    if target is None:
        with pytest.raises(KeyStateTransitionError):
            getattr(keys, action)(7)
        assert keys.state(7) is state
    else:
        getattr(keys, action)(7)
        assert keys.state(7) is target


@pytest.mark.parametrize("state", KeyState)
def test_only_active_session_keys_protect_traffic(state: KeyState) -> None:
    keys = _store_with_key_in(state)
    if state is KeyState.ACTIVE:
        assert keys.traffic_cipher(7) is keys.traffic_cipher(7)  # cached
    else:
        with pytest.raises(KeyStateError):
            keys.traffic_cipher(7)


def test_destroy_erases_material_and_retires_the_id() -> None:
    keys = _store_with_key_in(KeyState.DESTROYED)
    assert keys.record(7).material is None
    with pytest.raises(KeyStateTransitionError):
        keys.install(7, KEY_B)


def test_master_keys_cannot_carry_traffic_nor_be_commanded() -> None:
    keys = KeyStore()
    keys.install(MASTER_ID, MASTER_KEY, role=KeyRole.MASTER)
    assert keys.state(MASTER_ID) is KeyState.ACTIVE
    assert keys.master_material(MASTER_ID) == MASTER_KEY
    with pytest.raises(KeyStateError):
        keys.traffic_cipher(MASTER_ID)
    with pytest.raises(KeyStateTransitionError):
        keys.deactivate(MASTER_ID)
    keys.install(3, KEY_A)
    with pytest.raises(KeyStateTransitionError):
        keys.master_material(3)


def test_invalid_keys_and_unknown_ids_are_refused() -> None:
    keys = KeyStore()
    with pytest.raises(LocalProtocolError):
        keys.install(1, b"short")
    with pytest.raises(LocalProtocolError):
        keys.install(0x10000, KEY_A)
    with pytest.raises(UnknownKeyError):
        keys.activate(99)
    with pytest.raises(KeyStateError):
        keys.traffic_cipher(None)


def test_apply_all_changes_all_keys_or_none() -> None:
    keys = KeyStore()
    keys.install(1, KEY_A)
    keys.install(2, KEY_B, state=KeyState.ACTIVE)
    with pytest.raises(KeyStateTransitionError):
        keys.apply_all([1, 2], keys.activate)  # key 2 is already active
    assert keys.state(1) is KeyState.PRE_ACTIVATION
    keys.apply_all([1], keys.activate)
    assert keys.state(1) is KeyState.ACTIVE


def test_install_uploaded_is_all_or_none() -> None:
    keys = KeyStore()
    keys.install(1, KEY_A)
    with pytest.raises(KeyStateTransitionError):
        keys.install_uploaded([(5, KEY_B), (1, KEY_B)])
    assert 5 not in keys
    with pytest.raises(KeyStateTransitionError):
        keys.install_uploaded([(5, KEY_B), (5, KEY_B)])


@given(challenge=st.binary(min_size=16, max_size=16))
def test_verification_answers_prove_the_key_and_never_reuse_an_iv(challenge: bytes) -> None:
    keys = KeyStore()
    keys.install(1, KEY_A)  # PRE_ACTIVATION keys can be verified
    first_iv, first = keys.verify(1, challenge)
    second_iv, second = keys.verify(1, challenge)
    assert first_iv != second_iv and first != second
    assert keys.verification_counter == 2
    assert challenge_reply_matches(KEY_A, challenge, first_iv, first)
    assert not challenge_reply_matches(KEY_B, challenge, first_iv, first)
    assert not challenge_reply_matches(KEY_A, bytes(16) if any(challenge) else b"\x01" * 16,
                                       first_iv, first)
    assert not challenge_reply_matches(KEY_A, challenge, bytes(12), first)


def test_destroyed_keys_cannot_be_verified() -> None:
    keys = _store_with_key_in(KeyState.DESTROYED)
    with pytest.raises(KeyStateTransitionError):
        keys.verify(7, bytes(16))
