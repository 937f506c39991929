"""Key files: keys at rest are wrapped, the file is authenticated, the loader is total."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import DecodeError
from ccsds.sdls.errors import KeyFileError
from ccsds.sdls.key_file import dump_key_file, key_file_kek_id, load_key_file
from ccsds.sdls.keys import KeyRole, KeyState, KeyStore

from .helpers import KEY_A, KEY_B, MASTER_KEY

KEK = bytes(range(100, 132))
OTHER_KEK = bytes(range(200, 232))


def _store() -> KeyStore:
    keys = KeyStore()
    keys.install(1, KEY_A, state=KeyState.ACTIVE)
    keys.install(2, KEY_B)
    keys.install(3, bytes(range(1, 33)), state=KeyState.ACTIVE)
    keys.deactivate(3)
    keys.install(4, bytes(range(2, 34)))
    keys.destroy(4)
    keys.install(100, MASTER_KEY, role=KeyRole.MASTER)
    keys.verification_counter = 12345
    return keys


def _summary(keys: KeyStore) -> list[tuple[int, KeyRole, KeyState, bytes | None]]:
    return [(r.key_id, r.role, r.state, r.material) for r in keys]


def test_round_trip_keeps_keys_states_roles_and_counter() -> None:
    keys = _store()
    data = dump_key_file(keys, KEK, kek_id=9)
    loaded = load_key_file(data, KEK)
    assert _summary(loaded) == _summary(keys)
    assert loaded.verification_counter == 12345
    assert key_file_kek_id(data) == 9


def test_no_key_material_appears_in_the_file() -> None:
    data = dump_key_file(_store(), KEK, kek_id=9)
    for record in _store():
        if record.material is not None:
            for start in range(0, 32 - 7):
                assert record.material[start : start + 8] not in data
    assert KEK[:8] not in data


def test_wrong_kek_is_rejected() -> None:
    with pytest.raises(KeyFileError):
        load_key_file(dump_key_file(_store(), KEK, kek_id=9), OTHER_KEK)


def test_every_altered_octet_is_rejected() -> None:
    data = dump_key_file(_store(), KEK, kek_id=9)
    for index in range(len(data)):
        altered = bytearray(data)
        altered[index] ^= 0x01
        with pytest.raises(KeyFileError):
            load_key_file(bytes(altered), KEK)
    for length in range(len(data)):
        with pytest.raises(KeyFileError):
            load_key_file(data[:length], KEK)


@given(data=st.binary(max_size=300))
def test_arbitrary_octets_give_a_typed_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        load_key_file(b"SDLSKEY1" + data, KEK)
    with pytest.raises(DecodeError):
        key_file_kek_id(data if not data.startswith(b"SDLSKEY1") else b"")


def test_malformed_body_with_valid_tag_is_rejected() -> None:
    """A file written with the right KEK but inconsistent content (as from a faulty
    writer) still fails with KeyFileError, not a crash."""
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    from ccsds.sdls.key_file import _derive  # noqa: PLC0415

    good = dump_key_file(_store(), KEK, kek_id=9)[:-32]
    mac_key = _derive(KEK, b"sdls key file mac")
    # header: magic 8, KEK id 2, counter 8, count 2; first record: id 2, role 1, state 1
    for body in (good[:-3], good + b"\x00", good[:18] + b"\x00\x09" + good[20:],
                 good[:22] + b"\x07" + good[23:], good[:23] + b"\x07" + good[24:],
                 good[:18] + b"\x00\x02" + good[20:24] + good[20:]):
        with pytest.raises(KeyFileError):
            load_key_file(body + hmac.new(mac_key, body, hashlib.sha256).digest(), KEK)
