"""The board's link security: SDLS on the uplink, service 140, counters and events.

* Receiving end (CCSDS 355.0-B-2 4.2): :class:`~ccsds.board_link.UplinkSecurity` on the
  board uplink; the accepted ARSNs are saved in the SA file before the commands of their
  frames run, so frames from before a reset stay rejected (docs/security.md 5); each
  rejection is counted and reported as SECURITY_REJECTED, at most ``event_burst`` at once
  and one per ``event_interval_s`` after that (the others are counted and the next event
  says how many).
* Service 140 (docs/security.md 8): (140,1) carries one extended procedure PDU
  (355.1-B-1), run by :func:`ccsds.sdls.management.execute`; the key and SA files are
  saved before any reply (140,2) leaves (the key verification counter, 355.1-B-1 key
  verification). A procedure that would leave the TC VC with no operational SA under an
  active key (the board could never be commanded again) is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ccsds.board_link import SecurityRejection, UplinkSecurity
from ccsds.config import LinkConfig
from ccsds.errors import LocalProtocolError
from ccsds.mission_db import MissionDatabase
from ccsds.sdls.association import SaTable
from ccsds.sdls.errors import ProcedureError, SecurityError, UnwrapError
from ccsds.sdls.keys import KeyState, KeyStore
from ccsds.sdls.management import execute
from ccsds.sdls.procedures import (
    ExtendedProcedure,
    KeyDeactivationCommand,
    KeyInventoryCommand,
    KeyVerificationCommand,
    ReadArsnCommand,
    SaStatusCommand,
    StopSaCommand,
    decode_pdu,
)
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.security.dictionary import (
    NO_SPI,
    PROCEDURE_SUBTYPE,
    REJECTION_CLASSES,
    REPLY_SUBTYPE,
    SERVICE,
)
from flight_sw.security.persistence import SecurityFiles
from flight_sw.services.arguments import Arguments, Rejections, request_parser
from flight_sw.services.verification import Emit, ErrorCode, Verification

RaiseEvent = Callable[..., object]
"""``raise_event(name, now, **values)`` of the event service."""
_QUERIES = (KeyVerificationCommand, KeyInventoryCommand, ReadArsnCommand, SaStatusCommand)
"""Procedures that change no key or SA state (verification only its IV counter)."""
_REASONS = {name.lower(): code for name, code in REJECTION_CLASSES}


@dataclass
class SecurityServiceCounters:
    """Outcomes of service 140 and of the security bookkeeping."""

    procedures_done: int = 0
    procedures_refused: int = 0
    events_suppressed: int = 0
    save_failures: int = 0
    rejected: Rejections = field(default_factory=Rejections)


class RateLimiter:
    """A token bucket: ``burst`` at once, then one per ``interval_s`` (time passed in)."""

    def __init__(self, interval_s: float, burst: int) -> None:
        self.interval_s = interval_s
        self.burst = burst
        self._tokens = float(burst)
        self._last: float | None = None

    def allow(self, now: float) -> bool:
        """Take a token if one is there."""
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) / self.interval_s)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class BoardSecurity:
    """SDLS state of one board, its uplink hooks and service 140."""

    def __init__(self, config: LinkConfig, table: SaTable, keys: KeyStore,
                 files: SecurityFiles, *, database: MissionDatabase, emit: Emit,
                 raise_event: RaiseEvent, now: Callable[[], float],
                 event_interval_s: float = 1.0, event_burst: int = 5) -> None:
        self.config = config
        self.table = table
        self.keys = keys
        self.files = files
        self.database = database
        self.emit = emit
        self.raise_event = raise_event
        self.now = now
        self.counters = SecurityServiceCounters()
        self.limiter = RateLimiter(event_interval_s, event_burst)
        self._unreported = 0
        self.uplink = UplinkSecurity(table, keys, on_rejected=self._rejected,
                                     after_accepted=self._accepted)

    # -- uplink hooks ---------------------------------------------------------------------

    def _rejected(self, rejection: SecurityRejection) -> None:
        error = rejection.error
        reason = error.counter if isinstance(error, SecurityError) else "malformed"
        if not self.limiter.allow(self.now()):
            self._unreported += 1
            self.counters.events_suppressed += 1
            return
        self.raise_event("SECURITY_REJECTED", self.now(), reason=_REASONS[reason],
                         spi=NO_SPI if rejection.spi is None else rejection.spi,
                         virtual_channel=rejection.virtual_channel, suppressed=self._unreported)
        self._unreported = 0

    def _accepted(self) -> None:
        self._save(keys=False)

    def _save(self, *, keys: bool = True) -> bool:
        """Save the SA file (and the key file); False, counted and reported, on failure."""
        try:
            if keys:
                self.files.save_keys(self.keys)
            self.files.save_associations(self.table)
        except OSError:
            self.counters.save_failures += 1
            self.raise_event("SECURITY_SAVE_FAILED", self.now(),
                             failures=self.counters.save_failures)
            return False
        return True

    # -- service 140 ----------------------------------------------------------------------

    def register(self, dispatcher: Dispatcher) -> None:
        """Route (140,1) as the dictionary defines it."""
        dispatcher.register(SERVICE, PROCEDURE_SUBTYPE, self._execute, parse=request_parser(
            self.database, SERVICE, PROCEDURE_SUBTYPE, self.counters.rejected, self._decode))

    def _decode(self, arguments: Arguments) -> ExtendedProcedure:
        data = arguments["pdu"]
        try:
            pdu = decode_pdu(data if isinstance(data, bytes) else b"")
        except ProcedureError as error:
            self.counters.rejected.invalid_data += 1
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, str(error)) from None
        if pdu.REPLY:
            self.counters.rejected.invalid_data += 1
            raise CommandError(ErrorCode.INVALID_APPLICATION_DATA,
                               f"{type(pdu).__name__} is a reply, not a command")
        return pdu

    def _execute(self, pdu: ExtendedProcedure, _: Verification) -> None:
        try:
            self._check_keeps_uplink(pdu)
            reply = execute(pdu, table=self.table, keys=self.keys)
        except (LocalProtocolError, UnwrapError) as error:
            self.counters.procedures_refused += 1
            raise CommandError(ErrorCode.EXECUTION_FAILED, str(error)) from None
        if not self._save():
            self.counters.procedures_refused += 1
            raise CommandError(ErrorCode.EXECUTION_FAILED, "security state not saved")
        self.counters.procedures_done += 1
        if reply is not None:
            self.emit(SERVICE, REPLY_SUBTYPE, reply.encode())
        if not isinstance(pdu, _QUERIES):
            self.raise_event("SECURITY_PROCEDURE", self.now(), procedure=pdu.encode()[0])

    def _check_keeps_uplink(self, pdu: ExtendedProcedure) -> None:
        """Refuse a Stop SA or Key Deactivation that would leave the TC VC unusable."""
        stopped = {pdu.spi} if isinstance(pdu, StopSaCommand) else set()
        deactivated = set(pdu.key_ids) if isinstance(pdu, KeyDeactivationCommand) else set()
        if not stopped and not deactivated:
            return
        usable = [sa for sa in self.table.operational_for(self.config.tc.virtual_channel)
                  if sa.spi not in stopped and sa.key_id is not None
                  and sa.key_id not in deactivated and sa.key_id in self.keys
                  and self.keys.state(sa.key_id) is KeyState.ACTIVE]
        if not usable:
            raise LocalProtocolError("refused: the TC virtual channel would be left with no "
                                     "operational SA under an active key")
