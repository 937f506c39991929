"""FARM-1, the receiving end of COP-1 on one virtual channel: CCSDS 232.1-B-2 section 6.

States (6.2): S1 Open, S2 Wait, S3 Lockout. Events (table 6-1):

===  ==========================================================================
E1   type-AD frame, N(S) = V(R), a buffer is available
E2   type-AD frame, N(S) = V(R), no buffer available
E3   type-AD frame, N(S) > V(R), N(S) <= V(R) + PW - 1 (positive window)
E4   type-AD frame, N(S) < V(R), N(S) >= V(R) - NW (negative window)
E5   type-AD frame outside both windows (lockout area)
E6   valid type-BD frame
E7   type-BC frame carrying Unlock
E8   type-BC frame carrying Set V(R)
E9   invalid frame (wrong virtual channel or spacecraft, bad control command, undecodable)
E10  buffer release signal from the higher procedures
===  ==========================================================================

The sliding window width W is even, 2 <= W <= 254; PW = NW = W / 2 (6.1.8). Accepted AD
frames occupy a delivery buffer until the higher layer calls :meth:`Farm1.buffer_released`;
with ``buffer_capacity=None`` the higher layer consumes each frame as it is returned and a
buffer is always available.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, IntEnum

from ccsds.cop1.clcw import Clcw
from ccsds.cop1.control import SetVr, Unlock, parse_control_command
from ccsds.cop1.sequence import advance, distance
from ccsds.errors import DecodeError, LocalProtocolError
from ccsds.tc_frame import TcFrame


class FarmState(IntEnum):
    """FARM-1 states, 232.1-B-2 6.2."""

    OPEN = 1
    WAIT = 2
    LOCKOUT = 3


class FarmEvent(Enum):
    """FARM-1 events, 232.1-B-2 table 6-1."""

    E1 = "E1"
    E2 = "E2"
    E3 = "E3"
    E4 = "E4"
    E5 = "E5"
    E6 = "E6"
    E7 = "E7"
    E8 = "E8"
    E9 = "E9"
    E10 = "E10"


class FrameKind(Enum):
    """Type of a TC frame as COP-1 sees it (232.0-B-4 4.1.2.3)."""

    AD = "AD"
    BD = "BD"
    BC = "BC"


def frame_kind(frame: TcFrame) -> FrameKind:
    """AD, BD or BC from the bypass and control command flags."""
    if frame.bypass:
        return FrameKind.BC if frame.control_command else FrameKind.BD
    return FrameKind.AD


@dataclass(frozen=True, slots=True)
class FarmResult:
    """What FARM-1 did with one event.

    ``accepted`` frames carry their ``data`` for the higher layer (AD and BD frames; BC
    frames are consumed by FARM-1 itself). Discarded ones carry the ``reason``.
    """

    event: FarmEvent
    accepted: bool
    state: FarmState
    kind: FrameKind | None = None
    data: bytes | None = None
    reason: str = ""


_WAIT_RELEASED = "wait flag cleared"


class Farm1:
    """FARM-1 for one virtual channel; sans-I/O, one call per event."""

    def __init__(self, virtual_channel: int, window: int = 10, *,
                 buffer_capacity: int | None = None, spacecraft_id: int | None = None) -> None:
        if not 0 <= virtual_channel <= 63:
            raise LocalProtocolError(f"virtual channel {virtual_channel} outside 0..63")
        if window % 2 or not 2 <= window <= 254:
            raise LocalProtocolError(f"FARM window {window} must be even, 2..254 (6.1.8.2)")
        if buffer_capacity is not None and buffer_capacity < 1:
            raise LocalProtocolError("FARM buffer capacity must be at least 1")
        self.virtual_channel = virtual_channel
        self.spacecraft_id = spacecraft_id
        self.window = window
        self.positive_window = window // 2
        self.negative_window = window - self.positive_window
        self.buffer_capacity = buffer_capacity
        self.state = FarmState.OPEN
        self.vr = 0
        self.lockout = False
        self.wait = False
        self.retransmit = False
        self.farm_b_counter = 0
        self.buffered = 0
        self.accepted: Counter[FarmEvent] = Counter()
        self.discarded: Counter[FarmEvent] = Counter()
        self.decode_errors = 0

    # -- inputs --------------------------------------------------------------------------

    def receive(self, frame: TcFrame) -> FarmResult:
        """Process one decoded TC frame (events E1-E9)."""
        invalid = self._invalid_reason(frame)
        if invalid:
            return self._discard(FarmEvent.E9, invalid, frame_kind(frame))
        kind = frame_kind(frame)
        if kind is FrameKind.AD:
            return self._receive_ad(frame)
        if kind is FrameKind.BD:
            return self._accept_bypass(FarmEvent.E6, FrameKind.BD, frame.data)
        command = parse_control_command(frame.data)
        if isinstance(command, Unlock):
            return self._unlock()
        if isinstance(command, SetVr):
            return self._set_vr(command.value)
        return self._discard(FarmEvent.E9, "unknown control command", FrameKind.BC)

    def receive_raw(self, raw: bytes | bytearray | memoryview, *, fecf: bool = True) -> FarmResult:
        """Decode and process one frame; an undecodable one is counted and discarded (E9)."""
        try:
            frame = TcFrame.decode(raw, fecf=fecf)
        except DecodeError as exc:
            self.decode_errors += 1
            return self._discard(FarmEvent.E9, f"undecodable: {exc}", None)
        return self.receive(frame)

    def buffer_released(self) -> FarmResult:
        """The higher procedures freed one buffer (E10)."""
        self.buffered = max(0, self.buffered - 1)
        reason = ""
        if self.state is FarmState.WAIT:
            self.wait = False
            self.state = FarmState.OPEN
            reason = _WAIT_RELEASED
        elif self.state is FarmState.LOCKOUT and self.wait:
            self.wait = False
            reason = _WAIT_RELEASED
        self.accepted[FarmEvent.E10] += 1
        return FarmResult(FarmEvent.E10, True, self.state, reason=reason or "buffer released")

    # -- outputs -------------------------------------------------------------------------

    def clcw(self, *, status_field: int = 0, no_rf_available: bool = False,
             no_bit_lock: bool = False) -> Clcw:
        """The current report (232.1-B-2 6.1.x, 232.0-B-4 4.2.1.4)."""
        return Clcw(
            virtual_channel=self.virtual_channel,
            report_value=self.vr,
            lockout=self.lockout,
            wait=self.wait,
            retransmit=self.retransmit,
            farm_b_counter=self.farm_b_counter % 4,
            no_rf_available=no_rf_available,
            no_bit_lock=no_bit_lock,
            status_field=status_field,
        )

    @property
    def buffer_available(self) -> bool:
        """Whether an accepted AD frame would find room in the delivery buffer."""
        return self.buffer_capacity is None or self.buffered < self.buffer_capacity

    # -- events --------------------------------------------------------------------------

    def _invalid_reason(self, frame: TcFrame) -> str:
        if frame.virtual_channel != self.virtual_channel:
            return f"virtual channel {frame.virtual_channel}, FARM serves {self.virtual_channel}"
        if self.spacecraft_id is not None and frame.spacecraft_id != self.spacecraft_id:
            return f"spacecraft id {frame.spacecraft_id}, expected {self.spacecraft_id}"
        return ""

    def _receive_ad(self, frame: TcFrame) -> FarmResult:
        offset = distance(self.vr, frame.sequence_number)
        if offset == 0:
            if self.buffer_available and self.state is FarmState.OPEN:
                return self._accept_in_sequence(frame.data)
            if self.buffer_available:  # E1 in Wait or Lockout
                return self._discard(FarmEvent.E1, f"N(S) = V(R) in state {self.state.name}",
                                     FrameKind.AD)
            return self._no_buffer()
        if offset <= self.positive_window - 1:
            if self.state is FarmState.OPEN:
                self.retransmit = True
            return self._discard(FarmEvent.E3, "N(S) ahead of V(R): frame(s) missing",
                                 FrameKind.AD)
        if offset >= 256 - self.negative_window:
            return self._discard(FarmEvent.E4, "N(S) behind V(R): duplicate", FrameKind.AD)
        if self.state is not FarmState.LOCKOUT:
            self.lockout = True
            self.state = FarmState.LOCKOUT
        return self._discard(FarmEvent.E5, "N(S) outside the sliding window: lockout",
                             FrameKind.AD)

    def _accept_in_sequence(self, data: bytes) -> FarmResult:
        """E1 in Open: accept, V(R) + 1, Retransmit_Flag := 0."""
        self.vr = advance(self.vr)
        self.retransmit = False
        self.buffered += 1
        self.accepted[FarmEvent.E1] += 1
        return FarmResult(FarmEvent.E1, True, self.state, FrameKind.AD, data)

    def _no_buffer(self) -> FarmResult:
        """E2: in Open the flags become Retransmit and Wait and the state Wait."""
        if self.state is FarmState.OPEN:
            self.retransmit = True
            self.wait = True
            self.state = FarmState.WAIT
        return self._discard(FarmEvent.E2, "no buffer available", FrameKind.AD)

    def _accept_bypass(self, event: FarmEvent, kind: FrameKind, data: bytes | None,
                       update: Callable[[], None] | None = None) -> FarmResult:
        self.farm_b_counter = advance(self.farm_b_counter)
        if update is not None:
            update()
        self.accepted[event] += 1
        return FarmResult(event, True, self.state, kind, data)

    def _unlock(self) -> FarmResult:
        """E7: Retransmit, Wait and Lockout flags cleared, state Open."""
        def update() -> None:
            self.retransmit = self.wait = self.lockout = False
            self.state = FarmState.OPEN
        return self._accept_bypass(FarmEvent.E7, FrameKind.BC, None, update)

    def _set_vr(self, value: int) -> FarmResult:
        """E8: outside Lockout, V(R) := V*(R), Retransmit and Wait cleared, state Open."""
        def update() -> None:
            if self.state is FarmState.LOCKOUT:
                return
            self.retransmit = self.wait = False
            self.vr = value
            self.state = FarmState.OPEN
        return self._accept_bypass(FarmEvent.E8, FrameKind.BC, None, update)

    def _discard(self, event: FarmEvent, reason: str, kind: FrameKind | None) -> FarmResult:
        self.discarded[event] += 1
        return FarmResult(event, False, self.state, kind, None, reason)
