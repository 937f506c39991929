"""Key files: a :class:`~ccsds.sdls.keys.KeyStore` at rest, never in plaintext.

Layout (all integers big-endian)::

    magic "SDLSKEY1" (8) | KEK id (2) | verification counter (8) | record count (2)
    record: key id (2) | role (1) | state (1) | wrapped key (40; absent when destroyed)
    HMAC-SHA-256 (32) over everything before it

Each key is wrapped with AES key wrap (RFC 3394) under a wrapping key, and the whole file is
authenticated with HMAC-SHA-256 (FIPS 198-1) under a MAC key; both are derived from the
256-bit key-encrypting key (KEK) with HKDF-SHA-256 (RFC 5869) and distinct labels, so that
neither key material nor states, ids or the verification counter can be read or altered
without the KEK. Files are bytes in and out: where they are kept is the caller's business.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ccsds.errors import LocalProtocolError
from ccsds.sdls.errors import KeyFileError, KeyStateTransitionError, UnwrapError
from ccsds.sdls.keys import (
    KEY_LENGTH,
    WRAPPED_KEY_LENGTH,
    KeyRole,
    KeyState,
    KeyStore,
    unwrap_key,
    wrap_key,
)

MAGIC = b"SDLSKEY1"
_HEADER = struct.Struct(">8sHQH")
_RECORD = struct.Struct(">HBB")
TAG_LENGTH = 32
_ROLES = (KeyRole.MASTER, KeyRole.SESSION)
_STATES = (KeyState.PRE_ACTIVATION, KeyState.ACTIVE, KeyState.DEACTIVATED, KeyState.DESTROYED)


def _derive(kek: bytes, label: bytes) -> bytes:
    if len(kek) != KEY_LENGTH:
        raise LocalProtocolError(f"the KEK must be {KEY_LENGTH} octets")
    return HKDF(hashes.SHA256(), KEY_LENGTH, salt=None, info=label).derive(kek)


def _tag(kek: bytes, body: bytes) -> bytes:
    return hmac.new(_derive(kek, b"sdls key file mac"), body, hashlib.sha256).digest()


def dump_key_file(store: KeyStore, kek: bytes, kek_id: int) -> bytes:
    """Serialise ``store`` with every key wrapped under ``kek`` (identified by ``kek_id``)."""
    if not 0 <= kek_id <= 0xFFFF:
        raise LocalProtocolError(f"KEK id {kek_id} outside 0..65535")
    wrapping = _derive(kek, b"sdls key file wrap")
    records = list(store)
    body = bytearray(_HEADER.pack(MAGIC, kek_id, store.verification_counter, len(records)))
    for record in records:
        body += _RECORD.pack(record.key_id, _ROLES.index(record.role),
                             _STATES.index(record.state))
        if record.material is not None:
            body += wrap_key(wrapping, record.material)
    return bytes(body) + _tag(kek, bytes(body))


def key_file_kek_id(data: bytes) -> int:
    """The id of the KEK a key file is wrapped under (unauthenticated: to choose the KEK)."""
    if len(data) < _HEADER.size or data[: len(MAGIC)] != MAGIC:
        raise KeyFileError("not a key file")
    return int(_HEADER.unpack_from(data)[1])


def load_key_file(data: bytes, kek: bytes) -> KeyStore:
    """Read a key file written by :func:`dump_key_file`; :class:`KeyFileError` if it is
    malformed, altered, or wrapped under another KEK."""
    key_file_kek_id(data)
    if len(data) < _HEADER.size + TAG_LENGTH:
        raise KeyFileError("key file truncated")
    body, tag = data[:-TAG_LENGTH], data[-TAG_LENGTH:]
    if not hmac.compare_digest(_tag(kek, body), tag):
        raise KeyFileError("key file fails its integrity check (altered, or another KEK)")
    _, _, counter, count = _HEADER.unpack_from(body)
    wrapping = _derive(kek, b"sdls key file wrap")
    store = KeyStore()
    store.verification_counter = counter
    offset = _HEADER.size
    try:
        for _ in range(count):
            offset = _read_record(store, body, offset, wrapping)
    except (struct.error, IndexError, UnwrapError, KeyStateTransitionError,
            LocalProtocolError) as error:
        raise KeyFileError(f"key file record at octet {offset} invalid: {error}") from error
    if offset != len(body):
        raise KeyFileError(f"{len(body) - offset} octets after the last key record")
    return store


def _read_record(store: KeyStore, body: bytes, offset: int, wrapping: bytes) -> int:
    key_id, role_code, state_code = _RECORD.unpack_from(body, offset)
    role, state = _ROLES[role_code], _STATES[state_code]
    offset += _RECORD.size
    if state is KeyState.DESTROYED:
        store.install_retired(key_id, role)
        return offset
    wrapped = body[offset : offset + WRAPPED_KEY_LENGTH]
    if len(wrapped) != WRAPPED_KEY_LENGTH:
        raise IndexError("wrapped key truncated")
    store.install(key_id, unwrap_key(wrapping, wrapped), role=role, state=state)
    return offset + WRAPPED_KEY_LENGTH
