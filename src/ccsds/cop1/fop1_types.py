"""FOP-1 vocabulary: states, events, directives and the outputs it returns (232.1-B-2 s. 5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

from ccsds.cop1.farm1 import FrameKind
from ccsds.tc_frame import TcFrame


class FopState(IntEnum):
    """FOP-1 states, 232.1-B-2 5.1.2; the value is the state number S1..S6."""

    ACTIVE = 1
    RETRANSMIT_WITHOUT_WAIT = 2
    RETRANSMIT_WITH_WAIT = 3
    INITIALISING_WITHOUT_BC_FRAME = 4
    INITIALISING_WITH_BC_FRAME = 5
    INITIAL = 6


class FopEvent(Enum):
    """FOP-1 events of table 5-1 (232.1-B-2, FOP-1 revision B).

    E1-E14 and E101-E103 are CLCW arrivals, E15 a CLCW whose COP in effect is not COP-1,
    E16-E18 and E104 timer expiries, E19-E22 requests to transfer FDUs, E23-E40
    directives, E41-E46 responses of the lower procedures.
    """

    E1 = "E1"
    E2 = "E2"
    E3 = "E3"
    E4 = "E4"
    E5 = "E5"
    E6 = "E6"
    E7 = "E7"
    E101 = "E101"
    E102 = "E102"
    E8 = "E8"
    E9 = "E9"
    E10 = "E10"
    E11 = "E11"
    E12 = "E12"
    E103 = "E103"
    E13 = "E13"
    E14 = "E14"
    E15 = "E15"
    E16 = "E16"
    E104 = "E104"
    E17 = "E17"
    E18 = "E18"
    E19 = "E19"
    E20 = "E20"
    E21 = "E21"
    E22 = "E22"
    E23 = "E23"
    E24 = "E24"
    E25 = "E25"
    E26 = "E26"
    E27 = "E27"
    E28 = "E28"
    E29 = "E29"
    E30 = "E30"
    E31 = "E31"
    E32 = "E32"
    E33 = "E33"
    E34 = "E34"
    E35 = "E35"
    E36 = "E36"
    E37 = "E37"
    E38 = "E38"
    E39 = "E39"
    E40 = "E40"
    E41 = "E41"
    E42 = "E42"
    E43 = "E43"
    E44 = "E44"
    E45 = "E45"
    E46 = "E46"


class Directive(Enum):
    """FOP-1 directives, 232.1-B-2 table 5-1 events E23-E40."""

    INITIATE_AD_WITHOUT_CLCW = "initiate AD service without CLCW check"
    INITIATE_AD_WITH_CLCW = "initiate AD service with CLCW check"
    INITIATE_AD_WITH_UNLOCK = "initiate AD service with Unlock"
    INITIATE_AD_WITH_SET_VR = "initiate AD service with Set V(R)"
    TERMINATE_AD = "terminate AD service"
    RESUME_AD = "resume AD service"
    SET_VS = "set V(S)"
    SET_FOP_WINDOW = "set FOP sliding window width"
    SET_T1_INITIAL = "set T1 initial"
    SET_TRANSMISSION_LIMIT = "set transmission limit"
    SET_TIMEOUT_TYPE = "set timeout type"


class AlertReason(Enum):
    """Reason codes of the Alert notification, 232.1-B-2 5.2.15."""

    LIMIT = "transmission limit reached on a retransmit CLCW"
    T1 = "timer expired with the transmission limit reached"
    LOCKOUT = "FARM-1 reports lockout"
    SYNCH = "CLCW inconsistent with the FOP-1 state"
    NNR = "CLCW N(R) outside the range of outstanding frames"
    CLCW = "CLCW wait flag or COP in effect unexpected"
    LLIF = "lower layer rejected a transmission"
    TERM = "AD service terminated"


class Response(Enum):
    """Responses to requests and directives, 232.1-B-2 5.2.11-5.2.13 and 5.2.2."""

    ACCEPT = "accept"
    REJECT = "reject"
    POSITIVE_CONFIRM = "positive confirm"
    NEGATIVE_CONFIRM = "negative confirm"


@dataclass(frozen=True, slots=True)
class TransmitRequest:
    """Pass ``frame`` to the lower procedures; answer with :meth:`Fop1.lower_layer_response`."""

    kind: FrameKind
    frame: TcFrame
    retransmission: bool = False


@dataclass(frozen=True, slots=True)
class AbortRequest:
    """Abort what the lower procedures still hold (initiate AD/BC retransmission, 5.2)."""


@dataclass(frozen=True, slots=True)
class FduResponse:
    """A response to the 'Request to Transfer FDU' numbered ``request_id``."""

    request_id: int
    response: Response


@dataclass(frozen=True, slots=True)
class DirectiveResponse:
    """A response to the directive numbered ``directive_id``."""

    directive_id: int
    directive: Directive
    response: Response


@dataclass(frozen=True, slots=True)
class AlertNotification:
    """The AD service stopped: queues purged, state S6 (5.2.15)."""

    reason: AlertReason


@dataclass(frozen=True, slots=True)
class SuspendNotification:
    """The AD service is suspended in S6 and may be resumed in state ``suspend_state`` (5.2.16)."""

    suspend_state: int


FopOutput = (
    TransmitRequest | AbortRequest | FduResponse | DirectiveResponse | AlertNotification
    | SuspendNotification
)


@dataclass(frozen=True, slots=True)
class FopStep:
    """The outcome of one input: the table event, the state change and every output in order.

    ``event`` is None when the input is outside the table (a CLCW for another virtual
    channel). ``request_id`` / ``directive_id`` number the request or directive just made.
    """

    event: FopEvent | None
    previous_state: FopState
    state: FopState
    outputs: tuple[FopOutput, ...] = ()
    request_id: int | None = None
    directive_id: int | None = None

    @property
    def transmit_requests(self) -> tuple[TransmitRequest, ...]:
        """The frames to hand to the lower procedures, in order."""
        return tuple(out for out in self.outputs if isinstance(out, TransmitRequest))

    @property
    def frames(self) -> tuple[TcFrame, ...]:
        """Just the frames of :attr:`transmit_requests`."""
        return tuple(request.frame for request in self.transmit_requests)

    @property
    def alerts(self) -> tuple[AlertReason, ...]:
        """Reasons of the alerts raised."""
        return tuple(out.reason for out in self.outputs if isinstance(out, AlertNotification))

    def fdu_responses(self, request_id: int | None = None) -> tuple[Response, ...]:
        """Responses to FDU requests (all, or those of ``request_id``)."""
        return tuple(
            out.response for out in self.outputs
            if isinstance(out, FduResponse) and request_id in (None, out.request_id)
        )

    def directive_responses(self, directive_id: int | None = None) -> tuple[Response, ...]:
        """Responses to directives (all, or those of ``directive_id``)."""
        return tuple(
            out.response for out in self.outputs
            if isinstance(out, DirectiveResponse) and directive_id in (None, out.directive_id)
        )
