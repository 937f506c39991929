"""An in-memory link between two CFDP endpoints with loss, duplication and reordering."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

Deliver = Callable[[bytes, float], object]


@dataclass
class Impairments:
    """Probabilities per PDU; ``drop`` decides explicitly which PDUs to lose (by index)."""

    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    drop: Callable[[int, bytes], bool] = field(default=lambda index, raw: False)


class Channel:
    """One direction of the link; ``carry`` passes PDUs on with the impairments applied."""

    def __init__(self, impairments: Impairments, rng: random.Random) -> None:
        self.impairments = impairments
        self.rng = rng
        self.count = 0
        self.lost = 0

    def carry(self, pdus: list[bytes], deliver: Deliver, now: float) -> None:
        out: list[bytes] = []
        for raw in pdus:
            index, self.count = self.count, self.count + 1
            if self.impairments.drop(index, raw) or self.rng.random() < self.impairments.loss:
                self.lost += 1
                continue
            out.append(raw)
            if self.rng.random() < self.impairments.duplicate:
                out.append(raw)
        if len(out) > 1 and self.rng.random() < self.impairments.reorder:
            self.rng.shuffle(out)
        for raw in out:
            deliver(raw, now)
