"""Security associations (CCSDS 355.0-B-2 4.2.2; 355.1-B-1, SA management).

An SA binds a Security Parameter Index to the virtual channels it protects, a service type,
a key and the layout of the security header and trailer. Its state follows the SA life
cycle (355.1-B-1, SA management, figure "SA states"):

    (create) -> UNKEYED --rekey--> KEYED --start--> OPERATIONAL
                UNKEYED <--expire-- KEYED <--stop-- OPERATIONAL
                UNKEYED --(delete)

Only an OPERATIONAL SA protects or accepts frames (355.0-B-2 4.2, sending and receiving ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from ccsds.errors import LocalProtocolError
from ccsds.sdls.errors import SaTransitionError, UnknownSpiError
from ccsds.sdls.iv import (
    COUNTER_LENGTH,
    FIXED_FIELD_LENGTH,
    IV_LENGTH,
    MAX_COUNTER,
    RESERVED_FIXED_FIELDS,
    gcm_iv,
)

SPI_LENGTH = 2
MAC_LENGTH = 16
"""AES-GCM tag length: 128 bits (352.0-B-2 baseline)."""
MAX_SPI = 0xFFFE


class SaState(Enum):
    """SA states of 355.1-B-1, SA management."""

    UNKEYED = "unkeyed"
    KEYED = "keyed"
    OPERATIONAL = "operational"


class ServiceType(Enum):
    """SA service types this profile supports (355.0-B-2 4.2.2.4).

    Encryption without authentication is not offered: it would let forged frames reach
    FARM-1, which the mission's threat model forbids (docs/security.md).
    """

    AUTHENTICATION = "authentication"
    AUTHENTICATED_ENCRYPTION = "authenticated_encryption"


@dataclass(slots=True)
class SecurityAssociation:
    """One SA, as configured on both ends; ``arsn`` is the end's own counter.

    On the sending end ``arsn`` is the last sequence number sent, on the receiving end the
    last one accepted (355.0-B-2 4.2.2). The IV is ``iv_fixed_field || arsn``
    (:mod:`ccsds.sdls.iv`), so ARSN and IV advance together and never repeat under a key.

    Header fields (355.0-B-2 4.1.1): SPI (2 octets), IV field (``iv_field_length``: 12 to
    send the whole IV, 0 to send none), sequence number field (``sn_field_length`` 0..8:
    the low-order octets of the ARSN), pad length field (``pad_field_length`` 0..2). One of
    IV or sequence number field must carry the ARSN. Trailer (4.1.2): a 16-octet MAC.
    ``auth_mask`` is ANDed over the leading octets of the authenticated header region
    (primary header, segment header, security header; the "authentication bit mask" of
    355.0-B-2 4.2.2); octets past its end are covered in full.
    """

    spi: int
    virtual_channels: frozenset[int]
    service: ServiceType = ServiceType.AUTHENTICATED_ENCRYPTION
    iv_fixed_field: bytes = b"\x00\x00\x00\x00"
    iv_field_length: int = IV_LENGTH
    sn_field_length: int = 0
    pad_field_length: int = 0
    arsn_window: int = 64
    auth_mask: bytes = b""
    key_id: int | None = None
    state: SaState = SaState.UNKEYED
    arsn: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.spi <= MAX_SPI:
            raise LocalProtocolError(f"SPI {self.spi} outside 1..{MAX_SPI}")
        if not self.virtual_channels or not all(0 <= vc <= 63 for vc in self.virtual_channels):
            raise LocalProtocolError("an SA needs one or more virtual channels in 0..63")
        if len(self.iv_fixed_field) != FIXED_FIELD_LENGTH:
            raise LocalProtocolError(f"IV fixed field must be {FIXED_FIELD_LENGTH} octets")
        if self.iv_fixed_field in RESERVED_FIXED_FIELDS:
            raise LocalProtocolError("IV fixed field is reserved for key management")
        if self.iv_field_length not in (0, IV_LENGTH):
            raise LocalProtocolError(f"IV field length must be 0 or {IV_LENGTH}")
        if not 0 <= self.sn_field_length <= COUNTER_LENGTH:
            raise LocalProtocolError(f"sequence number field length outside 0..{COUNTER_LENGTH}")
        if self.iv_field_length == 0 and self.sn_field_length == 0:
            raise LocalProtocolError("neither IV nor sequence number field carries the ARSN")
        if not 0 <= self.pad_field_length <= 2:
            raise LocalProtocolError("pad length field length outside 0..2")
        if not 1 <= self.arsn_window <= MAX_COUNTER:
            raise LocalProtocolError("anti-replay window must be at least 1")
        if not 0 <= self.arsn <= MAX_COUNTER:
            raise LocalProtocolError(f"ARSN outside 0..{MAX_COUNTER}")
        if (self.key_id is None) != (self.state is SaState.UNKEYED):
            raise LocalProtocolError("a key id is held exactly when the SA is not UNKEYED")

    # -- layout -----------------------------------------------------------------------------

    @property
    def header_length(self) -> int:
        """Octets of security header (355.0-B-2 4.1.1)."""
        return SPI_LENGTH + self.iv_field_length + self.sn_field_length + self.pad_field_length

    @property
    def overhead(self) -> int:
        """Octets the SA adds to a frame: security header plus MAC trailer."""
        return self.header_length + MAC_LENGTH

    @property
    def encrypts(self) -> bool:
        """Whether the frame data field is encrypted (authenticated encryption)."""
        return self.service is ServiceType.AUTHENTICATED_ENCRYPTION

    def applies_to(self, virtual_channel: int) -> bool:
        """Whether the SA is applicable to this virtual channel (355.0-B-2 4.2.2.2)."""
        return virtual_channel in self.virtual_channels

    def iv(self, arsn: int) -> bytes:
        """The IV of the frame with sequence number ``arsn``."""
        return gcm_iv(self.iv_fixed_field, arsn)

    def mask(self, length: int) -> bytes:
        """The authentication mask widened to ``length`` octets (ones past its end)."""
        return (self.auth_mask + b"\xff" * length)[:length]

    # -- sequence numbers -------------------------------------------------------------------

    def next_arsn(self) -> int:
        """Sending end: take the next sequence number (355.0-B-2 4.2, sending end)."""
        if self.arsn >= MAX_COUNTER:
            raise SaTransitionError(f"SA {self.spi} has used every sequence number: rekey it")
        self.arsn += 1
        return self.arsn

    def expand_sequence_number(self, low: int) -> int:
        """Receiving end: the full ARSN whose low ``sn_field_length`` octets are ``low``.

        The smallest value above the last accepted ARSN with those low octets; a value
        that far ahead is then judged by the anti-replay window. With a full-width field
        this is ``low`` itself.
        """
        bits = 8 * self.sn_field_length
        if bits >= 8 * COUNTER_LENGTH:
            return low
        modulus = 1 << bits
        candidate = (self.arsn & ~(modulus - 1)) | low
        if candidate <= self.arsn:
            candidate += modulus
        return candidate

    # -- state transitions (355.1-B-1, SA management) ------------------------------------

    def rekey(self, key_id: int, arsn: int = 0) -> None:
        """UNKEYED -> KEYED with ``key_id``; the ARSN restarts at ``arsn`` (Rekey SA)."""
        self._require(SaState.UNKEYED, "rekey")
        if not 0 <= arsn <= MAX_COUNTER:
            raise LocalProtocolError(f"ARSN outside 0..{MAX_COUNTER}")
        self.key_id = key_id
        self.arsn = arsn
        self.state = SaState.KEYED

    def start(self) -> None:
        """KEYED -> OPERATIONAL (Start SA)."""
        self._require(SaState.KEYED, "start")
        self.state = SaState.OPERATIONAL

    def stop(self) -> None:
        """OPERATIONAL -> KEYED (Stop SA)."""
        self._require(SaState.OPERATIONAL, "stop")
        self.state = SaState.KEYED

    def expire(self) -> None:
        """KEYED -> UNKEYED, forgetting the key (Expire SA)."""
        self._require(SaState.KEYED, "expire")
        self.key_id = None
        self.state = SaState.UNKEYED

    def set_arsn(self, arsn: int) -> None:
        """Set the anti-replay sequence number (Set ARSN); not while OPERATIONAL."""
        if self.state is SaState.OPERATIONAL:
            raise SaTransitionError(f"SA {self.spi}: stop it before setting its ARSN")
        if not 0 <= arsn <= MAX_COUNTER:
            raise LocalProtocolError(f"ARSN outside 0..{MAX_COUNTER}")
        self.arsn = arsn

    def set_window(self, window: int) -> None:
        """Set the anti-replay window (Set ARSN Window)."""
        if not 1 <= window <= MAX_COUNTER:
            raise LocalProtocolError("anti-replay window must be at least 1")
        self.arsn_window = window

    def _require(self, state: SaState, action: str) -> None:
        if self.state is not state:
            raise SaTransitionError(
                f"cannot {action} SA {self.spi} in state {self.state.value} "
                f"(needs {state.value})"
            )


class SaTable:
    """The SAs of one end, by SPI (the security association database)."""

    def __init__(self, associations: list[SecurityAssociation] | None = None) -> None:
        self._by_spi: dict[int, SecurityAssociation] = {}
        for association in associations or []:
            self.create(association)

    def __len__(self) -> int:
        return len(self._by_spi)

    def __iter__(self) -> Iterator[SecurityAssociation]:
        return iter(sorted(self._by_spi.values(), key=lambda sa: sa.spi))

    def __contains__(self, spi: object) -> bool:
        return spi in self._by_spi

    def create(self, association: SecurityAssociation) -> None:
        """Add an SA (Create SA); its SPI must be free."""
        if association.spi in self._by_spi:
            raise SaTransitionError(f"SPI {association.spi} already in use")
        self._by_spi[association.spi] = association

    def delete(self, spi: int) -> None:
        """Remove an UNKEYED SA (Delete SA)."""
        association = self.get(spi)
        if association.state is not SaState.UNKEYED:
            raise SaTransitionError(f"SA {spi} must be UNKEYED to be deleted")
        del self._by_spi[spi]

    def get(self, spi: int) -> SecurityAssociation:
        """The SA of ``spi``; :class:`UnknownSpiError` when there is none."""
        association = self._by_spi.get(spi)
        if association is None:
            raise UnknownSpiError(f"no security association with SPI {spi}")
        return association

    def operational_for(self, virtual_channel: int) -> list[SecurityAssociation]:
        """OPERATIONAL SAs applicable to a virtual channel, by SPI."""
        return [sa for sa in self if sa.state is SaState.OPERATIONAL
                and sa.applies_to(virtual_channel)]
