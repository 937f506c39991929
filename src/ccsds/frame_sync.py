"""Frame synchronizer: a byte stream in, decoded TM transfer frames out (sans-I/O).

The downlink is an octet stream of CADUs (CCSDS 131.0-B-5 section 9: ASM + codeblock) that may
carry garbage, dropped or inserted octets and bit errors. The synchronizer follows the classic
ground-receiver strategy (CCSDS 130.1-G-3 "TM Synchronization and Channel Coding - Summary of
Concept and Rationale", frame synchronization; the same SEARCH/CHECK/LOCK/FLYWHEEL machine with
programmable thresholds as in ground station telemetry receivers):

* SEARCH: every octet offset is tested for the ASM, allowing up to ``search_errors`` bit
  errors (default 2 of 32: about 1.2e-7 false alarms per offset on random data).
* CHECK: the candidate must be followed by ``check_count`` further ASMs exactly one CADU
  apart (same tolerance). Codeblocks seen meanwhile are held, released when LOCK is declared
  and dropped if the check fails; the search then resumes one octet after the candidate.
* LOCK: the ASM is only tested at the expected offset, where ``lock_errors`` bit errors
  (default 5) are tolerated, since the position is already known.
* FLYWHEEL: up to ``flywheel`` consecutive missing ASMs are coasted through, their
  codeblocks still taken; one more miss loses sync. The search then restarts just after the
  last ASM that was seen, so a slip (dropped or inserted octets) costs only the damaged
  codeblock: the shifted CADUs that follow are found again.

Every codeblock taken is derandomized and RS-decoded (:mod:`ccsds.channel_coding`), then the
frame error control field is checked. Decisions depend only on stream content, so feeding the
stream whole, in chunks or octet by octet gives the same events and counters. Between ``feed``
calls at most about max(``flywheel``, ``check_count``) + 3 CADUs stay buffered.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from ccsds.channel_coding import ASM_LENGTH, CodeblockDecoder, DecodedCodeblock
from ccsds.config import TmLinkConfig
from ccsds.errors import LocalProtocolError
from ccsds.tm_frame import fecf_valid

_SEARCH_WINDOW = 1 << 16
_MAX_ASM_ERRORS = 8
_SHORT_SEARCH = 64
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class SyncState(Enum):
    """States of the synchronizer."""

    SEARCH = "search"
    CHECK = "check"
    LOCK = "lock"
    FLYWHEEL = "flywheel"


class RejectReason(Enum):
    """Why a codeblock produced no frame."""

    UNCORRECTABLE = "more errors than the Reed-Solomon code can correct"
    FECF = "frame error control field mismatch after decoding"


@dataclass(frozen=True, slots=True)
class FrameReceived:
    """A decoded transfer frame; ``position`` is the stream offset of its ASM."""

    position: int
    frame: bytes
    corrected_symbols: int


@dataclass(frozen=True, slots=True)
class CodeblockRejected:
    """A codeblock taken at ``position`` gave no frame."""

    position: int
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class SyncAcquired:
    """LOCK declared at the ASM at ``position``."""

    position: int


@dataclass(frozen=True, slots=True)
class SyncLost:
    """The ASM expected at ``position`` was missing once more than the flywheel allows."""

    position: int


SyncEvent = FrameReceived | CodeblockRejected | SyncAcquired | SyncLost


@dataclass
class SyncCounters:
    """Running totals of a :class:`FrameSynchronizer`.

    ``octets_skipped`` counts octets that were never part of a taken codeblock.
    """

    sync_losses: int = 0
    check_failures: int = 0
    octets_skipped: int = 0
    codeblocks: int = 0
    flywheel_codeblocks: int = 0
    frames: int = 0
    corrected_symbols: int = 0
    uncorrectable: int = 0
    fecf_failures: int = 0


@dataclass(frozen=True, slots=True)
class _Codeblocks:
    """``count`` consecutive codeblocks taken, the first after the ASM at ``position``."""

    position: int
    count: int
    data: bytes


_Slot = SyncEvent | _Codeblocks


class FrameSynchronizer:
    """Finds CADUs in a byte stream and turns them into decoded frames."""

    def __init__(
        self,
        config: TmLinkConfig,
        *,
        search_errors: int = 2,
        lock_errors: int = 5,
        check_count: int = 1,
        flywheel: int = 2,
    ) -> None:
        if not 0 <= search_errors <= lock_errors <= _MAX_ASM_ERRORS:
            raise LocalProtocolError("need 0 <= search_errors <= lock_errors <= 8")
        if check_count < 0 or flywheel < 0:
            raise LocalProtocolError("check_count and flywheel must not be negative")
        self._decoder = CodeblockDecoder(config)
        self._check_fecf = config.fecf
        self._asm = config.asm_bytes
        self._asm_value = int.from_bytes(self._asm, "big")
        self._asm_array = np.frombuffer(self._asm, dtype=np.uint8)
        self._cadu = ASM_LENGTH + self._decoder.codeblock_length
        self._search_errors = search_errors
        self._lock_errors = lock_errors
        self._check_count = check_count
        self._flywheel = flywheel
        self._buffer = bytearray()
        self._base = 0  # stream offset of _buffer[0]
        self._state = SyncState.SEARCH
        self._position = 0  # next offset to search, or the expected ASM offset
        self._candidate = 0  # ASM that started the current CHECK
        self._first = False  # the unit at _position is the candidate itself
        self._last_seen = 0  # last ASM found in CHECK/LOCK
        self._confirmations = 0
        self._misses = 0
        self._held: list[_Codeblocks] = []
        self._taken_until = 0
        self._slots: list[_Slot] = []
        self.counters = SyncCounters()

    @property
    def state(self) -> SyncState:
        """The current state."""
        return self._state

    @property
    def buffered(self) -> int:
        """Octets held while waiting for the rest of a CADU or a rescan."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[SyncEvent]:
        """Consume stream octets; returns the events they complete, in stream order."""
        self._buffer += data
        self._slots = []
        while self._step():
            pass
        self._trim()
        return self._decode()

    # -- state machine --------------------------------------------------------------------

    def _step(self) -> bool:
        """Advance by one decision; False when more octets are needed.

        The ASM is judged as soon as its four octets are there; the codeblock is awaited
        only when it is going to be taken or held.
        """
        if self._state is SyncState.SEARCH:
            return self._search()
        if self._state is SyncState.LOCK and self._take_locked_run():
            return True
        position = self._position
        start = position - self._base
        if start + ASM_LENGTH > len(self._buffer):
            return False
        checking = self._state is SyncState.CHECK
        if checking:
            matched = self._first or self._asm_errors(position) <= self._search_errors
        else:
            matched = self._asm_errors(position) <= self._lock_errors
        if not matched and (checking or self._misses >= self._flywheel):
            self._give_up(position)
            return True
        if start + self._cadu > len(self._buffer):
            return False
        unit = _Codeblocks(
            position, 1, bytes(self._buffer[start + ASM_LENGTH : start + self._cadu])
        )
        self._position = position + self._cadu
        if checking:
            self._confirm(unit)
        elif matched:
            self._state = SyncState.LOCK
            self._misses = 0
            self._last_seen = position
            self._take(unit)
        else:
            self._state = SyncState.FLYWHEEL
            self._misses += 1
            self.counters.flywheel_codeblocks += 1
            self._take(unit)
        return True

    def _take_locked_run(self) -> bool:
        """LOCK fast path: take every whole CADU ahead whose ASM is exact, in one slice.

        Equivalent to taking them one by one (an exact ASM is always within tolerance).
        """
        start = self._position - self._base
        count = (len(self._buffer) - start) // self._cadu
        if count < 2:
            return False
        rows = np.frombuffer(
            bytes(self._buffer[start : start + count * self._cadu]), dtype=np.uint8
        ).reshape(count, self._cadu)
        exact = (rows[:, :ASM_LENGTH] == self._asm_array).all(axis=1)
        run = count if exact.all() else int(np.argmin(exact))
        if run == 0:
            return False
        self._take(_Codeblocks(self._position, run, rows[:run, ASM_LENGTH:].tobytes()))
        self._last_seen = self._position + (run - 1) * self._cadu
        self._position += run * self._cadu
        return True

    def _search(self) -> bool:
        found = self._find_asm()
        self._skip_to(found if found is not None else self._base + len(self._buffer) - 3)
        if found is None:
            return False
        self._state = SyncState.CHECK
        self._candidate = self._position = found
        self._first = True
        self._confirmations = 0
        return True

    def _confirm(self, unit: _Codeblocks) -> None:
        """CHECK: hold the codeblock after a matching ASM; declare LOCK after enough."""
        if self._first:
            self._first = False
        else:
            self._confirmations += 1
        self._held.append(unit)
        self._last_seen = unit.position
        if self._confirmations >= self._check_count:
            self._state = SyncState.LOCK
            self._misses = 0
            self._slots.append(SyncAcquired(unit.position))
            for held in self._held:
                self._take(held)
            self._held.clear()

    def _give_up(self, position: int) -> None:
        """A missing ASM ends the CHECK, or loses sync once the flywheel is spent."""
        if self._state is SyncState.CHECK:
            self.counters.check_failures += 1
            self._held.clear()
            self._enter_search(self._candidate)
            self._skip_to(self._candidate + 1)
            return
        self.counters.sync_losses += 1
        self._slots.append(SyncLost(position))
        self._enter_search(self._last_seen + ASM_LENGTH)

    def _enter_search(self, position: int) -> None:
        self._state = SyncState.SEARCH
        self._position = position

    def _take(self, unit: _Codeblocks) -> None:
        self._slots.append(unit)
        self._taken_until = max(self._taken_until, unit.position + unit.count * self._cadu)

    def _skip_to(self, position: int) -> None:
        """Move the search to ``position``, counting octets no codeblock ever took."""
        skipped = position - max(self._position, self._taken_until)
        if skipped > 0:
            self.counters.octets_skipped += skipped
        self._position = max(self._position, position)

    # -- ASM detection ---------------------------------------------------------------------

    def _asm_errors(self, position: int) -> int:
        """Bit errors of the ASM at stream offset ``position`` (four octets available)."""
        start = position - self._base
        window = self._buffer[start : start + ASM_LENGTH]
        if window == self._asm:
            return 0
        return (int.from_bytes(window, "big") ^ self._asm_value).bit_count()

    def _find_asm(self) -> int | None:
        """First offset from ``_position`` holding the ASM within ``search_errors``."""
        begin = self._position - self._base
        last = len(self._buffer) - ASM_LENGTH  # last offset with a whole ASM available
        while begin <= last:
            end = min(last, begin + _SEARCH_WINDOW)
            hit = self._find_in(begin, end)
            if hit is not None:
                return self._base + hit
            begin = end + 1
        return None

    def _find_in(self, begin: int, end: int) -> int | None:
        """First ASM starting in ``begin..end`` (buffer indices, inclusive)."""
        if not self._search_errors:
            hit = self._buffer.find(self._asm, begin, end + ASM_LENGTH)
            return None if hit < 0 else hit
        count = end - begin + 1
        if count <= _SHORT_SEARCH:  # octet-at-a-time feeding: numpy set-up would dominate
            for index in range(begin, end + 1):
                if self._asm_errors(self._base + index) <= self._search_errors:
                    return index
            return None
        window = np.frombuffer(bytes(self._buffer[begin : end + ASM_LENGTH]), dtype=np.uint8)
        errors = np.zeros(count, dtype=np.uint8)
        for shift, octet in enumerate(self._asm_array):
            errors += _POPCOUNT[window[shift : shift + count] ^ octet]
        hits = np.flatnonzero(errors <= self._search_errors)
        return begin + int(hits[0]) if hits.size else None

    # -- buffering and decoding ------------------------------------------------------------

    def _trim(self) -> None:
        """Drop octets no future decision (including a rescan after sync loss) can need."""
        if self._state is SyncState.SEARCH:
            keep = self._position
        elif self._state is SyncState.CHECK:
            keep = self._candidate + 1
        else:
            keep = self._last_seen + ASM_LENGTH
        drop = keep - self._base
        if drop >= self._cadu or (drop > 0 and drop == len(self._buffer)):
            del self._buffer[:drop]
            self._base = keep

    def _decode(self) -> list[SyncEvent]:
        slots = self._slots
        self._slots = []
        units = [slot for slot in slots if isinstance(slot, _Codeblocks)]
        if not units:
            return [slot for slot in slots if not isinstance(slot, _Codeblocks)]
        decoded = iter(self._decoder.decode_codeblocks(b"".join(unit.data for unit in units)))
        events: list[SyncEvent] = []
        for slot in slots:
            if not isinstance(slot, _Codeblocks):
                events.append(slot)
                continue
            for index in range(slot.count):
                events.append(self._outcome(slot.position + index * self._cadu, next(decoded)))
        return events

    def _outcome(self, position: int, result: DecodedCodeblock) -> SyncEvent:
        counters = self.counters
        counters.codeblocks += 1
        counters.corrected_symbols += result.corrected_symbols
        if result.uncorrectable:
            counters.uncorrectable += 1
            return CodeblockRejected(position, RejectReason.UNCORRECTABLE)
        if self._check_fecf and not fecf_valid(result.frame):
            counters.fecf_failures += 1
            return CodeblockRejected(position, RejectReason.FECF)
        counters.frames += 1
        return FrameReceived(position, result.frame, result.corrected_symbols)
