"""An independent AES-GCM, written from NIST SP 800-38D section 6 and 7 for the tests.

Only the AES block function comes from ``cryptography`` (ECB on one block); the counter
mode, GHASH and tag are computed here bit by bit, so that frames built with it check the
library-backed implementation against the specification rather than against itself.
Slow by design; 96-bit IVs only.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_R = 0xE1 << 120


def _block_cipher(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def _gf_mult(x: int, y: int) -> int:
    """Multiplication in GF(2^128) (SP 800-38D 6.3, algorithm 1)."""
    z, v = 0, y
    for i in range(128):
        if (x >> (127 - i)) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _ghash(h: int, data: bytes) -> int:
    y = 0
    for start in range(0, len(data), 16):
        y = _gf_mult(y ^ int.from_bytes(data[start : start + 16], "big"), h)
    return y


def _pad16(data: bytes) -> bytes:
    return data + bytes(-len(data) % 16)


def _gctr(key: bytes, counter: int, data: bytes) -> bytes:
    out = bytearray()
    for start in range(0, len(data), 16):
        stream = _block_cipher(key, counter.to_bytes(16, "big"))
        out += bytes(a ^ b for a, b in zip(data[start : start + 16], stream, strict=False))
        counter = (counter & ~0xFFFFFFFF) | ((counter + 1) & 0xFFFFFFFF)
    return bytes(out)


def gcm_encrypt(key: bytes, iv: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """(ciphertext, 128-bit tag) of SP 800-38D 7.1 for a 96-bit ``iv``."""
    assert len(iv) == 12
    h = int.from_bytes(_block_cipher(key, bytes(16)), "big")
    j0 = int.from_bytes(iv + b"\x00\x00\x00\x01", "big")
    ciphertext = _gctr(key, j0 + 1, plaintext)
    lengths = (8 * len(aad)).to_bytes(8, "big") + (8 * len(ciphertext)).to_bytes(8, "big")
    s = _ghash(h, _pad16(aad) + _pad16(ciphertext) + lengths)
    tag = _gctr(key, j0, s.to_bytes(16, "big"))
    return ciphertext, tag
