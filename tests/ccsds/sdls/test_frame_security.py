"""TC and TM security processing: round trips and every rejection class (355.0-B-2 4.2)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.crc import crc16_ccitt
from ccsds.errors import ChecksumError, DecodeError, LocalProtocolError, TruncatedError
from ccsds.sdls.association import SaState, ServiceType
from ccsds.sdls.errors import (
    IvError,
    KeyStateError,
    MacError,
    OutOfWindowError,
    PadLengthError,
    ReplayError,
    SaStateError,
    SecurityError,
    UnknownSpiError,
    WrongChannelError,
)
from ccsds.sdls.frame_security import SecurityCounters, process_tc_security, seal_data_field
from ccsds.sdls.iv import MAX_COUNTER
from ccsds.sdls.keys import KeyState
from ccsds.tc_frame import TcFrame

from .helpers import KEY_A_ID, SCID, TM_FRAME_LENGTH, Ends, make_sa, tc

SA_LAYOUTS = st.fixed_dictionaries({
    "service": st.sampled_from(ServiceType),
    "iv_field_length": st.sampled_from([0, 12]),
    "sn_field_length": st.integers(1, 8),
    "pad_field_length": st.integers(0, 2),
    "auth_mask": st.binary(max_size=8),
})


def _refresh_fecf(raw: bytes) -> bytes:
    """Recompute the FECF, as an attacker who alters a frame would."""
    return raw[:-2] + crc16_ccitt(raw[:-2]).to_bytes(2, "big")


def _reject(ends: Ends, raw: bytes, error: type[DecodeError]) -> None:
    arsn = ends.board.get(1).arsn if 1 in ends.board else None
    with pytest.raises(error):
        ends.receive_tc(raw)
    if arsn is not None:
        assert ends.board.get(1).arsn == arsn, "a rejected frame moved the ARSN"


# -- round trips ----------------------------------------------------------------------------


@given(layout=SA_LAYOUTS, payloads=st.lists(st.binary(max_size=200), min_size=1, max_size=5),
       segment=st.booleans(), fecf=st.booleans())
def test_tc_round_trip(layout: dict[str, object], payloads: list[bytes], segment: bool,
                       fecf: bool) -> None:
    ends = Ends.of(make_sa(**layout), segment_header=segment, fecf=fecf)
    for number, payload in enumerate(payloads):
        frame = tc(number, payload, segment=segment)
        assert ends.receive_tc(ends.protect_tc(frame)) == frame
    assert ends.board.get(1).arsn == ends.ground.get(1).arsn == len(payloads)
    assert ends.counters.accepted == len(payloads)


@given(layout=SA_LAYOUTS, count=st.integers(1, 4), vc=st.integers(0, 7))
def test_tm_round_trip(layout: dict[str, object], count: int, vc: int) -> None:
    ends = Ends.of(make_sa(virtual_channels=frozenset({vc}), **layout))
    for number in range(count):
        frame = ends.tm_frame(number, vc=vc)
        raw = ends.protect_tm(frame)
        assert len(raw) == TM_FRAME_LENGTH
        assert ends.receive_tm(raw) == frame


def test_encryption_hides_the_data_and_authentication_only_does_not() -> None:
    secret = b"launch the probe " * 4
    encrypted = Ends.of(make_sa()).protect_tc(tc(0, secret))
    clear = Ends.of(make_sa(service=ServiceType.AUTHENTICATION)).protect_tc(tc(0, secret))
    assert secret not in encrypted
    assert secret in clear


def test_control_command_frames_carry_no_segment_header() -> None:
    ends = Ends.of(make_sa())
    unlock = TcFrame(SCID, 0, 0, b"\x00", bypass=True, control_command=True)
    raw = ends.protect_tc(unlock)
    assert raw[5:7] == b"\x00\x01"  # the SPI follows the primary header directly
    assert ends.receive_tc(raw) == unlock


def test_sequence_number_field_wraps_within_the_window() -> None:
    ends = Ends.of(make_sa(iv_field_length=0, sn_field_length=1, arsn_window=10))
    for number in range(600):  # the one-octet field wraps twice
        assert ends.receive_tc(ends.protect_tc(tc(number, bytes([number % 256])))).data[1:] \
            == bytes([number % 256])
    assert ends.board.get(1).arsn == 600


def test_sequence_number_beyond_the_last_counter_value_is_out_of_window() -> None:
    ends = Ends.of(make_sa(iv_field_length=0, sn_field_length=1, arsn_window=300,
                           arsn=MAX_COUNTER - 3))
    older = ends.protect_tc(tc(0, b"older"))  # ARSN MAX - 2
    ends.receive_tc(ends.protect_tc(tc(1, b"newer")))  # ARSN MAX - 1
    # the low octet of MAX - 2 expands past the 64-bit counter: rejected, not a crash
    _reject(ends, older, OutOfWindowError)


# -- rejections -----------------------------------------------------------------------------


@pytest.mark.parametrize("service", ServiceType)
def test_every_single_bit_flip_is_rejected(service: ServiceType) -> None:
    """Header, security header, data and MAC: any flipped bit fails (FECF made good)."""
    ends = Ends.of(make_sa(service=service, sn_field_length=2))
    raw = ends.protect_tc(tc(0, b"\x17" * 24))
    for bit in range(8 * (len(raw) - 2)):
        forged = bytearray(raw)
        forged[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(DecodeError):
            ends.receive_tc(_refresh_fecf(bytes(forged)))
    assert ends.counters.accepted == 0
    assert ends.receive_tc(raw).data[1:] == b"\x17" * 24  # the original still verifies


def test_bit_flip_without_fecf_repair_fails_the_fecf_first() -> None:
    ends = Ends.of(make_sa())
    raw = bytearray(ends.protect_tc(tc(0, b"data")))
    raw[12] ^= 1
    _reject(ends, bytes(raw), ChecksumError)
    assert ends.counters.malformed == 1


@pytest.mark.parametrize("where", ["data", "mac", "iv"])
def test_forged_content_fails_the_mac(where: str) -> None:
    ends = Ends.of(make_sa())
    raw = bytearray(ends.protect_tc(tc(0, b"x" * 40)))
    index = {"data": 30, "mac": len(raw) - 5, "iv": 19}[where]
    raw[index] ^= 0x02  # in the IV: ARSN 1 -> 3, inside the window
    _reject(ends, _refresh_fecf(bytes(raw)), MacError)
    assert ends.counters.mac == 1


def test_wrong_key_fails_the_mac() -> None:
    ends = Ends.of(make_sa())
    ends.board.get(1).key_id = 2  # board keyed differently from the ground
    _reject(ends, ends.protect_tc(tc(0, b"x")), MacError)


def test_replayed_frame_is_rejected() -> None:
    ends = Ends.of(make_sa())
    raw = ends.protect_tc(tc(0, b"once"))
    ends.receive_tc(raw)
    _reject(ends, raw, ReplayError)
    assert ends.counters.replay == 1


def test_reordered_frames_older_one_is_rejected() -> None:
    ends = Ends.of(make_sa())
    first, second = ends.protect_tc(tc(0, b"1")), ends.protect_tc(tc(1, b"2"))
    ends.receive_tc(second)
    _reject(ends, first, ReplayError)


def test_frame_beyond_the_window_is_rejected_and_one_at_its_edge_accepted() -> None:
    ends = Ends.of(make_sa(arsn_window=5))
    frames = [ends.protect_tc(tc(n, b"w")) for n in range(7)]
    _reject(ends, frames[5], OutOfWindowError)  # ARSN 6 = 0 + 6 > window
    assert ends.receive_tc(frames[4]).data == b"\xc0w"  # ARSN 5 at the edge
    assert ends.counters.out_of_window == 1


def test_unknown_spi_is_rejected() -> None:
    ends = Ends.of(make_sa(spi=1), make_sa(spi=2))
    raw = ends.protect_tc(tc(0, b"x"), spi=2)
    ends.board.get(2).stop()
    ends.board.get(2).expire()
    ends.board.delete(2)
    _reject(ends, raw, UnknownSpiError)
    assert ends.counters.unknown_spi == 1


def test_sa_for_another_virtual_channel_is_rejected() -> None:
    ends = Ends.of(make_sa(virtual_channels=frozenset({0, 1})))
    raw = ends.protect_tc(tc(0, b"x", vc=1))
    ends.board.get(1).virtual_channels = frozenset({0})
    _reject(ends, raw, WrongChannelError)


@pytest.mark.parametrize("state", [SaState.KEYED, SaState.UNKEYED])
def test_sa_not_operational_is_rejected(state: SaState) -> None:
    ends = Ends.of(make_sa())
    raw = ends.protect_tc(tc(0, b"x"))
    sa = ends.board.get(1)
    sa.stop()
    if state is SaState.UNKEYED:
        sa.expire()
    _reject(ends, raw, SaStateError)
    assert ends.counters.sa_state == 1


@pytest.mark.parametrize("action", ["deactivate", "destroy"])
def test_key_not_active_is_rejected(action: str) -> None:
    ends = Ends.of(make_sa())
    raw = ends.protect_tc(tc(0, b"x"))
    ends.board_keys.deactivate(KEY_A_ID)
    if action == "destroy":
        ends.board_keys.destroy(KEY_A_ID)
    _reject(ends, raw, KeyStateError)
    assert ends.board_keys.state(KEY_A_ID) in (KeyState.DEACTIVATED, KeyState.DESTROYED)


def test_iv_fixed_field_and_sequence_number_disagreement_are_rejected() -> None:
    ends = Ends.of(make_sa(iv_fixed_field=b"\x00\x00\x00\x07"))
    ends.board.get(1).iv_fixed_field = b"\x00\x00\x00\x08"
    _reject(ends, ends.protect_tc(tc(0, b"x")), IvError)
    both = Ends.of(make_sa(sn_field_length=2))
    raw = bytearray(both.protect_tc(tc(0, b"x")))
    raw[6 + 2 + 12 + 1] ^= 1  # low octet of the sequence number field
    _reject(both, _refresh_fecf(bytes(raw)), IvError)


def _padded_frame(ends: Ends, pad: int, data: bytes) -> bytes:
    """A frame whose pad length field says ``pad``, sealed with the real key (as a keyed
    sender that pads would send it: this end's own sender always writes 0)."""
    sa = ends.ground.get(1)
    arsn = sa.next_arsn()
    length = 5 + 1 + sa.overhead + len(data) + 2
    primary = bytes([0x00, SCID, (length - 1) >> 8, (length - 1) & 0xFF, 0])
    region = primary + b"\xc0" + b"\x00\x01" + sa.iv(arsn) + pad.to_bytes(2, "big")
    cipher = ends.ground_keys.traffic_cipher(KEY_A_ID)
    body = region + seal_data_field(sa, cipher, sa.iv(arsn), region, data)
    return body + crc16_ccitt(body).to_bytes(2, "big")


@pytest.mark.parametrize("service", ServiceType)
def test_pad_length_strips_padding_and_beyond_the_data_is_rejected(
        service: ServiceType) -> None:
    ends = Ends.of(make_sa(service=service, pad_field_length=2))
    assert ends.receive_tc(_padded_frame(ends, 2, b"abcPP")).data == b"\xc0abc"
    _reject(ends, _padded_frame(ends, 6, b"abcPP"), PadLengthError)
    assert ends.counters.pad_length == 1


@pytest.mark.parametrize("fecf", [True, False])
def test_truncation_at_every_length_is_rejected(fecf: bool) -> None:
    ends = Ends.of(make_sa(), fecf=fecf)
    raw = ends.protect_tc(tc(0, b"payload" * 3))
    for length in range(len(raw)):
        _reject(ends, raw[:length], DecodeError)
        # and with the length field and FECF fixed up to match the shorter frame
        if length >= 5 + (2 if fecf else 0):
            cut = bytearray(raw[: length - (2 if fecf else 0)])
            cut[2:4] = ((cut[2] & 0xFC) << 8 | (length - 1)).to_bytes(2, "big")
            forged = bytes(cut) + (crc16_ccitt(cut).to_bytes(2, "big") if fecf else b"")
            _reject(ends, forged, DecodeError)
    assert ends.counters.accepted == 0
    assert ends.counters.truncated > 0


def test_counters_sum_to_the_rejections() -> None:
    ends = Ends.of(make_sa())
    raw = ends.protect_tc(tc(0, b"x"))
    ends.receive_tc(raw)
    for forged in (raw, raw[:3], _refresh_fecf(raw[:-3] + b"\x00\x00\x00")):
        with pytest.raises(DecodeError):
            ends.receive_tc(forged)
    counts = ends.counters.as_dict()
    assert counts["accepted"] == 1
    assert counts["rejected"] == 3
    assert sum(v for k, v in counts.items() if k not in ("accepted", "rejected")) == 3


def test_security_errors_are_decode_errors_and_truncation_is_both() -> None:
    assert issubclass(SecurityError, DecodeError)
    ends = Ends.of(make_sa())
    raw = ends.protect_tc(tc(0, b""))
    body = bytearray(raw[:8])
    body[2:4] = (9).to_bytes(2, "big")  # header, segment header, SPI, FECF: no IV, no MAC
    with pytest.raises(TruncatedError):
        ends.receive_tc(bytes(body) + crc16_ccitt(body).to_bytes(2, "big"))
    assert ends.counters.truncated == 1


# -- TM rejections --------------------------------------------------------------------------


def test_tm_replay_and_forgery_are_rejected_but_ocf_is_not_covered() -> None:
    ends = Ends.of(make_sa())
    raw = ends.protect_tm(ends.tm_frame(1))
    ends.receive_tm(raw)
    with pytest.raises(ReplayError):
        ends.receive_tm(raw)
    forged = bytearray(ends.protect_tm(ends.tm_frame(2)))
    forged[40] ^= 1
    with pytest.raises(MacError):
        ends.receive_tm(_refresh_fecf(bytes(forged)))
    new_ocf = bytearray(ends.protect_tm(ends.tm_frame(3)))
    new_ocf[-6:-2] = b"\xff\xff\xff\xff"  # the CLCW lies outside the MAC (docs/security.md)
    assert ends.receive_tm(_refresh_fecf(bytes(new_ocf))).ocf == b"\xff\xff\xff\xff"


def test_every_single_bit_flip_in_a_tm_frame_outside_the_ocf_is_rejected() -> None:
    ends = Ends.of(make_sa())
    raw = ends.protect_tm(ends.tm_frame(7))
    for bit in range(8 * (TM_FRAME_LENGTH - 6)):
        forged = bytearray(raw)
        forged[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(DecodeError):
            ends.receive_tm(_refresh_fecf(bytes(forged)))
    assert ends.counters.accepted == 0
    assert ends.receive_tm(raw).data == ends.tm_frame(7).data


# -- sending end ----------------------------------------------------------------------------


def test_sending_end_refuses_what_it_cannot_protect() -> None:
    ends = Ends.of(make_sa())
    sa = ends.ground.get(1)
    with pytest.raises(LocalProtocolError):
        ends.protect_tc(tc(0, b"x", vc=3))
    with pytest.raises(LocalProtocolError):
        ends.protect_tc(tc(0, bytes(1024)))
    assert sa.arsn == 0, "a refused frame used up a sequence number"
    sa.stop()
    with pytest.raises(LocalProtocolError):
        ends.protect_tc(tc(0, b"x"))
    sa.start()
    ends.ground_keys.deactivate(KEY_A_ID)
    with pytest.raises(LocalProtocolError):
        ends.protect_tc(tc(0, b"x"))
    with pytest.raises(LocalProtocolError):
        ends.protect_tm(dataclasses.replace(ends.tm_frame(0), data=b"short"))


def test_counters_are_optional() -> None:
    ends = Ends.of(make_sa())
    counters = SecurityCounters()
    assert counters.as_dict()["accepted"] == 0
    raw = ends.protect_tc(tc(0, b"x"))
    assert process_tc_security(raw, ends.board, ends.board_keys, segment_header=True,
                               fecf=True).data == b"\xc0x"


# -- the decoders are total -----------------------------------------------------------------


@given(raw=st.binary(max_size=120), fix=st.booleans())
def test_arbitrary_tc_octets_give_a_typed_error(raw: bytes, fix: bool) -> None:
    ends = Ends.of(make_sa(), make_sa(spi=2, service=ServiceType.AUTHENTICATION))
    if fix and len(raw) >= 5:  # consistent version, length and FECF: reach the SDLS checks
        body = bytearray(b"\x00" + bytes([SCID]) + raw[2:])
        body[2:4] = (len(body) + 1).to_bytes(2, "big")
        body[2] &= 0x03
        raw = bytes(body) + crc16_ccitt(body).to_bytes(2, "big")
    with pytest.raises(DecodeError):
        ends.receive_tc(raw)
    assert ends.counters.rejected == 1


@given(body=st.binary(min_size=TM_FRAME_LENGTH - 8, max_size=TM_FRAME_LENGTH - 8),
       spi=st.sampled_from([1, 2, 3]))
def test_arbitrary_tm_frames_give_a_typed_error(body: bytes, spi: int) -> None:
    ends = Ends.of(make_sa(), make_sa(spi=2, service=ServiceType.AUTHENTICATION))
    raw = bytes([0x02, 0xA1, 0, 0, 0x18, 0x00]) + spi.to_bytes(2, "big") + body[:-2]
    raw += crc16_ccitt(raw).to_bytes(2, "big")
    assert len(raw) == TM_FRAME_LENGTH
    with pytest.raises(SecurityError):  # a valid TM frame: only SDLS can reject it
        ends.receive_tm(raw)
