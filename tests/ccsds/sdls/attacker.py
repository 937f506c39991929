"""What every link attacker in the SDLS tests shares (TC in test_attacks, TM in
test_ground_link_tm_security): the genuine frames it has seen or withheld, a key of its own,
and the moves that need no knowledge of the frame format. It does not model timing: frames
go exactly where and when the test hands them over."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def soak_trials(variable: str) -> int:
    """Attempts of a soak campaign: the environment ``variable``, 10,000 by default."""
    return int(os.environ.get(variable, "10000"))


class FrameAttacker:
    """Holds the frames seen on the link and those withheld from it; subclasses set
    ``moves``, the ways they build a hostile frame."""

    moves: list[Callable[[], bytes]]

    def __init__(self, rng: random.Random, own_key: AESGCM) -> None:
        self.rng = rng
        self.own_key = own_key
        self.seen: list[bytes] = []
        self.withheld: list[tuple[bytes, int]] = []
        """Genuine frames held back, with how many frames had been seen then."""

    def _victim(self) -> bytes:
        return self.rng.choice(self.seen)

    def replay(self) -> bytes:
        return self._victim()

    def reordered(self) -> bytes:
        """A genuine frame the attacker withheld while later ones went through."""
        if self.withheld and self.withheld[0][1] < len(self.seen):
            return self.withheld.pop(0)[0]
        return self._victim()

    def flipped(self, unprotected_tail: int) -> bytearray:
        """A seen frame with 1 to 3 bits inverted, none in its last ``unprotected_tail``
        octets (the FECF, and the OCF on TM: the caller makes those right)."""
        raw = bytearray(self._victim())
        for _ in range(self.rng.randint(1, 3)):
            bit = self.rng.randrange(8 * (len(raw) - unprotected_tail))
            raw[bit // 8] ^= 0x80 >> (bit % 8)
        return raw

    def withholds(self, raw: bytes) -> bool:
        """Whether the attacker holds back this genuine frame so that its successors go
        first (one frame in ten, one at a time); otherwise the caller delivers it."""
        if self.rng.random() < 0.1 and not self.withheld:
            self.withheld.append((raw, len(self.seen)))
            return True
        return False

    def hostile_frames(self, count: int, send_genuine: Callable[[], None]) -> Iterator[bytes]:
        """``count`` hostile frames, each from a random move; a genuine frame goes up
        (``send_genuine``) before every third, and until one has been seen."""
        for attempt in range(count):
            if attempt % 3 == 0:
                send_genuine()
            while not self.seen:
                send_genuine()
            yield self.rng.choice(self.moves)()
