"""CFDP field codes and the typed errors of the CFDP PDU layer (CCSDS 727.0-B-5 section 5)."""

from __future__ import annotations

import enum
from typing import TypeVar

from ccsds.errors import DecodeError

CFDP_VERSION = 0b001
"""Version field of every PDU header: 001 for CFDP version 2 (CCSDS 727.0-B-5 5.1.1)."""


class UnknownDirectiveError(DecodeError):
    """A file directive code that 727.0-B-5 table 5-4 does not define."""


class FieldValueError(DecodeError):
    """A field holds a value that its table in 727.0-B-5 section 5 reserves or forbids."""


class PduType(enum.IntEnum):
    """PDU type bit of the fixed header (727.0-B-5 table 5-1)."""

    FILE_DIRECTIVE = 0
    FILE_DATA = 1


class Direction(enum.IntEnum):
    """Direction bit: toward the file receiver or toward the file sender (table 5-1)."""

    TOWARD_RECEIVER = 0
    TOWARD_SENDER = 1


class TransmissionMode(enum.IntEnum):
    """Acknowledged (class 2) or unacknowledged (class 1) mode (table 5-1)."""

    ACKNOWLEDGED = 0
    UNACKNOWLEDGED = 1


class DirectiveCode(enum.IntEnum):
    """File directive codes (727.0-B-5 table 5-4)."""

    EOF = 0x04
    FINISHED = 0x05
    ACK = 0x06
    METADATA = 0x07
    NAK = 0x08
    PROMPT = 0x09
    KEEP_ALIVE = 0x0C


class ConditionCode(enum.IntEnum):
    """Condition codes (727.0-B-5 table 5-5); 12 and 13 are reserved."""

    NO_ERROR = 0
    POSITIVE_ACK_LIMIT_REACHED = 1
    KEEP_ALIVE_LIMIT_REACHED = 2
    INVALID_TRANSMISSION_MODE = 3
    FILESTORE_REJECTION = 4
    FILE_CHECKSUM_FAILURE = 5
    FILE_SIZE_ERROR = 6
    NAK_LIMIT_REACHED = 7
    INACTIVITY_DETECTED = 8
    INVALID_FILE_STRUCTURE = 9
    CHECK_LIMIT_REACHED = 10
    UNSUPPORTED_CHECKSUM_TYPE = 11
    SUSPEND_REQUEST_RECEIVED = 14
    CANCEL_REQUEST_RECEIVED = 15


class DeliveryCode(enum.IntEnum):
    """Delivery code of the Finished PDU (727.0-B-5 table 5-7)."""

    DATA_COMPLETE = 0
    DATA_INCOMPLETE = 1


class FileStatus(enum.IntEnum):
    """File status of the Finished PDU (727.0-B-5 table 5-7)."""

    DISCARDED_DELIBERATELY = 0
    DISCARDED_FILESTORE_REJECTION = 1
    RETAINED = 2
    UNREPORTED = 3


class TransactionStatus(enum.IntEnum):
    """Transaction status of the ACK PDU (727.0-B-5 table 5-8)."""

    UNDEFINED = 0
    ACTIVE = 1
    TERMINATED = 2
    UNRECOGNIZED = 3


class FaultHandlerCode(enum.IntEnum):
    """Fault handler codes (727.0-B-5 table 5-19, procedures in 4.8)."""

    NOTICE_OF_CANCELLATION = 1
    NOTICE_OF_SUSPENSION = 2
    IGNORE_ERROR = 3
    ABANDON_TRANSACTION = 4


class PromptResponse(enum.IntEnum):
    """Response required field of the Prompt PDU (727.0-B-5 table 5-11)."""

    NAK = 0
    KEEP_ALIVE = 1


class RecordContinuation(enum.IntEnum):
    """Record continuation state of a file data PDU's segment metadata (727.0-B-5 5.3.2)."""

    NEITHER = 0b00
    START = 0b01
    END = 0b10
    START_AND_END = 0b11


class TlvType(enum.IntEnum):
    """TLV type codes (727.0-B-5 table 5-3)."""

    FILESTORE_REQUEST = 0x00
    FILESTORE_RESPONSE = 0x01
    MESSAGE_TO_USER = 0x02
    FAULT_HANDLER_OVERRIDE = 0x04
    FLOW_LABEL = 0x05
    ENTITY_ID = 0x06


class ActionCode(enum.IntEnum):
    """Filestore request action codes (727.0-B-5 table 5-16)."""

    CREATE_FILE = 0
    DELETE_FILE = 1
    RENAME_FILE = 2
    APPEND_FILE = 3
    REPLACE_FILE = 4
    CREATE_DIRECTORY = 5
    REMOVE_DIRECTORY = 6
    DENY_FILE = 7
    DENY_DIRECTORY = 8

    @property
    def has_second_name(self) -> bool:
        """Rename, append and replace carry a second file name (table 5-16)."""
        return self in (ActionCode.RENAME_FILE, ActionCode.APPEND_FILE, ActionCode.REPLACE_FILE)


class ChecksumType(enum.IntEnum):
    """Checksum identifiers of the SANA checksum registry used by 727.0-B-5 (see checksum.py)."""

    MODULAR = 0
    PROXIMITY1_CRC32 = 1
    CRC32C = 2
    CRC32 = 3
    NULL = 15


_E = TypeVar("_E", bound=enum.IntEnum)


def decode_enum(cls: type[_E], value: int, what: str) -> _E:
    """Map a received field to its enum, or raise :class:`FieldValueError`."""
    try:
        return cls(value)
    except ValueError:
        raise FieldValueError(f"{what}: reserved value {value}") from None
