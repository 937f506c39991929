"""Typed errors of the ground station: each names what was wrong in operator terms."""

from __future__ import annotations


class GroundError(Exception):
    """Base class of every error the ground station raises."""


class DictionaryLoadError(GroundError):
    """The mission dictionary could not be read or exported."""


class UnknownCommandError(GroundError, KeyError):
    """No command of that name in the mission dictionary."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ArgumentValidationError(GroundError, ValueError):
    """A command argument is missing, unknown, of the wrong kind or out of range.

    Raised before anything is sent.
    """


class CriticalCommandError(GroundError):
    """A critical command was sent without ``confirm=True`` (operator confirmation)."""


class UnknownTelemetryError(GroundError, KeyError):
    """No parameter or event of that name in the mission dictionary."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LinkError(GroundError):
    """The link port could not be opened or the link is not usable."""


class VerificationFailed(GroundError):
    """The board reported a failed verification stage, PUS service 1 (ECSS 6.1.3)."""

    def __init__(self, command: str, stage: str, error_code: int, error_name: str) -> None:
        super().__init__(f"{command}: {stage} failed with error {error_code} ({error_name})")
        self.command = command
        self.stage = stage
        self.error_code = error_code
        self.error_name = error_name


class TelemetryAssertionError(GroundError, AssertionError):
    """A telemetry value did not meet an assertion."""


class TransferFailed(GroundError):
    """A CFDP transaction ended with a fault condition (CCSDS 727.0-B-5 4.11)."""


class GroundTimeoutError(GroundError, TimeoutError):
    """Base class of every wait that ran out of time."""


class VerificationTimeout(GroundTimeoutError):
    """A verification report did not arrive in time."""


class TelemetryTimeout(GroundTimeoutError):
    """A telemetry value did not arrive (or meet its condition) in time."""


class EventTimeout(GroundTimeoutError):
    """An event did not arrive in time."""


class TransferTimeout(GroundTimeoutError):
    """A file transfer did not finish in time."""
