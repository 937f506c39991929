"""CFDP TLV objects (CCSDS 727.0-B-5 5.4): type octet, length octet, value."""

from __future__ import annotations

from dataclasses import dataclass

from ccsds.cfdp.defs import (
    ActionCode,
    ConditionCode,
    FaultHandlerCode,
    FieldValueError,
    TlvType,
    decode_enum,
)
from ccsds.cfdp.wire import Reader, lv_bytes, uint_bytes
from ccsds.errors import LocalProtocolError


def encode_name(name: str, what: str) -> bytes:
    """A file name as an LV object (5.1.7), UTF-8 encoded."""
    return lv_bytes(name.encode("utf-8"), what)


def decode_name(reader: Reader, what: str) -> str:
    """A UTF-8 file name from an LV object; undecodable names raise FieldValueError."""
    raw = reader.lv(what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FieldValueError(f"{what} is not UTF-8") from None


@dataclass(frozen=True)
class EntityIdTlv:
    """Entity ID TLV (5.4.6), e.g. the fault location of EOF and Finished PDUs."""

    entity_id: int
    length: int = 2

    def value(self) -> bytes:
        return uint_bytes(self.entity_id, self.length, "entity id")

    @classmethod
    def from_value(cls, value: bytes) -> EntityIdTlv:
        if not 1 <= len(value) <= 8:
            raise FieldValueError(f"entity id TLV of {len(value)} octets (must be 1..8)")
        return cls(int.from_bytes(value, "big"), len(value))


@dataclass(frozen=True)
class FaultHandlerOverrideTlv:
    """Fault handler override TLV (5.4.4): a condition code and its handler."""

    condition: ConditionCode
    handler: FaultHandlerCode

    def value(self) -> bytes:
        return bytes((self.condition << 4 | self.handler,))

    @classmethod
    def from_value(cls, value: bytes) -> FaultHandlerOverrideTlv:
        if len(value) != 1:
            raise FieldValueError(f"fault handler override TLV of {len(value)} octets")
        return cls(
            decode_enum(ConditionCode, value[0] >> 4, "override condition code"),
            decode_enum(FaultHandlerCode, value[0] & 0x0F, "fault handler code"),
        )


@dataclass(frozen=True)
class FilestoreRequestTlv:
    """Filestore request TLV (5.4.1.2): an action and one or two file names."""

    action: ActionCode
    first_name: str
    second_name: str = ""

    def value(self) -> bytes:
        body = bytes((self.action << 4,)) + encode_name(self.first_name, "first file name")
        if self.action.has_second_name:
            body += encode_name(self.second_name, "second file name")
        return body

    @classmethod
    def from_value(cls, value: bytes) -> FilestoreRequestTlv:
        reader = Reader(value)
        action = decode_enum(ActionCode, reader.u8("action code") >> 4, "action code")
        first = decode_name(reader, "first file name")
        second = decode_name(reader, "second file name") if action.has_second_name else ""
        reader.expect_end("filestore request TLV")
        return cls(action, first, second)


@dataclass(frozen=True)
class FilestoreResponseTlv:
    """Filestore response TLV (5.4.2): action, status code, names and a message."""

    action: ActionCode
    status: int
    first_name: str
    second_name: str = ""
    message: bytes = b""

    def value(self) -> bytes:
        if not 0 <= self.status <= 0x0F:
            raise LocalProtocolError(f"filestore status code {self.status} is not 4 bits")
        body = bytes((self.action << 4 | self.status,))
        body += encode_name(self.first_name, "first file name")
        if self.action.has_second_name:
            body += encode_name(self.second_name, "second file name")
        return body + lv_bytes(self.message, "filestore message")

    @classmethod
    def from_value(cls, value: bytes) -> FilestoreResponseTlv:
        reader = Reader(value)
        octet = reader.u8("action/status")
        action = decode_enum(ActionCode, octet >> 4, "action code")
        first = decode_name(reader, "first file name")
        second = decode_name(reader, "second file name") if action.has_second_name else ""
        message = reader.lv("filestore message")
        reader.expect_end("filestore response TLV")
        return cls(action, octet & 0x0F, first, second, message)


@dataclass(frozen=True)
class MessageToUserTlv:
    """Message to user TLV (5.4.3): opaque octets for the receiving user."""

    message: bytes

    def value(self) -> bytes:
        return self.message

    @classmethod
    def from_value(cls, value: bytes) -> MessageToUserTlv:
        return cls(value)


@dataclass(frozen=True)
class FlowLabelTlv:
    """Flow label TLV (5.4.5): opaque octets interpreted by the implementation."""

    label: bytes

    def value(self) -> bytes:
        return self.label

    @classmethod
    def from_value(cls, value: bytes) -> FlowLabelTlv:
        return cls(value)


Tlv = (
    EntityIdTlv
    | FaultHandlerOverrideTlv
    | FilestoreRequestTlv
    | FilestoreResponseTlv
    | MessageToUserTlv
    | FlowLabelTlv
)

_TYPE_OF: dict[type[Tlv], TlvType] = {
    FilestoreRequestTlv: TlvType.FILESTORE_REQUEST,
    FilestoreResponseTlv: TlvType.FILESTORE_RESPONSE,
    MessageToUserTlv: TlvType.MESSAGE_TO_USER,
    FaultHandlerOverrideTlv: TlvType.FAULT_HANDLER_OVERRIDE,
    FlowLabelTlv: TlvType.FLOW_LABEL,
    EntityIdTlv: TlvType.ENTITY_ID,
}
_CLASS_OF = {code: cls for cls, code in _TYPE_OF.items()}


def encode_tlv(tlv: Tlv) -> bytes:
    """Type, length and value octets of ``tlv`` (5.4, figure 5-15)."""
    value = tlv.value()
    return bytes((_TYPE_OF[type(tlv)],)) + lv_bytes(value, f"{type(tlv).__name__} value")


def decode_tlv(reader: Reader) -> Tlv:
    """The next TLV of ``reader``; unknown types raise FieldValueError."""
    code = decode_enum(TlvType, reader.u8("TLV type"), "TLV type")
    return _CLASS_OF[code].from_value(reader.lv(f"{code.name} TLV"))


def decode_tlvs(reader: Reader) -> list[Tlv]:
    """Every TLV up to the end of ``reader``."""
    tlvs: list[Tlv] = []
    while reader.remaining:
        tlvs.append(decode_tlv(reader))
    return tlvs
