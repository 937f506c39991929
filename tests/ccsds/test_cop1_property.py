"""COP-1 as a whole: FOP-1 and FARM-1 over a channel that loses, duplicates and reorders.

The channel works in rounds of one second. In a round every frame FOP-1 hands out is lost,
duplicated or swapped with its neighbour at random, FARM-1 takes what arrives and its CLCW
goes back (or is lost); FOP-1's answers to that CLCW travel in the same round. Every
``CLEAN_EVERY``-th round the channel is clean, so loss is never sustained long enough to use
up the transmission limit: the properties are then exactly-once in-order delivery and no
alert. A separate property cuts the link completely and checks that the only alert is the
limit one, after exactly Transmission_Limit transmissions, and that Set V(R) recovers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ccsds.cop1 import (
    AlertReason,
    Directive,
    Farm1,
    FduResponse,
    Fop1,
    FopState,
    FopStep,
    FrameKind,
    Response,
    SuspendNotification,
)
from ccsds.tc_frame import TcFrame

SCID, VC, FARM_WINDOW = 42, 0, 10
CLEAN_EVERY = 3
PASSES_PER_ROUND = 3


@dataclass
class Impairments:
    """Per-frame probabilities of the channel in its lossy rounds."""

    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    clcw_loss: float = 0.0
    buffer_hold: float = 0.0  # chance the board keeps its buffer one more round
    outage: bool = False  # every TC frame lost, clean rounds included


@dataclass
class Link:
    """FOP-1, FARM-1, the channel between them and the higher layers at both ends."""

    fop: Fop1
    farm: Farm1
    rng: random.Random
    impairments: Impairments
    now: float = 0.0
    round: int = 0
    outbox: list[TcFrame] = field(default_factory=list)
    delivered: list[bytes] = field(default_factory=list)
    alerts: list[AlertReason] = field(default_factory=list)
    suspends: list[int] = field(default_factory=list)
    responses: dict[int, list[Response]] = field(default_factory=dict)
    transmissions: dict[int, int] = field(default_factory=dict)  # by N(S), AD frames only

    def absorb(self, step: FopStep | None) -> None:
        """Collect a step's outputs, the lower layer taking every frame at once."""
        if step is None:
            return
        for each in (step, *self.fop.complete_transmissions(step, self.now)):
            for request in each.transmit_requests:
                self.outbox.append(request.frame)
                if request.kind is FrameKind.AD:
                    number = request.frame.sequence_number
                    self.transmissions[number] = self.transmissions.get(number, 0) + 1
            self.alerts += each.alerts
            for output in each.outputs:
                if isinstance(output, FduResponse):
                    self.responses.setdefault(output.request_id, []).append(output.response)
                elif isinstance(output, SuspendNotification):
                    self.suspends.append(output.suspend_state)

    def submit(self, queue: list[bytes], ids: dict[int, bytes]) -> None:
        """The ground higher layer: one FDU at a time, the next after its Accept."""
        while queue and self.fop.state is FopState.ACTIVE and self.fop.wait_queue_empty:
            step = self.fop.request_ad(queue[0], self.now)
            assert step.request_id is not None
            ids[step.request_id] = queue.pop(0)
            self.absorb(step)

    def run_round(self, queue: list[bytes], ids: dict[int, bytes]) -> None:
        """Frames left from the last round go first, then the timer may fire."""
        clean = self.round % CLEAN_EVERY == 0
        self.now = float(self.round)
        self.round += 1
        while self.farm.buffered and (
                clean or self.rng.random() >= self.impairments.buffer_hold):
            self.farm.buffer_released()
        self.exchange(clean, queue, ids)
        self.absorb(self.fop.poll(self.now))
        self.submit(queue, ids)
        self.exchange(clean, queue, ids)

    def exchange(self, clean: bool, queue: list[bytes], ids: dict[int, bytes]) -> None:
        """Frames up, the CLCW down, FOP-1's answers up again, a few times over."""
        for _ in range(PASSES_PER_ROUND):
            self.carry(clean)
            if clean or self.rng.random() >= self.impairments.clcw_loss:
                self.absorb(self.fop.receive_clcw(self.farm.clcw(), self.now))
            self.submit(queue, ids)

    def carry(self, clean: bool) -> None:
        """Move the outbox through the channel into FARM-1."""
        imp, rng = self.impairments, self.rng
        batch: list[TcFrame] = []
        for frame in self.outbox:
            if imp.outage or (not clean and rng.random() < imp.loss):
                continue
            batch.append(frame)
            if rng.random() < imp.duplicate:
                batch.append(frame)
        self.outbox = []
        if not clean:
            for index in range(len(batch) - 1):
                if rng.random() < imp.reorder:
                    batch[index], batch[index + 1] = batch[index + 1], batch[index]
        for frame in batch:
            result = self.farm.receive(frame)
            if result.accepted and result.kind is FrameKind.AD:
                assert result.data is not None
                self.delivered.append(result.data)


def make_link(seed: int, impairments: Impairments, *, limit: int, window: int = 5,
              capacity: int | None = None, timeout_type: int = 0) -> Link:
    fop = Fop1(SCID, VC, window=window, t1_initial=1.0, transmission_limit=limit,
               timeout_type=timeout_type)
    farm = Farm1(VC, FARM_WINDOW, buffer_capacity=capacity)
    return Link(fop, farm, random.Random(seed), impairments)


def start_with_set_vr(link: Link, value: int) -> None:
    """Initiate the AD service with Set V(R) over a clean channel."""
    saved, link.impairments = link.impairments, Impairments()
    link.absorb(link.fop.directive(Directive.INITIATE_AD_WITH_SET_VR, link.now, value))
    while link.fop.state is not FopState.ACTIVE:
        link.run_round([], {})
        assert link.round < 200
    link.impairments = saved


def payloads(count: int, tag: int = 0) -> list[bytes]:
    return [bytes([tag]) + number.to_bytes(2, "big") for number in range(count)]


probabilities = st.sampled_from([0.0, 0.1, 0.3, 0.5])


impairment_mixes = st.builds(
    Impairments, loss=probabilities, duplicate=probabilities, reorder=probabilities,
    clcw_loss=probabilities, buffer_hold=probabilities,
)


@settings(max_examples=100)
@given(
    count=st.integers(1, 400),
    start=st.integers(0, 255),
    seed=st.integers(0, 2**32),
    impairments=impairment_mixes,
    capacity=st.sampled_from([None, 1, 2]),
    window=st.integers(1, FARM_WINDOW // 2),
)
@example(count=350, start=250, seed=7, impairments=Impairments(0.3, 0.3, 0.3, 0.3, 0.3),
         capacity=1, window=5)
def test_every_fdu_delivered_exactly_once_in_order(
        *, count: int, start: int, seed: int, impairments: Impairments,
        capacity: int | None, window: int) -> None:
    link = make_link(seed, impairments, limit=3 * CLEAN_EVERY + 4, window=window,
                     capacity=capacity)
    start_with_set_vr(link, start)
    queue, ids = payloads(count), {}
    while (queue or link.fop.sent_queue_length) and link.round < 40 * count + 200:
        link.run_round(queue, ids)
        assert link.delivered == payloads(count)[:len(link.delivered)]
    assert link.alerts == []
    assert link.delivered == payloads(count)
    assert sorted(ids.values()) == payloads(count)
    assert all(link.responses[request] == [Response.ACCEPT, Response.POSITIVE_CONFIRM]
               for request in ids)
    assert (link.fop.vs - start) % 256 == count % 256 == (link.farm.vr - start) % 256


@settings(max_examples=60)
@given(
    before=st.integers(0, 20),
    during=st.integers(1, 6),
    limit=st.integers(1, 6),
    resync=st.integers(0, 255),
    seed=st.integers(0, 2**32),
    clcw_loss=probabilities,
)
def test_sustained_loss_alerts_at_the_limit_and_set_vr_recovers(
        *, before: int, during: int, limit: int, resync: int, seed: int,
        clcw_loss: float) -> None:
    # Before and after the outage the link is clean: with a limit as low as 1 a single lost
    # CLCW is already "sustained" loss and would rightly end in an alert.
    link = make_link(seed, Impairments(), limit=limit)
    start_with_set_vr(link, 0)
    first, ids = payloads(before, 1), {}
    queue = list(first)
    while queue or link.fop.sent_queue_length:
        link.run_round(queue, ids)
        assert link.round < 500
    assert (link.delivered, link.alerts) == (first, [])

    link.impairments = Impairments(outage=True, clcw_loss=clcw_loss)
    lost, lost_ids = payloads(during, 2), {}
    queue = list(lost)
    link.transmissions.clear()
    head = link.fop.vs  # N(S) of the first frame sent into the outage
    while not link.alerts:
        link.run_round(queue, lost_ids)
        assert link.round < 200
    assert link.alerts == [AlertReason.T1]
    assert link.transmissions[head] == limit == max(link.transmissions.values())
    failed = [lost_ids[r] for r in sorted(lost_ids)
              if link.responses[r][-1] in (Response.NEGATIVE_CONFIRM, Response.REJECT)]
    assert failed == list(lost_ids.values())

    link.impairments = Impairments()
    link.alerts.clear()
    start_with_set_vr(link, resync)
    assert link.farm.vr == resync
    queue = failed + [p for p in lost if p not in failed]
    while queue or link.fop.sent_queue_length:
        link.run_round(queue, {})
        assert link.round < 500
    assert link.alerts == []
    assert link.delivered == first + lost


@settings(max_examples=30)
@given(during=st.integers(1, 5), limit=st.integers(1, 4), seed=st.integers(0, 2**32))
def test_timeout_type_1_suspends_and_resume_completes_delivery(
        during: int, limit: int, seed: int) -> None:
    link = make_link(seed, Impairments(outage=True), limit=limit, timeout_type=1)
    start_with_set_vr(link, 200)
    queue, ids = payloads(during, 3), {}
    while not link.suspends:
        link.run_round(queue, ids)
        assert link.round < 200
    assert link.alerts == []
    assert link.suspends[0] in (1, 2)
    link.impairments = Impairments()
    # Resume alone restarts the timer with the count still at the limit (5.2.17), so the
    # operator first raises the limit, as directives E38 allow in S6.
    link.absorb(link.fop.directive(Directive.SET_TRANSMISSION_LIMIT, link.now, limit + 2))
    link.absorb(link.fop.directive(Directive.RESUME_AD, link.now))
    while queue or link.fop.sent_queue_length:
        link.run_round(queue, ids)
        assert link.round < 500
    assert link.delivered == payloads(during, 3)
    assert link.alerts == []
