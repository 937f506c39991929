"""The file format between the driver and harness.c (all integers little-endian).

Input: ``ARMCHK01``, u32 case count, then per case u8 op, u8 parameter count, i64
parameters, u32 payload length and the payload. Output: ``ARMOUT01``, u8 string count, the
strings (u8 length + ASCII: arch, RS path, SECDED path, interleaved SECDED path), u32 case
count, then per case u32 index, u32 result length and the result.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

INPUT_MAGIC = b"ARMCHK01"
OUTPUT_MAGIC = b"ARMOUT01"
MAX_PARAMS = 255
PATH_NAMES = ("arch", "rs", "secded", "secded_il")


class Op(IntEnum):
    """Kernel operations the harness runs (harness.c, enum of the same values)."""

    CRC16 = 1
    CRC32C = 2
    BCH_ENCODE = 3
    BCH_DECODE = 4
    RS_GENERATOR = 5
    RS_TRANSLATE = 6
    RS_ENCODE = 7
    RS_CHECK = 8
    RS_DECODE = 9
    SECDED_ENCODE = 10
    SECDED_CHECK = 11
    SECDED_ENCODE_IL = 12
    SECDED_CHECK_IL = 13


KERNEL_OF = {
    Op.CRC16: "crc16", Op.CRC32C: "crc32c", Op.BCH_ENCODE: "bch", Op.BCH_DECODE: "bch",
    Op.RS_GENERATOR: "rs", Op.RS_TRANSLATE: "rs", Op.RS_ENCODE: "rs", Op.RS_CHECK: "rs",
    Op.RS_DECODE: "rs", Op.SECDED_ENCODE: "secded", Op.SECDED_CHECK: "secded",
    Op.SECDED_ENCODE_IL: "secded", Op.SECDED_CHECK_IL: "secded",
}


class ProtocolError(ValueError):
    """A harness output file that does not follow the format (truncated, wrong magic, ...)."""


@dataclass(frozen=True)
class Case:
    """One kernel call and the result the x86 host computed for it."""

    op: Op
    params: tuple[int, ...]
    payload: bytes
    expected: bytes
    label: str

    @property
    def kernel(self) -> str:
        """The C kernel the case exercises."""
        return KERNEL_OF[self.op]


@dataclass(frozen=True)
class HarnessOutput:
    """A parsed output file: the kernel paths compiled in and one result per case."""

    paths: dict[str, str]
    results: tuple[bytes, ...]


def encode_input(cases: list[Case]) -> bytes:
    """The harness input file holding ``cases``."""
    parts = [INPUT_MAGIC, struct.pack("<I", len(cases))]
    for case in cases:
        if len(case.params) > MAX_PARAMS:
            raise ValueError(f"{case.label}: {len(case.params)} parameters (max {MAX_PARAMS})")
        parts.append(struct.pack("<BB", case.op, len(case.params)))
        parts.append(struct.pack(f"<{len(case.params)}q", *case.params))
        parts.append(struct.pack("<I", len(case.payload)))
        parts.append(case.payload)
    return b"".join(parts)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int, what: str) -> bytes:
        if len(self.data) - self.at < n:
            raise ProtocolError(f"output truncated in {what} at octet {self.at}")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u32(self, what: str) -> int:
        value: int = struct.unpack("<I", self.take(4, what))[0]
        return value


def parse_output(data: bytes) -> HarnessOutput:
    """Decode a harness output file; :class:`ProtocolError` when it is malformed."""
    reader = _Reader(data)
    if reader.take(len(OUTPUT_MAGIC), "magic") != OUTPUT_MAGIC:
        raise ProtocolError("not a harness output file (bad magic)")
    count = reader.u8("string count")
    if count != len(PATH_NAMES):
        raise ProtocolError(f"{count} path strings, expected {len(PATH_NAMES)}")
    paths = {}
    for name in PATH_NAMES:
        raw = reader.take(reader.u8(f"{name} length"), name)
        try:
            paths[name] = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"{name} path is not ASCII") from exc
    results = []
    for index in range(reader.u32("case count")):
        if (got := reader.u32("case index")) != index:
            raise ProtocolError(f"case index {got} where {index} was due")
        results.append(reader.take(reader.u32("result length"), f"result of case {index}"))
    if reader.at != len(data):
        raise ProtocolError(f"{len(data) - reader.at} trailing octets after the last case")
    return HarnessOutput(paths=paths, results=tuple(results))
