"""SDLS extended procedure PDUs (CCSDS 355.1-B-1 section 5): encode and decode.

Every PDU is a TLV (355.1-B-1 5.3.2): a tag octet (PDU type: 0 command, 1 reply; user flag
0: CCSDS-defined; service group, 2 bits; procedure identifier, 4 bits), a 16-bit length of
the value field in bits, then the value. Service groups: 00 key management, 01 SA
management. Integers are big-endian; key ids and SPIs 16 bits, ARSNs and windows 64 bits
(this profile's ARSN width), IVs 96 bits, MACs 128 bits.

Transport (this project's choice, docs/security.md): one PDU is the application data of a
PUS-C telecommand (ECSS-E-ST-70-41C 7.4) of the mission service 140 "SDLS extended
procedures", subtype 1, on an SA-protected TC virtual channel; a reply PDU is the source
data of a PUS-C telemetry report (140, 2). Create SA and Delete SA are not offered: SAs are
defined by the SA file.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from enum import IntEnum
from itertools import accumulate, pairwise
from typing import Any, ClassVar, Self

from ccsds.errors import LocalProtocolError
from ccsds.sdls.association import MAC_LENGTH, SaState
from ccsds.sdls.errors import ProcedureError
from ccsds.sdls.iv import IV_LENGTH
from ccsds.sdls.keys import CHALLENGE_LENGTH, KEY_LENGTH, KeyState

HEADER_LENGTH = 3
NO_KEY = 0xFFFF
"""Key id field value meaning "no key" in an SA status reply."""
OTAR_ENTRY_LENGTH = 2 + KEY_LENGTH
_HEADER = struct.Struct(">BH")
_U16 = struct.Struct(">H")
_KEY_STATE_CODES = (KeyState.PRE_ACTIVATION, KeyState.ACTIVE, KeyState.DEACTIVATED,
                    KeyState.DESTROYED)
_SA_STATE_CODES = (SaState.UNKEYED, SaState.KEYED, SaState.OPERATIONAL)


class ServiceGroup(IntEnum):
    """355.1-B-1 5.3.2.2.3."""

    KEY_MANAGEMENT = 0b00
    SA_MANAGEMENT = 0b01


def _check_u16(name: str, value: int) -> None:
    if not 0 <= value <= 0xFFFF:
        raise LocalProtocolError(f"{name} {value} outside 0..65535")


def _check_length(name: str, value: bytes, length: int) -> None:
    if len(value) != length:
        raise LocalProtocolError(f"{name} must be {length} octets, got {len(value)}")


@dataclass(frozen=True, slots=True)
class ExtendedProcedure:
    """Base of every PDU: subclasses set the tag and give their value field."""

    GROUP: ClassVar[ServiceGroup]
    PROCEDURE: ClassVar[int]
    REPLY: ClassVar[bool] = False

    def value(self) -> bytes:
        """The value field."""
        raise NotImplementedError

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        """Parse the value field (raising :class:`ProcedureError` or LocalProtocolError)."""
        raise NotImplementedError

    def encode(self) -> bytes:
        """Tag, length (in bits) and value (355.1-B-1 5.3.2)."""
        value = self.value()
        if len(value) * 8 > 0xFFFF:
            raise LocalProtocolError(f"PDU value of {len(value)} octets is too long")
        tag = (self.REPLY << 7) | (self.GROUP << 4) | self.PROCEDURE
        return _HEADER.pack(tag, len(value) * 8) + value


@dataclass(frozen=True, slots=True)
class _Fixed(ExtendedProcedure):
    """A PDU whose value is its integer fields packed with ``FORMAT``."""

    FORMAT: ClassVar[struct.Struct]

    def __post_init__(self) -> None:
        try:
            self.FORMAT.pack(*astuple(self))
        except struct.error as error:
            raise LocalProtocolError(f"{type(self).__name__} field out of range") from error

    def value(self) -> bytes:
        return self.FORMAT.pack(*astuple(self))

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        if len(value) != cls.FORMAT.size:
            raise ProcedureError(f"{cls.__name__} value must be {cls.FORMAT.size} octets")
        return cls(*cls.FORMAT.unpack(value))


@dataclass(frozen=True, slots=True)
class _KeyRecords(ExtendedProcedure):
    """A PDU whose value is a non-empty list of records, one per key: the key id (2), then
    the octet strings ``PARTS`` names with their lengths (the key management PDUs of
    355.1-B-1 that act on several keys at once). The subclass's one field holds the records
    as tuples (key id, *octet strings), or as bare key ids when there are no parts."""

    PARTS: ClassVar[tuple[tuple[str, int], ...]] = ()

    def records(self) -> tuple[tuple[Any, ...], ...]:
        """The records: (key id, *octet strings)."""
        items: tuple[Any, ...] = getattr(self, fields(self)[0].name)
        return items if self.PARTS else tuple((key_id,) for key_id in items)

    @classmethod
    def from_records(cls, records: tuple[tuple[Any, ...], ...]) -> Self:
        """The PDU of decoded ``records``."""
        build: Callable[[tuple[Any, ...]], Self] = cls  # the subclass's one field
        return build(records if cls.PARTS else tuple(key_id for (key_id,) in records))

    def __post_init__(self) -> None:
        records = self.records()
        if not records:
            raise LocalProtocolError(f"{type(self).__name__} needs at least one key")
        for key_id, *parts in records:
            _check_u16("key id", key_id)
            if len(parts) != len(self.PARTS):
                raise LocalProtocolError(f"{type(self).__name__} record of {len(parts) + 1} "
                                         f"fields, {len(self.PARTS) + 1} expected")
            for (name, length), part in zip(self.PARTS, parts, strict=True):
                _check_length(name, part, length)

    def value(self) -> bytes:
        return b"".join(_U16.pack(key_id) + b"".join(parts) for key_id, *parts in self.records())

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        size = 2 + sum(length for _, length in cls.PARTS)
        if not value or len(value) % size:
            raise ProcedureError(f"{cls.__name__} needs a non-empty list of {size}-octet records")
        bounds = list(pairwise(accumulate((2, *(length for _, length in cls.PARTS)))))
        return cls.from_records(tuple(
            (_U16.unpack_from(value, start)[0],
             *(value[start + begin : start + end] for begin, end in bounds))
            for start in range(0, len(value), size)))


@dataclass(frozen=True, slots=True)
class KeyListCommand(_KeyRecords):
    """A command PDU whose value is a non-empty list of 16-bit key ids (355.1-B-1 key
    activation, deactivation, destruction)."""

    key_ids: tuple[int, ...]


# -- key management (service group 00, 355.1-B-1) -----------------------------------------


@dataclass(frozen=True, slots=True)
class OtarCommand(ExtendedProcedure):
    """Over-the-air rekeying: keys encrypted under a master key (355.1-B-1, OTAR).

    Value: master key id (2) | IV (12) | encrypted key block (n x 34: key id, key) | MAC (16).
    """

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0001
    master_key_id: int
    iv: bytes
    encrypted_keys: bytes
    mac: bytes

    def __post_init__(self) -> None:
        _check_u16("master key id", self.master_key_id)
        _check_length("IV", self.iv, IV_LENGTH)
        _check_length("MAC", self.mac, MAC_LENGTH)
        if not self.encrypted_keys or len(self.encrypted_keys) % OTAR_ENTRY_LENGTH:
            raise LocalProtocolError(f"key block must be a multiple of {OTAR_ENTRY_LENGTH}")

    def value(self) -> bytes:
        return _U16.pack(self.master_key_id) + self.iv + self.encrypted_keys + self.mac

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        block = len(value) - 2 - IV_LENGTH - MAC_LENGTH
        if block <= 0 or block % OTAR_ENTRY_LENGTH:
            raise ProcedureError(f"OTAR value of {len(value)} octets has no whole key block")
        return cls(_U16.unpack_from(value)[0], value[2 : 2 + IV_LENGTH],
                   value[2 + IV_LENGTH : -MAC_LENGTH], value[-MAC_LENGTH:])


@dataclass(frozen=True, slots=True)
class KeyActivationCommand(KeyListCommand):
    """Activate keys (355.1-B-1, key activation)."""

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0010


@dataclass(frozen=True, slots=True)
class KeyDeactivationCommand(KeyListCommand):
    """Deactivate keys (355.1-B-1, key deactivation)."""

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0011


@dataclass(frozen=True, slots=True)
class KeyDestructionCommand(KeyListCommand):
    """Destroy keys (355.1-B-1, key destruction)."""

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0110


@dataclass(frozen=True, slots=True)
class KeyVerificationCommand(_KeyRecords):
    """Challenge keys (355.1-B-1, key verification): records of key id (2) | challenge (16)."""

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0100
    PARTS = (("challenge", CHALLENGE_LENGTH),)
    challenges: tuple[tuple[int, bytes], ...]


@dataclass(frozen=True, slots=True)
class KeyVerificationReply(_KeyRecords):
    """Answers: records of key id (2) | IV (12) | encrypted challenge (16) | MAC (16)."""

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0100
    REPLY = True
    PARTS = (("IV", IV_LENGTH), ("encrypted challenge and MAC", CHALLENGE_LENGTH + MAC_LENGTH))
    answers: tuple[tuple[int, bytes, bytes], ...]
    """(key id, IV, encrypted challenge || MAC)."""


@dataclass(frozen=True, slots=True)
class KeyInventoryCommand(_Fixed):
    """List the keys with ids in ``first..last`` (355.1-B-1, key inventory)."""

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0111
    FORMAT = struct.Struct(">HH")
    first_key_id: int
    last_key_id: int


@dataclass(frozen=True, slots=True)
class KeyInventoryReply(ExtendedProcedure):
    """Count (2), then records of key id (2) | state (1: 0 pre-activation, 1 active,
    2 deactivated, 3 destroyed)."""

    GROUP = ServiceGroup.KEY_MANAGEMENT
    PROCEDURE = 0b0111
    REPLY = True
    keys: tuple[tuple[int, KeyState], ...]

    def __post_init__(self) -> None:
        for key_id, _ in self.keys:
            _check_u16("key id", key_id)

    def value(self) -> bytes:
        return _U16.pack(len(self.keys)) + b"".join(
            _U16.pack(key_id) + bytes([_KEY_STATE_CODES.index(state)])
            for key_id, state in self.keys)

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        if len(value) < 2 or len(value) != 2 + 3 * _U16.unpack_from(value)[0]:
            raise ProcedureError("key inventory reply length disagrees with its count")
        keys = []
        for offset in range(2, len(value), 3):
            if value[offset + 2] >= len(_KEY_STATE_CODES):
                raise ProcedureError(f"key state code {value[offset + 2]} undefined")
            keys.append((_U16.unpack_from(value, offset)[0], _KEY_STATE_CODES[value[offset + 2]]))
        return cls(tuple(keys))


# -- SA management (service group 01, 355.1-B-1) ------------------------------------------


@dataclass(frozen=True, slots=True)
class SpiCommand(_Fixed):
    """A command PDU whose value is one SPI (355.1-B-1, SA management)."""

    FORMAT = struct.Struct(">H")
    spi: int


@dataclass(frozen=True, slots=True)
class StartSaCommand(SpiCommand):
    """KEYED -> OPERATIONAL (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b1011


@dataclass(frozen=True, slots=True)
class StopSaCommand(SpiCommand):
    """OPERATIONAL -> KEYED (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b1110


@dataclass(frozen=True, slots=True)
class ExpireSaCommand(SpiCommand):
    """KEYED -> UNKEYED (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b1001


@dataclass(frozen=True, slots=True)
class ReadArsnCommand(SpiCommand):
    """Ask for an SA's ARSN (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b0000


@dataclass(frozen=True, slots=True)
class SaStatusCommand(SpiCommand):
    """Ask for an SA's state (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b1111


@dataclass(frozen=True, slots=True)
class RekeySaCommand(_Fixed):
    """UNKEYED -> KEYED with a key and a starting ARSN (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b0110
    FORMAT = struct.Struct(">HHQ")
    spi: int
    key_id: int
    arsn: int


@dataclass(frozen=True, slots=True)
class SetArsnCommand(_Fixed):
    """Set an SA's ARSN (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b1010
    FORMAT = struct.Struct(">HQ")
    spi: int
    arsn: int


@dataclass(frozen=True, slots=True)
class SetArsnWindowCommand(_Fixed):
    """Set an SA's anti-replay window (355.1-B-1, SA management)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b0101
    FORMAT = struct.Struct(">HQ")
    spi: int
    window: int


@dataclass(frozen=True, slots=True)
class ReadArsnReply(_Fixed):
    """An SA's ARSN."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b0000
    REPLY = True
    FORMAT = struct.Struct(">HQ")
    spi: int
    arsn: int


@dataclass(frozen=True, slots=True)
class SaStatusReply(ExtendedProcedure):
    """SPI (2) | state (1: 0 unkeyed, 1 keyed, 2 operational) | key id (2, 0xFFFF none)."""

    GROUP = ServiceGroup.SA_MANAGEMENT
    PROCEDURE = 0b1111
    REPLY = True
    _FORMAT: ClassVar[struct.Struct] = struct.Struct(">HBH")
    spi: int
    state: SaState
    key_id: int | None

    def __post_init__(self) -> None:
        _check_u16("SPI", self.spi)
        if self.key_id is not None and not 0 <= self.key_id < NO_KEY:
            raise LocalProtocolError(f"key id {self.key_id} outside 0..{NO_KEY - 1}")

    def value(self) -> bytes:
        key = NO_KEY if self.key_id is None else self.key_id
        return self._FORMAT.pack(self.spi, _SA_STATE_CODES.index(self.state), key)

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        if len(value) != cls._FORMAT.size:
            raise ProcedureError(f"SA status reply must be {cls._FORMAT.size} octets")
        spi, code, key_id = cls._FORMAT.unpack(value)
        if code >= len(_SA_STATE_CODES):
            raise ProcedureError(f"SA state code {code} undefined")
        return cls(spi, _SA_STATE_CODES[code], None if key_id == NO_KEY else key_id)


_PDUS: tuple[type[ExtendedProcedure], ...] = (
    OtarCommand, KeyActivationCommand, KeyDeactivationCommand, KeyVerificationCommand,
    KeyVerificationReply, KeyDestructionCommand, KeyInventoryCommand, KeyInventoryReply,
    RekeySaCommand, StartSaCommand, StopSaCommand, ExpireSaCommand, SetArsnCommand,
    SetArsnWindowCommand, ReadArsnCommand, ReadArsnReply, SaStatusCommand, SaStatusReply,
)
_BY_TAG = {(pdu.REPLY << 7) | (pdu.GROUP << 4) | pdu.PROCEDURE: pdu for pdu in _PDUS}


def decode_pdu(raw: bytes | bytearray | memoryview) -> ExtendedProcedure:
    """Decode exactly one PDU filling ``raw``; :class:`ProcedureError` for anything else."""
    raw = bytes(raw)
    if len(raw) < HEADER_LENGTH:
        raise ProcedureError(f"extended procedure PDU needs {HEADER_LENGTH} header octets")
    tag, bits = _HEADER.unpack_from(raw)
    if bits % 8:
        raise ProcedureError(f"PDU length of {bits} bits is not whole octets")
    if HEADER_LENGTH + bits // 8 != len(raw):
        raise ProcedureError(f"PDU length field says {bits // 8} value octets, "
                             f"{len(raw) - HEADER_LENGTH} present")
    if tag & 0x40:
        raise ProcedureError("user-defined extended procedures are not supported")
    pdu = _BY_TAG.get(tag)
    if pdu is None:
        raise ProcedureError(f"procedure tag 0x{tag:02x} not supported")
    try:
        return pdu.from_value(raw[HEADER_LENGTH:])
    except LocalProtocolError as error:
        raise ProcedureError(f"{pdu.__name__}: {error}") from error
