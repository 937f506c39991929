"""An attacker on the uplink: forged, replayed, reordered and truncated frames, none accepted.

The attacker sees every protected frame, knows the frame formats, the CRC and the SPIs,
holds a key of its own but not the mission's, and may withhold, reorder, alter, truncate,
splice and replay frames. Between its attempts the genuine frames arrive in order. The
board passes only what security processing returns to FARM-1, as ccsds.board_link will.
Checks: every attempt is rejected with a typed error, every genuine frame is delivered
once and in order, and FARM-1's V(R) counts exactly the genuine frames.

Per service type, the default run makes ``DEFAULT_ATTACKS`` attempts and the soak run
``SDLS_ATTACK_TRIALS`` (default 10,000), a genuine frame going up between every few.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ccsds.cop1.farm1 import Farm1
from ccsds.crc import crc16_ccitt
from ccsds.errors import DecodeError
from ccsds.sdls.association import ServiceType

from .attacker import FrameAttacker, soak_trials
from .helpers import SCID, Ends, make_sa, tc

DEFAULT_ATTACKS = 1_000


def _fix(raw: bytes | bytearray, *, length: bool = True) -> bytes:
    """Make the length field and FECF consistent again, as an attacker can."""
    body = bytearray(raw[:-2])
    if length and len(body) >= 4:
        total = len(body) + 2
        body[2] = (body[2] & 0xFC) | (((total - 1) >> 8) & 0x03)
        body[3] = (total - 1) & 0xFF
    return bytes(body) + crc16_ccitt(body).to_bytes(2, "big")


class Attacker(FrameAttacker):
    """Builds one hostile TC frame from what it has seen."""

    def __init__(self, rng: random.Random, ends: Ends) -> None:
        super().__init__(rng, AESGCM(bytes(rng.randrange(256) for _ in range(32))))
        self.ends = ends
        self.moves: list[Callable[[], bytes]] = [
            self.replay, self.flip_bits, self.overwrite, self.truncate, self.truncate_fixed,
            self.splice, self.own_key_frame, self.random_frame, self.reordered, self.extend]

    def flip_bits(self) -> bytes:
        return _fix(self.flipped(unprotected_tail=2), length=False)

    def overwrite(self) -> bytes:
        raw = bytearray(self._victim())
        start = self.rng.randrange(5, len(raw) - 2)
        for index in range(start, min(len(raw) - 2, start + self.rng.randint(1, 16))):
            raw[index] = self.rng.randrange(256)
        return _fix(raw, length=False)

    def truncate(self) -> bytes:
        raw = self._victim()
        return raw[: self.rng.randrange(len(raw))]

    def truncate_fixed(self) -> bytes:
        raw = self._victim()
        return _fix(raw[: self.rng.randrange(7, len(raw) - 1)] + b"\x00\x00")

    def extend(self) -> bytes:
        raw = self._victim()
        return _fix(raw[:-2] + bytes(self.rng.randint(1, 20)) + b"\x00\x00")

    def splice(self) -> bytes:
        """Header and security header of one frame, body of another."""
        first, second = self._victim(), self._victim()
        cut = self.rng.randrange(6, 22)
        return _fix(first[:cut] + second[cut:])

    def own_key_frame(self) -> bytes:
        """A well-formed frame for the genuine SPI, sealed with the attacker's key and an
        ARSN a little ahead of the last one seen."""
        sa = self.ends.ground.get(1)
        arsn = sa.arsn + self.rng.randint(1, 4)
        payload = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 40)))
        length = 5 + 1 + sa.overhead + len(payload) + 2
        primary = bytes([0x00, SCID, (length - 1) >> 8, (length - 1) & 0xFF,
                         self.rng.randrange(256)])
        region = primary + b"\xc0" + b"\x00\x01" + sa.iv(arsn)
        sealed = self.own_key.encrypt(sa.iv(arsn), payload, region)
        return _fix(region + sealed + b"\x00\x00", length=False)

    def random_frame(self) -> bytes:
        size = self.rng.randint(7, 80)
        return _fix(bytes([0x00, SCID]) + bytes(self.rng.randrange(256)
                                               for _ in range(size)) + b"\x00\x00")


def _campaign(attacks: int, seed: int, service: ServiceType) -> None:
    rng = random.Random(seed)
    ends = Ends.of(make_sa(service=service, arsn_window=8))
    farm = Farm1(0, 10, spacecraft_id=SCID)
    attacker = Attacker(rng, ends)
    delivered: list[bytes] = []
    sent: list[bytes] = []

    def send_genuine() -> None:
        payload = b"cmd %d" % len(sent)
        raw = ends.protect_tc(tc(len(sent), payload))
        if attacker.withholds(raw):
            return
        frame = ends.receive_tc(raw)
        assert farm.receive(frame).accepted
        delivered.append(frame.data)
        sent.append(b"\xc0" + payload)
        attacker.seen.append(raw)

    for hostile in attacker.hostile_frames(attacks, send_genuine):
        with pytest.raises(DecodeError):
            ends.receive_tc(hostile)
    assert delivered == sent
    assert farm.vr == len(sent) % 256
    assert ends.counters.rejected == attacks
    assert ends.counters.accepted == len(sent)


@pytest.mark.parametrize("service", ServiceType)
def test_attacks_are_all_rejected(service: ServiceType) -> None:
    _campaign(DEFAULT_ATTACKS, seed=355, service=service)


@pytest.mark.soak
@pytest.mark.parametrize("service", ServiceType)
def test_attacks_are_all_rejected_soak(service: ServiceType) -> None:
    _campaign(soak_trials("SDLS_ATTACK_TRIALS"), seed=3551, service=service)
