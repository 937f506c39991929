"""Which event of FOP-1 table 5-1 an input is (CCSDS 232.1-B-2 5.3.2 and the table's rows).

Pure functions of the input and the FOP-1 variables they depend on, so that every row can
be checked on its own.
"""

from __future__ import annotations

from ccsds.cop1.clcw import COP_1, Clcw
from ccsds.cop1.farm1 import FrameKind
from ccsds.cop1.fop1_types import Directive, FopEvent
from ccsds.cop1.sequence import in_span

E = FopEvent

_INITIATE = {Directive.INITIATE_AD_WITHOUT_CLCW: E.E23, Directive.INITIATE_AD_WITH_CLCW: E.E24}
_NEEDS_BC_OUT = {
    Directive.INITIATE_AD_WITH_UNLOCK: (E.E25, E.E26),
    Directive.INITIATE_AD_WITH_SET_VR: (E.E27, E.E28),
}
_SETTERS = {
    Directive.SET_VS: E.E35,
    Directive.SET_FOP_WINDOW: E.E36,
    Directive.SET_T1_INITIAL: E.E37,
    Directive.SET_TRANSMISSION_LIMIT: E.E38,
    Directive.SET_TIMEOUT_TYPE: E.E39,
}
_RESUME = (E.E30, E.E31, E.E32, E.E33, E.E34)  # by Suspend_State 0..4
_LOWER_LAYER = {
    (FrameKind.AD, True): E.E41, (FrameKind.AD, False): E.E42,
    (FrameKind.BC, True): E.E43, (FrameKind.BC, False): E.E44,
    (FrameKind.BD, True): E.E45, (FrameKind.BD, False): E.E46,
}

INITIATE_DIRECTIVES = frozenset((*_INITIATE, *_NEEDS_BC_OUT))


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def valid_directive_value(directive: Directive, value: float | None) -> bool:
    """Whether the qualifier is in range; an invalid one makes the directive E40."""
    if directive in (Directive.INITIATE_AD_WITH_SET_VR, Directive.SET_VS):
        return _is_int(value, 0, 255)
    if directive is Directive.SET_FOP_WINDOW:
        return _is_int(value, 1, 255)  # 1 <= K < 256 (5.1, FOP sliding window width)
    if directive is Directive.SET_TRANSMISSION_LIMIT:
        return _is_int(value, 1, 255)
    if directive is Directive.SET_TIMEOUT_TYPE:
        return _is_int(value, 0, 1)
    if directive is Directive.SET_T1_INITIAL:
        return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return True


def classify_clcw(clcw: Clcw, vs: int, nnr: int, count: int, limit: int) -> FopEvent:
    """E1-E15 and E101-E103 from the CLCW flags and N(R) against V(S) and NN(R)."""
    nr = clcw.report_value
    if clcw.cop_in_effect != COP_1:
        return E.E15
    if clcw.lockout:
        return E.E14
    if nr == vs:  # every outstanding frame acknowledged
        if clcw.retransmit:
            return E.E4
        if clcw.wait:
            return E.E3
        return E.E1 if nr == nnr else E.E2
    if not in_span(nr, nnr, vs):
        return E.E13
    if not clcw.retransmit:
        if clcw.wait:
            return E.E7
        return E.E5 if nr == nnr else E.E6
    if limit == 1:
        return E.E102 if nr == nnr else E.E101
    if nr != nnr:
        return E.E9 if clcw.wait else E.E8
    if count < limit:
        return E.E11 if clcw.wait else E.E10
    return E.E103 if clcw.wait else E.E12


def classify_timer(count: int, limit: int, timeout_type: int) -> FopEvent:
    """E16/E104 below the transmission limit, E17/E18 at it, by Timeout_Type 0/1."""
    if count < limit:
        return E.E16 if timeout_type == 0 else E.E104
    return E.E17 if timeout_type == 0 else E.E18


def classify_directive(directive: Directive, value: float | None, *, bc_out_ready: bool,
                       suspend_state: int) -> FopEvent:
    """E23-E40."""
    if not valid_directive_value(directive, value):
        return E.E40
    if directive in _INITIATE:
        return _INITIATE[directive]
    if directive in _NEEDS_BC_OUT:
        ready, busy = _NEEDS_BC_OUT[directive]
        return ready if bc_out_ready else busy
    if directive is Directive.TERMINATE_AD:
        return E.E29
    if directive is Directive.RESUME_AD:
        return _RESUME[suspend_state]
    return _SETTERS[directive]


def classify_lower_layer(kind: FrameKind, accepted: bool) -> FopEvent:
    """E41-E46: the lower procedures' accept or reject response for a frame of ``kind``."""
    return _LOWER_LAYER[kind, accepted]
