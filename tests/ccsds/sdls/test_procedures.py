"""Extended procedure PDUs (355.1-B-1 section 5): layout, round trips, a total decoder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import LocalProtocolError
from ccsds.sdls.association import SaState
from ccsds.sdls.errors import ProcedureError
from ccsds.sdls.keys import KeyState
from ccsds.sdls.procedures import (
    ExpireSaCommand,
    ExtendedProcedure,
    KeyActivationCommand,
    KeyDeactivationCommand,
    KeyDestructionCommand,
    KeyInventoryCommand,
    KeyInventoryReply,
    KeyVerificationCommand,
    KeyVerificationReply,
    OtarCommand,
    ReadArsnCommand,
    ReadArsnReply,
    RekeySaCommand,
    SaStatusCommand,
    SaStatusReply,
    SetArsnCommand,
    SetArsnWindowCommand,
    StartSaCommand,
    StopSaCommand,
    decode_pdu,
)

U16 = st.integers(0, 0xFFFF)
U64 = st.integers(0, 2**64 - 1)
KEY_IDS = st.lists(U16, min_size=1, max_size=8).map(tuple)

PDUS = st.one_of(
    st.builds(OtarCommand, U16, st.binary(min_size=12, max_size=12),
              st.integers(1, 4).flatmap(lambda n: st.binary(min_size=34 * n, max_size=34 * n)),
              st.binary(min_size=16, max_size=16)),
    st.builds(KeyActivationCommand, KEY_IDS),
    st.builds(KeyDeactivationCommand, KEY_IDS),
    st.builds(KeyDestructionCommand, KEY_IDS),
    st.builds(KeyVerificationCommand, st.lists(st.tuples(
        U16, st.binary(min_size=16, max_size=16)), min_size=1, max_size=4).map(tuple)),
    st.builds(KeyVerificationReply, st.lists(st.tuples(
        U16, st.binary(min_size=12, max_size=12), st.binary(min_size=32, max_size=32)),
        min_size=1, max_size=4).map(tuple)),
    st.builds(KeyInventoryCommand, U16, U16),
    st.builds(KeyInventoryReply, st.lists(st.tuples(U16, st.sampled_from(KeyState)),
                                          max_size=5).map(tuple)),
    st.builds(RekeySaCommand, U16, U16, U64),
    *(st.builds(cls, U16) for cls in (StartSaCommand, StopSaCommand, ExpireSaCommand,
                                      ReadArsnCommand, SaStatusCommand)),
    st.builds(SetArsnCommand, U16, U64),
    st.builds(SetArsnWindowCommand, U16, U64),
    st.builds(ReadArsnReply, U16, U64),
    st.builds(SaStatusReply, U16, st.sampled_from(SaState),
              st.one_of(st.none(), st.integers(0, 0xFFFE))),
)


@given(pdu=PDUS)
def test_round_trip(pdu: ExtendedProcedure) -> None:
    raw = pdu.encode()
    assert decode_pdu(raw) == pdu
    assert int.from_bytes(raw[1:3], "big") == 8 * (len(raw) - 3)  # length in bits


@pytest.mark.parametrize(("pdu", "tag"), [
    (OtarCommand(1, bytes(12), bytes(34), bytes(16)), 0b0_0_00_0001),
    (KeyActivationCommand((1,)), 0b0_0_00_0010),
    (KeyDeactivationCommand((1,)), 0b0_0_00_0011),
    (KeyVerificationCommand(((1, bytes(16)),)), 0b0_0_00_0100),
    (KeyVerificationReply(((1, bytes(12), bytes(32)),)), 0b1_0_00_0100),
    (KeyDestructionCommand((1,)), 0b0_0_00_0110),
    (KeyInventoryCommand(0, 9), 0b0_0_00_0111),
    (RekeySaCommand(1, 2, 0), 0b0_0_01_0110),
    (StartSaCommand(1), 0b0_0_01_1011),
    (StopSaCommand(1), 0b0_0_01_1110),
    (ExpireSaCommand(1), 0b0_0_01_1001),
    (SetArsnCommand(1, 0), 0b0_0_01_1010),
    (SetArsnWindowCommand(1, 5), 0b0_0_01_0101),
    (ReadArsnCommand(1), 0b0_0_01_0000),
    (SaStatusCommand(1), 0b0_0_01_1111),
    (SaStatusReply(1, SaState.KEYED, 3), 0b1_0_01_1111),
])
def test_tags_follow_the_procedure_identifiers(pdu: ExtendedProcedure, tag: int) -> None:
    """Tag = PDU type | user flag | service group | procedure id (355.1-B-1 table 5-1)."""
    assert pdu.encode()[0] == tag


def test_start_sa_octets() -> None:
    assert StartSaCommand(0x0102).encode() == bytes([0x1B, 0x00, 0x10, 0x01, 0x02])
    assert RekeySaCommand(1, 2, 3).encode() == (bytes([0x16, 0x00, 96, 0, 1, 0, 2])
                                                + (3).to_bytes(8, "big"))


@given(raw=st.binary(max_size=80))
def test_arbitrary_octets_give_a_typed_error_or_a_canonical_pdu(raw: bytes) -> None:
    try:
        pdu = decode_pdu(raw)
    except ProcedureError:
        return
    assert pdu.encode() == raw


@given(pdu=PDUS, data=st.data())
def test_truncated_or_extended_pdus_are_rejected(pdu: ExtendedProcedure,
                                                 data: st.DataObject) -> None:
    raw = pdu.encode()
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(ProcedureError):
        decode_pdu(raw[:cut])
    with pytest.raises(ProcedureError):
        decode_pdu(raw + b"\x00")


@pytest.mark.parametrize("raw", [
    bytes([0x1B, 0x00, 0x11, 0x00, 0x01]),  # length not whole octets
    bytes([0x5B, 0x00, 0x10, 0x00, 0x01]),  # user-defined
    bytes([0x08, 0x00, 0x00]),  # undefined key management procedure
    bytes([0x31, 0x00, 0x00]),  # monitoring and control: not supported
    bytes([0x8F, 0x00, 0x28, 0, 1, 7, 0, 0]),  # SA status reply with state code 7
    bytes([0x87, 0x00, 0x28, 0, 1, 0, 1, 9]),  # inventory reply with state code 9
    bytes([0x87, 0x00, 0x28, 0, 2, 0, 1, 0]),  # inventory count disagrees
    bytes([0x02, 0x00, 0x00]),  # activation of no key
])
def test_malformed_pdus_are_rejected(raw: bytes) -> None:
    with pytest.raises(ProcedureError):
        decode_pdu(raw)


def test_out_of_range_fields_are_refused_when_building() -> None:
    for build in (lambda: StartSaCommand(0x10000), lambda: KeyActivationCommand(()),
                  lambda: OtarCommand(1, bytes(11), bytes(34), bytes(16)),
                  lambda: OtarCommand(1, bytes(12), bytes(33), bytes(16)),
                  lambda: SaStatusReply(1, SaState.KEYED, 0xFFFF),
                  lambda: KeyVerificationCommand(((1, bytes(15)),)),
                  lambda: KeyVerificationCommand(()),
                  lambda: KeyVerificationCommand(((1,),)),  # type: ignore[arg-type]
                  lambda: KeyVerificationReply(((1, bytes(12), bytes(32), b""),)),  # type: ignore[arg-type]
                  lambda: KeyDestructionCommand((0x10000,))):
        with pytest.raises(LocalProtocolError):
            build()
