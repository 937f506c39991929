"""Request verification, PUS service 1 (ECSS-E-ST-70-41C 6.1, 8.1).

Success reports follow the acknowledgement flags of the request; failure reports are always
sent (6.1.3): a telecommand is never dropped silently. A failure notice is the error code
(16 bits) followed by optional data.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from enum import IntEnum

from ccsds.pus import AckFlags, RequestId

SERVICE = 1


class Subtype(IntEnum):
    """Service 1 report subtypes."""

    ACCEPTANCE_SUCCESS = 1
    ACCEPTANCE_FAILURE = 2
    START_SUCCESS = 3
    START_FAILURE = 4
    PROGRESS_SUCCESS = 5
    PROGRESS_FAILURE = 6
    COMPLETION_SUCCESS = 7
    COMPLETION_FAILURE = 8


class ErrorCode(IntEnum):
    """Failure codes of verification reports (docs/icd.md lists them)."""

    ILLEGAL_APID = 1
    INVALID_LENGTH = 2
    INCORRECT_CHECKSUM = 3
    ILLEGAL_PACKET_TYPE = 4
    UNKNOWN_SERVICE = 5
    UNKNOWN_SUBTYPE = 6
    INVALID_APPLICATION_DATA = 7
    ARGUMENT_OUT_OF_RANGE = 8
    NOT_ALLOWED_IN_MODE = 9
    EXECUTION_FAILED = 10
    INVALID_PUS_VERSION = 11
    FAULT_INJECTION_DISABLED = 12
    OBJECT_NOT_FOUND = 13
    STORE_FULL = 14
    DATA_LOST = 15
    INVALID_OBJECT_NAME = 16
    JOB_NOT_FOUND = 17
    JOB_QUEUE_FULL = 18
    BUSY = 19
    UNKNOWN_MEMORY_REGION = 20
    KEY_UNAVAILABLE = 21


_FAILURE = struct.Struct(">H")

Emit = Callable[[int, int, bytes], None]
"""Sends a TM packet: ``emit(service, subtype, source_data)``."""


class Verification:
    """Produces the service 1 reports of one telecommand."""

    def __init__(self, emit: Emit, request: RequestId, ack: AckFlags, *,
                 on_outcome: Callable[[bool], None] | None = None) -> None:
        self._emit = emit
        self.request = request
        self.ack = ack
        self._id = request.encode()
        self._on_outcome = on_outcome
        self.deferred = False
        """Set by :meth:`defer`: the service reports completion itself, later."""

    def _report(self, subtype: Subtype, data: bytes = b"") -> None:
        self._emit(SERVICE, subtype, self._id + data)

    def accepted(self) -> None:
        """(1,1) when asked for."""
        if self.ack & AckFlags.ACCEPTANCE:
            self._report(Subtype.ACCEPTANCE_SUCCESS)

    def started(self) -> None:
        """(1,3) when asked for."""
        if self.ack & AckFlags.START:
            self._report(Subtype.START_SUCCESS)

    def progressed(self, step: int) -> None:
        """(1,5) with the step number when asked for."""
        if self.ack & AckFlags.PROGRESS:
            self._report(Subtype.PROGRESS_SUCCESS, _FAILURE.pack(step))

    def defer(self) -> None:
        """Keep the request open when the handler returns: the service calls
        :meth:`completed` or :meth:`failed` when the work it started ends (6.1.5: completion
        is reported when execution completes, e.g. a job that runs for minutes)."""
        self.deferred = True

    def completed(self) -> None:
        """(1,7) when asked for."""
        if self.ack & AckFlags.COMPLETION:
            self._report(Subtype.COMPLETION_SUCCESS)
        if self._on_outcome is not None:
            self._on_outcome(True)

    def failed(self, stage: Subtype, code: ErrorCode, data: bytes = b"") -> None:
        """A failure report of ``stage`` (always sent)."""
        self._report(stage, _FAILURE.pack(code) + data)
        if self._on_outcome is not None and stage >= Subtype.START_FAILURE:
            self._on_outcome(False)


def acceptance_failure(emit: Emit, request: RequestId, code: ErrorCode,
                       data: bytes = b"") -> None:
    """(1,2) for a telecommand that could not even be decoded into a request."""
    Verification(emit, request, AckFlags(0)).failed(Subtype.ACCEPTANCE_FAILURE, code, data)
