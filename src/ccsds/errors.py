"""Typed errors of the protocol core.

Two families, as sans-I/O protocol libraries split them:

* :class:`RemoteProtocolError` -- the bytes received are malformed (bad length, version,
  checksum, ...). A receiver counts these and carries on; they never crash the caller.
* :class:`LocalProtocolError` -- the caller misused the API (a field out of range, an
  operation not allowed in the current state).
"""

from __future__ import annotations


class CcsdsError(Exception):
    """Base class of every error raised by :mod:`ccsds`."""


class RemoteProtocolError(CcsdsError):
    """Received data violates the standard; the caller may count it and continue."""


class DecodeError(RemoteProtocolError):
    """A unit could not be decoded."""


class TruncatedError(DecodeError):
    """Fewer octets than the unit's header or length field requires."""


class LengthError(DecodeError):
    """A length field is inconsistent with the data or outside the allowed range."""


class VersionError(DecodeError):
    """An unsupported version number (or a TM where a TC is expected, and vice versa)."""


class ChecksumError(DecodeError):
    """A CRC, packet error control or frame error control field does not match."""


class UncorrectableError(DecodeError):
    """A channel-coded block has more errors than the code can correct."""


class LocalProtocolError(CcsdsError, ValueError):
    """The caller asked for something the standard or the current state forbids."""
