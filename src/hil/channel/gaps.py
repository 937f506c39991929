"""A Bernoulli process over a stream of units (bits or octets) drawn by geometric gaps.

Each unit is hit independently with probability ``p``; instead of one draw per unit the gap
to the next hit is drawn from the geometric distribution, so the cost follows the number of
hits, not of units. Hits drawn beyond the current span are kept for the next one, so a stream
cut into chunks anywhere sees exactly the same hits as the whole stream.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class GapProcess:
    """Positions of hits in successive spans of a unit stream, hit probability ``p``.

    The process draws from its own generator, spawned from ``rng``, so that processes sharing
    a parent stay independent of each other's chunking.
    """

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"probability {p} outside [0, 1]")
        self.p = p
        self._rng = rng.spawn(1)[0]
        self._pending = np.empty(0, dtype=np.int64)
        """Drawn hits not yet returned, as offsets from the start of the next span."""
        self._last = -1
        """Offset of the last drawn hit (-1 before the first)."""

    def hits(self, span: int) -> NDArray[np.int64]:
        """Sorted offsets in ``[0, span)`` of the hits in the next ``span`` units."""
        if self.p == 0.0:
            return self._pending
        while self._last < span:
            batch = int((span - self._last) * self.p * 1.2) + 8
            drawn = self._last + np.cumsum(self._rng.geometric(self.p, batch))
            self._pending = np.concatenate((self._pending, drawn))
            self._last = int(drawn[-1])
        inside = int(np.searchsorted(self._pending, span))
        found = self._pending[:inside]
        self._pending = self._pending[inside:] - span
        self._last -= span
        return found
