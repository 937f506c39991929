"""Communications link transmission units, CCSDS 231.0-B-4 sections 3 and 5.

A CLTU (231.0-B-4 section 5, figure 5-1) is the start sequence EB 90, BCH(63,56) codeblocks
of 7 information octets each (section 3; the last one completed with fill octets 0x55), and
the tail sequence C5 C5 C5 C5 C5 C5 C5 79, a pattern that single-error correction can never
turn into a codeblock. Randomization (231.0-B-4 section 6) is a separate step, applied to the
frame before encoding.

The receiver (:class:`CltuExtractor`) is the decoder of 231.0-B-4 sections 3 and 5: search
for the start sequence, decode codeblocks in single-error-correction (SEC) mode, end the CLTU
at the first codeblock that cannot be corrected -- the tail, or a damaged block -- and search
again. Choices the standard leaves to the implementation, made here:

* Start sequence: an exact match by default; ``start_errors=1`` also accepts one bit in error
  (the two strategies of CCSDS 230.1-G; the link's ``tc.start_sequence_errors``), never two.
  Octet alignment is assumed (an octet stream).
* Where to search again. A CLTU cut off by the next one makes the decoder take the next start
  sequence for data. Read out of step with the codeblocks, it ends at an uncorrectable block;
  read in step (the start sequence filling the last two octets of a codeblock), it needs a
  correction unless that block happens to be a codeword. So a CLTU is searched again from
  just after its own start sequence unless it ended at the tail with no correction and with
  no codeblock ending in EB 90; a clean CLTU is skipped whole. In this way a CLTU that
  arrives whole is found even when the one before it was cut off.
* A CLTU with more codeblocks than a frame of ``max_frame_length`` octets needs is abandoned
  (nothing is delivered) and searched again the same way, which bounds the buffer.
* :meth:`CltuExtractor.flush` ends a CLTU when the stream pauses (no carrier, idle line).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt

from ccsds.errors import LocalProtocolError
from firmware_stubs import bch

START_SEQUENCE = b"\xeb\x90"
TAIL_SEQUENCE = b"\xc5\xc5\xc5\xc5\xc5\xc5\xc5\x79"
FILL_OCTET = 0x55
INFO_LENGTH = bch.INFO_LENGTH
CODEBLOCK_LENGTH = bch.CODEBLOCK_LENGTH
MAX_FRAME_LENGTH = 1024

_START_WORD = int.from_bytes(START_SEQUENCE, "big")
_TAIL_WORD = int.from_bytes(TAIL_SEQUENCE, "big")
_SEARCH_WINDOW = 4096


def cltu_encode(frame: bytes | bytearray | memoryview) -> bytes:
    """Wrap an (already randomized, if so configured) frame in a CLTU, 231.0-B-4 section 5."""
    if not frame:
        raise LocalProtocolError("a CLTU must carry at least one octet")
    fill = -len(frame) % INFO_LENGTH
    info = bytes(frame) + bytes((FILL_OCTET,)) * fill
    return START_SEQUENCE + bch.encode(info) + TAIL_SEQUENCE


def codeblocks_for(frame_length: int) -> int:
    """Number of codeblocks a frame of ``frame_length`` octets occupies."""
    return -(-frame_length // INFO_LENGTH)


class CltuEnd(Enum):
    """How the decoder left a CLTU."""

    TAIL = "tail"
    """At the tail sequence (exact, or with one bit in error)."""
    UNCORRECTABLE = "uncorrectable"
    """At some other codeblock that single-error correction could not repair."""
    INTERRUPTED = "interrupted"
    """By :meth:`CltuExtractor.flush`, the stream having paused before the CLTU ended."""


@dataclass(frozen=True, slots=True)
class Cltu:
    """One received CLTU.

    ``data`` holds the information octets of all its codeblocks, fill included: only the
    frame length field (one layer up) tells where the frame ends.
    """

    data: bytes
    corrected: int
    end: CltuEnd

    @property
    def codeblocks(self) -> int:
        """Codeblocks decoded (corrected or not)."""
        return len(self.data) // INFO_LENGTH

    @property
    def clean(self) -> bool:
        """Ended at the tail with no codeblock needing correction."""
        return self.end is CltuEnd.TAIL and self.corrected == 0


@dataclass(slots=True)
class CltuCounters:
    """What a :class:`CltuExtractor` has seen; rejected or skipped data is counted here."""

    cltus: int = 0
    """CLTUs delivered (with at least one codeblock)."""
    codeblocks: int = 0
    """Codeblocks decoded, in delivered and abandoned CLTUs."""
    corrected: int = 0
    """Of those, codeblocks in which a bit error was corrected."""
    uncorrectable: int = 0
    """CLTUs ended by an uncorrectable codeblock other than the tail."""
    interrupted: int = 0
    """CLTUs ended by :meth:`CltuExtractor.flush`."""
    abandoned: int = 0
    """CLTUs dropped for having more codeblocks than the longest frame needs."""
    empty: int = 0
    """Start sequences followed at once by an uncorrectable codeblock (nothing delivered)."""
    skipped_octets: int = 0
    """Octets passed over while searching (a re-searched CLTU's octets count again)."""


def _is_tail(block: bytes | bytearray | memoryview) -> bool:
    """The tail sequence with at most one bit in error (231.0-B-4 section 5)."""
    difference = int.from_bytes(block, "big") ^ _TAIL_WORD
    return difference & (difference - 1) == 0


class CltuExtractor:
    """Find and decode CLTUs in a byte stream fed in arbitrary pieces (sans-I/O).

    ``feed`` returns the CLTUs completed by the new octets. Octets held between calls stay
    below one maximum-length CLTU: ``max_frame_length`` sets how many codeblocks a CLTU may
    have before it is abandoned. See the module docstring for the receiver's choices.
    """

    def __init__(self, *, max_frame_length: int = MAX_FRAME_LENGTH, start_errors: int = 0) -> None:
        if max_frame_length < 1:
            raise LocalProtocolError("max_frame_length must be at least 1")
        if start_errors not in (0, 1):
            raise LocalProtocolError("start_errors must be 0 or 1")
        self.max_codeblocks = codeblocks_for(max_frame_length)
        self.start_errors = start_errors
        self.counters = CltuCounters()
        self._buffer = bytearray()
        self._in_cltu = False
        self._decoded = 0  # octets of the current CLTU's codeblocks decoded, from buffer start
        self._pieces: list[bytes] = []
        self._corrected = 0
        self._flushing = False

    @property
    def buffered(self) -> int:
        """Octets held back for the next call (bounded whatever the input)."""
        return len(self._buffer)

    @property
    def in_cltu(self) -> bool:
        """A start sequence was found and its CLTU has not ended yet."""
        return self._in_cltu

    def feed(self, data: bytes | bytearray | memoryview) -> list[Cltu]:
        """Take the next octets of the stream; return the CLTUs they complete."""
        self._buffer += data
        found: list[Cltu] = []
        while (self._in_cltu or self._search()) and self._decode(found):
            pass
        return found

    def flush(self) -> list[Cltu]:
        """The stream has paused (idle line, lost lock): end the CLTU under way, if any.

        Its codeblocks are delivered as :attr:`CltuEnd.INTERRUPTED`, then its octets are
        searched again like those of any CLTU that did not end cleanly. Call this after an
        idle gap on the link: a CLTU that swallowed the next one's start sequence otherwise
        waits for further octets before that next CLTU comes out.
        """
        self._flushing = True
        try:
            found = self.feed(b"")
        finally:
            self._flushing = False
        self.counters.skipped_octets += len(self._buffer)
        self._buffer.clear()
        return found

    def _search(self) -> bool:
        """Drop octets up to and including the next start sequence; False if none yet."""
        buffer = self._buffer
        index = self._find_start()
        if index < 0:
            keep = min(len(buffer), len(START_SEQUENCE) - 1)
            self.counters.skipped_octets += len(buffer) - keep
            del buffer[: len(buffer) - keep]
            return False
        self.counters.skipped_octets += index
        del buffer[: index + len(START_SEQUENCE)]
        self._in_cltu = True
        self._decoded = 0
        self._pieces = []
        self._corrected = 0
        return True

    def _find_start(self) -> int:
        exact = self._buffer.find(START_SEQUENCE)
        if self.start_errors == 0 or exact == 0:
            return exact
        near = _find_near_start(self._buffer, exact + 1 if exact > 0 else len(self._buffer))
        return near if near >= 0 else exact

    def _decode(self, found: list[Cltu]) -> bool:
        """Decode what has arrived of the current CLTU; False when more octets are needed."""
        room = self.max_codeblocks + 1 - self._blocks()
        if len(self._buffer) - self._decoded < CODEBLOCK_LENGTH and not self._flushing:
            return False
        # a copy of at most one CLTU's worth: cheaper than exporting the growing buffer
        result = bch.decode(self._buffer[self._decoded : self._decoded + room * CODEBLOCK_LENGTH])
        self._decoded += result.blocks * CODEBLOCK_LENGTH
        if result.blocks:
            self._pieces.append(result.data)
            self._corrected += result.corrected
            self.counters.codeblocks += result.blocks
            self.counters.corrected += result.corrected
        if self._blocks() > self.max_codeblocks:
            self.counters.abandoned += 1
            self._end(clean=False)
        elif result.stopped:
            stop = self._buffer[self._decoded : self._decoded + CODEBLOCK_LENGTH]
            self._deliver(CltuEnd.TAIL if _is_tail(stop) else CltuEnd.UNCORRECTABLE, found)
        elif self._flushing:
            self._deliver(CltuEnd.INTERRUPTED, found)
        else:
            return False
        return True

    def _deliver(self, end: CltuEnd, found: list[Cltu]) -> None:
        """End the current CLTU and hand it over, unless it has no codeblock."""
        cltu = Cltu(b"".join(self._pieces), self._corrected, end)
        if cltu.codeblocks == 0:
            self.counters.empty += 1
        else:
            self.counters.cltus += 1
            self.counters.uncorrectable += end is CltuEnd.UNCORRECTABLE
            self.counters.interrupted += end is CltuEnd.INTERRUPTED
            found.append(cltu)
        self._end(clean=cltu.clean and not self._start_ends_codeblock())

    def _start_ends_codeblock(self) -> bool:
        """Whether a start sequence fills the last two octets of a decoded codeblock."""
        firsts = self._buffer[CODEBLOCK_LENGTH - 2 : self._decoded : CODEBLOCK_LENGTH]
        seconds = self._buffer[CODEBLOCK_LENGTH - 1 : self._decoded : CODEBLOCK_LENGTH]
        first, second = START_SEQUENCE
        return _pair_near(firsts, first, seconds, second, self.start_errors) or (
            self.start_errors > 0 and _pair_near(seconds, second, firsts, first, 1)
        )

    def _blocks(self) -> int:
        return self._decoded // CODEBLOCK_LENGTH

    def _end(self, *, clean: bool) -> None:
        """Leave the CLTU: past its tail when clean, else back to just after its start."""
        if clean:
            del self._buffer[: self._decoded + CODEBLOCK_LENGTH]
        self._in_cltu = False
        self._pieces = []


def _pair_near(anchors: bytearray, anchor: int, others: bytearray, other: int,
               errors: int) -> bool:
    """Whether some ``anchors[i] == anchor`` has ``others[i]`` within ``errors`` bits of
    ``other`` (anchors are rare, so this walks them with ``find``)."""
    index = anchors.find(anchor)
    while index >= 0:
        if (others[index] ^ other).bit_count() <= errors:
            return True
        index = anchors.find(anchor, index + 1)
    return False


def _near_start(first: npt.NDArray[np.uint8], second: npt.NDArray[np.uint8]
                ) -> npt.NDArray[np.bool_]:
    """Which octet pairs are within one bit of the start sequence."""
    difference = ((first.astype(np.uint16) << 8) | second) ^ _START_WORD
    matches: npt.NDArray[np.bool_] = (difference & (difference - 1)) == 0
    return matches


def _find_near_start(buffer: bytearray, end: int) -> int:
    """Index of the first 16-bit window starting before ``end`` within one bit of the start
    sequence, or -1."""
    end = min(end, len(buffer) - 1)
    for begin in range(0, max(end, 0), _SEARCH_WINDOW):
        window = np.frombuffer(buffer, dtype=np.uint8, offset=begin,
                               count=min(_SEARCH_WINDOW, end - begin) + 1)
        hits = np.flatnonzero(_near_start(window[:-1], window[1:]))
        if hits.size:
            return begin + int(hits[0])
    return -1
