"""Over-the-air rekeying key blocks (CCSDS 355.1-B-1, OTAR).

The ground encrypts a block of (key id, key) entries with AES-GCM under an ACTIVE master
key; the IV is the OTAR fixed field followed by a ground-kept counter
(:mod:`ccsds.sdls.iv`), the additional authenticated data is the master key id. The board
decrypts and installs the keys PRE_ACTIVATION, all or none.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ccsds.sdls.association import MAC_LENGTH
from ccsds.sdls.errors import UnwrapError
from ccsds.sdls.iv import OTAR_FIXED_FIELD, gcm_iv
from ccsds.sdls.keys import KeyStore, check_key
from ccsds.sdls.procedures import OTAR_ENTRY_LENGTH, OtarCommand


def seal_key_block(master_key_id: int, master_key: bytes, counter: int,
                   keys: list[tuple[int, bytes]]) -> OtarCommand:
    """Ground side: the OTAR command uploading ``keys`` under the master key."""
    for key_id, material in keys:
        check_key(key_id, material)
    block = b"".join(key_id.to_bytes(2, "big") + material for key_id, material in keys)
    iv = gcm_iv(OTAR_FIXED_FIELD, counter)
    sealed = AESGCM(master_key).encrypt(iv, block, master_key_id.to_bytes(2, "big"))
    return OtarCommand(master_key_id, iv, sealed[:-MAC_LENGTH], sealed[-MAC_LENGTH:])


def open_key_block(command: OtarCommand, keys: KeyStore) -> list[tuple[int, bytes]]:
    """Board side: decrypt the key block; :class:`UnwrapError` if it does not authenticate."""
    master = keys.master_material(command.master_key_id)
    try:
        block = AESGCM(master).decrypt(command.iv, command.encrypted_keys + command.mac,
                                       command.master_key_id.to_bytes(2, "big"))
    except InvalidTag as error:
        raise UnwrapError("OTAR key block does not authenticate under the master key") \
            from error
    return [(int.from_bytes(block[start : start + 2], "big"),
             block[start + 2 : start + OTAR_ENTRY_LENGTH])
            for start in range(0, len(block), OTAR_ENTRY_LENGTH)]
