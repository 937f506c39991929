"""COP-1, CCSDS 232.1-B-2: FOP-1 (ground), FARM-1 (board) and the CLCW that links them.

>>> fop = Fop1(spacecraft_id=42, virtual_channel=0, window=5)
>>> farm = Farm1(virtual_channel=0, window=10)
>>> step = fop.directive(Directive.INITIATE_AD_WITHOUT_CLCW, now=0.0)
>>> step.state.name
'ACTIVE'
>>> sent = fop.request_ad(b"hello", now=0.0)
>>> [farm.receive(frame).data for frame in sent.frames]
[b'hello']
>>> fop.receive_clcw(farm.clcw(), now=0.1).event.name
'E2'
"""

from ccsds.cop1.clcw import Clcw, ControlWordTypeError
from ccsds.cop1.control import SetVr, Unlock, parse_control_command
from ccsds.cop1.farm1 import Farm1, FarmEvent, FarmResult, FarmState, FrameKind, frame_kind
from ccsds.cop1.fop1 import Fop1
from ccsds.cop1.fop1_types import (
    AbortRequest,
    AlertNotification,
    AlertReason,
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

__all__ = [
    "AbortRequest",
    "AlertNotification",
    "AlertReason",
    "Clcw",
    "ControlWordTypeError",
    "Directive",
    "DirectiveResponse",
    "Farm1",
    "FarmEvent",
    "FarmResult",
    "FarmState",
    "FduResponse",
    "Fop1",
    "FopEvent",
    "FopOutput",
    "FopState",
    "FopStep",
    "FrameKind",
    "Response",
    "SetVr",
    "SuspendNotification",
    "TransmitRequest",
    "Unlock",
    "frame_kind",
    "parse_control_command",
]
