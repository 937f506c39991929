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
* Sending end on TM (with ``sdls.tm_protection``): :class:`~ccsds.board_link.DownlinkSecurity`
  on the board downlink with the TM SA table; before a sequence number beyond the saved
  reserve is used, the TM SA file is saved ``TM_ARSN_RESERVE`` ahead (docs/security.md 5), and
  when that save fails the protected channels send nothing until it succeeds. Service 140
  answers SA Status and Read ARSN for TM SAs too; it changes none (the TM SA file defines
  them), and refuses a Key Deactivation of a key an operational TM SA uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ccsds.board_link import DownlinkSecurity, SecurityRejection, UplinkSecurity
from ccsds.config import LinkConfig
from ccsds.errors import LocalProtocolError
from ccsds.mission_db import MissionDatabase
from ccsds.sdls.association import SaState, SaTable, SecurityAssociation
from ccsds.sdls.errors import ProcedureError, SecurityError, UnwrapError
from ccsds.sdls.iv import MAX_COUNTER
from ccsds.sdls.keys import KeyState, KeyStore
from ccsds.sdls.management import execute
from ccsds.sdls.procedures import (
    ExtendedProcedure,
    KeyDeactivationCommand,
    KeyInventoryCommand,
    KeyVerificationCommand,
    ReadArsnCommand,
    RekeySaCommand,
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
_SA_QUERIES = (ReadArsnCommand, SaStatusCommand)
TM_ARSN_RESERVE = 4096
"""TM sequence numbers saved ahead of use: a reset skips at most this many (the ground's
TM SA window must be larger)."""


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
                 event_interval_s: float = 1.0, event_burst: int = 5,
                 tm_table: SaTable | None = None) -> None:
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
        self.tm_table = tm_table
        self.downlink = None if tm_table is None else DownlinkSecurity(
            tm_table, keys, config, before_use=self._before_tm_use)
        self._tm_reserved = {sa.spi: sa.arsn for sa in tm_table or ()}
        self._tm_save_failing = False

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
            self._save_failed()
            return False
        return True

    def _save_failed(self) -> None:
        self.counters.save_failures += 1
        self.raise_event("SECURITY_SAVE_FAILED", self.now(),
                         failures=self.counters.save_failures)

    def _before_tm_use(self, sa: SecurityAssociation) -> None:
        """Save the TM SA file with a reserve before a sequence number beyond the saved one
        is used; LocalProtocolError (the frame is not sent) when it cannot be saved."""
        if sa.arsn < self._tm_reserved.get(sa.spi, 0) or self.tm_table is None:
            return
        reserve = {each.spi: TM_ARSN_RESERVE for each in self.tm_table}
        try:
            self.files.save_tm_associations(self.tm_table, reserve)
        except OSError as error:
            if not self._tm_save_failing:  # one event per failing streak, not per frame
                self._tm_save_failing = True
                self._save_failed()
            raise LocalProtocolError(f"TM SA file not saved: {error}") from error
        self._tm_save_failing = False
        self._tm_reserved = {each.spi: min(each.arsn + TM_ARSN_RESERVE, MAX_COUNTER)
                             for each in self.tm_table}

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
            self._check_directions(pdu)
            reply = execute(pdu, table=self._table_of(pdu), keys=self.keys)
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

    def _table_of(self, pdu: ExtendedProcedure) -> SaTable:
        """The TC SA table, or the TM one for a query naming a TM SA (TM SAs are read, never
        changed, over the link)."""
        spi = getattr(pdu, "spi", None)
        tm = self.tm_table
        if tm is None or spi is None or spi in self.table or spi not in tm:
            return self.table
        if not isinstance(pdu, _SA_QUERIES):
            raise LocalProtocolError(f"SA {spi} is a TM SA: defined by the TM SA file, "
                                     "not changed over the link")
        return tm

    def _check_directions(self, pdu: ExtendedProcedure) -> None:
        """Refuse rekeying a TC SA with a key of a TM SA: a key protects one direction."""
        if isinstance(pdu, RekeySaCommand) and any(
                sa.key_id == pdu.key_id for sa in self.tm_table or ()):
            raise LocalProtocolError(f"refused: key {pdu.key_id} protects the TM downlink")

    def _check_keeps_uplink(self, pdu: ExtendedProcedure) -> None:
        """Refuse a Stop SA or Key Deactivation that would leave the TC VC unusable."""
        stopped = {pdu.spi} if isinstance(pdu, StopSaCommand) else set()
        deactivated = set(pdu.key_ids) if isinstance(pdu, KeyDeactivationCommand) else set()
        if not stopped and not deactivated:
            return
        in_tm = sorted(sa.key_id for sa in self.tm_table or () if sa.key_id in deactivated
                       and sa.state is SaState.OPERATIONAL)
        if in_tm:
            raise LocalProtocolError(f"refused: key {in_tm[0]} protects the TM downlink "
                                     "(an operational TM SA uses it)")
        usable = [sa for sa in self.table.operational_for(self.config.tc.virtual_channel)
                  if sa.spi not in stopped and sa.key_id is not None
                  and sa.key_id not in deactivated and sa.key_id in self.keys
                  and self.keys.state(sa.key_id) is KeyState.ACTIVE]
        if not usable:
            raise LocalProtocolError("refused: the TC virtual channel would be left with no "
                                     "operational SA under an active key")
