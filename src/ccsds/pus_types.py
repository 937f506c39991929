"""PUS parameter types (PTC/PFC) and their value codec, ECSS-E-ST-70-41C 7.3.

Only octet-aligned formats are supported (the mission packs every field on octet
boundaries): boolean (PTC 1, packed in one octet: PFC 8 here), enumerated (PTC 2,
PFC = 8/16/32 bits), unsigned and signed integers (PTC 3/4, PFC 4/12/13/14/15/16 =
8/16/24/32/48/64 bits), IEEE reals (PTC 5, PFC 1/2 = float32/float64), octet and character
strings (PTC 7/8, PFC 0 = variable with a 16-bit length prefix (mission choice), PFC n =
fixed n octets) and absolute time (PTC 9, PFC 17 = CUC 4+2 with implicit P-field, the ICD
time format, CCSDS 301.0-B-4 3.2).

Values are Python ``bool``, ``int``, ``float``, ``bytes``, ``str`` and
:class:`ccsds.timecode.CucTime`. Formats are precompiled :class:`struct.Struct` objects.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from ccsds.errors import DecodeError, LocalProtocolError, TruncatedError
from ccsds.timecode import CUC_4_2, CucTime

Value = bool | int | float | bytes | str | CucTime
"""A decoded parameter or argument value."""

Buffer = bytes | bytearray | memoryview

LENGTH_PREFIX = struct.Struct(">H")
"""Length field of a variable-length octet or character string (mission choice: 16 bits)."""
_CUC_PFC = 17
_INT_PFC_BITS = {4: 8, 12: 16, 13: 24, 14: 32, 15: 48, 16: 64}
_INT_BITS_PFC = {bits: pfc for pfc, bits in _INT_PFC_BITS.items()}
_STRUCT_CODES = {8: "B", 16: "H", 32: "I", 64: "Q"}


class Ptc(IntEnum):
    """Parameter type codes, ECSS-E-ST-70-41C table 7-1."""

    BOOLEAN = 1
    ENUMERATED = 2
    UNSIGNED = 3
    SIGNED = 4
    REAL = 5
    OCTET_STRING = 7
    CHARACTER_STRING = 8
    ABSOLUTE_TIME = 9


class PusValueError(DecodeError):
    """Received octets are not a valid value of the type (boolean not 0/1, bad UTF-8)."""


@dataclass(frozen=True)
class PusType:
    """A parameter type code and format code (ECSS-E-ST-70-41C 7.3); see :func:`parse_type`."""

    ptc: int
    pfc: int
    fixed_size: int | None = field(init=False, repr=False, compare=False)
    """Encoded octets, ``None`` when variable (length-prefixed)."""
    struct_code: str = field(init=False, repr=False, compare=False)
    """The :mod:`struct` code of the type, '' when struct has none (24/48 bits, strings)."""
    _struct: struct.Struct | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        size, fmt = _layout(self.ptc, self.pfc)
        object.__setattr__(self, "fixed_size", size)
        object.__setattr__(self, "struct_code", fmt)
        object.__setattr__(self, "_struct", struct.Struct(">" + fmt) if fmt else None)

    @property
    def name(self) -> str:
        """The canonical alias ("uint16", "float32", "bytes:8", "string", "cuc4.2", ...)."""
        ptc, pfc = self.ptc, self.pfc
        if ptc == Ptc.BOOLEAN:
            return "bool"
        if ptc == Ptc.ENUMERATED:
            return f"enum{pfc}"
        if ptc in (Ptc.UNSIGNED, Ptc.SIGNED):
            return ("uint" if ptc == Ptc.UNSIGNED else "int") + str(_INT_PFC_BITS[pfc])
        if ptc == Ptc.REAL:
            return "float32" if pfc == 1 else "float64"
        if ptc in (Ptc.OCTET_STRING, Ptc.CHARACTER_STRING):
            base = "bytes" if ptc == Ptc.OCTET_STRING else "string"
            return f"{base}:{pfc}" if pfc else base
        return "cuc4.2"

    @property
    def bits(self) -> int:
        """Encoded bits of a fixed-size type (0 for a variable one)."""
        return 8 * (self.fixed_size or 0)

    @property
    def is_integer(self) -> bool:
        """Enumerated, unsigned or signed: values are ints with a range."""
        return self.ptc in (Ptc.ENUMERATED, Ptc.UNSIGNED, Ptc.SIGNED)

    @property
    def is_numeric(self) -> bool:
        """Integer or real: values may carry ranges, calibration and limits."""
        return self.is_integer or self.ptc == Ptc.REAL

    def value_range(self) -> tuple[int, int]:
        """Smallest and largest integer the type holds (LocalProtocolError if not integer)."""
        if not self.is_integer:
            raise LocalProtocolError(f"{self.name} has no integer range")
        if self.ptc == Ptc.SIGNED:
            half = 1 << (self.bits - 1)
            return -half, half - 1
        return 0, (1 << self.bits) - 1

    def __str__(self) -> str:
        return self.name


def _layout(ptc: int, pfc: int) -> tuple[int | None, str]:
    """Encoded size and struct format of (PTC, PFC); LocalProtocolError if unsupported."""
    if ptc == Ptc.BOOLEAN and pfc == 8:
        return 1, "B"
    if ptc == Ptc.ENUMERATED and pfc in (8, 16, 32):
        return pfc // 8, _STRUCT_CODES[pfc]
    if ptc in (Ptc.UNSIGNED, Ptc.SIGNED) and pfc in _INT_PFC_BITS:
        bits = _INT_PFC_BITS[pfc]
        code = _STRUCT_CODES.get(bits, "")
        return bits // 8, code.lower() if ptc == Ptc.SIGNED else code
    if ptc == Ptc.REAL and pfc in (1, 2):
        return (4, "f") if pfc == 1 else (8, "d")
    if ptc in (Ptc.OCTET_STRING, Ptc.CHARACTER_STRING) and 0 <= pfc <= 0xFFFF:
        return (pfc or None), ""
    if ptc == Ptc.ABSOLUTE_TIME and pfc == _CUC_PFC:
        return CUC_4_2.length, ""
    raise LocalProtocolError(f"unsupported PUS parameter type PTC {ptc} PFC {pfc}")


_ALIASES: dict[str, tuple[int, int]] = {
    "bool": (Ptc.BOOLEAN, 8), "boolean": (Ptc.BOOLEAN, 8),
    "float32": (Ptc.REAL, 1), "float": (Ptc.REAL, 1), "float64": (Ptc.REAL, 2),
    "double": (Ptc.REAL, 2), "bytes": (Ptc.OCTET_STRING, 0), "string": (Ptc.CHARACTER_STRING, 0),
    "cuc4.2": (Ptc.ABSOLUTE_TIME, _CUC_PFC), "time": (Ptc.ABSOLUTE_TIME, _CUC_PFC),
}
for _bits, _pfc in _INT_BITS_PFC.items():
    _ALIASES[f"uint{_bits}"] = (Ptc.UNSIGNED, _pfc)
    _ALIASES[f"int{_bits}"] = (Ptc.SIGNED, _pfc)
for _bits in (8, 16, 32):
    _ALIASES[f"enum{_bits}"] = (Ptc.ENUMERATED, _bits)


def parse_type(name: str) -> PusType:
    """The type named by an alias ("uint8", "bytes:32", "string:16", ...) or "ptc/pfc"."""
    if name in _ALIASES:
        return PusType(*_ALIASES[name])
    base, sep, size = name.partition(":")
    if sep and base in ("bytes", "string") and size.isdigit() and int(size) > 0:
        return PusType(_ALIASES[base][0], int(size))
    ptc, sep, pfc = name.partition("/")
    if sep and ptc.isdigit() and pfc.isdigit():
        return PusType(int(ptc), int(pfc))
    raise LocalProtocolError(f"unknown PUS type name {name!r}")


def encode(pus_type: PusType, value: Value) -> bytes:
    """Encode one value; LocalProtocolError if it is of the wrong kind or out of range."""
    packer = pus_type._struct
    ptc = pus_type.ptc
    if packer is not None:
        _check_kind(pus_type, value)
        try:
            return packer.pack(value)
        except (struct.error, OverflowError):
            raise LocalProtocolError(f"{value!r} does not fit {pus_type.name}") from None
    if ptc in (Ptc.OCTET_STRING, Ptc.CHARACTER_STRING):
        return _encode_string(pus_type, value)
    if ptc == Ptc.ABSOLUTE_TIME and isinstance(value, CucTime) and value.fmt == CUC_4_2:
        return value.encode()
    if pus_type.is_integer:  # 24 or 48 bits: no struct code
        _check_kind(pus_type, value)
        low, high = pus_type.value_range()
        if not isinstance(value, int) or not low <= value <= high:
            raise LocalProtocolError(f"{value!r} does not fit {pus_type.name}")
        return value.to_bytes(pus_type.bits // 8, "big", signed=ptc == Ptc.SIGNED)
    raise LocalProtocolError(f"{value!r} is not a {pus_type.name} value")


def _check_kind(pus_type: PusType, value: Value) -> None:
    """Raise LocalProtocolError unless ``value`` is of the Python kind the type holds."""
    if pus_type.ptc == Ptc.BOOLEAN:
        ok = isinstance(value, bool)
    elif pus_type.ptc == Ptc.REAL:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok:
        raise LocalProtocolError(f"{value!r} is not a {pus_type.name} value")


def _encode_string(pus_type: PusType, value: Value) -> bytes:
    if pus_type.ptc == Ptc.CHARACTER_STRING:
        if not isinstance(value, str):
            raise LocalProtocolError(f"{value!r} is not a {pus_type.name} value")
        octets = value.encode()
    elif isinstance(value, bytes | bytearray):
        octets = bytes(value)
    else:
        raise LocalProtocolError(f"{value!r} is not a {pus_type.name} value")
    size = pus_type.fixed_size
    if size is None:
        if len(octets) > 0xFFFF:
            raise LocalProtocolError(f"{len(octets)} octets exceed the 16-bit length field")
        return LENGTH_PREFIX.pack(len(octets)) + octets
    if len(octets) != size:
        raise LocalProtocolError(f"{pus_type.name} needs exactly {size} octets, got {len(octets)}")
    return octets


def encode_all(types: Sequence[PusType], values: Iterable[Value]) -> bytes:
    """Encode values of ``types`` one after the other."""
    return b"".join(encode(t, v) for t, v in zip(types, values, strict=True))


def sequence_struct(types: Sequence[PusType]) -> struct.Struct | None:
    """One precompiled struct for consecutive values of ``types``, or ``None`` when a type
    has no struct code. Booleans come out as ints (check them: 0 or 1)."""
    codes = [t.struct_code for t in types]
    return struct.Struct(">" + "".join(codes)) if all(codes) else None


def decode_from(types: Sequence[PusType], buffer: Buffer,
                offset: int = 0) -> tuple[list[Value], int]:
    """Decode one value of each type from ``offset``; return the values and the end offset.

    Raises :class:`TruncatedError` when the buffer ends early (a length prefix pointing past
    the end included) and :class:`PusValueError` for octets that are no valid value.
    """
    values: list[Value] = []
    available = len(buffer)
    for pus_type in types:
        size = pus_type.fixed_size
        if size is None:
            if available - offset < LENGTH_PREFIX.size:
                raise TruncatedError(f"{pus_type.name} length field truncated at {offset}")
            (size,) = LENGTH_PREFIX.unpack_from(buffer, offset)
            offset += LENGTH_PREFIX.size
        end = offset + size
        if end > available:
            raise TruncatedError(f"{pus_type.name} needs {size} octets at {offset}, "
                                 f"{available - offset} left")
        values.append(_decode_one(pus_type, buffer, offset, end))
        offset = end
    return values, offset


def _decode_one(pus_type: PusType, buffer: Buffer, offset: int, end: int) -> Value:
    unpacker = pus_type._struct
    ptc = pus_type.ptc
    if unpacker is not None:
        (raw,) = unpacker.unpack_from(buffer, offset)
        if ptc == Ptc.BOOLEAN:
            if raw > 1:
                raise PusValueError(f"boolean octet {raw:#04x} is neither 0 nor 1")
            return bool(raw)
        return raw  # type: ignore[no-any-return]
    octets = bytes(buffer[offset:end])
    if ptc == Ptc.OCTET_STRING:
        return octets
    if ptc == Ptc.CHARACTER_STRING:
        try:
            return octets.decode()
        except UnicodeDecodeError as exc:
            raise PusValueError(f"character string is not UTF-8: {exc.reason}") from None
    if ptc == Ptc.ABSOLUTE_TIME:
        return CucTime.unpack_from(octets, 0, CUC_4_2)[0]
    return int.from_bytes(octets, "big", signed=ptc == Ptc.SIGNED)
