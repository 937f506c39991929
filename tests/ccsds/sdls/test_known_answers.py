"""Known answers: AES-GCM vectors of the GCM specification, and frames built independently.

Vectors: McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13, 14
and 16 (AES-256, 96-bit IV), as used by NIST SP 800-38D validation. The frame tests build
the expected octets by hand from the layout of CCSDS 355.0-B-2 4.1 with the independent GCM
of :mod:`reference_gcm`, and compare them with what the library-backed API produces.
"""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ccsds.crc import crc16_ccitt
from ccsds.sdls.association import SaTable, ServiceType
from ccsds.sdls.frame_security import apply_tc_security, apply_tm_security, process_tc_security
from ccsds.sdls.keys import KeyState, KeyStore
from ccsds.tc_frame import TcFrame
from ccsds.tm_frame import TmFrame

from .helpers import SCID, make_sa
from .reference_gcm import gcm_encrypt

K16 = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
P16 = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
A16 = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
IV16 = bytes.fromhex("cafebabefacedbaddecaf888")
C16 = bytes.fromhex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
T16 = bytes.fromhex("76fc6ece0f4e1768cddf8853bb2d551b")

VECTORS = [  # (key, iv, plaintext, aad, ciphertext, tag)
    pytest.param((bytes(32), bytes(12), b"", b"", b"",
                  bytes.fromhex("530f8afbc74536b9a963b4f1c4cb738b")), id="case13"),
    pytest.param((bytes(32), bytes(12), bytes(16), b"",
                  bytes.fromhex("cea7403d4d606b6e074ec5d3baf39d18"),
                  bytes.fromhex("d0d1c8a799996bf0265b98b5d48ab919")), id="case14"),
    pytest.param((K16, IV16, P16, A16, C16, T16), id="case16"),
]


@pytest.mark.parametrize("vector", VECTORS)
def test_reference_gcm_matches_the_specification(vector: tuple[bytes, ...]) -> None:
    key, iv, plaintext, aad, ciphertext, tag = vector
    assert gcm_encrypt(key, iv, plaintext, aad) == (ciphertext, tag)


@pytest.mark.parametrize("vector", VECTORS)
def test_library_gcm_matches_the_specification(vector: tuple[bytes, ...]) -> None:
    key, iv, plaintext, aad, ciphertext, tag = vector
    assert AESGCM(key).encrypt(iv, plaintext, aad or None) == ciphertext + tag


def _kat_ends(**overrides: object) -> tuple[KeyStore, SaTable]:
    """Key = test case 16 key; IV of the first frame = test case 16 IV (fixed field
    cafebabe, counter facedbaddecaf888)."""
    keys = KeyStore()
    keys.install(1, K16, state=KeyState.ACTIVE)
    sa = make_sa(iv_fixed_field=IV16[:4], arsn=int.from_bytes(IV16[4:], "big") - 1,
                 **overrides)
    return keys, SaTable([sa])


def test_tc_frame_authenticated_encryption_built_independently() -> None:
    keys, table = _kat_ends(spi=0x0102)
    frame = TcFrame(SCID, 0, 7, b"\xc0" + P16)
    raw = apply_tc_security(frame, table.get(0x0102), keys, segment_header=True, fecf=True)

    length = 5 + 1 + 2 + 12 + len(P16) + 16 + 2
    primary = bytes([0x00, SCID, 0x00 | ((length - 1) >> 8), (length - 1) & 0xFF, 7])
    security_header = b"\x01\x02" + IV16
    aad = primary + b"\xc0" + security_header
    ciphertext, tag = gcm_encrypt(K16, IV16, P16, aad)
    body = aad + ciphertext + tag
    assert raw == body + crc16_ccitt(body).to_bytes(2, "big")
    # GCM's ciphertext does not depend on the AAD: the frame carries test case 16's own
    assert raw[len(aad) : len(aad) + len(P16)] == C16


def test_tc_frame_authentication_only_is_gmac_over_the_clear_frame() -> None:
    keys, table = _kat_ends(service=ServiceType.AUTHENTICATION, iv_field_length=0,
                            sn_field_length=8)
    frame = TcFrame(SCID, 0, 1, b"\xc0" + A16)
    raw = apply_tc_security(frame, table.get(1), keys, segment_header=True, fecf=False)

    length = 5 + 1 + 2 + 8 + len(A16) + 16
    primary = bytes([0x00, SCID, (length - 1) >> 8, (length - 1) & 0xFF, 1])
    header_region = primary + b"\xc0" + b"\x00\x01" + IV16[4:]
    empty, tag = gcm_encrypt(K16, IV16, b"", header_region + A16)
    assert empty == b""
    assert raw == header_region + A16 + tag


def test_authentication_mask_clears_bits_from_the_aad() -> None:
    """355.0-B-2 4.2.2: the AAD is the header region ANDed with the mask."""
    mask = b"\x3f\xff\x00\x00\xff"  # version and flags, VC and length left out
    keys, table = _kat_ends(auth_mask=mask)
    raw = apply_tc_security(TcFrame(SCID, 0, 9, b"\xc0" + P16), table.get(1), keys,
                            segment_header=True, fecf=False)
    region = raw[: 5 + 1 + 2 + 12]
    masked = bytes(a & m for a, m in zip(region, mask + b"\xff" * len(region), strict=False))
    ciphertext, tag = gcm_encrypt(K16, IV16, P16, masked)
    assert raw[len(region):] == ciphertext + tag


def test_tm_frame_places_the_trailer_before_the_ocf() -> None:
    keys, table = _kat_ends(spi=3)
    sa = table.get(3)
    frame_length = 6 + sa.overhead + len(P16) + 4 + 2
    frame = TmFrame(SCID, 0, 200, 100, 0, P16, ocf=b"\xaa\xbb\xcc\xdd")
    raw = apply_tm_security(frame, sa, keys, frame_length=frame_length, fecf=True)

    primary = bytes([0x02, 0xA1, 200, 100, 0x18, 0x00])  # SCID 42 << 4 | OCF flag
    aad = primary + b"\x00\x03" + IV16
    ciphertext, tag = gcm_encrypt(K16, IV16, P16, aad)
    body = aad + ciphertext + tag + b"\xaa\xbb\xcc\xdd"
    assert raw == body + crc16_ccitt(body).to_bytes(2, "big")


def test_receiving_end_opens_the_independently_built_frame() -> None:
    keys, table = _kat_ends()
    receiver = SaTable([dataclasses.replace(table.get(1))])
    length = 5 + 1 + 2 + 12 + len(P16) + 16
    primary = bytes([0x00, SCID, (length - 1) >> 8, (length - 1) & 0xFF, 3])
    aad = primary + b"\xc0" + b"\x00\x01" + IV16
    ciphertext, tag = gcm_encrypt(K16, IV16, P16, aad)
    frame = process_tc_security(aad + ciphertext + tag, receiver, keys, segment_header=True,
                                fecf=False)
    assert frame.data == b"\xc0" + P16
    assert receiver.get(1).arsn == int.from_bytes(IV16[4:], "big")
