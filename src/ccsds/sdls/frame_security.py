"""Security processing of TC and TM transfer frames (CCSDS 355.0-B-2 4.2).

Frame layout with an SA applied (355.0-B-2 4.1; 232.0-B-4 section 6; 132.0-B-3 section 6)::

    TC: primary header | [segment header] | security header | data | MAC | [FECF]
    TM: primary header | security header | data | MAC | [OCF] | [FECF]

The security header is SPI, IV field, sequence number field, pad length field, as the SA
configures them. The MAC is the 128-bit AES-GCM tag (352.0-B-2). The additional
authenticated data is the primary header, segment header (TC) and security header, masked by
the SA's authentication mask; with authentication only, the clear data field follows it in
the AAD. TC control command frames carry no segment header. The OCF and FECF are outside
the MAC: they are added after security processing (355.0-B-2 4.2, sending end).

Receiving-end checks (355.0-B-2 4.2, receiving end), cheapest first: frame length, SPI
known, SA applicable to the VC, SA OPERATIONAL, key ACTIVE, IV fixed field, anti-replay
(greater than the last accepted, at most ``arsn_window`` ahead), MAC, pad length. Only a
frame passing all of them advances the SA's ARSN and is returned; any failure raises a
:class:`~ccsds.sdls.errors.SecurityError` and is counted.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ccsds.crc import crc16_ccitt
from ccsds.errors import DecodeError, LocalProtocolError
from ccsds.sdls.association import (
    MAC_LENGTH,
    SPI_LENGTH,
    SaState,
    SaTable,
    SecurityAssociation,
)
from ccsds.sdls.errors import (
    IvError,
    KeyStateError,
    MacError,
    OutOfWindowError,
    PadLengthError,
    ReplayError,
    SaStateError,
    SecurityError,
    SecurityTruncatedError,
    WrongChannelError,
)
from ccsds.sdls.iv import FIXED_FIELD_LENGTH, IV_LENGTH, MAX_COUNTER
from ccsds.sdls.keys import KeyStore
from ccsds.tc_frame import MAX_FRAME_LENGTH, TcFrame
from ccsds.tc_frame import PRIMARY_HEADER_LENGTH as TC_HEADER_LENGTH
from ccsds.tc_segment import SEGMENT_HEADER_LENGTH
from ccsds.tm_frame import FECF_LENGTH, OCF_LENGTH, SEGMENT_LENGTH_ID, TmFrame, data_field_length
from ccsds.tm_frame import PRIMARY_HEADER_LENGTH as TM_HEADER_LENGTH

_TC_HEADER = struct.Struct(">HHB")
_TM_HEADER = struct.Struct(">HBBH")
_T = TypeVar("_T")


@dataclass(slots=True)
class SecurityCounters:
    """Frames accepted and rejected by security processing, by rejection class."""

    accepted: int = 0
    rejected: int = 0
    malformed: int = 0
    """Rejected before security processing: no valid frame (length, version, FECF)."""
    truncated: int = 0
    unknown_spi: int = 0
    wrong_channel: int = 0
    sa_state: int = 0
    key_state: int = 0
    iv: int = 0
    replay: int = 0
    out_of_window: int = 0
    mac: int = 0
    pad_length: int = 0
    other: int = 0

    def count_rejection(self, error: DecodeError) -> None:
        """Count a rejected frame under its class."""
        self.rejected += 1
        name = error.counter if isinstance(error, SecurityError) else "malformed"
        setattr(self, name, getattr(self, name) + 1)

    def as_dict(self) -> dict[str, int]:
        """Every counter by name (for housekeeping)."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


# -- shared sending and receiving ends -------------------------------------------------------


def _masked(sa: SecurityAssociation, region: bytes) -> bytes:
    if not sa.auth_mask:
        return region
    mask = sa.mask(len(region))
    return (int.from_bytes(region, "big") & int.from_bytes(mask, "big")).to_bytes(
        len(region), "big")


def _sending_cipher(sa: SecurityAssociation, keys: KeyStore, virtual_channel: int) -> AESGCM:
    if sa.state is not SaState.OPERATIONAL:
        raise LocalProtocolError(f"SA {sa.spi} is {sa.state.value}, not operational")
    if not sa.applies_to(virtual_channel):
        raise LocalProtocolError(f"SA {sa.spi} does not apply to VC {virtual_channel}")
    try:
        return keys.traffic_cipher(sa.key_id)
    except KeyStateError as error:
        raise LocalProtocolError(str(error)) from error


def security_header(sa: SecurityAssociation, arsn: int, iv: bytes | None = None) -> bytes:
    """The security header of the frame with sequence number ``arsn`` (355.0-B-2 4.1.1);
    ``iv``, when given, is ``sa.iv(arsn)`` already computed."""
    header = sa.spi.to_bytes(SPI_LENGTH, "big")
    if sa.iv_field_length:
        header += sa.iv(arsn) if iv is None else iv
    if sa.sn_field_length:
        low = arsn & ((1 << (8 * sa.sn_field_length)) - 1)
        header += low.to_bytes(sa.sn_field_length, "big")
    return header + bytes(sa.pad_field_length)


def seal_data_field(sa: SecurityAssociation, cipher: AESGCM, iv: bytes, region: bytes,
                    data: bytes) -> bytes:
    """Data field and MAC following the authenticated header ``region``, under ``iv``."""
    aad = _masked(sa, region)
    if sa.encrypts:
        return cipher.encrypt(iv, data, aad)
    return data + cipher.encrypt(iv, b"", aad + data)


def _received_arsn(sa: SecurityAssociation, header: bytes) -> int:
    """The ARSN the header carries (IV counter and/or sequence number field)."""
    offset = SPI_LENGTH
    arsn: int | None = None
    if sa.iv_field_length:
        iv = header[offset : offset + sa.iv_field_length]
        if iv[:FIXED_FIELD_LENGTH] != sa.iv_fixed_field:
            raise IvError(f"SA {sa.spi}: IV fixed field {iv[:FIXED_FIELD_LENGTH].hex()}")
        arsn = int.from_bytes(iv[FIXED_FIELD_LENGTH:], "big")
        offset += sa.iv_field_length
    if sa.sn_field_length:
        low = int.from_bytes(header[offset : offset + sa.sn_field_length], "big")
        if arsn is None:
            return sa.expand_sequence_number(low)
        if arsn & ((1 << (8 * sa.sn_field_length)) - 1) != low:
            raise IvError(f"SA {sa.spi}: sequence number field disagrees with the IV")
    if arsn is None:  # an SA altered after construction to carry neither field
        raise IvError(f"SA {sa.spi} carries no sequence number")
    return arsn


def _check_anti_replay(sa: SecurityAssociation, arsn: int) -> None:
    """355.0-B-2 4.2, receiving end: above the last accepted ARSN and within the window."""
    if arsn <= sa.arsn:
        raise ReplayError(f"SA {sa.spi}: sequence number {arsn} not above {sa.arsn}")
    if arsn - sa.arsn > sa.arsn_window or arsn > MAX_COUNTER:
        raise OutOfWindowError(f"SA {sa.spi}: sequence number {arsn} beyond window "
                               f"{sa.arsn_window} after {sa.arsn}")


def _verify(raw: bytes | bytearray | memoryview, header_start: int, body_end: int,
            virtual_channel: int, *, table: SaTable, keys: KeyStore) -> bytes:
    """Receiving-end processing of the security header at ``header_start`` up to the MAC
    ending at ``body_end``; returns the plaintext data field and advances the SA's ARSN."""
    if body_end - header_start < SPI_LENGTH:
        raise SecurityTruncatedError("frame data field too short for a security header")
    sa = table.get(int.from_bytes(raw[header_start : header_start + SPI_LENGTH], "big"))
    if not sa.applies_to(virtual_channel):
        raise WrongChannelError(f"SA {sa.spi} does not apply to VC {virtual_channel}")
    if sa.state is not SaState.OPERATIONAL:
        raise SaStateError(f"SA {sa.spi} is {sa.state.value}")
    data_start = header_start + sa.header_length
    if body_end - data_start < MAC_LENGTH:
        raise SecurityTruncatedError(f"frame too short for SA {sa.spi}'s header and MAC")
    cipher = keys.traffic_cipher(sa.key_id)
    header = bytes(raw[header_start:data_start])
    arsn = _received_arsn(sa, header)
    _check_anti_replay(sa, arsn)
    aad = _masked(sa, bytes(raw[:data_start]))
    payload = bytes(raw[data_start:body_end])
    iv = header[SPI_LENGTH : SPI_LENGTH + IV_LENGTH] if sa.iv_field_length else sa.iv(arsn)
    try:
        if sa.encrypts:
            data = cipher.decrypt(iv, payload, aad)
        else:
            data = payload[:-MAC_LENGTH]
            cipher.decrypt(iv, payload[-MAC_LENGTH:], aad + data)
    except InvalidTag as error:
        raise MacError(f"SA {sa.spi}: MAC does not verify") from error
    if sa.pad_field_length:
        pad = int.from_bytes(header[-sa.pad_field_length:], "big")
        if pad > len(data):
            raise PadLengthError(f"pad length {pad} exceeds {len(data)} octets of data")
        data = data[: len(data) - pad]
    sa.arsn = arsn
    return data


def _counted(counters: SecurityCounters | None, work: Callable[[], _T]) -> _T:
    try:
        result = work()
    except DecodeError as error:
        if counters is not None:
            counters.count_rejection(error)
        raise
    if counters is not None:
        counters.accepted += 1
    return result


# -- TC (232.0-B-4 section 6) ----------------------------------------------------------------


def _tc_segment_length(frame: TcFrame, segment_header: bool) -> int:
    """Octets of segment header ahead of the security header (none on control commands)."""
    return SEGMENT_HEADER_LENGTH if segment_header and not frame.control_command else 0


def apply_tc_security(frame: TcFrame, sa: SecurityAssociation, keys: KeyStore, *,
                      segment_header: bool, fecf: bool) -> bytes:
    """Sending end: encode ``frame`` with ``sa`` applied (355.0-B-2 4.2, sending end).

    ``frame.data`` is the plaintext frame data field (segment header included when the
    link has one). Takes the SA's next sequence number; raises
    :class:`~ccsds.errors.LocalProtocolError` when the SA cannot protect this frame.
    """
    cipher = _sending_cipher(sa, keys, frame.virtual_channel)
    segment = _tc_segment_length(frame, segment_header)
    if len(frame.data) < segment:
        raise LocalProtocolError("TC frame data field lacks its segment header")
    total = TC_HEADER_LENGTH + len(frame.data) + sa.overhead + (2 if fecf else 0)
    if total > MAX_FRAME_LENGTH:
        raise LocalProtocolError(f"protected TC frame of {total} octets exceeds "
                                 f"{MAX_FRAME_LENGTH}")
    arsn = sa.next_arsn()
    iv = sa.iv(arsn)
    first = (frame.bypass << 13) | (frame.control_command << 12) | frame.spacecraft_id
    primary = _TC_HEADER.pack(first, (frame.virtual_channel << 10) | (total - 1),
                              frame.sequence_number)
    region = primary + frame.data[:segment] + security_header(sa, arsn, iv)
    raw = region + seal_data_field(sa, cipher, iv, region, frame.data[segment:])
    if fecf:
        raw += crc16_ccitt(raw).to_bytes(2, "big")
    return raw


def process_tc_security(raw: bytes | bytearray | memoryview, table: SaTable, keys: KeyStore,
                        *, segment_header: bool, fecf: bool,
                        counters: SecurityCounters | None = None) -> TcFrame:
    """Receiving end: check a received TC frame and return it with its plaintext data field.

    Raises a :class:`~ccsds.errors.DecodeError` (a
    :class:`~ccsds.sdls.errors.SecurityError` for security failures) and counts it on
    ``counters``; the returned frame is what FARM-1 may see (355.0-B-2 4.2, receiving end).
    """

    def work() -> TcFrame:
        frame = TcFrame.decode(raw, fecf=fecf)
        start = TC_HEADER_LENGTH + _tc_segment_length(frame, segment_header)
        end = TC_HEADER_LENGTH + len(frame.data)
        data = _verify(raw, start, end, frame.virtual_channel, table=table, keys=keys)
        return TcFrame(frame.spacecraft_id, frame.virtual_channel, frame.sequence_number,
                       bytes(raw[TC_HEADER_LENGTH:start]) + data, bypass=frame.bypass,
                       control_command=frame.control_command)

    return _counted(counters, work)


# -- TM (132.0-B-3 section 6) ----------------------------------------------------------------


def tm_data_length(sa: SecurityAssociation, frame_length: int, *, ocf: bool,
                   fecf: bool) -> int:
    """Octets of user data a fixed-length TM frame carries under ``sa``."""
    return data_field_length(frame_length, ocf=ocf, fecf=fecf) - sa.overhead


def apply_tm_security(frame: TmFrame, sa: SecurityAssociation, keys: KeyStore, *,
                      frame_length: int, fecf: bool) -> bytes:
    """Sending end: encode ``frame`` (data of :func:`tm_data_length` octets) under ``sa``.

    The frame's own ``ocf`` is placed after the MAC, outside it (132.0-B-3 section 6).
    """
    cipher = _sending_cipher(sa, keys, frame.virtual_channel)
    expected = tm_data_length(sa, frame_length, ocf=frame.ocf is not None, fecf=fecf)
    if len(frame.data) != expected:
        raise LocalProtocolError(f"TM frame under SA {sa.spi} needs {expected} data octets, "
                                 f"got {len(frame.data)}")
    arsn = sa.next_arsn()
    iv = sa.iv(arsn)
    first = (frame.spacecraft_id << 4) | (frame.virtual_channel << 1) | (frame.ocf is not None)
    status = ((frame.sync_flag << 14) | (frame.packet_order << 13) | (SEGMENT_LENGTH_ID << 11)
              | frame.first_header_pointer)
    region = _TM_HEADER.pack(first, frame.master_frame_count, frame.vc_frame_count,
                             status) + security_header(sa, arsn, iv)
    raw = region + seal_data_field(sa, cipher, iv, region, frame.data) + (frame.ocf or b"")
    if fecf:
        raw += crc16_ccitt(raw).to_bytes(FECF_LENGTH, "big")
    return raw


def process_tm_security(raw: bytes | bytearray | memoryview, table: SaTable, keys: KeyStore,
                        *, frame_length: int, has_ocf: bool, has_fecf: bool,
                        counters: SecurityCounters | None = None) -> TmFrame:
    """Receiving end: check a received TM frame; return it with its plaintext data field."""

    def work() -> TmFrame:
        frame = TmFrame.decode(raw, frame_length=frame_length, has_ocf=has_ocf,
                               has_fecf=has_fecf)
        end = frame_length - (FECF_LENGTH if has_fecf else 0) - (OCF_LENGTH if has_ocf else 0)
        data = _verify(raw, TM_HEADER_LENGTH, end, frame.virtual_channel, table=table,
                       keys=keys)
        return TmFrame(frame.spacecraft_id, frame.virtual_channel, frame.master_frame_count,
                       frame.vc_frame_count, frame.first_header_pointer, data, ocf=frame.ocf,
                       sync_flag=frame.sync_flag, packet_order=frame.packet_order)

    return _counted(counters, work)
