"""FARM-1, CCSDS 232.1-B-2 section 6: every cell of state table 6-1, then random input."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cop1 import Farm1, FarmEvent, FarmState, FrameKind
from ccsds.errors import CcsdsError, LocalProtocolError
from ccsds.tc_frame import TcFrame

SCID, VC, WINDOW = 42, 3, 10  # PW = NW = 5
PW = NW = WINDOW // 2
OPEN, WAIT, LOCKOUT = FarmState


def ad(number: int, data: bytes = b"fdu") -> TcFrame:
    return TcFrame(SCID, VC, number % 256, data)


def bc(data: bytes) -> TcFrame:
    return TcFrame(SCID, VC, 0, data, bypass=True, control_command=True)


def bd(data: bytes = b"bd") -> TcFrame:
    return TcFrame(SCID, VC, 0, data, bypass=True)


def farm_in(state: FarmState, vr: int, *, buffer_full: bool) -> Farm1:
    """A FARM-1 at V(R) = ``vr`` in ``state`` with every flag that state allows raised."""
    farm = Farm1(VC, WINDOW, buffer_capacity=1, spacecraft_id=SCID)
    assert farm.receive(bc(bytes([0x82, 0, (vr - 1) % 256]))).accepted
    assert farm.receive(ad(vr - 1)).accepted  # buffer now full, V(R) = vr
    assert farm.receive(ad(vr + 1)).event is FarmEvent.E3  # Retransmit_Flag = 1
    if state is not OPEN:
        assert farm.receive(ad(vr)).event is FarmEvent.E2  # Wait
    if state is LOCKOUT:
        assert farm.receive(ad(vr + PW)).event is FarmEvent.E5
    if not buffer_full:
        farm.buffer_released()
    assert (farm.state, farm.vr, farm.buffer_available) == (state, vr, not buffer_full)
    return farm


@dataclass(frozen=True)
class Case:
    """One cell: stimulus in a state, then the expected event, verdict, state and flags."""

    state: FarmState
    stimulus: str
    event: FarmEvent
    accepted: bool
    next_state: FarmState
    flags: str  # letters of the flags set afterwards: L(ockout) W(ait) R(etransmit)
    buffer_full: bool = False
    vr_step: int = 0  # V(R) change, or None-like 999 for "set to 200"
    farm_b_step: int = 0


SET_VR_VALUE = 200

CASES = [
    # S1 Open
    Case(OPEN, "ad+0", FarmEvent.E1, True, OPEN, "", vr_step=1),
    Case(OPEN, "ad+0", FarmEvent.E2, False, WAIT, "WR", buffer_full=True),
    Case(OPEN, "ad+1", FarmEvent.E3, False, OPEN, "R"),
    Case(OPEN, f"ad+{PW - 1}", FarmEvent.E3, False, OPEN, "R"),
    Case(OPEN, "ad-1", FarmEvent.E4, False, OPEN, "R"),
    Case(OPEN, f"ad-{NW}", FarmEvent.E4, False, OPEN, "R"),
    Case(OPEN, f"ad+{PW}", FarmEvent.E5, False, LOCKOUT, "LR"),
    Case(OPEN, f"ad-{NW + 1}", FarmEvent.E5, False, LOCKOUT, "LR"),
    Case(OPEN, "bd", FarmEvent.E6, True, OPEN, "R", farm_b_step=1),
    Case(OPEN, "unlock", FarmEvent.E7, True, OPEN, "", farm_b_step=1),
    Case(OPEN, "setvr", FarmEvent.E8, True, OPEN, "", vr_step=999, farm_b_step=1),
    Case(OPEN, "invalid", FarmEvent.E9, False, OPEN, "R"),
    Case(OPEN, "release", FarmEvent.E10, True, OPEN, "R", buffer_full=True),
    # S2 Wait (E1 cannot occur: Wait means no buffer, and a release leaves Wait)
    Case(WAIT, "ad+0", FarmEvent.E2, False, WAIT, "WR", buffer_full=True),
    Case(WAIT, "ad+1", FarmEvent.E3, False, WAIT, "WR", buffer_full=True),
    Case(WAIT, "ad-1", FarmEvent.E4, False, WAIT, "WR", buffer_full=True),
    Case(WAIT, f"ad+{PW}", FarmEvent.E5, False, LOCKOUT, "LWR", buffer_full=True),
    Case(WAIT, "bd", FarmEvent.E6, True, WAIT, "WR", buffer_full=True, farm_b_step=1),
    Case(WAIT, "unlock", FarmEvent.E7, True, OPEN, "", buffer_full=True, farm_b_step=1),
    Case(WAIT, "setvr", FarmEvent.E8, True, OPEN, "", buffer_full=True, vr_step=999,
         farm_b_step=1),
    Case(WAIT, "invalid", FarmEvent.E9, False, WAIT, "WR", buffer_full=True),
    Case(WAIT, "release", FarmEvent.E10, True, OPEN, "R", buffer_full=True),
    # S3 Lockout
    Case(LOCKOUT, "ad+0", FarmEvent.E1, False, LOCKOUT, "LR"),
    Case(LOCKOUT, "ad+0", FarmEvent.E2, False, LOCKOUT, "LWR", buffer_full=True),
    Case(LOCKOUT, "ad+1", FarmEvent.E3, False, LOCKOUT, "LR"),
    Case(LOCKOUT, "ad-1", FarmEvent.E4, False, LOCKOUT, "LR"),
    Case(LOCKOUT, f"ad+{PW}", FarmEvent.E5, False, LOCKOUT, "LR"),
    Case(LOCKOUT, "bd", FarmEvent.E6, True, LOCKOUT, "LR", farm_b_step=1),
    Case(LOCKOUT, "unlock", FarmEvent.E7, True, OPEN, "", buffer_full=True, farm_b_step=1),
    Case(LOCKOUT, "setvr", FarmEvent.E8, True, LOCKOUT, "LWR", buffer_full=True,
         farm_b_step=1),
    Case(LOCKOUT, "invalid", FarmEvent.E9, False, LOCKOUT, "LWR", buffer_full=True),
    Case(LOCKOUT, "release", FarmEvent.E10, True, LOCKOUT, "LR", buffer_full=True),
]


def stimulate(farm: Farm1, stimulus: str):  # type: ignore[no-untyped-def]
    if stimulus.startswith("ad"):
        return farm.receive(ad(farm.vr + int(stimulus[2:]), b"payload"))
    return {
        "bd": lambda: farm.receive(bd(b"bypass")),
        "unlock": lambda: farm.receive(bc(b"\x00")),
        "setvr": lambda: farm.receive(bc(bytes([0x82, 0x00, SET_VR_VALUE]))),
        "invalid": lambda: farm.receive(bc(b"\x83\x00\x01")),
        "release": farm.buffer_released,
    }[stimulus]()


@pytest.mark.parametrize("vr", [10, 0, 254])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.state.name}-{c.event.name}-{c.stimulus}")
def test_state_table_cell(case: Case, vr: int) -> None:
    farm = farm_in(case.state, vr, buffer_full=case.buffer_full)
    farm_b = farm.farm_b_counter
    result = stimulate(farm, case.stimulus)
    assert (result.event, result.accepted, result.state) == (
        case.event, case.accepted, case.next_state)
    assert farm.state is case.next_state
    flags = "".join(letter for letter, on in zip("LWR", (farm.lockout, farm.wait,
                                                          farm.retransmit), strict=True) if on)
    assert flags == case.flags
    expected_vr = SET_VR_VALUE if case.vr_step == 999 else (vr + case.vr_step) % 256
    assert farm.vr == expected_vr
    assert farm.farm_b_counter == farm_b + case.farm_b_step
    if case.accepted and case.stimulus == "ad+0":
        assert result.data == b"payload"
    elif case.stimulus == "bd":
        assert (result.kind, result.data) == (FrameKind.BD, b"bypass")
    else:
        assert result.data is None


def test_every_event_in_every_state_is_covered() -> None:
    covered = {(case.state, case.event) for case in CASES}
    expected = {(state, event) for state in FarmState for event in FarmEvent}
    assert expected - covered == {(WAIT, FarmEvent.E1)}  # not applicable, see above


@pytest.mark.parametrize(
    "frame, reason",
    [
        (TcFrame(SCID, VC + 1, 0, b"x"), "virtual channel"),
        (TcFrame(SCID + 1, VC, 0, b"x"), "spacecraft"),
        (bc(b""), "control command"),
        (bc(b"\x82\x00"), "control command"),
        (bc(b"\x00\x00"), "control command"),
    ],
)
def test_invalid_frames_are_event_9(frame: TcFrame, reason: str) -> None:
    farm = Farm1(VC, WINDOW, spacecraft_id=SCID)
    result = farm.receive(frame)
    assert (result.event, result.accepted) == (FarmEvent.E9, False)
    assert reason in result.reason
    assert farm.discarded[FarmEvent.E9] == 1


def test_clcw_reports_the_farm_variables() -> None:
    farm = farm_in(LOCKOUT, 77, buffer_full=True)
    for _ in range(4):
        farm.receive(bd())
    clcw = farm.clcw(status_field=5, no_bit_lock=True)
    assert (clcw.virtual_channel, clcw.report_value) == (VC, 77)
    assert (clcw.lockout, clcw.wait, clcw.retransmit) == (True, True, True)
    assert clcw.farm_b_counter == farm.farm_b_counter % 4
    assert (clcw.status_field, clcw.no_bit_lock, clcw.cop_in_effect) == (5, True, 1)


def test_in_sequence_frames_across_the_wrap() -> None:
    farm = Farm1(VC, WINDOW)
    farm.receive(bc(b"\x82\x00\xfd"))
    delivered = [farm.receive(ad(n, bytes([n % 256]))).data for n in range(253, 260)]
    assert delivered == [bytes([n % 256]) for n in range(253, 260)]
    assert farm.vr == 260 % 256


def test_raw_frames_fed_whole_truncated_and_corrupted() -> None:
    farm = Farm1(VC, WINDOW)
    raw = ad(0, b"raw frame").encode()
    for end in range(len(raw)):
        assert farm.receive_raw(raw[:end]).event is FarmEvent.E9
    corrupted = bytearray(raw)
    corrupted[6] ^= 0x10
    assert farm.receive_raw(bytes(corrupted)).event is FarmEvent.E9
    control_without_bypass = bytearray(raw)
    control_without_bypass[0] |= 0x10
    assert farm.receive_raw(bytes(control_without_bypass), fecf=False).event is FarmEvent.E9
    assert farm.decode_errors == len(raw) + 2
    result = farm.receive_raw(raw + b"\x55\x55")  # CLTU fill after the frame
    assert (result.event, result.data) == (FarmEvent.E1, b"raw frame")


@pytest.mark.parametrize("window", [0, 1, 11, 256])
def test_window_must_be_even_and_in_range(window: int) -> None:
    with pytest.raises(LocalProtocolError):
        Farm1(VC, window)


frames = st.builds(
    TcFrame,
    spacecraft_id=st.sampled_from([SCID, SCID + 1]),
    virtual_channel=st.sampled_from([VC, VC, VC, 0]),
    sequence_number=st.integers(0, 255),
    data=st.one_of(st.binary(max_size=6), st.sampled_from([b"\x00", b"\x82\x00\x05"])),
    bypass=st.just(True),
    control_command=st.booleans(),
) | st.builds(TcFrame, st.just(SCID), st.just(VC), st.integers(0, 255), st.binary(max_size=4))
inputs = st.one_of(frames, st.binary(max_size=24), st.just("release"))


@given(st.lists(inputs, max_size=60), st.sampled_from([2, 10, 254]),
       st.sampled_from([None, 1, 3]))
def test_random_input_keeps_the_invariants(stream: list[object], window: int,
                                           capacity: int | None) -> None:
    farm = Farm1(VC, window, buffer_capacity=capacity, spacecraft_id=SCID)
    for item in stream:
        try:
            if item == "release":
                farm.buffer_released()
            elif isinstance(item, TcFrame):
                farm.receive(item)
            else:
                assert isinstance(item, bytes)
                farm.receive_raw(item)
        except CcsdsError:  # pragma: no cover - nothing is expected, typed is tolerated
            pass
        assert farm.lockout == (farm.state is LOCKOUT)
        if farm.state is WAIT:
            assert farm.wait and not farm.buffer_available
        if farm.state is OPEN:
            assert not farm.wait
        assert 0 <= farm.vr <= 255
        assert capacity is None or 0 <= farm.buffered <= capacity
        assert farm.clcw().report_value == farm.vr
    assert sum(farm.accepted.values()) + sum(farm.discarded.values()) == len(stream)
