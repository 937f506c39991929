"""FOP-1, CCSDS 232.1-B-2 section 5: event classification, every cell of table 5-1, scenarios.

``EXPECTED`` below is transcribed from table 5-1 (FOP-1 revision B) independently of
``ccsds.cop1.fop1_table``: for every event and state S1..S6 the next state ('=' when
unchanged) and the observable effects of the cell's actions.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.config import LinkConfig, TcLinkConfig
from ccsds.cop1 import (
    AbortRequest,
    AlertNotification,
    AlertReason,
    Clcw,
    Directive,
    DirectiveResponse,
    Farm1,
    FduResponse,
    Fop1,
    FopEvent,
    FopState,
    FopStep,
    FrameKind,
    Response,
    SuspendNotification,
    TransmitRequest,
)
from ccsds.cop1.fop1 import _Input
from ccsds.cop1.fop1_table import FOP_TABLE
from ccsds.errors import LocalProtocolError
from ccsds.tc_frame import TcFrame

SCID, VC, T1, NOW = 42, 1, 2.0, 100.0
E = FopEvent
D = Directive


def clcw(nr: int, *, lockout: bool = False, wait: bool = False, retransmit: bool = False,
         cop: int = 1, vc: int = VC) -> Clcw:
    return Clcw(vc, nr % 256, lockout=lockout, wait=wait, retransmit=retransmit,
                cop_in_effect=cop)


def settle(fop: Fop1, step: FopStep, now: float = 0.0) -> list[FopStep]:
    """The step and the lower layer accepting everything it and its follow-ups send."""
    return [step, *fop.complete_transmissions(step, now)]


def make_fop(state: FopState, *, limit: int = 3, waiting: bool = True, start: int = 10,
             timeout_type: int = 0) -> Fop1:
    """A FOP-1 in ``state``; S1-S3 hold frames ``start``, ``start + 1`` unacknowledged
    (K = 2) and, when ``waiting``, a third FDU in the Wait_Queue."""
    fop = Fop1(SCID, VC, window=2, t1_initial=T1, transmission_limit=limit,
               timeout_type=timeout_type)
    settle(fop, fop.directive(D.SET_VS, 0.0, start))
    if state is FopState.INITIAL:
        return fop
    if state is FopState.INITIALISING_WITHOUT_BC_FRAME:
        fop.directive(D.INITIATE_AD_WITH_CLCW, 0.0)
        return fop
    if state is FopState.INITIALISING_WITH_BC_FRAME:
        settle(fop, fop.directive(D.INITIATE_AD_WITH_UNLOCK, 0.0))
        return fop
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    for number in range(3 if waiting else 2):
        settle(fop, fop.request_ad(bytes([number]), 0.0))
    if state is FopState.RETRANSMIT_WITHOUT_WAIT:
        settle(fop, fop.receive_clcw(clcw(start, retransmit=True), 0.0))
    elif state is FopState.RETRANSMIT_WITH_WAIT:
        fop.receive_clcw(clcw(start, retransmit=True, wait=True), 0.0)
    assert fop.state is state
    return fop


# --------------------------------------------------------------------------------------
# Classification of inputs into the table's events (5.3.2 notes)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outstanding, limit, extra_timeouts, report, expected",
    [
        (0, 3, 0, clcw(10), E.E1),
        (2, 3, 0, clcw(12), E.E2),
        (2, 3, 0, clcw(12, wait=True), E.E3),
        (2, 3, 0, clcw(12, retransmit=True), E.E4),
        (2, 3, 0, clcw(12, retransmit=True, wait=True), E.E4),
        (2, 3, 0, clcw(10), E.E5),
        (2, 3, 0, clcw(11), E.E6),
        (2, 3, 0, clcw(10, wait=True), E.E7),
        (2, 3, 0, clcw(11, wait=True), E.E7),
        (2, 1, 0, clcw(11, retransmit=True), E.E101),
        (2, 1, 0, clcw(10, retransmit=True, wait=True), E.E102),
        (2, 3, 0, clcw(11, retransmit=True), E.E8),
        (2, 3, 0, clcw(11, retransmit=True, wait=True), E.E9),
        (2, 3, 0, clcw(10, retransmit=True), E.E10),
        (2, 3, 0, clcw(10, retransmit=True, wait=True), E.E11),
        (2, 2, 1, clcw(10, retransmit=True), E.E12),
        (2, 2, 1, clcw(10, retransmit=True, wait=True), E.E103),
        (2, 3, 0, clcw(13), E.E13),
        (2, 3, 0, clcw(9), E.E13),
        (0, 3, 0, clcw(11), E.E13),
        (2, 3, 0, clcw(11, lockout=True), E.E14),
        (2, 3, 0, clcw(11, cop=0), E.E15),
        (2, 3, 0, clcw(11, vc=VC + 1), None),
    ],
)
def test_clcw_classification(outstanding: int, limit: int, extra_timeouts: int, report: Clcw,
                             expected: FopEvent | None) -> None:
    fop = Fop1(SCID, VC, window=5, t1_initial=T1, transmission_limit=limit)
    fop.directive(D.SET_VS, 0.0, 10)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    for number in range(outstanding):
        settle(fop, fop.request_ad(bytes([number]), 0.0))
    for timeout in range(extra_timeouts):  # each expiry adds one transmission
        step = fop.poll(T1 * (timeout + 1))
        assert step is not None and step.event is E.E16
        settle(fop, step)
    assert fop.transmission_count == 1 + extra_timeouts
    assert fop.receive_clcw(report, 50.0).event is expected


def test_clcw_of_another_virtual_channel_is_counted_and_ignored() -> None:
    fop = make_fop(FopState.ACTIVE)
    step = fop.receive_clcw(clcw(0, lockout=True, vc=VC + 1), 1.0)
    assert (step.event, step.state, step.outputs) == (None, FopState.ACTIVE, ())
    assert fop.clcws_ignored == 1


@pytest.mark.parametrize(
    "timeout_type, timeouts, expected",
    [(0, 1, E.E16), (0, 3, E.E17), (1, 1, E.E104), (1, 3, E.E18)],
)
def test_timer_classification(timeout_type: int, timeouts: int, expected: FopEvent) -> None:
    fop = make_fop(FopState.ACTIVE, limit=3, timeout_type=timeout_type)
    assert fop.poll(T1 - 0.001) is None  # not yet
    step = None
    for timeout in range(timeouts):
        step = fop.poll(T1 * (timeout + 1))
        assert step is not None
        settle(fop, step)
    assert step is not None and step.event is expected


def test_request_classification() -> None:
    fop = make_fop(FopState.ACTIVE, waiting=False)
    assert fop.request_ad(b"a", 0.0).event is E.E19  # waits: the window K = 2 is full
    assert fop.request_ad(b"b", 0.0).event is E.E20
    bd = fop.request_bd(b"c", 0.0)
    assert bd.event is E.E21
    assert fop.request_bd(b"d", 0.0).event is E.E22  # BD_Out_Flag not ready yet
    assert fop.lower_layer_response(FrameKind.BD, True, 0.0).event is E.E45
    assert fop.request_bd(b"e", 0.0).event is E.E21


@pytest.mark.parametrize(
    "directive, value, expected",
    [
        (D.INITIATE_AD_WITHOUT_CLCW, None, E.E23),
        (D.INITIATE_AD_WITH_CLCW, None, E.E24),
        (D.INITIATE_AD_WITH_UNLOCK, None, E.E25),
        (D.INITIATE_AD_WITH_SET_VR, 5, E.E27),
        (D.TERMINATE_AD, None, E.E29),
        (D.RESUME_AD, None, E.E30),
        (D.SET_VS, 7, E.E35),
        (D.SET_FOP_WINDOW, 3, E.E36),
        (D.SET_T1_INITIAL, 1.5, E.E37),
        (D.SET_TRANSMISSION_LIMIT, 4, E.E38),
        (D.SET_TIMEOUT_TYPE, 1, E.E39),
        (D.INITIATE_AD_WITH_SET_VR, 256, E.E40),
        (D.SET_VS, -1, E.E40),
        (D.SET_FOP_WINDOW, 0, E.E40),
        (D.SET_FOP_WINDOW, 256, E.E40),
        (D.SET_T1_INITIAL, 0.0, E.E40),
        (D.SET_TRANSMISSION_LIMIT, 0, E.E40),
        (D.SET_TIMEOUT_TYPE, 2, E.E40),
        (D.SET_TIMEOUT_TYPE, True, E.E40),
        (D.SET_VS, None, E.E40),
    ],
)
def test_directive_classification(directive: Directive, value: float | None,
                                  expected: FopEvent) -> None:
    step = Fop1(SCID, VC).directive(directive, 0.0, value)
    assert step.event is expected
    assert step.directive_id == 1


@pytest.mark.parametrize("directive, ready, busy", [
    (D.INITIATE_AD_WITH_UNLOCK, E.E25, E.E26),
    (D.INITIATE_AD_WITH_SET_VR, E.E27, E.E28),
])
def test_bc_directives_need_bc_out_ready(directive: Directive, ready: FopEvent,
                                         busy: FopEvent) -> None:
    fop = make_fop(FopState.INITIALISING_WITH_BC_FRAME)
    fop.directive(D.TERMINATE_AD, 1.0)
    fop.directive(D.INITIATE_AD_WITH_UNLOCK, 1.0)  # BC frame out, no lower-layer answer
    fop.directive(D.TERMINATE_AD, 1.0)
    assert fop.directive(directive, 1.0, 9).event is busy
    fop.lower_layer_response(FrameKind.BC, True, 1.0)
    assert fop.directive(directive, 1.0, 9).event is ready


@pytest.mark.parametrize("state, resume_event", [
    (FopState.ACTIVE, E.E31), (FopState.RETRANSMIT_WITHOUT_WAIT, E.E32),
    (FopState.RETRANSMIT_WITH_WAIT, E.E33), (FopState.INITIALISING_WITHOUT_BC_FRAME, E.E34),
])
def test_resume_event_follows_the_suspend_state(state: FopState,
                                                resume_event: FopEvent) -> None:
    fop = make_fop(state, timeout_type=1)
    fop._dispatch(E.E18, 50.0, _Input())  # E18 from a real timer: test_timer_classification
    assert (fop.state, fop.suspend_state) == (FopState.INITIAL, state.value)
    resumed = fop.directive(D.RESUME_AD, 51.0)
    assert resumed.event is resume_event
    assert resumed.directive_responses() == (Response.ACCEPT, Response.POSITIVE_CONFIRM)
    assert (fop.state, fop.suspend_state, fop.next_deadline) == (state, 0, 51.0 + T1)
    assert fop.directive(D.RESUME_AD, 52.0).event is E.E30


@pytest.mark.parametrize("kind, accepted, expected", [
    (FrameKind.AD, True, E.E41), (FrameKind.AD, False, E.E42),
    (FrameKind.BC, True, E.E43), (FrameKind.BC, False, E.E44),
    (FrameKind.BD, True, E.E45), (FrameKind.BD, False, E.E46),
])
def test_lower_layer_classification(kind: FrameKind, accepted: bool,
                                    expected: FopEvent) -> None:
    assert Fop1(SCID, VC).lower_layer_response(kind, accepted, 0.0).event is expected


# --------------------------------------------------------------------------------------
# Every cell of table 5-1
# --------------------------------------------------------------------------------------

IGNORE, NA, REJECT = "= ignore", "= ignore n/a", "= reject"
ALL_REJECT = [REJECT] * 6
ONLY_S6 = [REJECT] * 5
CLCW_ROW_TAIL = [NA, NA, "= ignore"]


def alert(reason: str, extra: str = "") -> str:
    return f"6 {extra} alert:{reason}".replace("  ", " ")


EXPECTED: dict[FopEvent, list[str]] = {
    E.E1: [IGNORE, alert("SYNCH"), alert("SYNCH"), "1 confirm cancel",
           "1 release confirm cancel", IGNORE],
    E.E2: ["1 ack cancel send"] * 3 + CLCW_ROW_TAIL,
    E.E3: [alert("CLCW")] * 5 + [IGNORE],
    E.E4: [alert("SYNCH")] * 4 + [IGNORE, IGNORE],
    E.E5: [IGNORE, alert("SYNCH"), alert("SYNCH"), *CLCW_ROW_TAIL],
    E.E6: ["1 ack send"] * 3 + CLCW_ROW_TAIL,
    E.E7: [alert("CLCW")] * 3 + CLCW_ROW_TAIL,
    E.E101: [alert("LIMIT", "ack")] * 3 + CLCW_ROW_TAIL,
    E.E102: [alert("LIMIT")] * 3 + CLCW_ROW_TAIL,
    E.E8: ["2 ack retransmit"] * 3 + CLCW_ROW_TAIL,
    E.E9: ["3 ack"] * 3 + CLCW_ROW_TAIL,
    E.E10: ["2 retransmit", IGNORE, "2 retransmit", *CLCW_ROW_TAIL],
    E.E11: ["3 quiet", "3 quiet", IGNORE, *CLCW_ROW_TAIL],
    E.E12: ["2 quiet", IGNORE, "2 quiet", *CLCW_ROW_TAIL],
    E.E103: ["3 quiet", "3 quiet", IGNORE, *CLCW_ROW_TAIL],
    E.E13: [alert("NNR")] * 4 + [IGNORE, IGNORE],
    E.E14: [alert("LOCKOUT")] * 4 + [IGNORE, IGNORE],
    E.E15: [alert("CLCW")] * 5 + [IGNORE],
    E.E16: ["= retransmit", "= retransmit", IGNORE, alert("T1"), "= bc_retransmit", NA],
    E.E104: ["= retransmit", "= retransmit", IGNORE, "6 suspend", "= bc_retransmit", NA],
    E.E17: [alert("T1")] * 5 + [NA],
    E.E18: ["6 suspend"] * 4 + [alert("T1"), NA],
    E.E19: ["= queued", "= queued", "= queued", REJECT, REJECT, REJECT],
    E.E20: ALL_REJECT,
    E.E21: ["= accept bd"] * 6,
    E.E22: ALL_REJECT,
    E.E23: [*ONLY_S6, "1 accept initialise confirm"],
    E.E24: [*ONLY_S6, "4 accept initialise timer"],
    E.E25: [*ONLY_S6, "5 accept initialise bc timer"],
    E.E26: ALL_REJECT,
    E.E27: [*ONLY_S6, "5 accept initialise set_vr bc timer"],
    E.E28: ALL_REJECT,
    E.E29: [alert("TERM", "accept") + " confirm"] * 5 + ["= accept confirm"],
    E.E30: ALL_REJECT,
    E.E31: [f"{REJECT} n/a"] * 5 + ["1 accept resume confirm"],
    E.E32: [f"{REJECT} n/a"] * 5 + ["2 accept resume confirm"],
    E.E33: [f"{REJECT} n/a"] * 5 + ["3 accept resume confirm"],
    E.E34: [f"{REJECT} n/a"] * 5 + ["4 accept resume confirm"],
    E.E35: [*ONLY_S6, "= accept set_vs confirm"],
    E.E36: ["= accept parameter confirm"] * 6,
    E.E37: ["= accept parameter confirm"] * 6,
    E.E38: ["= accept parameter confirm"] * 6,
    E.E39: ["= accept parameter confirm"] * 6,
    E.E40: ALL_REJECT,
    E.E41: ["= ad_ready"] * 6,
    E.E42: [alert("LLIF", "ad_ready")] * 5 + ["= ad_ready alert:LLIF"],
    E.E43: ["= bc_ready"] * 6,
    E.E44: [alert("LLIF", "bc_ready")] * 5 + ["= bc_ready alert:LLIF"],
    E.E45: ["= bd_ready"] * 6,
    E.E46: [alert("LLIF", "bd_ready")] * 5 + ["= bd_ready alert:LLIF"],
}

DIRECTIVE_OF = {
    E.E23: (D.INITIATE_AD_WITHOUT_CLCW, None), E.E24: (D.INITIATE_AD_WITH_CLCW, None),
    E.E25: (D.INITIATE_AD_WITH_UNLOCK, None), E.E26: (D.INITIATE_AD_WITH_UNLOCK, None),
    E.E27: (D.INITIATE_AD_WITH_SET_VR, 50), E.E28: (D.INITIATE_AD_WITH_SET_VR, 50),
    E.E29: (D.TERMINATE_AD, None), E.E30: (D.RESUME_AD, None), E.E31: (D.RESUME_AD, None),
    E.E32: (D.RESUME_AD, None), E.E33: (D.RESUME_AD, None), E.E34: (D.RESUME_AD, None),
    E.E35: (D.SET_VS, 77), E.E36: (D.SET_FOP_WINDOW, 7), E.E37: (D.SET_T1_INITIAL, 9.5),
    E.E38: (D.SET_TRANSMISSION_LIMIT, 6), E.E39: (D.SET_TIMEOUT_TYPE, 1),
    E.E40: (D.SET_FOP_WINDOW, 0),
}
PARAMETER_OF = {E.E36: ("window", 7), E.E37: ("t1_initial", 9.5),
                E.E38: ("transmission_limit", 6), E.E39: ("timeout_type", 1)}
ONE_ACKNOWLEDGED = {E.E6, E.E8, E.E9, E.E101}
OUT_FLAG_OF = {E.E41: "ad_out_ready", E.E42: "ad_out_ready", E.E43: "bc_out_ready",
               E.E44: "bc_out_ready", E.E45: "bd_out_ready", E.E46: "bd_out_ready"}


def event_input(fop: Fop1, event: FopEvent) -> _Input:
    """What the event would carry: a CLCW, a request or a directive."""
    if event in DIRECTIVE_OF:
        directive, value = DIRECTIVE_OF[event]
        return _Input(directive=directive, directive_id=500, value=value)
    if event in (E.E19, E.E20, E.E21, E.E22):
        return _Input(request_id=900, data=b"new FDU")
    if event is E.E2:
        return _Input(clcw=clcw(fop.vs))
    if event in ONE_ACKNOWLEDGED:
        return _Input(clcw=clcw(fop.nnr + 1))
    return _Input(clcw=clcw(fop.nnr))


def snapshot(fop: Fop1) -> tuple[object, ...]:
    return (fop.vs, fop.nnr, fop.transmission_count, fop.suspend_state, fop.next_deadline,
            fop.sent_queue_length, fop.wait_queue_empty, fop.window, fop.ad_out_ready,
            fop.bc_out_ready, fop.bd_out_ready)


CELLS = [(event, state) for event in EXPECTED for state in FopState]


@pytest.mark.parametrize("event, state", CELLS, ids=[f"{e.name}-S{s.value}" for e, s in CELLS])
def test_state_table_cell(event: FopEvent, state: FopState) -> None:
    fop = make_fop(state, waiting=event is not E.E19)
    if event in OUT_FLAG_OF:  # a transmit request outstanding, as the response implies
        setattr(fop, OUT_FLAG_OF[event], False)
    spec = EXPECTED[event][state.value - 1].split()
    target, effects = spec[0], set(spec[1:])
    before = snapshot(fop)
    sent_before, count_before, vs_before = (fop.sent_queue_length, fop.transmission_count,
                                            fop.vs)
    inputs = event_input(fop, event)
    step = fop._dispatch(event, NOW, inputs)
    out = step.outputs

    assert step.state is (state if target == "=" else FopState(int(target)))
    assert fop.state is step.state
    assert FOP_TABLE[event][state].applicable is ("n/a" not in effects)

    def responses(response: Response, *, own: bool = False) -> list[object]:
        """Responses of one kind; ``own``: only those to this event's request or directive."""
        return [o for o in out if isinstance(o, FduResponse | DirectiveResponse)
                and o.response is response
                and (not own or getattr(o, "request_id", None) == 900
                     or getattr(o, "directive_id", None) == 500)]

    if "ignore" in effects:
        assert out == ()
        assert snapshot(fop) == before
    if "quiet" in effects:
        assert out == ()
    alerts = [o.reason.name for o in out if isinstance(o, AlertNotification)]
    expected_alerts = [e.split(":")[1] for e in effects if e.startswith("alert:")]
    assert alerts == expected_alerts
    if alerts:
        assert (fop.sent_queue_length, fop.wait_queue_empty, fop.next_deadline) == (
            0, True, None)
        if state in (FopState.INITIALISING_WITHOUT_BC_FRAME,
                     FopState.INITIALISING_WITH_BC_FRAME):  # the pending Initiate fails
            assert any(isinstance(o, DirectiveResponse) and o.directive_id != 500
                       and o.response is Response.NEGATIVE_CONFIRM for o in out)
    assert bool(responses(Response.REJECT, own=True)) == ("reject" in effects)
    assert bool(responses(Response.ACCEPT, own=True)) == ("accept" in effects)
    if "confirm" in effects:
        assert responses(Response.POSITIVE_CONFIRM)
    if "cancel" in effects:  # a frame sent afterwards starts the timer again
        assert fop.next_deadline == (NOW + T1 if "send" in effects else None)
    if "release" in effects:
        assert fop.sent_queue_length == 0
    if "ack" in effects:
        assert inputs.clcw is not None
        acknowledged = (inputs.clcw.report_value - 10) % 256
        assert responses(Response.POSITIVE_CONFIRM) == [
            FduResponse(request, Response.POSITIVE_CONFIRM) for request in (1, 2)[:acknowledged]]
        assert alerts or fop.nnr == inputs.clcw.report_value
    if "send" in effects:  # the waiting FDU goes out once the window opens
        assert any(isinstance(o, TransmitRequest) and not o.retransmission for o in out)
    if "retransmit" in effects or "bc_retransmit" in effects:
        assert any(isinstance(o, AbortRequest) for o in out)
        assert fop.next_deadline == NOW + T1
        expected_count = 2 if "ack" in effects else count_before + 1
        assert fop.transmission_count == expected_count
        kind = FrameKind.BC if "bc_retransmit" in effects else FrameKind.AD
        assert [o.kind for o in out if isinstance(o, TransmitRequest)] == [kind]
        assert all(o.retransmission for o in out if isinstance(o, TransmitRequest))
    if "suspend" in effects:
        assert out == (SuspendNotification(state.value),)
        assert fop.suspend_state == state.value
        assert fop.sent_queue_length == sent_before  # queues kept for a resume
    if "queued" in effects:
        assert out == () and not fop.wait_queue_empty
    if "bd" in effects:
        assert [o.kind for o in out if isinstance(o, TransmitRequest)] == [FrameKind.BD]
        assert not fop.bd_out_ready
    if "bc" in effects:
        frames = [o for o in out if isinstance(o, TransmitRequest)]
        assert [o.kind for o in frames] == [FrameKind.BC]
        expected_data = b"\x82\x00\x32" if "set_vr" in effects else b"\x00"
        assert frames[0].frame.data == expected_data
        assert frames[0].frame.bypass and frames[0].frame.control_command
    if "set_vr" in effects:
        assert (fop.vs, fop.nnr) == (50, 50)
    if "initialise" in effects:
        assert (fop.transmission_count, fop.suspend_state) == (1, 0)
    if "timer" in effects:
        assert fop.next_deadline == NOW + T1
    if "resume" in effects:
        assert (fop.suspend_state, fop.next_deadline) == (0, NOW + T1)
    if "set_vs" in effects:
        assert (fop.vs, fop.nnr) == (77, 77)
    if "parameter" in effects:
        name, value = PARAMETER_OF[event]
        assert getattr(fop, name) == value
    for flag in ("ad_ready", "bc_ready", "bd_ready"):
        if flag in effects:
            assert getattr(fop, flag.replace("ready", "out_ready"))
    assert vs_before == fop.vs or effects & {"send", "set_vr", "set_vs"}


def test_table_has_every_event_in_every_state() -> None:
    assert set(FOP_TABLE) == set(FopEvent) == set(EXPECTED)
    assert all(set(row) == set(FopState) for row in FOP_TABLE.values())


# --------------------------------------------------------------------------------------
# Scenarios through the public API
# --------------------------------------------------------------------------------------


def test_ad_service_end_to_end_with_farm_across_the_wrap() -> None:
    fop = Fop1(SCID, VC, window=5, t1_initial=T1)
    farm = Farm1(VC, 10)
    steps = settle(fop, fop.directive(D.INITIATE_AD_WITH_SET_VR, 0.0, 253))
    for frame in (f for s in steps for f in s.frames):
        assert farm.receive(frame).accepted
    step = fop.receive_clcw(farm.clcw(), 0.1)
    assert (step.event, step.state) == (E.E1, FopState.ACTIVE)
    assert step.directive_responses(1) == (Response.POSITIVE_CONFIRM,)
    delivered, confirmed = [], []
    for number in range(6):
        steps = settle(fop, fop.request_ad(bytes([number]), 1.0))
        delivered += [farm.receive(f).data for s in steps for f in s.frames]
        ack = fop.receive_clcw(farm.clcw(), 1.1)
        confirmed += ack.fdu_responses()
    assert delivered == [bytes([n]) for n in range(6)]
    assert confirmed == [Response.POSITIVE_CONFIRM] * 6
    assert (fop.vs, fop.nnr, farm.vr, fop.sent_queue_length) == (3, 3, 3, 0)
    assert fop.next_deadline is None  # E2 cancelled the timer


def test_window_limits_outstanding_frames() -> None:
    fop = Fop1(SCID, VC, window=3)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    sent = []
    for number in range(3):
        sent += [f for s in settle(fop, fop.request_ad(bytes([number]), 0.0)) for f in s.frames]
    held = fop.request_ad(b"held", 0.0)
    assert (held.event, held.fdu_responses(), held.frames) == (E.E19, (), ())
    assert len(sent) == 3
    steps = settle(fop, fop.receive_clcw(clcw(1), 0.5))  # one acknowledged: room for one
    assert [r for s in steps for r in s.fdu_responses()] == [
        Response.POSITIVE_CONFIRM, Response.ACCEPT]
    assert [f.data for s in steps for f in s.frames] == [b"held"]


def test_retransmission_sends_every_frame_from_nr_on() -> None:
    fop = Fop1(SCID, VC, window=5, t1_initial=T1)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    for number in range(4):
        settle(fop, fop.request_ad(bytes([number]), 0.0))
    steps = settle(fop, fop.receive_clcw(clcw(1, retransmit=True), 0.5))  # E8
    assert steps[0].event is E.E8
    assert [f.sequence_number for s in steps for f in s.frames] == [1, 2, 3]
    assert fop.state is FopState.RETRANSMIT_WITHOUT_WAIT
    timer = fop.poll(0.5 + T1)
    assert timer is not None and timer.event is E.E16
    again = settle(fop, timer, 0.5 + T1)
    assert [f.sequence_number for s in again for f in s.frames] == [1, 2, 3]


def test_transmission_limit_then_alert_t1_and_recovery_by_set_vr() -> None:
    fop = Fop1(SCID, VC, window=5, t1_initial=T1, transmission_limit=3)
    farm = Farm1(VC, 10)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    transmissions = len(settle(fop, fop.request_ad(b"lost", 0.0))[0].frames)
    now, alerts = 0.0, []
    while not alerts:
        now += T1
        step = fop.poll(now)
        assert step is not None
        steps = settle(fop, step, now)
        transmissions += sum(len(s.frames) for s in steps)
        alerts = [a for s in steps for a in s.alerts]
        negative = [r for s in steps for r in s.fdu_responses()]
    assert (alerts, transmissions, fop.state) == ([AlertReason.T1], 3, FopState.INITIAL)
    assert negative == [Response.NEGATIVE_CONFIRM]
    steps = settle(fop, fop.directive(D.INITIATE_AD_WITH_SET_VR, now, fop.vs), now)
    for frame in (f for s in steps for f in s.frames):
        farm.receive(frame)
    assert fop.receive_clcw(farm.clcw(), now).state is FopState.ACTIVE
    resent = settle(fop, fop.request_ad(b"lost", now), now)
    assert [farm.receive(f).data for s in resent for f in s.frames] == [b"lost"]


def test_initiate_with_clcw_check_confirms_or_times_out() -> None:
    fop = Fop1(SCID, VC, t1_initial=T1)
    fop.directive(D.SET_VS, 0.0, 7)
    started = fop.directive(D.INITIATE_AD_WITH_CLCW, 0.0)
    assert started.directive_responses() == (Response.ACCEPT,)
    assert fop.receive_clcw(clcw(7, lockout=True, vc=VC + 1), 0.5).event is None
    done = fop.receive_clcw(clcw(7), 1.0)
    assert (done.event, done.state) == (E.E1, FopState.ACTIVE)
    assert done.directive_responses(started.directive_id) == (Response.POSITIVE_CONFIRM,)
    fop.directive(D.TERMINATE_AD, 2.0)
    again = fop.directive(D.INITIATE_AD_WITH_CLCW, 2.0)
    expired = fop.poll(2.0 + T1)
    assert expired is not None and expired.alerts == (AlertReason.T1,)
    assert expired.directive_responses(again.directive_id) == (Response.NEGATIVE_CONFIRM,)


def test_initiate_with_unlock_clears_farm_lockout() -> None:
    fop = Fop1(SCID, VC, t1_initial=T1)
    farm = Farm1(VC, 10)
    farm.receive(TcFrame(SCID, VC, 100, b"x"))  # far outside the window
    assert farm.lockout
    steps = settle(fop, fop.directive(D.INITIATE_AD_WITH_UNLOCK, 0.0))
    assert fop.receive_clcw(farm.clcw(), 0.1).event is E.E14  # ignored in S5
    for frame in (f for s in steps for f in s.frames):
        assert farm.receive(frame).accepted
    assert fop.receive_clcw(farm.clcw(), 0.2).state is FopState.ACTIVE


def test_bc_frame_is_retransmitted_until_confirmed() -> None:
    fop = Fop1(SCID, VC, t1_initial=T1, transmission_limit=2)
    first = settle(fop, fop.directive(D.INITIATE_AD_WITH_SET_VR, 0.0, 4))
    step = fop.poll(T1)
    assert step is not None and step.event is E.E16
    again = settle(fop, step, T1)
    assert [f.data for s in first + again for f in s.frames] == [b"\x82\x00\x04"] * 2
    final = fop.poll(2 * T1)
    assert final is not None and (final.event, final.alerts) == (E.E17, (AlertReason.T1,))


def test_suspend_keeps_queues_and_resume_restarts_the_timer() -> None:
    fop = Fop1(SCID, VC, window=4, t1_initial=T1, transmission_limit=1, timeout_type=1)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    settle(fop, fop.request_ad(b"a", 0.0))
    suspended = fop.poll(T1)
    assert suspended is not None and suspended.outputs == (SuspendNotification(1),)
    assert fop.request_ad(b"b", T1).fdu_responses() == (Response.REJECT,)
    assert fop.directive(D.SET_VS, T1, 3).directive_responses() == (Response.REJECT,)
    resumed = fop.directive(D.RESUME_AD, 5.0)
    assert (resumed.event, resumed.state, fop.sent_queue_length) == (
        E.E31, FopState.ACTIVE, 1)
    ack = fop.receive_clcw(clcw(1), 5.5)
    assert ack.fdu_responses() == (Response.POSITIVE_CONFIRM,)


def test_initialise_purges_what_a_suspend_kept() -> None:
    fop = Fop1(SCID, VC, window=1, t1_initial=T1, transmission_limit=1, timeout_type=1)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    settle(fop, fop.request_ad(b"sent", 0.0))
    fop.request_ad(b"waiting", 0.0)
    fop.poll(T1)
    step = fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 3.0)
    assert step.fdu_responses() == (Response.NEGATIVE_CONFIRM, Response.REJECT)
    assert (fop.sent_queue_length, fop.wait_queue_empty, fop.suspend_state) == (0, True, 0)
    assert fop.nnr == fop.vs


def test_lower_layer_reject_alerts_llif() -> None:
    fop = Fop1(SCID, VC)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 0.0)
    step = fop.request_ad(b"x", 0.0)
    rejected = fop.complete_transmissions(step, 0.0, accepted=False)
    assert rejected[0].alerts == (AlertReason.LLIF,)
    assert rejected[0].fdu_responses() == (Response.NEGATIVE_CONFIRM,)
    fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 1.0)  # the service can start over
    assert fop.request_ad(b"y", 1.0).frames[0].data == b"y"


def test_bd_request_is_confirmed_when_the_lower_layer_takes_it() -> None:
    fop = Fop1(SCID, VC)
    step = fop.request_bd(b"expedite", 0.0)
    assert step.fdu_responses(step.request_id) == (Response.ACCEPT,)
    assert step.frames[0].bypass and not step.frames[0].control_command
    done = fop.complete_transmissions(step, 0.0)
    assert done[0].fdu_responses(step.request_id) == (Response.POSITIVE_CONFIRM,)


def test_misuse_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        Fop1(SCID, 64)
    with pytest.raises(LocalProtocolError):
        Fop1(SCID, VC, window=0)
    with pytest.raises(LocalProtocolError):
        Fop1(SCID, VC, timeout_type=2)
    with pytest.raises(LocalProtocolError):
        Fop1(SCID, VC, max_data_length=4).request_ad(b"12345", 0.0)


def test_from_config_keeps_k_within_the_farm_positive_window() -> None:
    baseline = LinkConfig.baseline().tc
    fop = Fop1.from_config(baseline)
    assert fop.window <= baseline.farm_window // 2
    assert (fop.t1_initial, fop.transmission_limit, fop.timeout_type) == (
        baseline.fop_timer_initial_s, baseline.fop_transmission_limit,
        baseline.fop_timeout_type)
    wide = Fop1.from_config(TcLinkConfig(farm_window=20, fop_window=7))
    assert wide.window == 7


# --------------------------------------------------------------------------------------
# Random input: only the table's behaviour, never an exception, invariants kept
# --------------------------------------------------------------------------------------

random_clcws = st.builds(
    Clcw, virtual_channel=st.sampled_from([VC, VC, VC, 0]), report_value=st.integers(0, 255),
    lockout=st.booleans(), wait=st.booleans(), retransmit=st.booleans(),
    cop_in_effect=st.sampled_from([1, 1, 1, 0]),
)
operations = st.one_of(
    st.tuples(st.just("ad"), st.binary(max_size=8)),
    st.tuples(st.just("bd"), st.binary(max_size=8)),
    st.tuples(st.just("clcw"), random_clcws),
    st.tuples(st.just("poll"), st.floats(0.0, 3.0)),
    st.tuples(st.just("directive"), st.tuples(
        st.sampled_from(list(Directive)),
        st.one_of(st.none(), st.integers(-1, 257), st.floats(-1.0, 5.0)))),
    st.tuples(st.just("lower"), st.tuples(st.sampled_from(list(FrameKind)), st.booleans())),
)
TERMINAL = {Response.POSITIVE_CONFIRM, Response.NEGATIVE_CONFIRM, Response.REJECT}


@given(st.lists(operations, max_size=80))
def test_random_input_keeps_the_invariants(script: list[tuple[str, object]]) -> None:
    fop = Fop1(SCID, VC, window=3, t1_initial=1.0, transmission_limit=2)
    now, history = 0.0, {}
    for kind, argument in script:
        if kind == "ad":
            step = fop.request_ad(argument, now)  # type: ignore[arg-type]
        elif kind == "bd":
            step = fop.request_bd(argument, now)  # type: ignore[arg-type]
        elif kind == "clcw":
            step = fop.receive_clcw(argument, now)  # type: ignore[arg-type]
        elif kind == "poll":
            now += argument  # type: ignore[operator]
            step = fop.poll(now) or FopStep(None, fop.state, fop.state)
        elif kind == "directive":
            step = fop.directive(*argument[:1], now, argument[1])  # type: ignore[index]
        else:
            step = fop.lower_layer_response(*argument, now)  # type: ignore[misc]
        for output in step.outputs:
            if isinstance(output, FduResponse):
                seen = history.setdefault(output.request_id, [])
                assert not TERMINAL & set(seen)  # nothing after a final answer
                seen.append(output.response)
        if step.event is not None:
            assert step.previous_state is not None
            cell = FOP_TABLE[step.event][step.previous_state]
            assert step.state is (cell.next_state or step.previous_state)
        assert fop.suspend_state == 0 or fop.state is FopState.INITIAL
        if fop.state is FopState.INITIAL:
            assert fop.next_deadline is None
        if fop.state in (FopState.INITIALISING_WITHOUT_BC_FRAME, FopState.INITIAL):
            assert fop.sent_queue_length == 0 or fop.suspend_state
        if fop.state.value <= 3:
            assert fop.sent_queue_length == (fop.vs - fop.nnr) % 256


def test_initiate_suspended_in_s4_is_resumed_or_superseded() -> None:
    fop = Fop1(SCID, VC, t1_initial=T1, timeout_type=1)
    first = fop.directive(D.INITIATE_AD_WITH_CLCW, 0.0)
    suspended = fop.poll(T1)
    assert suspended is not None and suspended.event is E.E104
    assert (fop.state, fop.suspend_state) == (FopState.INITIAL, 4)
    resumed = fop.directive(D.RESUME_AD, 5.0)
    assert (resumed.event, fop.state) == (E.E34, FopState.INITIALISING_WITHOUT_BC_FRAME)
    done = fop.receive_clcw(clcw(0), 5.5)
    assert done.directive_responses(first.directive_id) == (Response.POSITIVE_CONFIRM,)
    fop.directive(D.TERMINATE_AD, 6.0)
    second = fop.directive(D.INITIATE_AD_WITH_CLCW, 6.0)
    fop.poll(6.0 + T1)  # suspended again, still pending
    third = fop.directive(D.INITIATE_AD_WITHOUT_CLCW, 10.0)
    assert third.directive_responses(second.directive_id) == (Response.NEGATIVE_CONFIRM,)
    assert third.directive_responses(third.directive_id) == (
        Response.ACCEPT, Response.POSITIVE_CONFIRM)
