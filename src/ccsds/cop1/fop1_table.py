"""The FOP-1 state table, CCSDS 232.1-B-2 table 5-1 (FOP-1 revision B), as data.

Each cell lists the actions of section 5.2 in the order the table gives them and the next
state. Cells the standard marks 'not applicable' (the event cannot occur in that state,
e.g. a CLCW acknowledging frames while S4/S5 hold none, a timer in S6 where none runs)
are kept as ignore cells with ``applicable=False``.

Interpretations recorded here:

* E15 is used for a CLCW whose 'COP in effect' is not COP-1 (the table's alert [CLCW]
  outside S6); a CLCW of another virtual channel is outside the table and ignored.
* E35 (Set V(S)) in S6 is accepted only while the AD service is not suspended (SS = 0),
  otherwise rejected, as FOP-1B requires.
* A lower-layer reject (E42, E44, E46) alerts [LLIF] in every state, S6 included, and,
  since the lower procedures have answered, sets the matching Out flag back to Ready so
  that a re-initiated service can transmit again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ccsds.cop1.fop1_types import AlertReason, FopEvent, FopState


class Action(Enum):
    """The FOP-1 actions of 232.1-B-2 5.2 (composite where the table combines them)."""

    IGNORE = "ignore"  # 5.2.18
    ACCEPT = "accept"  # 5.2.11
    REJECT = "reject"  # 5.2.12
    CONFIRM = "confirm"  # 5.2.13 (the directive at hand or the pending Initiate)
    ALERT = "alert"  # 5.2.15
    SUSPEND = "suspend"  # 5.2.16, SS := current state
    RESUME = "resume"  # 5.2.17
    INITIALISE = "initialise"  # 5.2.14
    REMOVE_ACKNOWLEDGED = "remove acknowledged frames from sent queue"
    CANCEL_TIMER = "cancel timer"
    START_TIMER = "start timer"
    LOOK_FOR_FDU = "look for FDU"
    LOOK_FOR_DIRECTIVE = "look for directive"
    INITIATE_AD_RETRANSMISSION = "initiate AD retransmission"
    INITIATE_BC_RETRANSMISSION = "initiate BC retransmission"
    ADD_TO_WAIT_QUEUE = "add FDU to wait queue"
    TRANSMIT_BD = "transmit type-BD frame"
    TRANSMIT_BC_UNLOCK = "transmit type-BC frame (Unlock)"
    SET_VS_TO_VR = "V(S) := NN(R) := V*(R)"
    TRANSMIT_BC_SET_VR = "transmit type-BC frame (Set V(R))"
    RELEASE_BC = "release copy of type-BC frame"
    SET_VS = "accept, V(S) := NN(R) := V*(S), confirm (reject while suspended)"
    SET_PARAMETER = "set the directive's parameter"
    AD_OUT_READY = "AD_Out_Flag := Ready"
    BC_OUT_READY = "BC_Out_Flag := Ready"
    BD_OUT_READY = "BD_Out_Flag := Ready"
    CONFIRM_BD = "positive confirm of the BD request"


A = Action


@dataclass(frozen=True, slots=True)
class Cell:
    """One entry of the table: actions in order, next state (None = unchanged)."""

    actions: tuple[Action, ...]
    next_state: FopState | None = None
    alert: AlertReason | None = None
    applicable: bool = True


S1, S2, S3, S4, S5, S6 = FopState

IGNORE = Cell((A.IGNORE,))
NOT_APPLICABLE = Cell((A.IGNORE,), applicable=False)
REJECT = Cell((A.REJECT,))


def alert(reason: AlertReason, *before: Action) -> Cell:
    """Optional preceding actions, then Alert [reason], to S6."""
    return Cell((*before, A.ALERT), S6, reason)


def _row(**cells: Cell) -> dict[FopState, Cell]:
    """A table row from keyword arguments S1..S6; ``ALL`` fills the states not named."""
    default = cells.pop("ALL", None)
    row: dict[FopState, Cell] = {}
    for state in FopState:
        cell = cells.get(f"S{state.value}", default)
        if cell is None:
            raise AssertionError(f"FOP-1 table row misses S{state.value}")
        row[state] = cell
    return row


def _active(s1: Cell, s2: Cell | None = None, s3: Cell | None = None
            ) -> dict[FopState, Cell]:
    """A CLCW row that needs frames outstanding: S1-S3 as given (S2, S3 default to S1),
    not applicable in S4 and S5, ignored in S6."""
    return _row(S1=s1, S2=s2 or s1, S3=s3 or s1, S4=NOT_APPLICABLE, S5=NOT_APPLICABLE,
                S6=IGNORE)


_ACK_ALL = (A.REMOVE_ACKNOWLEDGED, A.CANCEL_TIMER, A.LOOK_FOR_FDU)
_ACK_SOME = (A.REMOVE_ACKNOWLEDGED, A.LOOK_FOR_FDU)
_RETRANSMIT = (A.INITIATE_AD_RETRANSMISSION, A.LOOK_FOR_FDU)
_BC_RETRANSMIT = Cell((A.INITIATE_BC_RETRANSMISSION, A.LOOK_FOR_DIRECTIVE))
_SET = Cell((A.ACCEPT, A.SET_PARAMETER, A.CONFIRM))
_SYNCH = alert(AlertReason.SYNCH)
_CLCW = alert(AlertReason.CLCW)
_T1 = alert(AlertReason.T1)
_TO_S2 = Cell((A.IGNORE,), S2)  # no action but a change of state
_TO_S3 = Cell((A.IGNORE,), S3)


def _resume(to: FopState) -> dict[FopState, Cell]:
    return _row(ALL=Cell((A.REJECT,), applicable=False),
                S6=Cell((A.ACCEPT, A.RESUME, A.CONFIRM), to))


def _initiate(*actions: Action, to: FopState) -> dict[FopState, Cell]:
    return _row(ALL=REJECT, S6=Cell((A.ACCEPT, A.INITIALISE, *actions), to))


FOP_TABLE: dict[FopEvent, dict[FopState, Cell]] = {
    # -- CLCW arrivals, lockout = 0, N(R) = V(S) ---------------------------------------
    FopEvent.E1: _row(
        S1=IGNORE, S2=_SYNCH, S3=_SYNCH,
        S4=Cell((A.CONFIRM, A.CANCEL_TIMER), S1),
        S5=Cell((A.RELEASE_BC, A.CONFIRM, A.CANCEL_TIMER), S1),
        S6=IGNORE,
    ),
    FopEvent.E2: _active(Cell(_ACK_ALL, S1)),
    FopEvent.E3: _row(ALL=_CLCW, S6=IGNORE),
    FopEvent.E4: _row(ALL=_SYNCH, S5=IGNORE, S6=IGNORE),
    # -- lockout = 0, NN(R) <= N(R) < V(S) -----------------------------------------------
    FopEvent.E5: _active(IGNORE, _SYNCH, _SYNCH),
    FopEvent.E6: _active(Cell(_ACK_SOME, S1)),
    FopEvent.E7: _active(_CLCW),
    FopEvent.E101: _active(alert(AlertReason.LIMIT, A.REMOVE_ACKNOWLEDGED)),
    FopEvent.E102: _active(alert(AlertReason.LIMIT)),
    FopEvent.E8: _active(Cell((A.REMOVE_ACKNOWLEDGED, *_RETRANSMIT), S2)),
    FopEvent.E9: _active(Cell((A.REMOVE_ACKNOWLEDGED,), S3)),
    FopEvent.E10: _active(Cell(_RETRANSMIT, S2), IGNORE, Cell(_RETRANSMIT, S2)),
    FopEvent.E11: _active(_TO_S3, _TO_S3, IGNORE),
    FopEvent.E12: _active(_TO_S2, IGNORE, _TO_S2),
    FopEvent.E103: _active(_TO_S3, _TO_S3, IGNORE),
    # -- invalid N(R), lockout, not COP-1 ------------------------------------------------
    FopEvent.E13: _row(ALL=alert(AlertReason.NNR), S5=IGNORE, S6=IGNORE),
    FopEvent.E14: _row(ALL=alert(AlertReason.LOCKOUT), S5=IGNORE, S6=IGNORE),
    FopEvent.E15: _row(ALL=_CLCW, S6=IGNORE),
    # -- timer expiry --------------------------------------------------------------------
    FopEvent.E16: _row(S1=Cell(_RETRANSMIT), S2=Cell(_RETRANSMIT), S3=IGNORE, S4=_T1,
                       S5=_BC_RETRANSMIT, S6=NOT_APPLICABLE),
    FopEvent.E104: _row(S1=Cell(_RETRANSMIT), S2=Cell(_RETRANSMIT), S3=IGNORE,
                        S4=Cell((A.SUSPEND,), S6), S5=_BC_RETRANSMIT, S6=NOT_APPLICABLE),
    FopEvent.E17: _row(ALL=_T1, S6=NOT_APPLICABLE),
    FopEvent.E18: _row(ALL=Cell((A.SUSPEND,), S6), S5=_T1, S6=NOT_APPLICABLE),
    # -- requests to transfer FDUs -------------------------------------------------------
    FopEvent.E19: _row(S1=Cell((A.ADD_TO_WAIT_QUEUE, A.LOOK_FOR_FDU)),
                       S2=Cell((A.ADD_TO_WAIT_QUEUE, A.LOOK_FOR_FDU)),
                       S3=Cell((A.ADD_TO_WAIT_QUEUE,)), ALL=REJECT),
    FopEvent.E20: _row(ALL=REJECT),
    FopEvent.E21: _row(ALL=Cell((A.ACCEPT, A.TRANSMIT_BD))),
    FopEvent.E22: _row(ALL=REJECT),
    # -- directives ----------------------------------------------------------------------
    FopEvent.E23: _initiate(A.CONFIRM, to=S1),
    FopEvent.E24: _initiate(A.START_TIMER, to=S4),
    FopEvent.E25: _initiate(A.TRANSMIT_BC_UNLOCK, to=S5),
    FopEvent.E26: _row(ALL=REJECT),
    FopEvent.E27: _initiate(A.SET_VS_TO_VR, A.TRANSMIT_BC_SET_VR, to=S5),
    FopEvent.E28: _row(ALL=REJECT),
    FopEvent.E29: _row(ALL=Cell((A.ACCEPT, A.ALERT, A.CONFIRM), S6, AlertReason.TERM),
                       S6=Cell((A.ACCEPT, A.CONFIRM))),
    FopEvent.E30: _row(ALL=REJECT),
    FopEvent.E31: _resume(S1),
    FopEvent.E32: _resume(S2),
    FopEvent.E33: _resume(S3),
    FopEvent.E34: _resume(S4),
    FopEvent.E35: _row(ALL=REJECT, S6=Cell((A.SET_VS,))),
    FopEvent.E36: _row(ALL=_SET),
    FopEvent.E37: _row(ALL=_SET),
    FopEvent.E38: _row(ALL=_SET),
    FopEvent.E39: _row(ALL=_SET),
    FopEvent.E40: _row(ALL=REJECT),
    # -- responses of the lower procedures -----------------------------------------------
    FopEvent.E41: _row(S1=Cell((A.AD_OUT_READY, A.LOOK_FOR_FDU)),
                       S2=Cell((A.AD_OUT_READY, A.LOOK_FOR_FDU)),
                       ALL=Cell((A.AD_OUT_READY,))),
    FopEvent.E42: _row(ALL=alert(AlertReason.LLIF, A.AD_OUT_READY)),
    FopEvent.E43: _row(ALL=Cell((A.BC_OUT_READY,)),
                       S5=Cell((A.BC_OUT_READY, A.LOOK_FOR_DIRECTIVE))),
    FopEvent.E44: _row(ALL=alert(AlertReason.LLIF, A.BC_OUT_READY)),
    FopEvent.E45: _row(ALL=Cell((A.BD_OUT_READY, A.CONFIRM_BD))),
    FopEvent.E46: _row(ALL=alert(AlertReason.LLIF, A.BD_OUT_READY)),
}
