"""TM channel coding (CCSDS 131.0-B-5): ASM, RS codeblocks with interleaving, randomizer."""

from __future__ import annotations

import random
from typing import Any

import pytest
import reedsolo
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsds.channel_coding import ASM_LENGTH, CaduEncoder, CodeblockDecoder
from ccsds.config import LinkConfig, TmLinkConfig
from ccsds.errors import DecodeError, LengthError, LocalProtocolError, UncorrectableError

ICD = LinkConfig.baseline().tm


def coded(check_symbols: int, interleave: int, **extra: Any) -> TmLinkConfig:
    frame_length = (255 - check_symbols) * interleave
    return TmLinkConfig(
        frame_length=frame_length,
        rs_check_symbols=check_symbols,
        rs_interleave=interleave,
        **extra,
    )


def randomizer_sequence(kat: dict[str, Any], length: int) -> bytes:
    """The TM randomizer from the kat vector (a whole 255-octet period), repeated."""
    period = bytes.fromhex(kat["tm_randomizer"]["sequence"])
    assert len(period) == 255
    return (period * (length // 255 + 1))[:length]


def xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def dual_basis_tables(kat: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Conventional -> dual basis table from the kat matrix rows (131.0-B-5 Annex F), inverse."""
    rows = bytes.fromhex(kat["rs_255_223"]["dual_basis_rows"])
    to_dual = []
    for value in range(256):
        out = 0
        for bit in range(8):
            if value >> bit & 1:
                out ^= rows[7 - bit]
        to_dual.append(out)
    assert bytes(to_dual[:9]).hex() == kat["rs_255_223"]["taltab_first_9"]
    to_conventional = [0] * 256
    for value, dual in enumerate(to_dual):
        to_conventional[dual] = value
    return to_dual, to_conventional


def alpha_power(exponent: int) -> int:
    """alpha^exponent in GF(2^8) with field polynomial 0x187 (131.0-B-5 4.3.2.1)."""
    value = 1
    for _ in range(exponent):
        value <<= 1
        if value & 0x100:
            value ^= 0x187
    return value


def reference_codeblock(kat: dict[str, Any], frame: bytes, check_symbols: int, depth: int) -> bytes:
    """Independent encoder: reedsolo with the CCSDS code, dual basis and interleaving by hand."""
    to_dual, to_conventional = dual_basis_tables(kat)
    codec = reedsolo.RSCodec(
        check_symbols, fcr=128 - check_symbols // 2, prim=0x187, generator=alpha_power(11)
    )
    parities = []
    for row in range(depth):
        message = bytes(to_conventional[s] for s in frame[row::depth])
        parities.append(bytes(to_dual[s] for s in codec.encode(message)[-check_symbols:]))
    interleaved = bytes(parities[j % depth][j // depth] for j in range(check_symbols * depth))
    return frame + interleaved


def test_asm_and_randomizer_kat(kat: dict[str, Any]) -> None:
    """An all-zero frame has all-zero RS parity, so the codeblock is the randomizer sequence."""
    assert ICD.asm_bytes.hex() == kat["asm"]["value"]
    assert bytes(32).hex() == kat["rs_255_223"]["all_zero_message_parity_dual"]
    cadu = CaduEncoder(ICD).encode(bytes(ICD.frame_length))
    assert cadu[:ASM_LENGTH].hex() == kat["asm"]["value"]
    assert cadu[ASM_LENGTH:] == randomizer_sequence(kat, ICD.codeblock_length)


@pytest.mark.parametrize(("section", "check_symbols"), [("rs_255_223", 32), ("rs_255_239", 16)])
def test_rs_kat(kat: dict[str, Any], section: str, check_symbols: int) -> None:
    vector = kat[section]
    message = bytes.fromhex(vector["message"])
    config = coded(check_symbols, 1)
    codeblock = CaduEncoder(config).encode(message)[ASM_LENGTH:]
    plain = xor(codeblock, randomizer_sequence(kat, len(codeblock)))
    assert plain == message + bytes.fromhex(vector["parity_dual_basis"])
    plain_conventional = CaduEncoder(coded(check_symbols, 1, rs_dual_basis=False, randomize=False))
    parity = plain_conventional.encode(message)[ASM_LENGTH + len(message) :]
    assert parity.hex() == vector["parity_conventional"]


def test_rs_kat_error_mask_is_corrected(kat: dict[str, Any]) -> None:
    vector = kat["rs_255_223"]
    message = bytes.fromhex(vector["message"])
    codeword = bytearray(message + bytes.fromhex(vector["parity_dual_basis"]))
    for index, mask in vector["error_mask_16_dual_basis"].items():
        codeword[int(index)] ^= int(mask, 16)
    config = coded(32, 1)
    received = xor(bytes(codeword), randomizer_sequence(kat, 255))
    result = CodeblockDecoder(config).decode(received)
    assert result.frame == message
    assert result.corrected_symbols == 16


def test_reference_encoder_matches_kat(kat: dict[str, Any]) -> None:
    """The test's own reedsolo-based encoder reproduces the published vector."""
    message = bytes.fromhex(kat["rs_255_223"]["message"])
    expected = message + bytes.fromhex(kat["rs_255_223"]["parity_dual_basis"])
    assert reference_codeblock(kat, message, 32, 1) == expected


@settings(max_examples=20)
@given(
    seed=st.integers(0, 2**32),
    check_symbols=st.sampled_from([16, 32]),
    depth=st.sampled_from([1, 2, 3, 4, 5, 8]),
)
def test_interleaved_codeblocks_match_independent_encoder(
    kat: dict[str, Any], seed: int, check_symbols: int, depth: int
) -> None:
    config = coded(check_symbols, depth)
    frame = random.Random(seed).randbytes(config.frame_length)
    codeblock = CaduEncoder(config).encode(frame)[ASM_LENGTH:]
    plain = xor(codeblock, randomizer_sequence(kat, len(codeblock)))
    assert plain == reference_codeblock(kat, frame, check_symbols, depth)


CONFIGS = [
    ICD,
    coded(16, 3),
    coded(32, 8, randomize=False),
    coded(16, 1, rs_dual_basis=False),
    TmLinkConfig(frame_length=300, rs_check_symbols=0),
    TmLinkConfig(frame_length=300, rs_check_symbols=0, randomize=False),
]


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32), config=st.sampled_from(CONFIGS), count=st.integers(1, 4))
def test_round_trip(seed: int, config: TmLinkConfig, count: int) -> None:
    rng = random.Random(seed)
    frames = [rng.randbytes(config.frame_length) for _ in range(count)]
    encoder = CaduEncoder(config)
    stream = encoder.encode_frames(frames)
    assert stream == b"".join(encoder.encode(frame) for frame in frames)
    assert len(stream) == count * encoder.cadu_length
    codeblocks = b"".join(
        stream[n * encoder.cadu_length + ASM_LENGTH : (n + 1) * encoder.cadu_length]
        for n in range(count)
    )
    results = CodeblockDecoder(config).decode_codeblocks(codeblocks)
    assert [r.frame for r in results] == frames
    assert all(r.corrected_symbols == 0 and not r.uncorrectable for r in results)


def corrupt_symbols(codeblock: bytes, depth: int, per_codeword: list[int], seed: int) -> bytes:
    """Flip random bits in ``per_codeword[i]`` distinct symbols of codeword i."""
    rng = random.Random(seed)
    out = bytearray(codeblock)
    for row, count in enumerate(per_codeword):
        for symbol in rng.sample(range(255), count):
            out[symbol * depth + row] ^= rng.randrange(1, 256)
    return bytes(out)


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**32),
    config=st.sampled_from(CONFIGS[:4]),
    data=st.data(),
)
def test_errors_up_to_capacity_are_corrected(
    seed: int, config: TmLinkConfig, data: st.DataObject
) -> None:
    capacity = config.rs_check_symbols // 2
    depth = config.rs_interleave
    counts = data.draw(st.lists(st.integers(0, capacity), min_size=depth, max_size=depth))
    frame = random.Random(seed).randbytes(config.frame_length)
    codeblock = CaduEncoder(config).encode(frame)[ASM_LENGTH:]
    result = CodeblockDecoder(config).decode(corrupt_symbols(codeblock, depth, counts, seed))
    assert result.frame == frame
    assert result.corrected_symbols == sum(counts)


@pytest.mark.parametrize("config", CONFIGS[:4])
def test_beyond_capacity_is_uncorrectable(config: TmLinkConfig) -> None:
    depth = config.rs_interleave
    capacity = config.rs_check_symbols // 2
    frame = random.Random(1).randbytes(config.frame_length)
    codeblock = CaduEncoder(config).encode(frame)[ASM_LENGTH:]
    counts = [0] * depth
    counts[depth - 1] = capacity + 8
    decoder = CodeblockDecoder(config)
    damaged = corrupt_symbols(codeblock, depth, counts, 2)
    with pytest.raises(UncorrectableError):
        decoder.decode(damaged)
    clean, bad = decoder.decode_codeblocks(codeblock + damaged)
    assert not clean.uncorrectable
    assert clean.frame == frame
    assert bad.uncorrectable


@given(st.binary(max_size=3000))
def test_garbage_gives_only_typed_errors(garbage: bytes) -> None:
    decoder = CodeblockDecoder(ICD)
    try:
        results = decoder.decode_codeblocks(garbage)
    except LengthError:
        assert len(garbage) % ICD.codeblock_length
        return
    assert len(results) == len(garbage) // ICD.codeblock_length


def test_misuse() -> None:
    encoder = CaduEncoder(ICD)
    with pytest.raises(LocalProtocolError):
        encoder.encode(bytes(100))
    with pytest.raises(LocalProtocolError):
        encoder.encode_frames([])
    with pytest.raises(DecodeError):
        CodeblockDecoder(ICD).decode(bytes(ICD.codeblock_length * 2))
    with pytest.raises(LengthError):
        CodeblockDecoder(ICD).decode(bytes(10))
