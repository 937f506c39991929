"""Typed errors of the SDLS core (CCSDS 355.0-B-2, 355.1-B-1).

Frame rejections are :class:`~ccsds.errors.DecodeError` subclasses: the receiving end counts
them (each names the :class:`~ccsds.sdls.frame_security.SecurityCounters` field it
increments) and carries on. A rejected frame never reaches FARM-1 and never changes any
security association (355.0-B-2 4.2, receiving end: the ARSN is updated only after verification).
Management requests the current state forbids are :class:`~ccsds.errors.LocalProtocolError`.
"""

from __future__ import annotations

from typing import ClassVar

from ccsds.errors import DecodeError, LocalProtocolError, TruncatedError


class SecurityError(DecodeError):
    """A frame failed security processing (355.0-B-2 4.2, receiving end, frame rejection)."""

    counter: ClassVar[str] = "other"


class SecurityTruncatedError(SecurityError, TruncatedError):
    """Fewer octets than the SA's security header and trailer need (355.0-B-2 4.1.1, 4.1.2)."""

    counter = "truncated"


class UnknownSpiError(SecurityError):
    """The Security Parameter Index names no SA known here (355.0-B-2 4.2, receiving end)."""

    counter = "unknown_spi"


class WrongChannelError(SecurityError):
    """The SA exists but is not applicable to the frame's virtual channel (355.0-B-2 4.2.2.2)."""

    counter = "wrong_channel"


class SaStateError(SecurityError):
    """The SA is not OPERATIONAL (355.0-B-2 4.2, receiving end; 355.1-B-1 SA states)."""

    counter = "sa_state"


class KeyStateError(SecurityError):
    """The SA's key is missing or not ACTIVE (355.1-B-1 key states)."""

    counter = "key_state"


class IvError(SecurityError):
    """The IV's fixed field or its agreement with the sequence number field is wrong."""

    counter = "iv"


class ReplayError(SecurityError):
    """The anti-replay sequence number is not above the last accepted (355.0-B-2 4.2)."""

    counter = "replay"


class OutOfWindowError(SecurityError):
    """The anti-replay sequence number jumps beyond the SA's window (355.0-B-2 4.2)."""

    counter = "out_of_window"


class MacError(SecurityError):
    """The MAC does not verify: forged, corrupted or wrongly keyed (355.0-B-2 4.2)."""

    counter = "mac"


class PadLengthError(SecurityError):
    """The pad length field exceeds the decrypted data (355.0-B-2 4.1.1.5)."""

    counter = "pad_length"


class KeyStateTransitionError(LocalProtocolError):
    """A key management request the key's state forbids (355.1-B-1 key life cycle)."""


class UnknownKeyError(LocalProtocolError, KeyError):
    """No key with this key id is held."""


class SaTransitionError(LocalProtocolError):
    """An SA management request the SA's state forbids (355.1-B-1, SA states)."""


class UnwrapError(DecodeError):
    """Wrapped key material does not authenticate under the key-encrypting key."""


class KeyFileError(DecodeError):
    """A key file or SA file is malformed or fails its integrity check."""


class ProcedureError(DecodeError):
    """An extended procedure PDU is malformed (355.1-B-1 section 5)."""
