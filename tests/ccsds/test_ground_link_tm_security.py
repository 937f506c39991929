"""SDLS on the TM downlink: board_link seals frames of protected VCs, ground_link verifies them
before VC demultiplexing (CCSDS 355.0-B-2 4.2; 132.0-B-3 section 6).

Expected values come from the packets the board queued (delivered in order, or not at all),
from the rejection classes of ccsds.sdls.errors and from the demultiplexer's own counters
(a rejected frame never reaches it). The attacker sees every frame on the downlink, knows
every format, the CRC and the SPI, holds a key of its own but not the mission's.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.board_link import BoardDownlink, DownlinkSecurity
from ccsds.config import LinkConfig, SdlsConfig
from ccsds.crc import crc16_ccitt
from ccsds.errors import DecodeError
from ccsds.ground_link import DownlinkVerification, GroundDownlink, TmFrameUnverified
from ccsds.pus import PusTm
from ccsds.sdls.association import SaState, SaTable, ServiceType
from ccsds.sdls.errors import (
    MacError,
    OutOfWindowError,
    ReplayError,
    SaStateError,
    WrongChannelError,
)
from ccsds.sdls.frame_security import SecurityCounters
from ccsds.tm_demux import OcfReceived, PacketReceived
from ccsds.tm_frame import OCF_LENGTH, TmFrame, data_field_length
from ccsds.tm_mux import TmMultiplexer
from tests.ccsds.sdls.attacker import FrameAttacker, soak_trials
from tests.ccsds.sdls.helpers import key_store, make_sa

DEFAULT_ATTACKS = 1_000
CLCW = b"\x00\x01\x00\x00"


def tm_config(service: ServiceType = ServiceType.AUTHENTICATION,
              channels: tuple[int, ...] = (0, 1)) -> LinkConfig:
    return dataclasses.replace(LinkConfig.baseline(), sdls=SdlsConfig(
        enabled=True, tm_protection=True, tm_service=service.value,
        tm_virtual_channels=channels))


class TmLink:
    """A protecting board downlink and a verifying ground downlink sharing one TM SA."""

    def __init__(self, service: ServiceType = ServiceType.AUTHENTICATION, *,
                 channels: tuple[int, ...] = (0, 1), window: int = 64) -> None:
        self.config = tm_config(service, channels)
        sa = make_sa(spi=0x80, virtual_channels=frozenset(channels), service=service,
                     iv_fixed_field=b"\x00\x00\x00\x80", arsn_window=window)
        self.board_table = SaTable([dataclasses.replace(sa)])
        self.ground_table = SaTable([dataclasses.replace(sa)])
        self.saves = 0
        self.protection = DownlinkSecurity(self.board_table, key_store(), self.config)
        self.board = BoardDownlink(self.config, security=self.protection)
        self.verification = DownlinkVerification(self.ground_table, key_store(), self.config,
                                                 after_accepted=self._saved)
        self.ground = GroundDownlink(self.config, verification=self.verification)
        self.sequence = 0

    def _saved(self) -> None:
        self.saves += 1

    def packet(self, size: int = 40) -> bytes:
        self.sequence += 1
        return PusTm(self.config.packets.apid_pus, self.sequence, 3, 25, source_data=(
            b"HK-VALUE-%06d" % self.sequence + bytes(max(0, size - 36)))).encode()

    def frame(self, vc: int = 0, size: int = 40) -> tuple[bytes, bytes]:
        """One frame carrying one new packet on ``vc``: (packet, frame)."""
        packet = self.packet(size)
        self.board.queue_packet(vc, packet)
        frame = self.board.mux.next_frame(CLCW)
        assert frame is not None
        return packet, frame

    @property
    def counters(self) -> SecurityCounters:
        return self.ground.security_counters


def packets(events: Sequence[object]) -> list[bytes]:
    return [event.packet for event in events if isinstance(event, PacketReceived)]


@pytest.mark.parametrize("service", ServiceType)
def test_protected_frames_cross_the_coded_link(service: ServiceType) -> None:
    link = TmLink(service)
    sent = [link.packet(size) for size in (20, 300, 1500, 64)]
    for index, packet in enumerate(sent):
        link.board.queue_packet(index % 2, packet)
    cadus = link.board.take_cadus(CLCW, 10) + link.board.idle_cadu(CLCW)
    events = link.ground.feed(cadus)
    got = packets(events)
    assert sorted(got) == sorted(sent)
    assert [e.ocf for e in events if isinstance(e, OcfReceived)][-1] == CLCW  # idle VC too
    sa = link.board_table.get(0x80)
    assert link.counters.accepted == sa.arsn == link.protection.frames_protected >= 3
    assert link.ground_table.get(0x80).arsn == sa.arsn
    assert link.counters.rejected == 0 and link.saves == 1  # once for the batch


def test_protected_data_field_shrinks_by_the_sa_overhead() -> None:
    """Header SPI 2 + IV 12, MAC 16: 30 octets fewer of packet data (355.0-B-2 4.1)."""
    link = TmLink()
    _, raw = link.frame()
    plain = link.verification.verify(raw)
    tm = link.config.tm
    assert len(raw) == tm.frame_length and plain.ocf == CLCW
    assert len(plain.data) == data_field_length(tm.frame_length, ocf=True, fecf=True) - 30


@pytest.mark.parametrize(("service", "visible"), [(ServiceType.AUTHENTICATION, True),
                                                  (ServiceType.AUTHENTICATED_ENCRYPTION, False)])
def test_frames_show_packets_exactly_without_encryption(service: ServiceType,
                                                        visible: bool) -> None:
    link = TmLink(service)
    for _ in range(5):
        packet, raw = link.frame()
        assert (packet in raw) is visible
        assert packets(link.ground.frame_events(raw)) == [packet]


def test_unprotected_channels_and_idle_frames_stay_clear() -> None:
    link = TmLink(channels=(0,))
    packet, raw = link.frame(vc=1)
    assert packet in raw and packets(link.ground.frame_events(raw)) == [packet]
    idle = link.board.mux.idle_frame(CLCW)
    assert link.ground.frame_events(idle)[0] == OcfReceived(7, CLCW)
    assert link.counters.accepted == link.counters.rejected == 0


def _clear_frame(config: LinkConfig, vc: int, data: bytes | None = None,
                 pointer: int = 0) -> bytes:
    tm = config.tm
    length = data_field_length(tm.frame_length, ocf=True, fecf=True)
    empty = len(PusTm(100, 1, 3, 25).encode())
    body = data if data is not None else PusTm(100, 1, 3, 25,
                                               source_data=bytes(length - empty)).encode()
    return TmFrame(tm.spacecraft_id, vc, 0, 0, pointer, body, ocf=CLCW).encode(
        tm.frame_length)


@pytest.mark.parametrize(("vc", "error"), [(0, MacError), (1, MacError), (7, WrongChannelError),
                                           (3, WrongChannelError)])
def test_clear_frames_where_only_protected_or_idle_ones_go_are_rejected(
        vc: int, error: type[DecodeError]) -> None:
    """A clear frame on a protected VC, even one laid out as the SA's (SPI, IV fixed field,
    an ARSN in the window), fails its MAC; data on the idle VC or on a VC the link does not
    use is refused as wrong_channel."""
    link = TmLink()
    length = data_field_length(link.config.tm.frame_length, ocf=True, fecf=True)
    data = b"\x00\x80" + b"\x00\x00\x00\x80" + (1).to_bytes(8, "big") + bytes(length - 14)
    events = link.ground.frame_events(_clear_frame(link.config, vc, data))
    assert len(events) == 1 and isinstance(events[0], TmFrameUnverified)
    assert isinstance(events[0].error, error)
    assert link.ground.demux.counters.frames == 0 and link.counters.rejected == 1


def test_ground_without_verification_rejects_protected_frames() -> None:
    link = TmLink()
    ground = GroundDownlink(link.config)
    _, raw = link.frame()
    (event,) = ground.frame_events(raw)
    assert isinstance(event, TmFrameUnverified) and isinstance(event.error, SaStateError)
    assert ground.security_counters.sa_state == 1
    assert ground.frame_events(link.board.mux.idle_frame(CLCW))[0] == OcfReceived(7, CLCW)


def test_board_without_security_sends_only_idle_frames() -> None:
    config = tm_config()
    board = BoardDownlink(config)
    board.queue_packet(0, PusTm(100, 1, 17, 2).encode())
    assert board.take_cadus(CLCW, 4) == b""
    assert board.mux.protection_failures == 1 and board.pending() > 0
    assert len(board.idle_cadu(CLCW)) == board.cadu_length


def test_stopped_sa_withholds_its_channels_until_started_again() -> None:
    link = TmLink(channels=(0,))
    sa = link.board_table.get(0x80)
    sa.stop()
    link.board.queue_packet(0, link.packet())
    clear = link.packet()
    link.board.queue_packet(1, clear)
    frame = link.board.mux.next_frame(CLCW)
    assert frame is not None and packets(link.ground.frame_events(frame)) == [clear]
    assert link.board.mux.next_frame(CLCW) is None
    assert isinstance(link.protection.last_failure, Exception)
    sa.start()
    frame = link.board.mux.next_frame(CLCW)
    assert frame is not None and len(packets(link.ground.frame_events(frame))) == 1


def test_lost_frames_within_the_window_are_tolerated() -> None:
    link = TmLink(window=8)
    frames = [link.frame() for _ in range(20)]
    assert packets(link.ground.frame_events(frames[0][1])) == [frames[0][0]]
    assert packets(link.ground.frame_events(frames[8][1])) == [frames[8][0]]  # 7 lost
    events = link.ground.frame_events(frames[19][1])  # 10 lost: beyond the window
    assert isinstance(events[0], TmFrameUnverified)
    assert isinstance(events[0].error, OutOfWindowError)
    events = link.ground.frame_events(frames[5][1])  # older than the last accepted
    assert isinstance(events[0], TmFrameUnverified) and isinstance(events[0].error, ReplayError)
    assert link.counters.out_of_window == link.counters.replay == 1


# -- the attacker ---------------------------------------------------------------------------


def _fix(raw: bytes | bytearray) -> bytes:
    """The FECF made right again (anyone can compute the CRC)."""
    return bytes(raw[:-2]) + crc16_ccitt(raw[:-2]).to_bytes(2, "big")


class TmAttacker(FrameAttacker):
    """Builds one hostile TM frame from the frames it has seen (all moves keep the OCF as
    sent: the OCF is outside the MAC by design, docs/security.md 3)."""

    def __init__(self, rng: random.Random, link: TmLink) -> None:
        super().__init__(rng, AESGCM(rng.randbytes(32)))
        self.link = link
        self.moves: list[Callable[[], bytes]] = [
            self.replay, self.reordered, self.flip_bits, self.overwrite, self.truncate,
            self.extend, self.splice, self.own_key_frame, self.far_ahead, self.wrong_spi,
            self.clear_frame]

    @property
    def _protected_end(self) -> int:
        return self.link.config.tm.frame_length - 2 - OCF_LENGTH

    def flip_bits(self) -> bytes:
        return _fix(self.flipped(unprotected_tail=OCF_LENGTH + 2))

    def overwrite(self) -> bytes:
        raw = bytearray(self._victim())
        start = self.rng.randrange(6, self._protected_end)
        for index in range(start, min(self._protected_end, start + self.rng.randint(1, 16))):
            raw[index] = (raw[index] + self.rng.randrange(1, 256)) % 256
        return _fix(raw)

    def truncate(self) -> bytes:
        return self._victim()[: self.rng.randrange(len(self.seen[0]))]

    def extend(self) -> bytes:
        return _fix(self._victim()[:-2] + self.rng.randbytes(self.rng.randint(1, 20)) + b"..")

    def splice(self) -> bytes:
        """Header and security header of one frame, the body of another."""
        first, second = self._victim(), self._victim()
        cut = self.rng.randrange(6, 21)
        return _fix(first[:cut] + second[cut:])

    def _sealed(self, arsn: int, seal: Callable[[bytes, bytes], bytes]) -> bytes:
        sa = self.link.ground_table.get(0x80)
        header = bytearray(self._victim()[:6])
        region = bytes(header) + b"\x00\x80" + sa.iv(arsn)
        length = self._protected_end - len(region) - 16
        body = seal(sa.iv(arsn), region + self.rng.randbytes(length))
        return _fix(region + body[len(region):] + CLCW + b"..")

    def own_key_frame(self) -> bytes:
        """A well-formed frame for the genuine SPI, sealed with the attacker's key, its ARSN
        just ahead of the last accepted."""
        arsn = self.link.ground_table.get(0x80).arsn + self.rng.randint(1, 4)
        return self._sealed(arsn, lambda iv, data: data[:20] + self.own_key.encrypt(
            iv, data[20:], data[:20]))

    def far_ahead(self) -> bytes:
        arsn = self.link.ground_table.get(0x80).arsn + self.rng.randint(65, 1 << 40)
        return self._sealed(arsn, lambda iv, data: data + bytes(16))

    def wrong_spi(self) -> bytes:
        raw = bytearray(self._victim())
        raw[6:8] = self.rng.choice((0x0001, 0x0081, 0xFFFF)).to_bytes(2, "big")
        return _fix(raw)

    def clear_frame(self) -> bytes:
        """Packets in clear on a protected, the idle or an unused VC (an idle frame in
        clear on the idle VC is what the board sends itself: not an attack)."""
        vc = self.rng.choice((0, 1, 3, 7))
        pointer = 0 if vc == 7 else self.rng.choice((0, 0x7FE))
        return _clear_frame(self.link.config, vc, pointer=pointer)


def _campaign(attacks: int, seed: int, service: ServiceType) -> None:
    rng = random.Random(seed)
    link = TmLink(service, window=64)
    attacker = TmAttacker(rng, link)
    sent: list[bytes] = []
    delivered: list[bytes] = []

    def send_genuine() -> None:
        packet, raw = link.frame(vc=rng.choice((0, 1)), size=rng.randint(20, 900))
        if attacker.withholds(raw):
            return
        delivered.extend(packets(link.ground.frame_events(raw)))
        sent.append(packet)
        attacker.seen.append(raw)

    demux = link.ground.demux.counters
    for hostile in attacker.hostile_frames(attacks, send_genuine):
        frames, rejected = demux.frames, link.counters.rejected + demux.frames_rejected
        events = link.ground.frame_events(hostile)
        assert not [e for e in events if isinstance(e, PacketReceived | OcfReceived)]
        assert demux.frames == frames
        assert link.counters.rejected + demux.frames_rejected == rejected + 1
    assert delivered == sent
    assert link.counters.accepted == len(sent) == demux.frames
    classes = link.counters
    assert min(classes.replay, classes.mac, classes.unknown_spi, classes.malformed,
               classes.out_of_window, classes.wrong_channel) > 0


@pytest.mark.parametrize("service", ServiceType)
def test_forged_replayed_and_truncated_frames_are_all_rejected(service: ServiceType) -> None:
    _campaign(DEFAULT_ATTACKS, seed=1320, service=service)


@pytest.mark.soak
@pytest.mark.parametrize("service", ServiceType)
def test_forged_replayed_and_truncated_frames_are_all_rejected_soak(
        service: ServiceType) -> None:
    _campaign(soak_trials("SDLS_TM_ATTACK_TRIALS"), seed=13201, service=service)


@settings(max_examples=150)
@given(st.lists(st.binary(min_size=0, max_size=1200), max_size=6))
def test_any_octets_reaching_the_protected_downlink_deliver_nothing(
        frames: list[bytes]) -> None:
    """Fuzz: arbitrary frames (FECF made valid when long enough) after frame sync are
    rejected by SDLS or the frame decoder: no packet, no CLCW, no exception."""
    link = TmLink()
    for raw in frames:
        events = link.ground.frame_events(_fix(raw) if len(raw) > 2 else raw)
        assert not packets(events)  # only an idle frame on VC 7 passes (with its CLCW)
    assert link.counters.accepted == 0


def test_sa_table_state_does_not_move_on_rejection() -> None:
    link = TmLink()
    _, raw = link.frame()
    assert packets(link.ground.frame_events(raw))
    arsn = link.ground_table.get(0x80).arsn
    link.ground.frame_events(raw)
    link.ground.frame_events(_fix(raw[:30] + bytes([raw[30] ^ 1]) + raw[31:]))
    assert link.ground_table.get(0x80).arsn == arsn
    assert link.ground_table.get(0x80).state is SaState.OPERATIONAL


def test_multiplexer_without_protection_is_unchanged() -> None:
    mux = TmMultiplexer(LinkConfig.baseline().tm)
    assert mux.protection is None and mux.protection_failures == 0
