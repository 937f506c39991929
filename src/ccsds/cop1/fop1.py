"""FOP-1, the sending end of COP-1 on one virtual channel: CCSDS 232.1-B-2 section 5.

Sans-I/O: every input is a method call carrying ``now`` (seconds, any epoch) and returns a
:class:`FopStep` with the table event, the state change and the outputs in order: frames to
pass to the lower procedures (:class:`TransmitRequest`), aborts, responses to requests and
directives, alerts and suspends. The timer fires from :meth:`Fop1.poll`. The lower
procedures answer every transmit request with :meth:`Fop1.lower_layer_response` (a link
that takes frames at once can use :meth:`Fop1.complete_transmissions`).

The state table lives in :mod:`ccsds.cop1.fop1_table` and the classification of inputs
into its events in :mod:`ccsds.cop1.fop1_events`; this module holds the variables of 5.1
and performs the actions of 5.2.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ccsds.config import TcLinkConfig
from ccsds.cop1.clcw import Clcw
from ccsds.cop1.control import SetVr, Unlock
from ccsds.cop1.farm1 import FrameKind
from ccsds.cop1.fop1_events import (
    INITIATE_DIRECTIVES,
    classify_clcw,
    classify_directive,
    classify_lower_layer,
    classify_timer,
    valid_directive_value,
)
from ccsds.cop1.fop1_table import FOP_TABLE, Action, Cell
from ccsds.cop1.fop1_types import (
    AbortRequest,
    AlertNotification,
    Directive,
    DirectiveResponse,
    FduResponse,
    FopEvent,
    FopOutput,
    FopState,
    FopStep,
    Response,
    SuspendNotification,
    TransmitRequest,
)
from ccsds.cop1.sequence import advance, distance
from ccsds.errors import LocalProtocolError
from ccsds.tc_frame import FECF_LENGTH, MAX_FRAME_LENGTH, PRIMARY_HEADER_LENGTH, TcFrame


@dataclass(slots=True)
class _SentFrame:
    """A Sent_Queue entry (5.1.5): the frame and its To_Be_Retransmitted flag."""

    kind: FrameKind
    frame: TcFrame
    request_id: int | None
    to_be_retransmitted: bool = False


@dataclass(frozen=True, slots=True)
class _Input:
    """What the event carries to the actions."""

    clcw: Clcw | None = None
    request_id: int | None = None
    data: bytes = b""
    directive: Directive | None = None
    directive_id: int | None = None
    value: float | None = None


class Fop1:
    """FOP-1 for one virtual channel (232.1-B-2 5.1 variables, 5.2 actions, table 5-1)."""

    def __init__(self, spacecraft_id: int, virtual_channel: int, *, window: int = 10,
                 t1_initial: float = 4.0, transmission_limit: int = 5, timeout_type: int = 0,
                 max_data_length: int = MAX_FRAME_LENGTH - PRIMARY_HEADER_LENGTH - FECF_LENGTH,
                 ) -> None:
        TcFrame(spacecraft_id, virtual_channel, 0, b"")  # validates both identifiers
        checks = [
            (Directive.SET_FOP_WINDOW, window),
            (Directive.SET_T1_INITIAL, t1_initial),
            (Directive.SET_TRANSMISSION_LIMIT, transmission_limit),
            (Directive.SET_TIMEOUT_TYPE, timeout_type),
        ]
        for directive, value in checks:
            if not valid_directive_value(directive, value):
                raise LocalProtocolError(f"{directive.value}: invalid value {value!r}")
        self.spacecraft_id = spacecraft_id
        self.virtual_channel = virtual_channel
        self.max_data_length = max_data_length
        self.window = window  # K
        self.t1_initial = float(t1_initial)
        self.transmission_limit = transmission_limit
        self.timeout_type = timeout_type
        self.state = FopState.INITIAL
        self.vs = 0  # V(S)
        self.nnr = 0  # NN(R)
        self.transmission_count = 0
        self.suspend_state = 0  # SS
        self.ad_out_ready = True
        self.bc_out_ready = True
        self.bd_out_ready = True
        self.next_deadline: float | None = None  # when the timer expires
        self.clcws_ignored = 0  # CLCWs of other virtual channels
        self._sent: deque[_SentFrame] = deque()
        self._wait: tuple[int, bytes] | None = None
        self._pending_initiate: tuple[int, Directive] | None = None
        self._bd_request: int | None = None
        self._next_request_id = 1
        self._next_directive_id = 1
        self._outputs: list[FopOutput] = []
        self._input = _Input()
        self._now = 0.0
        self._cell = Cell((Action.IGNORE,))
        self._actions: dict[Action, Callable[[], None]] = {
            Action.IGNORE: lambda: None,
            Action.ACCEPT: partial(self._respond, Response.ACCEPT),
            Action.REJECT: partial(self._respond, Response.REJECT),
            Action.CONFIRM: self._confirm,
            Action.ALERT: self._alert,
            Action.SUSPEND: self._suspend,
            Action.RESUME: self._resume,
            Action.INITIALISE: self._initialise,
            Action.REMOVE_ACKNOWLEDGED: self._remove_acknowledged,
            Action.CANCEL_TIMER: self._cancel_timer,
            Action.START_TIMER: self._start_timer,
            Action.LOOK_FOR_FDU: self._look_for_fdu,
            Action.LOOK_FOR_DIRECTIVE: self._look_for_directive,
            Action.INITIATE_AD_RETRANSMISSION: partial(self._initiate_retransmission,
                                                       FrameKind.AD),
            Action.INITIATE_BC_RETRANSMISSION: partial(self._initiate_retransmission,
                                                       FrameKind.BC),
            Action.ADD_TO_WAIT_QUEUE: self._add_to_wait_queue,
            Action.TRANSMIT_BD: self._transmit_bd,
            Action.TRANSMIT_BC_UNLOCK: partial(self._transmit_bc, Unlock().encode()),
            Action.SET_VS_TO_VR: lambda: self._set_vs(self._int_value()),
            Action.TRANSMIT_BC_SET_VR: lambda: self._transmit_bc(
                SetVr(self._int_value()).encode()),
            Action.RELEASE_BC: self._release_bc,
            Action.SET_VS: self._set_vs_directive,
            Action.SET_PARAMETER: self._set_parameter,
            Action.AD_OUT_READY: partial(setattr, self, "ad_out_ready", True),
            Action.BC_OUT_READY: partial(setattr, self, "bc_out_ready", True),
            Action.BD_OUT_READY: partial(setattr, self, "bd_out_ready", True),
            Action.CONFIRM_BD: self._confirm_bd,
        }

    @classmethod
    def from_config(cls, tc: TcLinkConfig) -> Fop1:
        """Parameters from the mission's TC section.

        K is limited to FARM-1's positive window PW = W/2, as 232.1-B-2 5.1 requires
        (1 <= K <= PW), so that a mission file with K > W/2 cannot drive FARM-1 into lockout.
        """
        return cls(
            tc.spacecraft_id, tc.virtual_channel,
            window=min(tc.fop_window, tc.farm_window // 2),
            t1_initial=tc.fop_timer_initial_s,
            transmission_limit=tc.fop_transmission_limit,
            timeout_type=tc.fop_timeout_type,
            max_data_length=tc.max_frame_length - PRIMARY_HEADER_LENGTH
            - (FECF_LENGTH if tc.fecf else 0),
        )

    # -- queries -------------------------------------------------------------------------

    @property
    def sent_queue_length(self) -> int:
        """Frames awaiting acknowledgement (AD) or confirmation (BC)."""
        return len(self._sent)

    @property
    def wait_queue_empty(self) -> bool:
        """Whether a new AD request would be E19 (True) or rejected as E20 (False)."""
        return self._wait is None

    # -- inputs --------------------------------------------------------------------------

    def request_ad(self, data: bytes, now: float) -> FopStep:
        """Request to transfer an FDU on the sequence-controlled service (E19/E20)."""
        request_id = self._new_request(data)
        event = FopEvent.E19 if self._wait is None else FopEvent.E20
        return self._dispatch(event, now, _Input(request_id=request_id, data=bytes(data)))

    def request_bd(self, data: bytes, now: float) -> FopStep:
        """Request to transfer an FDU on the expedited service (E21/E22)."""
        request_id = self._new_request(data)
        event = FopEvent.E21 if self.bd_out_ready else FopEvent.E22
        return self._dispatch(event, now, _Input(request_id=request_id, data=bytes(data)))

    def receive_clcw(self, clcw: Clcw, now: float) -> FopStep:
        """A CLCW arrived (E1-E15, E101-E103); other virtual channels' are ignored."""
        if clcw.virtual_channel != self.virtual_channel:
            self.clcws_ignored += 1
            return FopStep(None, self.state, self.state)
        event = classify_clcw(clcw, self.vs, self.nnr, self.transmission_count,
                              self.transmission_limit)
        return self._dispatch(event, now, _Input(clcw=clcw))

    def poll(self, now: float) -> FopStep | None:
        """Fire the timer if it has expired (E16, E104, E17, E18)."""
        if self.next_deadline is None or now < self.next_deadline:
            return None
        self.next_deadline = None
        event = classify_timer(self.transmission_count, self.transmission_limit,
                               self.timeout_type)
        return self._dispatch(event, now, _Input())

    def directive(self, directive: Directive, now: float, value: float | None = None,
                  ) -> FopStep:
        """A management directive (E23-E40); ``value`` is V*(R), V*(S), K, T1, limit or TT."""
        directive_id = self._next_directive_id
        self._next_directive_id += 1
        inputs = _Input(directive=directive, directive_id=directive_id, value=value)
        event = classify_directive(directive, value, bc_out_ready=self.bc_out_ready,
                                   suspend_state=self.suspend_state)
        return self._dispatch(event, now, inputs)

    def lower_layer_response(self, kind: FrameKind, accepted: bool, now: float) -> FopStep:
        """The lower procedures accepted or rejected the last frame of ``kind`` (E41-E46)."""
        return self._dispatch(classify_lower_layer(kind, accepted), now, _Input())

    def complete_transmissions(self, step: FopStep, now: float, *,
                               accepted: bool = True) -> list[FopStep]:
        """Answer every transmit request of ``step`` and of the steps that follow from it."""
        steps: list[FopStep] = []
        pending = deque(step.transmit_requests)
        while pending:
            follow = self.lower_layer_response(pending.popleft().kind, accepted, now)
            steps.append(follow)
            pending.extend(follow.transmit_requests)
        return steps

    # -- dispatch ------------------------------------------------------------------------

    def _dispatch(self, event: FopEvent, now: float, inputs: _Input) -> FopStep:
        cell = FOP_TABLE[event][self.state]
        previous = self.state
        self._outputs, self._input, self._now, self._cell = [], inputs, now, cell
        for action in cell.actions:
            self._actions[action]()
        if cell.next_state is not None:
            self.state = cell.next_state
        return FopStep(event, previous, self.state, tuple(self._outputs),
                       inputs.request_id, inputs.directive_id)

    def _new_request(self, data: bytes) -> int:
        if len(data) > self.max_data_length:
            raise LocalProtocolError(
                f"FDU of {len(data)} octets exceeds {self.max_data_length} of a frame")
        request_id = self._next_request_id
        self._next_request_id += 1
        return request_id

    def _int_value(self) -> int:
        value = self._input.value
        assert isinstance(value, int)  # guaranteed by valid_directive_value
        return value

    # -- actions (5.2) -------------------------------------------------------------------

    def _respond(self, response: Response) -> None:
        inputs = self._input
        if inputs.directive is not None and inputs.directive_id is not None:
            self._outputs.append(
                DirectiveResponse(inputs.directive_id, inputs.directive, response))
            if response is Response.ACCEPT and inputs.directive in INITIATE_DIRECTIVES:
                self._fail_pending_initiate()  # one left over from a suspended S4/S5
                self._pending_initiate = (inputs.directive_id, inputs.directive)
        elif inputs.request_id is not None:
            self._outputs.append(FduResponse(inputs.request_id, response))

    def _confirm(self) -> None:
        """Positive confirm of the directive at hand, else of the pending Initiate."""
        inputs = self._input
        if inputs.directive is not None and inputs.directive_id is not None:
            target: tuple[int, Directive] | None = (inputs.directive_id, inputs.directive)
        else:
            target = self._pending_initiate
        if target is None:
            return
        if target == self._pending_initiate:
            self._pending_initiate = None
        self._outputs.append(DirectiveResponse(*target, Response.POSITIVE_CONFIRM))

    def _alert(self) -> None:
        """5.2.15: cancel timer, purge both queues, fail a pending Initiate, notify."""
        self._cancel_timer()
        self._purge_sent_queue()
        self._purge_wait_queue()
        self._fail_pending_initiate()
        assert self._cell.alert is not None
        self._outputs.append(AlertNotification(self._cell.alert))

    def _fail_pending_initiate(self) -> None:
        if self._pending_initiate is not None:
            self._outputs.append(
                DirectiveResponse(*self._pending_initiate, Response.NEGATIVE_CONFIRM))
            self._pending_initiate = None

    def _suspend(self) -> None:
        self.suspend_state = int(self.state)
        self._outputs.append(SuspendNotification(self.suspend_state))

    def _resume(self) -> None:
        self._start_timer()
        self.suspend_state = 0

    def _initialise(self) -> None:
        self._purge_sent_queue()
        self._purge_wait_queue()
        self.transmission_count = 1
        self.suspend_state = 0

    def _purge_sent_queue(self) -> None:
        """5.2.2; NN(R) follows V(S) since nothing is outstanding any more."""
        for entry in self._sent:
            if entry.request_id is not None:
                self._outputs.append(FduResponse(entry.request_id, Response.NEGATIVE_CONFIRM))
        self._sent.clear()
        self.nnr = self.vs

    def _purge_wait_queue(self) -> None:
        if self._wait is not None:
            self._outputs.append(FduResponse(self._wait[0], Response.REJECT))
            self._wait = None

    def _remove_acknowledged(self) -> None:
        """5.2 / 5.1.10: frames before N(R) confirmed and removed, NN(R) := N(R), count := 1."""
        assert self._input.clcw is not None
        nr = self._input.clcw.report_value
        acknowledged = distance(self.nnr, nr)
        while self._sent and self._sent[0].kind is FrameKind.AD and distance(
                self.nnr, self._sent[0].frame.sequence_number) < acknowledged:
            entry = self._sent.popleft()
            if entry.request_id is not None:
                self._outputs.append(FduResponse(entry.request_id, Response.POSITIVE_CONFIRM))
        self.nnr = nr
        self.transmission_count = 1

    def _start_timer(self) -> None:
        self.next_deadline = self._now + self.t1_initial

    def _cancel_timer(self) -> None:
        self.next_deadline = None

    def _look_for_fdu(self) -> None:
        """5.2: a frame marked for retransmission first, else a new one if K allows
        (V(S) < NN(R) + K)."""
        if not self.ad_out_ready:
            return
        for entry in self._sent:
            if entry.kind is FrameKind.AD and entry.to_be_retransmitted:
                entry.to_be_retransmitted = False
                self.ad_out_ready = False
                self._outputs.append(TransmitRequest(FrameKind.AD, entry.frame, True))
                self._start_timer()  # on every transmission (5.1.9)
                return
        if self._wait is not None and distance(self.nnr, self.vs) < self.window:
            request_id, data = self._wait
            self._wait = None
            self._outputs.append(FduResponse(request_id, Response.ACCEPT))
            self._transmit_ad(request_id, data)

    def _transmit_ad(self, request_id: int, data: bytes) -> None:
        """5.2.4: N(S) := V(S), V(S) + 1, onto the Sent_Queue, to the lower layer, timer."""
        frame = TcFrame(self.spacecraft_id, self.virtual_channel, self.vs, data)
        self.vs = advance(self.vs)
        if not self._sent:
            self.transmission_count = 1
        self._sent.append(_SentFrame(FrameKind.AD, frame, request_id))
        self.ad_out_ready = False
        self._outputs.append(TransmitRequest(FrameKind.AD, frame))
        self._start_timer()

    def _look_for_directive(self) -> None:
        if not self.bc_out_ready:
            return
        for entry in self._sent:
            if entry.kind is FrameKind.BC and entry.to_be_retransmitted:
                entry.to_be_retransmitted = False
                self.bc_out_ready = False
                self._outputs.append(TransmitRequest(FrameKind.BC, entry.frame, True))
                self._start_timer()
                return

    def _initiate_retransmission(self, kind: FrameKind) -> None:
        """5.2: abort, count + 1, restart the timer, mark the frames of ``kind``."""
        self._outputs.append(AbortRequest())
        self.transmission_count += 1
        self._start_timer()
        for entry in self._sent:
            if entry.kind is kind:
                entry.to_be_retransmitted = True

    def _add_to_wait_queue(self) -> None:
        assert self._input.request_id is not None
        self._wait = (self._input.request_id, self._input.data)

    def _transmit_bd(self) -> None:
        """5.2: BD_Out_Flag := Not_Ready, frame to the lower layer."""
        self.bd_out_ready = False
        self._bd_request = self._input.request_id
        frame = TcFrame(self.spacecraft_id, self.virtual_channel, 0, self._input.data,
                        bypass=True)
        self._outputs.append(TransmitRequest(FrameKind.BD, frame))

    def _transmit_bc(self, command: bytes) -> None:
        """5.2: onto the Sent_Queue, count := 1, BC_Out_Flag := Not_Ready, out, timer."""
        frame = TcFrame(self.spacecraft_id, self.virtual_channel, 0, command,
                        bypass=True, control_command=True)
        self._sent.append(_SentFrame(FrameKind.BC, frame, None))
        self.transmission_count = 1
        self.bc_out_ready = False
        self._outputs.append(TransmitRequest(FrameKind.BC, frame))
        self._start_timer()

    def _release_bc(self) -> None:
        self._sent = deque(entry for entry in self._sent if entry.kind is not FrameKind.BC)

    def _set_vs(self, value: int) -> None:
        self.vs = self.nnr = value

    def _set_vs_directive(self) -> None:
        if self.suspend_state:
            self._respond(Response.REJECT)
            return
        self._respond(Response.ACCEPT)
        self._set_vs(self._int_value())
        self._confirm()

    def _set_parameter(self) -> None:
        directive, value = self._input.directive, self._input.value
        assert value is not None
        if directive is Directive.SET_FOP_WINDOW:
            self.window = int(value)
        elif directive is Directive.SET_T1_INITIAL:
            self.t1_initial = float(value)
        elif directive is Directive.SET_TRANSMISSION_LIMIT:
            self.transmission_limit = int(value)
        elif directive is Directive.SET_TIMEOUT_TYPE:
            self.timeout_type = int(value)

    def _confirm_bd(self) -> None:
        if self._bd_request is not None:
            self._outputs.append(FduResponse(self._bd_request, Response.POSITIVE_CONFIRM))
            self._bd_request = None
