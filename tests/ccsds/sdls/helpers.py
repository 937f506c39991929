"""Shared set-up for the SDLS tests: a ground end and a board end configured alike."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ccsds.sdls.association import SaState, SaTable, SecurityAssociation
from ccsds.sdls.frame_security import (
    SecurityCounters,
    apply_tc_security,
    apply_tm_security,
    process_tc_security,
    process_tm_security,
    tm_data_length,
)
from ccsds.sdls.keys import KeyRole, KeyState, KeyStore
from ccsds.tc_frame import TcFrame
from ccsds.tm_frame import TmFrame

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))
MASTER_KEY = bytes(range(64, 96))
KEY_A_ID, KEY_B_ID, MASTER_ID = 1, 2, 100
SCID = 0x2A
TM_FRAME_LENGTH = 1115
CLCW = b"\x01\x02\x03\x04"


def key_store() -> KeyStore:
    """Session keys A and B ACTIVE, and a master key."""
    keys = KeyStore()
    keys.install(KEY_A_ID, KEY_A, state=KeyState.ACTIVE)
    keys.install(KEY_B_ID, KEY_B, state=KeyState.ACTIVE)
    keys.install(MASTER_ID, MASTER_KEY, role=KeyRole.MASTER)
    return keys


def make_sa(**overrides: object) -> SecurityAssociation:
    """An OPERATIONAL SA on VC 0 keyed with key A, unless overridden."""
    settings: dict[str, object] = {"spi": 1, "virtual_channels": frozenset({0}),
                                   "key_id": KEY_A_ID, "state": SaState.OPERATIONAL}
    settings.update(overrides)
    return SecurityAssociation(**settings)  # type: ignore[arg-type]


@dataclass
class Ends:
    """Ground (sending TC, receiving TM) and board ends sharing SA definitions."""

    ground: SaTable
    board: SaTable
    ground_keys: KeyStore = field(default_factory=key_store)
    board_keys: KeyStore = field(default_factory=key_store)
    counters: SecurityCounters = field(default_factory=SecurityCounters)
    segment_header: bool = True
    fecf: bool = True

    @classmethod
    def of(cls, *sas: SecurityAssociation, **options: bool) -> Ends:
        """Both ends holding their own copy of each SA."""
        return cls(SaTable([dataclasses.replace(sa) for sa in sas]),
                   SaTable([dataclasses.replace(sa) for sa in sas]), **options)

    def protect_tc(self, frame: TcFrame, spi: int = 1) -> bytes:
        return apply_tc_security(frame, self.ground.get(spi), self.ground_keys,
                                 segment_header=self.segment_header, fecf=self.fecf)

    def receive_tc(self, raw: bytes) -> TcFrame:
        return process_tc_security(raw, self.board, self.board_keys,
                                   segment_header=self.segment_header, fecf=self.fecf,
                                   counters=self.counters)

    def tm_frame(self, data_byte: int, spi: int = 1, vc: int = 0) -> TmFrame:
        length = tm_data_length(self.board.get(spi), TM_FRAME_LENGTH, ocf=True, fecf=True)
        return TmFrame(SCID, vc, data_byte, data_byte, 0, bytes([data_byte]) * length,
                       ocf=CLCW)

    def protect_tm(self, frame: TmFrame, spi: int = 1) -> bytes:
        return apply_tm_security(frame, self.board.get(spi), self.board_keys,
                                 frame_length=TM_FRAME_LENGTH, fecf=True)

    def receive_tm(self, raw: bytes) -> TmFrame:
        return process_tm_security(raw, self.ground, self.ground_keys,
                                   frame_length=TM_FRAME_LENGTH, has_ocf=True, has_fecf=True,
                                   counters=self.counters)


def tc(sequence: int, payload: bytes, *, vc: int = 0, segment: bool = True) -> TcFrame:
    """A type-AD TC frame carrying ``payload`` after a one-octet segment header."""
    return TcFrame(SCID, vc, sequence % 256, (b"\xc0" if segment else b"") + payload)
