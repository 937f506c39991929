"""SA life cycle (355.1-B-1, SA management) and sequence number handling (355.0-B-2 4.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.errors import LocalProtocolError
from ccsds.sdls.association import SaState, SaTable, SecurityAssociation
from ccsds.sdls.errors import SaTransitionError, UnknownSpiError
from ccsds.sdls.iv import MAX_COUNTER, OTAR_FIXED_FIELD, VERIFICATION_FIXED_FIELD

from .helpers import make_sa

LEGAL = {  # (state, action) -> next state, from the SA state diagram of 355.1-B-1, SA management
    (SaState.UNKEYED, "rekey"): SaState.KEYED,
    (SaState.KEYED, "start"): SaState.OPERATIONAL,
    (SaState.OPERATIONAL, "stop"): SaState.KEYED,
    (SaState.KEYED, "expire"): SaState.UNKEYED,
}


def _in_state(state: SaState) -> SecurityAssociation:
    sa = SecurityAssociation(spi=5, virtual_channels=frozenset({0}))
    if state is not SaState.UNKEYED:
        sa.rekey(3)
    if state is SaState.OPERATIONAL:
        sa.start()
    assert sa.state is state
    return sa


def _act(sa: SecurityAssociation, action: str) -> None:
    if action == "rekey":
        sa.rekey(9, arsn=41)
    else:
        getattr(sa, action)()


@pytest.mark.parametrize("state", SaState)
@pytest.mark.parametrize("action", ["rekey", "start", "stop", "expire"])
def test_transitions_follow_the_state_diagram(state: SaState, action: str) -> None:
    sa = _in_state(state)
    target = LEGAL.get((state, action))
    if target is None:
        with pytest.raises(SaTransitionError):
            _act(sa, action)
        assert sa.state is state
    else:
        _act(sa, action)
        assert sa.state is target
        assert (sa.key_id is None) == (target is SaState.UNKEYED)


def test_rekey_sets_key_and_starting_arsn() -> None:
    sa = _in_state(SaState.UNKEYED)
    sa.rekey(9, arsn=41)
    assert (sa.key_id, sa.arsn) == (9, 41)
    assert sa.next_arsn() == 42


def test_set_arsn_refused_while_operational_and_window_validated() -> None:
    sa = _in_state(SaState.OPERATIONAL)
    with pytest.raises(SaTransitionError):
        sa.set_arsn(5)
    sa.stop()
    sa.set_arsn(5)
    assert sa.arsn == 5
    sa.set_window(3)
    assert sa.arsn_window == 3
    with pytest.raises(LocalProtocolError):
        sa.set_window(0)


def test_sending_end_stops_at_the_last_sequence_number() -> None:
    sa = make_sa(arsn=MAX_COUNTER - 1)
    assert sa.next_arsn() == MAX_COUNTER
    with pytest.raises(SaTransitionError):
        sa.next_arsn()


@pytest.mark.parametrize("settings", [
    {"spi": 0}, {"spi": 0xFFFF}, {"virtual_channels": frozenset()},
    {"virtual_channels": frozenset({64})}, {"iv_fixed_field": b"\x00"},
    {"iv_fixed_field": OTAR_FIXED_FIELD}, {"iv_fixed_field": VERIFICATION_FIXED_FIELD},
    {"iv_field_length": 8}, {"sn_field_length": 9}, {"iv_field_length": 0},
    {"pad_field_length": 3}, {"arsn_window": 0}, {"arsn": -1}, {"key_id": None},
])
def test_invalid_configurations_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        make_sa(**settings)


@given(last=st.integers(0, 1 << 40), step=st.integers(1, 300), octets=st.integers(1, 7))
def test_expanded_sequence_number_is_the_next_matching_value(last: int, step: int,
                                                             octets: int) -> None:
    """Property: sending the low octets of ARSN ``last + step`` recovers it whenever the
    step is smaller than the field's modulus."""
    sa = make_sa(iv_field_length=0, sn_field_length=octets, arsn=last)
    sent = last + step
    low = sent & ((1 << (8 * octets)) - 1)
    expanded = sa.expand_sequence_number(low)
    assert expanded > last
    assert expanded & ((1 << (8 * octets)) - 1) == low
    if step < 1 << (8 * octets):
        assert expanded == sent


def test_table_create_get_delete() -> None:
    table = SaTable([make_sa(spi=1), make_sa(spi=2, virtual_channels=frozenset({1}))])
    assert len(table) == 2 and 1 in table
    with pytest.raises(SaTransitionError):
        table.create(make_sa(spi=1))
    assert [sa.spi for sa in table.operational_for(1)] == [2]
    with pytest.raises(SaTransitionError):
        table.delete(1)  # still operational
    sa = table.get(1)
    sa.stop()
    sa.expire()
    table.delete(1)
    with pytest.raises(UnknownSpiError):
        table.get(1)
