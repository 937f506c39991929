"""The mission's link configuration (docs/icd.md), loaded from TOML.

The packaged ``data/icd_baseline.toml`` is the default; a mission file overrides any subset
of its keys. Flight and ground load the same file so that they interoperate without any
other agreement.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any, Self

from ccsds.errors import LocalProtocolError


class ConfigError(LocalProtocolError):
    """A mission configuration value is missing, mistyped or inconsistent."""


def _build(cls: type[Any], table: dict[str, Any], section: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = set(table) - set(known)
    if unknown:
        raise ConfigError(f"[{section}] unknown keys: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, raw in table.items():
        expected = type(getattr(cls, name))
        value = float(raw) if expected is float and type(raw) is int else raw
        if expected is tuple and isinstance(raw, list):
            value = tuple(raw)
            if not all(type(item) is int for item in value):
                raise ConfigError(f"[{section}] {name} must be a list of integers")
        if not isinstance(value, expected) or (expected is int and type(value) is bool):
            raise ConfigError(f"[{section}] {name} must be {expected.__name__}, got {raw!r}")
        values[name] = value
    return cls(**values)


@dataclass(frozen=True)
class TcLinkConfig:
    """Uplink: CLTU, TC transfer frame and COP-1 parameters."""

    spacecraft_id: int = 42
    virtual_channel: int = 0
    max_frame_length: int = 1024
    fecf: bool = True
    randomize: bool = True
    segment_header: bool = True
    map_id: int = 0
    farm_window: int = 10
    fop_window: int = 5
    fop_timer_initial_s: float = 4.0
    fop_transmission_limit: int = 5
    fop_timeout_type: int = 0
    start_sequence_errors: int = 0
    """Bit errors tolerated in the CLTU start sequence: 0 (exact) or 1 (CCSDS 231.0-B-4
    section 5 decoding; the two search strategies of CCSDS 230.1-G)."""

    def __post_init__(self) -> None:
        _check_range("tc.spacecraft_id", self.spacecraft_id, 0, 0x3FF)
        _check_range("tc.virtual_channel", self.virtual_channel, 0, 63)
        _check_range("tc.max_frame_length", self.max_frame_length, 8, 1024)
        _check_range("tc.map_id", self.map_id, 0, 63)
        _check_range("tc.farm_window", self.farm_window, 1, 254)
        _check_range("tc.fop_window", self.fop_window, 1, 255)
        _check_range("tc.fop_transmission_limit", self.fop_transmission_limit, 1, 255)
        _check_range("tc.fop_timeout_type", self.fop_timeout_type, 0, 1)
        _check_range("tc.start_sequence_errors", self.start_sequence_errors, 0, 1)
        if self.farm_window % 2:
            raise ConfigError("tc.farm_window must be even (CCSDS 232.1-B-2 6.1.8.2)")
        if self.fop_window > self.farm_window // 2:
            raise ConfigError("tc.fop_window must not exceed tc.farm_window / 2, or FARM-1 "
                              "can be driven into lockout (CCSDS 232.1-B-2 5.1.9)")


@dataclass(frozen=True)
class TmLinkConfig:
    """Downlink: TM transfer frame and channel coding parameters."""

    spacecraft_id: int = 42
    frame_length: int = 1115
    ocf: bool = True
    fecf: bool = True
    rs_check_symbols: int = 32
    rs_interleave: int = 5
    rs_dual_basis: bool = True
    randomize: bool = True
    asm: str = "1acffc1d"
    vc_realtime: int = 0
    vc_bulk: int = 1
    vc_idle: int = 7

    def __post_init__(self) -> None:
        _check_range("tm.spacecraft_id", self.spacecraft_id, 0, 0x3FF)
        for name in ("vc_realtime", "vc_bulk", "vc_idle"):
            _check_range(f"tm.{name}", getattr(self, name), 0, 7)
        if self.rs_check_symbols not in (0, 16, 32):
            raise ConfigError("tm.rs_check_symbols must be 0 (no RS), 16 or 32")
        if self.rs_interleave not in (1, 2, 3, 4, 5, 8):
            raise ConfigError("tm.rs_interleave must be 1-5 or 8 (CCSDS 131.0-B-5 4.3.4)")
        if self.rs_check_symbols and self.frame_length != self.rs_message_length:
            raise ConfigError(
                f"tm.frame_length {self.frame_length} must equal "
                f"{255 - self.rs_check_symbols} x {self.rs_interleave} = {self.rs_message_length}"
            )
        _check_range("tm.frame_length", self.frame_length, 16, 2048)
        if len(self.asm_bytes) != 4:
            raise ConfigError("tm.asm must be 4 octets of hex")

    @property
    def rs_message_length(self) -> int:
        """Octets of frame that one RS codeblock carries (k x I)."""
        return (255 - self.rs_check_symbols) * self.rs_interleave

    @property
    def codeblock_length(self) -> int:
        """Octets of one codeblock after coding (the CADU less its ASM)."""
        if not self.rs_check_symbols:
            return self.frame_length
        return 255 * self.rs_interleave

    @property
    def asm_bytes(self) -> bytes:
        """The attached sync marker as bytes."""
        try:
            return bytes.fromhex(self.asm)
        except ValueError as exc:
            raise ConfigError(f"tm.asm is not hex: {self.asm!r}") from exc


@dataclass(frozen=True)
class PacketConfig:
    """Space packet and PUS parameters."""

    apid_pus: int = 100
    apid_cfdp: int = 101
    apid_idle: int = 0x7FF
    pus_version: int = 2
    ground_source_id: int = 1
    ground_destination_id: int = 1

    def __post_init__(self) -> None:
        for name in ("apid_pus", "apid_cfdp", "apid_idle"):
            _check_range(f"packets.{name}", getattr(self, name), 0, 0x7FF)


@dataclass(frozen=True)
class CfdpConfig:
    """File delivery protocol parameters."""

    ground_entity_id: int = 1
    payload_entity_id: int = 2
    entity_id_length: int = 2
    sequence_number_length: int = 4
    checksum_type: int = 3

    def __post_init__(self) -> None:
        _check_range("cfdp.entity_id_length", self.entity_id_length, 1, 8)
        _check_range("cfdp.sequence_number_length", self.sequence_number_length, 1, 8)
        if self.checksum_type not in (0, 2, 3, 15):
            raise ConfigError(
                "cfdp.checksum_type must be 0 (modular), 2 (CRC-32C), 3 (CRC-32) or 15 (null)"
            )


@dataclass(frozen=True)
class TimeConfig:
    """Time code parameters."""

    cuc_coarse_octets: int = 4
    cuc_fine_octets: int = 2
    epoch: str = "1958-01-01T00:00:00"

    def __post_init__(self) -> None:
        _check_range("time.cuc_coarse_octets", self.cuc_coarse_octets, 1, 4)
        _check_range("time.cuc_fine_octets", self.cuc_fine_octets, 0, 3)


SDLS_SERVICES = ("authenticated_encryption", "authentication")
"""SA service types of the mission's SDLS profile (docs/security.md 1; 355.0-B-2 4.2.2.4)."""


@dataclass(frozen=True)
class SdlsConfig:
    """Space Data Link Security (CCSDS 355.0-B-2) on the link; off in the ICD baseline.

    When ``enabled``, every TC frame is protected (an unprotected VC would let commands
    bypass SDLS): the board runs each received frame through SDLS before FARM-1, with SAs
    of service ``tc_service``. ``tm_protection`` protects the TM frames of
    ``tm_virtual_channels`` with SAs of service ``tm_service`` (never the idle VC, whose
    frames carry idle data only and stay in clear). The SAs and keys themselves come from
    each end's SA, TM SA and key files (docs/security.md 9, 10), not from this file.
    """

    enabled: bool = False
    tc_service: str = "authenticated_encryption"
    tm_protection: bool = False
    tm_service: str = "authentication"
    tm_virtual_channels: tuple[int, ...] = (0, 1)

    def __post_init__(self) -> None:
        for name in ("tc_service", "tm_service"):
            if getattr(self, name) not in SDLS_SERVICES:
                raise ConfigError(f"sdls.{name} must be one of {', '.join(SDLS_SERVICES)}")
        for vc in self.tm_virtual_channels:
            _check_range("sdls.tm_virtual_channels", vc, 0, 7)
        if self.tm_protection and not self.enabled:
            raise ConfigError("sdls.tm_protection needs sdls.enabled")
        if self.tm_protection and not self.tm_virtual_channels:
            raise ConfigError("sdls.tm_protection needs sdls.tm_virtual_channels")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} = {value} is outside {low}..{high}")


_SECTIONS: dict[str, type[Any]] = {
    "tc": TcLinkConfig,
    "tm": TmLinkConfig,
    "packets": PacketConfig,
    "cfdp": CfdpConfig,
    "time": TimeConfig,
    "sdls": SdlsConfig,
}


@dataclass(frozen=True)
class LinkConfig:
    """Everything flight and ground must agree on to talk to each other."""

    tc: TcLinkConfig = TcLinkConfig()
    tm: TmLinkConfig = TmLinkConfig()
    packets: PacketConfig = PacketConfig()
    cfdp: CfdpConfig = CfdpConfig()
    time: TimeConfig = TimeConfig()
    sdls: SdlsConfig = SdlsConfig()

    @classmethod
    def baseline(cls) -> Self:
        """The ICD baseline shipped with the package."""
        text = resources.files("ccsds").joinpath("data/icd_baseline.toml").read_text("utf-8")
        return cls.from_toml(text)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Self:
        """Load a mission file over the baseline (the baseline alone when ``path`` is None)."""
        if path is None:
            return cls.baseline()
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read mission configuration {path}: {exc}") from exc
        return cls.from_toml(text)

    @classmethod
    def from_toml(cls, text: str) -> Self:
        """Parse TOML text; keys it leaves out keep their baseline values."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"mission configuration is not valid TOML: {exc}") from exc
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Self:
        """Build from a mapping of section name to key/value table."""
        unknown = set(document) - set(_SECTIONS)
        if unknown:
            raise ConfigError(f"unknown sections: {', '.join(sorted(unknown))}")
        parts = {
            name: _build(section_cls, document.get(name, {}), name)
            for name, section_cls in _SECTIONS.items()
        }
        if parts["tc"].spacecraft_id != parts["tm"].spacecraft_id:
            raise ConfigError("tc.spacecraft_id and tm.spacecraft_id differ")
        tm = parts["tm"]
        protected = set(parts["sdls"].tm_virtual_channels) if parts["sdls"].tm_protection \
            else set()
        if tm.vc_idle in protected:
            raise ConfigError("sdls.tm_virtual_channels must not include tm.vc_idle")
        return cls(**parts)
