"""SDLS in the running link: ground_link protects below FOP-1, board_link checks before FARM-1.

Expected values come from the plaintext the ground sent (delivered packets), from FARM-1's
own state (V(R) unchanged by rejected frames) and from the rejection classes of
ccsds.sdls.errors. The attacker is the one of tests/ccsds/sdls/test_attacks.py, here
reaching the board as CLTUs through the whole uplink chain.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.board_link import BoardUplink, SecurityRejection, UplinkSecurity
from ccsds.cltu import CltuExtractor
from ccsds.config import LinkConfig, SdlsConfig, TcLinkConfig
from ccsds.crc import crc16_ccitt
from ccsds.errors import LocalProtocolError
from ccsds.ground_link import GroundUplink, TcProtection
from ccsds.pus import PusTc
from ccsds.randomizer import tc_randomize
from ccsds.sdls.association import SaState, ServiceType
from ccsds.sdls.errors import ReplayError, SaStateError
from ccsds.tc_uplink import raw_frame_to_cltu
from tests.ccsds.sdls.attacker import soak_trials
from tests.ccsds.sdls.helpers import Ends, make_sa, tc
from tests.ccsds.sdls.test_attacks import Attacker

CONFIG = dataclasses.replace(LinkConfig.baseline(), sdls=SdlsConfig(enabled=True))
CLEAR = dataclasses.replace(CONFIG, tc=dataclasses.replace(CONFIG.tc, randomize=False))
DEFAULT_ATTACKS = 1_000


class Link:
    """A protected ground uplink and a board uplink sharing SA definitions."""

    def __init__(self, config: LinkConfig = CONFIG,
                 service: ServiceType = ServiceType.AUTHENTICATED_ENCRYPTION,
                 arsn_window: int = 64) -> None:
        self.config = config
        self.ends = Ends.of(make_sa(service=service, arsn_window=arsn_window),
                            make_sa(spi=2, key_id=None, state=SaState.UNKEYED,
                                    iv_fixed_field=b"\x00\x00\x00\x02", service=service))
        self.rejections: list[SecurityRejection] = []
        self.accepted_spis: list[int] = []
        self.batches = 0
        self.board = BoardUplink(config, security=UplinkSecurity(
            self.ends.board, self.ends.board_keys, on_rejected=self.rejections.append,
            on_accepted=self.accepted_spis.append, after_accepted=self._batch))
        self.protection = TcProtection(self.ends.ground, self.ends.ground_keys, config.tc)
        self.ground = GroundUplink(config, protection=self.protection)
        self.ground.start(0.0)

    def _batch(self) -> None:
        self.batches += 1

    def command(self, number: int) -> bytes:
        return PusTc(self.config.packets.apid_pus, number, 17, 1,
                     b"SECRET-ARGUMENT-%05d" % number).encode()


def test_protected_commands_are_delivered_in_order() -> None:
    link = Link()
    packets = [link.command(n) for n in range(12)]
    cltus = [c for packet in packets for c in link.ground.send_packet(packet, 0.0)]
    received = [p for cltu in cltus for p in link.board.feed(cltu)]
    assert received == packets[: link.config.tc.fop_window]  # FOP-1 window K
    while link.ground.queued or link.ground.fop.sent_queue_length:
        cltus = link.ground.receive_clcw(link.board.clcw(), 0.1)
        received += [p for cltu in cltus for p in link.board.feed(cltu)]
    assert received == packets
    assert link.board.security_counters.accepted == link.board.counters.frames_accepted == 12
    assert link.accepted_spis == [1] * 12
    assert link.rejections == []


def eavesdrop(capture: bytes, config: TcLinkConfig) -> bytes:
    """What anyone recording the uplink reads: the CLTUs' information octets (BCH parity
    dropped), derandomized (the randomizer is public, CCSDS 231.0-B-4 section 6)."""
    cltus = CltuExtractor(max_frame_length=config.max_frame_length).feed(capture)
    return b"|".join(tc_randomize(c.data) if config.randomize else c.data for c in cltus)


@pytest.mark.parametrize("config", [CONFIG, CLEAR], ids=["randomized", "not_randomized"])
@pytest.mark.parametrize(("service", "visible"), [
    (ServiceType.AUTHENTICATED_ENCRYPTION, False), (ServiceType.AUTHENTICATION, True)])
def test_captures_show_command_fields_only_without_encryption(
        config: LinkConfig, service: ServiceType, visible: bool) -> None:
    """The PUS TC header and argument octets can be read from a capture of the uplink
    exactly when the SA does not encrypt (authentication only, 355.0-B-2 4.2.2.4)."""
    link = Link(config, service)
    packet = link.command(7)
    capture = b"".join(link.ground.send_packet(packet, 0.0))
    seen = eavesdrop(capture, config.tc)
    for field in (packet[:6], packet[6:11], b"SECRET-ARGUMENT-00007"):
        assert (field in seen) is visible
    assert b"".join(link.board.feed(capture)) == packet


def test_acceptances_are_announced_once_per_batch_before_delivery() -> None:
    link = Link()
    cltus = [c for n in range(3) for c in link.ground.send_packet(link.command(n), 0.0)]
    assert len(link.board.feed(b"".join(cltus))) == 3
    assert link.batches == 1
    link.board.feed(cltus[0])  # a replay: rejected, nothing to save
    assert link.batches == 1


def test_unprotected_frames_are_rejected_before_farm() -> None:
    link = Link()
    plain = GroundUplink(CONFIG)
    plain.start(0.0)
    vr = link.board.farm.vr
    for cltu in plain.send_packet(link.command(1), 0.0):
        assert link.board.feed(cltu) == []
    assert link.board.farm.vr == vr
    assert link.board.counters.security_rejected == 1
    assert link.rejections[0].spi is not None  # the first octets read as some SPI


def test_board_without_security_attached_rejects_every_frame() -> None:
    link = Link()
    board = BoardUplink(CONFIG)
    for cltu in link.ground.send_packet(link.command(1), 0.0):
        assert board.feed(cltu) == []
    assert board.farm.vr == 0
    assert board.security_counters.sa_state == board.counters.security_rejected == 1


def test_ground_refuses_to_queue_without_an_operational_sa() -> None:
    link = Link()
    link.ends.ground.get(1).stop()
    with pytest.raises(LocalProtocolError):
        link.ground.send_packet(link.command(1), 0.0)
    assert link.ground.queued == 0


def test_segments_shrink_by_the_sa_overhead() -> None:
    link = Link()
    big = PusTc(CONFIG.packets.apid_pus, 1, 17, 1, bytes(3000)).encode()
    cltus = link.ground.send_packet(big, 0.0)
    received = [p for cltu in cltus for p in link.board.feed(cltu)]
    while link.ground.queued or link.ground.fop.sent_queue_length:
        cltus = link.ground.receive_clcw(link.board.clcw(), 0.0)
        received += [p for cltu in cltus for p in link.board.feed(cltu)]
    assert received == [big]
    assert link.ground.max_frame_data == 1024 - 5 - 2 - link.ends.ground.get(1).overhead


def test_retransmissions_after_loss_are_reprotected_and_accepted() -> None:
    link = Link()
    packets = [link.command(n) for n in range(3)]
    first = [link.ground.send_packet(p, 0.0) for p in packets]
    assert all(len(cltus) == 1 for cltus in first)
    for (cltu,) in first[1:]:  # the first frame is lost: FARM-1 asks for retransmission
        assert link.board.feed(cltu) == []
    assert link.board.farm.vr == 0 and link.board.security_counters.accepted == 2
    retransmitted = link.ground.receive_clcw(link.board.clcw(), 0.5)
    assert len(retransmitted) == 3 and link.ground.retransmissions == 3
    assert not set(retransmitted) & {c for (c,) in first}  # fresh ARSNs: new octets
    assert [p for c in retransmitted for p in link.board.feed(c)] == packets
    assert link.board.feed(first[0][0]) == []  # the original, if it turns up, is stale
    assert isinstance(link.board.last_error, ReplayError)
    assert link.board.farm.vr == 3


def test_stopped_sa_frames_are_rejected_and_counted_by_class() -> None:
    link = Link()
    link.ends.board.get(1).stop()
    (cltu,) = link.ground.send_packet(link.command(1), 0.0)
    assert link.board.feed(cltu) == []
    assert isinstance(link.rejections[0].error, SaStateError)
    assert (link.rejections[0].spi, link.rejections[0].virtual_channel) == (1, 0)
    assert link.board.security_counters.sa_state == 1


def test_make_before_break_keeps_frames_of_both_sas() -> None:
    """Frames under the old SA already on their way are accepted after the new one starts."""
    link = Link()
    early = link.ground.send_packet(link.command(0), 0.0)
    for table in (link.ends.ground, link.ends.board):
        table.get(2).rekey(2)
        table.get(2).start()
    link.protection.select(2)
    late = link.ground.send_packet(link.command(1), 0.0)
    assert [p for c in early + late for p in link.board.feed(c)] == [link.command(0),
                                                                      link.command(1)]
    assert link.accepted_spis == [1, 2]


def _campaign(attacks: int, seed: int, service: ServiceType) -> None:
    rng = random.Random(seed)
    link = Link(service=service, arsn_window=8)
    board, ends = link.board, link.ends
    attacker = Attacker(rng, ends)
    sent: list[bytes] = []
    delivered: list[bytes] = []

    def send_genuine() -> None:
        packet = link.command(len(sent))
        raw = ends.protect_tc(tc(len(sent), packet))
        if attacker.withholds(raw):
            return
        delivered.extend(board.feed(raw_frame_to_cltu(raw, CONFIG.tc)))
        sent.append(packet)
        attacker.seen.append(raw)

    def rejections() -> int:
        return board.counters.security_rejected + board.receiver.counters.rejected

    for raw in attacker.hostile_frames(attacks, send_genuine):
        vr, accepted, rejected = board.farm.vr, board.counters.frames_accepted, rejections()
        if not raw:  # a truncation to nothing: no CLTU to send
            continue
        assert board.feed(raw_frame_to_cltu(raw, CONFIG.tc)) == []
        assert (board.farm.vr, board.counters.frames_accepted) == (vr, accepted)
        assert not board.farm.lockout
        # rejected, by SDLS or below it (an EB 90 inside a CLTU may even cut a second one)
        assert rejections() > rejected
    assert delivered == sent
    assert board.farm.vr == len(sent) % 256
    assert board.security_counters.accepted == len(sent)
    classes = board.security_counters
    assert board.counters.security_rejected > attacks * 3 // 4  # most reach SDLS
    assert min(classes.replay, classes.mac, classes.unknown_spi, classes.truncated,
               classes.out_of_window, classes.iv) > 0
    assert len(link.rejections) == board.counters.security_rejected


@pytest.mark.parametrize("service", ServiceType)
def test_attacks_through_the_uplink_are_all_rejected(service: ServiceType) -> None:
    _campaign(DEFAULT_ATTACKS, seed=232, service=service)


@pytest.mark.soak
@pytest.mark.parametrize("service", ServiceType)
def test_attacks_through_the_uplink_are_all_rejected_soak(service: ServiceType) -> None:
    _campaign(soak_trials("SDLS_LINK_ATTACK_TRIALS"), seed=2321, service=service)


@given(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=120)), max_size=8))
def test_any_frame_contents_on_a_protected_uplink_deliver_nothing(
        frames: list[tuple[int, bytes]]) -> None:
    """Fuzz: arbitrary frame data fields (valid CLTU, header, length and FECF) reach SDLS
    and are rejected there, never raising and never moving FARM-1."""
    link = Link()
    for sequence, data in frames:
        length = 5 + len(data) + 2
        body = bytes([0x00, 42, (length - 1) >> 8, (length - 1) & 0xFF, sequence]) + data
        frame = body + crc16_ccitt(body).to_bytes(2, "big")
        assert link.board.feed(raw_frame_to_cltu(frame, CONFIG.tc)) == []
    assert link.board.farm.vr == 0
    assert link.board.security_counters.accepted == 0
    assert link.board.counters.security_rejected == len(frames)
