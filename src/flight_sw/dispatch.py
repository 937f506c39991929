"""Routing of telecommand packets to services, with request verification (PUS service 1).

Every packet that reaches the dispatcher ends in a verification report: an acceptance failure
(1,2) with an error code when it cannot be decoded, is not for this application or names an
unknown request type or malformed data; otherwise (1,1), (1,3), (1,7) as its acknowledgement
flags ask, or a start / completion failure when the service reports one. Counters of every
outcome go to housekeeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ccsds.errors import ChecksumError, DecodeError, LengthError, TruncatedError
from ccsds.pus import PusTc, PusVersionError, RequestId
from ccsds.spacepacket import HeaderError, PacketTypeError, peek_header
from flight_sw.services.verification import (
    Emit,
    ErrorCode,
    Subtype,
    Verification,
    acceptance_failure,
)


class CommandError(Exception):
    """A service refuses or fails a request; the dispatcher reports it with ``code``."""

    def __init__(self, code: ErrorCode, message: str, data: bytes = b"") -> None:
        super().__init__(message)
        self.code = code
        self.data = data


Parse = Callable[[PusTc], Any]
"""Validates a request's application data and returns its arguments (acceptance stage)."""
Execute = Callable[[Any, Verification], None]
"""Carries a request out (start and completion stages)."""


@dataclass
class DispatchCounters:
    """Outcomes of every packet handed to the dispatcher."""

    packets: int = 0
    accepted: int = 0
    rejected: int = 0
    completed: int = 0
    failed: int = 0
    bad_length: int = 0
    bad_checksum: int = 0
    bad_packet_type: int = 0
    wrong_apid: int = 0
    unknown_service: int = 0
    unknown_subtype: int = 0
    bad_application_data: int = 0
    deferred: int = 0
    """Requests whose completion the service reports later (long-running work)."""


_DECODE_ERRORS: tuple[tuple[type[DecodeError], ErrorCode, str], ...] = (
    (ChecksumError, ErrorCode.INCORRECT_CHECKSUM, "bad_checksum"),
    (PacketTypeError, ErrorCode.ILLEGAL_PACKET_TYPE, "bad_packet_type"),
    (HeaderError, ErrorCode.ILLEGAL_PACKET_TYPE, "bad_packet_type"),
    (PusVersionError, ErrorCode.INVALID_PUS_VERSION, "bad_packet_type"),
    (TruncatedError, ErrorCode.INVALID_LENGTH, "bad_length"),
    (LengthError, ErrorCode.INVALID_LENGTH, "bad_length"),
)


def _classify(error: DecodeError) -> tuple[ErrorCode, str]:
    """The error code and counter of a telecommand that failed to decode."""
    for kind, code, counter in _DECODE_ERRORS:
        if isinstance(error, kind):
            return code, counter
    return ErrorCode.INVALID_APPLICATION_DATA, "bad_application_data"


def _no_arguments(tc: PusTc) -> None:
    if tc.application_data:
        raise CommandError(ErrorCode.INVALID_APPLICATION_DATA,
                           f"({tc.service},{tc.subtype}) takes no application data")


class Dispatcher:
    """Routes the PUS telecommands of one application process (APID)."""

    def __init__(self, apid: int, emit: Emit) -> None:
        self.apid = apid
        self.emit = emit
        self.counters = DispatchCounters()
        self._routes: dict[tuple[int, int], tuple[Parse, Execute]] = {}
        self._services: set[int] = set()

    def register(self, service: int, subtype: int, execute: Execute, *,
                 parse: Parse = _no_arguments) -> None:
        """Route request (``service``, ``subtype``) to ``execute`` after ``parse``."""
        if (service, subtype) in self._routes:
            raise ValueError(f"({service},{subtype}) is registered already")
        self._routes[service, subtype] = (parse, execute)
        self._services.add(service)

    def dispatch(self, packet: bytes) -> None:
        """Handle one space packet addressed to this application."""
        self.counters.packets += 1
        tc = self._decode(packet)
        if tc is None:
            return
        route = self._routes.get((tc.service, tc.subtype))
        if route is None:
            unknown_service = tc.service not in self._services
            self._reject(tc.request_id, ErrorCode.UNKNOWN_SERVICE if unknown_service
                         else ErrorCode.UNKNOWN_SUBTYPE,
                         "unknown_service" if unknown_service else "unknown_subtype")
            return
        parse, execute = route
        try:
            arguments = parse(tc)
        except CommandError as error:
            self._reject(tc.request_id, error.code, "bad_application_data", error.data)
            return
        self._execute(tc, arguments, execute)

    def _decode(self, packet: bytes) -> PusTc | None:
        try:
            header = peek_header(packet)
        except DecodeError:
            self.counters.rejected += 1
            self.counters.bad_length += 1
            return None  # not even a request id to report against
        if header.apid != self.apid:
            self._reject(RequestId.unpack_from(packet), ErrorCode.ILLEGAL_APID, "wrong_apid")
            return None
        try:
            return PusTc.decode(packet)
        except DecodeError as error:
            code, counter = _classify(error)
            self._reject(RequestId.unpack_from(packet), code, counter)
            return None

    def _reject(self, request: RequestId, code: ErrorCode, counter: str,
                data: bytes = b"") -> None:
        self.counters.rejected += 1
        setattr(self.counters, counter, getattr(self.counters, counter) + 1)
        acceptance_failure(self.emit, request, code, data)

    def _count_outcome(self, success: bool) -> None:
        if success:
            self.counters.completed += 1
        else:
            self.counters.failed += 1

    def _execute(self, tc: PusTc, arguments: Any, execute: Execute) -> None:
        verification = Verification(self.emit, tc.request_id, tc.ack_flags,
                                    on_outcome=self._count_outcome)
        self.counters.accepted += 1
        verification.accepted()
        verification.started()
        try:
            execute(arguments, verification)
        except CommandError as error:
            verification.failed(Subtype.COMPLETION_FAILURE, error.code, error.data)
            return
        if verification.deferred:
            self.counters.deferred += 1
            return
        verification.completed()
