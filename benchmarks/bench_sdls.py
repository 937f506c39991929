"""SDLS: protect and verify rates for TC and TM frames against bare AES-GCM.

1 KiB TC frames (segment header, FECF) and 1115-octet TM frames (OCF, FECF) under an
authenticated-encryption SA (12-octet IV field, 16-octet MAC). The peer is the
``cryptography`` AESGCM call alone on the same data field and AAD length: the ratio is the
cost of the framing in Python (frame decode and checks, SA and key look-up, anti-replay,
header build, CRC), which dominates a 2 us AES-NI cipher call. Rates are of frame octets.
The requirement is the link's: at least ``RATE_TARGET`` MB/s, 40x the fastest downlink of
the profiles (2 Mbit/s lunar S-band, a few Mbit/s in LEO; PROFILES.md), far more on the
kbit/s uplink.
"""

from __future__ import annotations

import dataclasses

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from benchmarks.harness import Recorder, best_rate
from ccsds.sdls.association import SaState, SaTable, SecurityAssociation
from ccsds.sdls.frame_security import (
    apply_tc_security,
    apply_tm_security,
    process_tc_security,
    process_tm_security,
    tm_data_length,
)
from ccsds.sdls.keys import KeyState, KeyStore
from ccsds.tc_frame import TcFrame
from ccsds.tm_frame import TmFrame

TC_FRAME_LENGTH = 1024
TM_FRAME_LENGTH = 1115
BATCH = 200
RATE_TARGET = 10.0
KEY = bytes(range(32))
SA = SecurityAssociation(spi=1, virtual_channels=frozenset({0}), key_id=1,
                         state=SaState.OPERATIONAL, arsn_window=BATCH)


def _keys() -> KeyStore:
    keys = KeyStore()
    keys.install(1, KEY, state=KeyState.ACTIVE)
    return keys


TC_DATA = b"\xc0" + bytes(TC_FRAME_LENGTH - 5 - 2 - SA.overhead - 1)
TM_DATA = bytes(tm_data_length(SA, TM_FRAME_LENGTH, ocf=True, fecf=True))
TC = TcFrame(42, 0, 0, TC_DATA)
TM = TmFrame(42, 0, 0, 0, 0, TM_DATA, ocf=bytes(4))


class _Bench:
    """A sending SA and a receiving SA with a batch of frames protected in advance."""

    def __init__(self, tm: bool) -> None:
        self.tm = tm
        self.keys = _keys()
        self.sender = dataclasses.replace(SA)
        self.table = SaTable([dataclasses.replace(SA)])
        self.frames = [self.protect_one() for _ in range(BATCH)]

    def protect_one(self) -> bytes:
        if self.tm:
            return apply_tm_security(TM, self.sender, self.keys, frame_length=TM_FRAME_LENGTH,
                                     fecf=True)
        return apply_tc_security(TC, self.sender, self.keys, segment_header=True, fecf=True)

    def protect(self) -> None:
        for _ in range(BATCH):
            self.protect_one()

    def verify(self) -> None:
        self.table.get(1).arsn = 0  # the same batch again, as if freshly sent
        for raw in self.frames:
            if self.tm:
                process_tm_security(raw, self.table, self.keys, frame_length=TM_FRAME_LENGTH,
                                    has_ocf=True, has_fecf=True)
            else:
                process_tc_security(raw, self.table, self.keys, segment_header=True,
                                    fecf=True)


def _bare(data_length: int, aad_length: int) -> tuple[object, object]:
    cipher = AESGCM(KEY)
    data, aad, iv = bytes(data_length), bytes(aad_length), bytes(12)
    sealed = cipher.encrypt(iv, data, aad)

    def encrypt() -> None:
        for _ in range(BATCH):
            cipher.encrypt(iv, data, aad)

    def decrypt() -> None:
        for _ in range(BATCH):
            cipher.decrypt(iv, sealed, aad)

    return encrypt, decrypt


def run(recorder: Recorder) -> None:
    timing = {"seconds": 0.1, "repeats": 2} if recorder.quick else {"seconds": 0.5,
                                                                    "repeats": 5}
    cases = (("TC 1024-octet", False, TC_FRAME_LENGTH, len(TC_DATA) - 1, 5 + 1 + 14),
             ("TM 1115-octet", True, TM_FRAME_LENGTH, len(TM_DATA), 6 + 14))
    for label, tm, frame_length, data_length, aad_length in cases:
        bench = _Bench(tm)
        bare_encrypt, bare_decrypt = _bare(data_length, aad_length)
        octets = BATCH * frame_length / 1e6
        for action, ours, peer in (("protect", bench.protect, bare_encrypt),
                                   ("verify", bench.verify, bare_decrypt)):
            ours_rate = best_rate(ours, octets, **timing)  # type: ignore[arg-type]
            peer_rate = best_rate(peer, octets, **timing)  # type: ignore[arg-type]
            recorder.add(f"sdls {label} frames {action}", ours_rate, "MB/s",
                         target=RATE_TARGET, peer="AESGCM alone", peer_value=peer_rate,
                         note=f"requirement: >= {RATE_TARGET:g} MB/s; ratio to the peer = "
                              "framing overhead")
