"""Data at rest (docs/storage.md, "Data at rest"): objects sealed with AES-256-GCM (NIST SP
800-38D) under a board key named by its SDLS key id (CCSDS 355.1-B-1 key management).

Per object, a fresh random 128-bit ``nonce`` is the HKDF salt (RFC 5869) of an object key and
a digest mask drawn from the data key, with the key id and object name in the HKDF info. The
object's plaintext is cut into chunks of ``block_size - 16`` octets; chunk ``i`` is sealed with
GCM IV = ``i`` (96 bits, big-endian) and AAD = ``"SPAR" | size | i | name``, so its ciphertext
and 16-octet tag fill exactly one data block. The (key, IV) pair never repeats: every put draws
a new object key, and repair or relocation rewrites ciphertext, never re-encrypts (SP 800-38D
8.2, 8.3). A swapped, truncated or foreign block fails its tag.

The store keeps CRC-32C and the erasure code over the ciphertext (scrubbing and repair need no
key). The plaintext SHA-256 would let anyone holding the medium confirm a guessed content,
even after a crypto-erase, so the catalogue keeps it XOR a per-object mask; an 8-octet key
check tells a key that is present but different (a re-provisioned id) from a damaged block.

Keys come through the narrow :class:`DataKeys` protocol; :class:`BoardDataKeys` serves it from
the board's SDLS :class:`~ccsds.sdls.keys.KeyStore`, deriving a data-at-rest key per key id
(HKDF, its own label), so the SDLS traffic IVs and these never share a key.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Callable
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ccsds.sdls.keys import KeyRole, KeyState, KeyStore
from flight_sw.storage.api import Buffer, KeyUnavailableError, StorageError

TAG_OCTETS = 16
"""GCM authentication tag per chunk (SP 800-38D 5.2.1.2: 128 bits)."""
NONCE_OCTETS = 16
"""Per-object random HKDF salt."""
CHECK_OCTETS = 8
"""Key check value: tells a different key under the same id from damage."""
SHA256_OCTETS = 32
MAX_KEY_ID = 0xFFFF
"""SDLS key ids are 16 bits (355.1-B-1)."""
_DATA_KEY_LABEL = b"spacedc-hil storage at rest v1 data key"
_OBJECT_LABEL = b"spacedc-hil storage at rest v1 object"
_AAD = struct.Struct(">4sQI")


class SealBrokenError(StorageError):
    """A chunk failed GCM authentication: ``index`` is its data block index."""

    def __init__(self, index: int) -> None:
        super().__init__(f"chunk {index} fails its GCM tag")
        self.index = index


class AtRestUnsupportedError(StorageError):
    """Encryption asked of a store that cannot hold it (block too small, or a medium of
    layout version 1)."""


class DataKeys(Protocol):
    """The keys the store may seal objects under (served by the board's key store)."""

    def can_read(self, key_id: int) -> bool:
        """Whether objects under ``key_id`` can be opened now (cheap: no derivation)."""
        ...

    def data_key(self, key_id: int, *, writing: bool) -> bytes | None:
        """The 256-bit data-at-rest key of ``key_id`` (for a new object when ``writing``),
        or None when that key may not be used so."""
        ...


class BoardDataKeys:
    """:class:`DataKeys` over the board's SDLS key store: SESSION keys only (masters are
    key-encrypting keys); a put needs the key ACTIVE, reading needs it ACTIVE or DEACTIVATED
    (355.1-B-1: a deactivated key no longer protects new data); a DESTROYED key's material is
    gone, and so are its objects. Nothing derived is cached: a destroyed key stops at once.

    ``keys`` is the key store, or a function returning the one in use (None: none attached,
    e.g. ``lambda: software.security and software.security.keys`` before SDLS is attached).
    """

    def __init__(self, keys: KeyStore | Callable[[], KeyStore | None]) -> None:
        self._keys = keys

    def _store(self) -> KeyStore | None:
        return self._keys if isinstance(self._keys, KeyStore) else self._keys()

    def _material(self, key_id: int, states: tuple[KeyState, ...]) -> bytes | None:
        keys = self._store()
        if keys is None or key_id not in keys:
            return None
        record = keys.record(key_id)
        if record.role is not KeyRole.SESSION or record.state not in states:
            return None
        return record.material

    def can_read(self, key_id: int) -> bool:
        return self._material(key_id, (KeyState.ACTIVE, KeyState.DEACTIVATED)) is not None

    def data_key(self, key_id: int, *, writing: bool) -> bytes | None:
        states = (KeyState.ACTIVE,) if writing else (KeyState.ACTIVE, KeyState.DEACTIVATED)
        material = self._material(key_id, states)
        if material is None:
            return None
        return _hkdf(material, None, _DATA_KEY_LABEL + key_id.to_bytes(2, "big"), 32)


def _hkdf(secret: bytes, salt: bytes | None, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def check_key_id(key_id: object) -> int:
    """``key_id`` as an SDLS key id (0..65535), else :class:`KeyUnavailableError`."""
    if isinstance(key_id, bool) or not isinstance(key_id, int) or not 0 <= key_id <= MAX_KEY_ID:
        raise KeyUnavailableError(f"key id {key_id!r} is not an SDLS key id (0..{MAX_KEY_ID})")
    return key_id


def chunk_octets(block_size: int) -> int:
    """Plaintext octets per sealed chunk (one data block with its tag)."""
    return block_size - TAG_OCTETS


def sealed_size(size: int, block_size: int) -> int:
    """Octets of the sealed image of a ``size``-octet object (a tag per chunk)."""
    return size + TAG_OCTETS * -(-size // chunk_octets(block_size))


class ObjectCipher:
    """Seals and opens one object's chunks; knows its digest mask and key check."""

    def __init__(self, secrets_: bytes, name: str, size: int, block_size: int) -> None:
        self._aead = AESGCM(secrets_[:32])
        self._mask = secrets_[32:64]
        self.check = secrets_[64:64 + CHECK_OCTETS]
        self._name = name.encode("utf-8")
        self.size = size
        self.block_size = block_size
        self.chunk = chunk_octets(block_size)

    @classmethod
    def derive(cls, data_key: bytes, key_id: int, nonce: bytes, name: str, *, size: int,
               block_size: int) -> ObjectCipher:
        """The cipher of an object from its data key, key id, nonce and name."""
        info = _OBJECT_LABEL + key_id.to_bytes(2, "big") + name.encode("utf-8")
        return cls(_hkdf(data_key, nonce, info, 64 + CHECK_OCTETS), name, size, block_size)

    def _aad(self, index: int) -> bytes:
        return _AAD.pack(b"SPAR", self.size, index) + self._name

    @staticmethod
    def _iv(index: int) -> bytes:
        return index.to_bytes(12, "big")

    def mask(self, digest: bytes) -> bytes:
        """The stored form of the plaintext SHA-256 (and back: XOR is its own inverse)."""
        return bytes(a ^ b for a, b in zip(digest, self._mask, strict=True))

    def seal(self, data: Buffer) -> bytes:
        """The sealed image of the whole object: chunk ciphertexts with their tags."""
        view = memoryview(data)
        step = self.chunk
        return b"".join(self._aead.encrypt(self._iv(index), view[at:at + step],
                                           self._aad(index))
                        for index, at in enumerate(range(0, len(view), step)))

    def open(self, blocks: Buffer, first: int, stop: int) -> bytes:
        """Plaintext of chunks ``first..stop-1`` from their blocks read back (``blocks``: one
        block of ``block_size`` octets per chunk, the last possibly cut at the sealed end).
        Raises :class:`SealBrokenError` for the first chunk failing its tag."""
        view, size = memoryview(blocks), self.block_size
        parts = []
        for index in range(first, stop):
            plain = min(self.chunk, self.size - index * self.chunk)
            at = (index - first) * size
            try:
                parts.append(self._aead.decrypt(self._iv(index),
                                                view[at:at + plain + TAG_OCTETS],
                                                self._aad(index)))
            except InvalidTag:
                raise SealBrokenError(index) from None
        return b"".join(parts)


def new_nonce() -> bytes:
    """A fresh per-object nonce (HKDF salt) from the operating system's CSPRNG."""
    return secrets.token_bytes(NONCE_OCTETS)


def cipher_for(keys: DataKeys | None, key_id: int, nonce: bytes, name: str, *, size: int,
               block_size: int, writing: bool) -> ObjectCipher:
    """The object cipher, else :class:`KeyUnavailableError` naming why."""
    if block_size <= TAG_OCTETS:
        raise AtRestUnsupportedError(f"blocks of {block_size} octets leave no room for data "
                                     f"beside a {TAG_OCTETS}-octet tag")
    data_key = None if keys is None else keys.data_key(key_id, writing=writing)
    if data_key is None:
        use = "an active session key for new objects" if writing else "available"
        why = "no key store is attached" if keys is None else f"key {key_id} is not {use}"
        raise KeyUnavailableError(f"{name!r}: {why}")
    return ObjectCipher.derive(data_key, key_id, nonce, name, size=size, block_size=block_size)
