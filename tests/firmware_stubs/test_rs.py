"""Reed-Solomon kernel: CCSDS 131.0-B-5 section 4 vectors, round trips, limits, interop."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import reedsolo
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_stubs import rs
from firmware_stubs.errors import KernelArgumentError

FIELD_POLY = 0x187
CODES = st.sampled_from([32, 16])
DEPTHS = st.sampled_from(rs.INTERLEAVE_DEPTHS)


def gf_mul(a: int, b: int) -> int:
    """Shift-and-add multiplication in GF(2^8) / 0x187, independent of the kernel's tables."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0x100:
            a ^= FIELD_POLY
    return product


def gf_pow(a: int, n: int) -> int:
    result = 1
    for _ in range(n):
        result = gf_mul(result, a)
    return result


def corrupt(block: bytes, depth: int, errors: dict[int, list[int]], rng: random.Random) -> bytes:
    """XOR a random non-zero value onto symbol j of codeword i for j in errors[i]."""
    out = bytearray(block)
    for lane, symbols in errors.items():
        for j in symbols:
            out[j * depth + lane] ^= rng.randrange(1, 256)
    return bytes(out)


def test_rs_255_223_vectors(kat: dict[str, Any]) -> None:
    vector = kat["rs_255_223"]
    assert rs.generator(32).hex() == vector["generator_poly_conventional_x32_to_x0"]
    rows = rs.to_dual(bytes(0x80 >> r for r in range(8)))
    assert rows.hex() == vector["dual_basis_rows"]
    assert rs.to_dual(bytes(range(9))).hex() == vector["taltab_first_9"]
    message = bytes.fromhex(vector["message"])
    conventional = rs.encode(message, dual_basis=False)
    dual = rs.encode(message)
    assert conventional == message + bytes.fromhex(vector["parity_conventional"])
    assert dual == message + bytes.fromhex(vector["parity_dual_basis"])
    for octet, parity in ((0x00, "all_zero_message_parity_dual"),
                          (0xFF, "all_ff_message_parity_dual")):
        assert rs.encode(bytes([octet]) * 223)[223:].hex() == vector[parity]


def test_rs_255_223_sixteen_error_mask(kat: dict[str, Any]) -> None:
    vector = kat["rs_255_223"]
    codeword = bytes.fromhex(vector["message"] + vector["parity_dual_basis"])
    received = bytearray(codeword)
    for index, value in vector["error_mask_16_dual_basis"].items():
        received[int(index)] ^= int(value, 16)
    assert rs.check(codeword) == 0 and rs.check(received) == 1
    result = rs.decode(received)
    assert result == rs.RsDecodeResult(codeword[:223], 16, 0, (16,), ())
    assert result.ok


def test_rs_255_239_vectors(kat: dict[str, Any]) -> None:
    vector = kat["rs_255_239"]
    message = bytes.fromhex(vector["message"])
    for dual, parity in ((False, "parity_conventional"), (True, "parity_dual_basis")):
        codeword = rs.encode(message, check_symbols=16, dual_basis=dual)
        assert codeword == message + bytes.fromhex(vector[parity])
        assert rs.check(codeword, check_symbols=16, dual_basis=dual) == 0


def test_generator_roots_and_dual_basis_are_consistent() -> None:
    """g(alpha^(11j)) = 0 for the 2E roots of 4.3.2.2; the basis change is a bijection."""
    for nroots in (32, 16):
        generator = rs.generator(nroots)
        fcr = 128 - nroots // 2
        for j in range(fcr, fcr + nroots):
            root, value = gf_pow(2, 11 * j % 255), 0
            for coefficient in generator:
                value = gf_mul(value, root) ^ coefficient
            assert value == 0
    every = bytes(range(256))
    assert sorted(rs.to_dual(every)) == list(every)
    assert rs.to_conventional(rs.to_dual(every)) == every


@given(CODES, DEPTHS, st.booleans(), st.integers(1, 2), st.randoms(use_true_random=False))
def test_round_trip_with_correctable_errors(nroots: int, depth: int, dual: bool, nblocks: int,
                                            rng: random.Random) -> None:
    k, capacity = 255 - nroots, nroots // 2
    params = {"check_symbols": nroots, "interleave": depth, "dual_basis": dual}
    message = rng.randbytes(k * depth * nblocks)
    encoded = rs.encode(message, **params)
    assert len(encoded) == 255 * depth * nblocks
    assert rs.check(encoded, **params) == 0
    assert rs.decode(encoded, **params) == rs.RsDecodeResult(
        message, 0, 0, (0,) * nblocks, ())
    size = 255 * depth
    received, per_block = b"", []
    for b in range(nblocks):
        errors = {lane: rng.sample(range(255), rng.randint(0, capacity)) for lane in range(depth)}
        received += corrupt(encoded[b * size:(b + 1) * size], depth, errors, rng)
        per_block.append(sum(map(len, errors.values())))
    assert rs.check(received, **params) == sum(1 for count in per_block if count)
    result = rs.decode(received, **params)
    assert result == rs.RsDecodeResult(message, sum(per_block), 0, tuple(per_block), ())


@given(CODES, DEPTHS, st.booleans(), st.data())
def test_errors_and_erasures(nroots: int, depth: int, dual: bool, data: st.DataObject) -> None:
    rng = data.draw(st.randoms(use_true_random=False))
    params = {"check_symbols": nroots, "interleave": depth, "dual_basis": dual}
    message = rng.randbytes((255 - nroots) * depth)
    encoded = rs.encode(message, **params)
    errors, erasures, changed = {}, [], 0
    for lane in range(depth):
        n_erasures = data.draw(st.integers(0, nroots))
        n_errors = data.draw(st.integers(0, (nroots - n_erasures) // 2))
        symbols = rng.sample(range(255), n_erasures + n_errors)
        # erased symbols may or may not be wrong; errors are always wrong
        wrong = symbols[n_erasures:] + [j for j in symbols[:n_erasures] if rng.random() < 0.5]
        errors[lane] = wrong
        erasures += [j * depth + lane for j in symbols[:n_erasures]]
        changed += len(wrong)
    received = corrupt(encoded, depth, errors, rng)
    result = rs.decode(received, erasures=erasures, **params)
    assert result == rs.RsDecodeResult(message, changed, 0, (changed,), ())


@pytest.mark.parametrize("nroots", [32, 16])
def test_beyond_capacity_is_reported_not_miscorrected(nroots: int) -> None:
    rng = random.Random(nroots)
    k, capacity = 255 - nroots, nroots // 2
    for _ in range(150):
        message = rng.randbytes(k)
        encoded = rs.encode(message, check_symbols=nroots, dual_basis=False)
        count = rng.randint(capacity + 1, capacity + 12)
        received = corrupt(encoded, 1, {0: rng.sample(range(255), count)}, rng)
        result = rs.decode(received, check_symbols=nroots, dual_basis=False)
        assert result == rs.RsDecodeResult(received[:k], 0, 1, (0,), (0,))
        assert not result.ok and rs.check(received, check_symbols=nroots, dual_basis=False) == 1


def test_too_many_erasures_fail_cleanly() -> None:
    message = bytes(range(223))
    received = bytearray(rs.encode(message))
    received[0] ^= 1
    result = rs.decode(received, erasures=range(33))
    assert not result.ok and result.data == bytes(received[:223])


def test_failure_in_one_codeword_marks_its_block_only() -> None:
    rng = random.Random(7)
    message = rng.randbytes(223 * 2 * 3)
    encoded = bytearray(rs.encode(message, interleave=2))
    block = 1
    bad = corrupt(encoded[510 * block:510 * (block + 1)], 2, {1: list(range(20)), 0: [5]}, rng)
    encoded[510 * block:510 * (block + 1)] = bad
    result = rs.decode(encoded, interleave=2)
    assert result.failed_blocks == (1,) and result.uncorrectable_codewords == 1
    assert result.corrected_per_block == (0, 1, 0) and not result.ok
    start = 446 * block
    expected = bytearray(message)
    expected[start + 1:start + 446:2] = bad[1:446:2]  # failed codeword: as received
    assert result.data == bytes(expected)


@given(CODES, DEPTHS, st.randoms(use_true_random=False))
def test_interleaving_layout(nroots: int, depth: int, rng: random.Random) -> None:
    """Codeword i of an interleaved codeblock is octets i, i+I, ... (4.3.5)."""
    message = rng.randbytes((255 - nroots) * depth)
    block = rs.encode(message, check_symbols=nroots, interleave=depth)
    for lane in range(depth):
        assert block[lane::depth] == rs.encode(message[lane::depth], check_symbols=nroots)


@given(CODES, DEPTHS, st.booleans(), st.integers(1, 3), st.randoms(use_true_random=False))
@settings(max_examples=60)
def test_garbage_decodes_or_fails_within_capacity(nroots: int, depth: int, dual: bool,
                                                  nblocks: int, rng: random.Random) -> None:
    params = {"check_symbols": nroots, "interleave": depth, "dual_basis": dual}
    size, k = 255 * depth, (255 - nroots) * depth
    garbage = rng.randbytes(size * nblocks)
    result = rs.decode(garbage, **params)
    assert len(result.data) == k * nblocks
    for b in range(nblocks):
        if b in result.failed_blocks:
            continue
        fixed = rs.encode(result.data[b * k:(b + 1) * k], **params)
        received = garbage[b * size:(b + 1) * size]
        for lane in range(depth):
            distance = sum(x != y for x, y in zip(fixed[lane::depth], received[lane::depth],
                                                  strict=True))
            assert distance <= nroots // 2


@given(st.integers(1, 254), st.binary(min_size=1, max_size=1))
def test_bit_errors_and_truncation(cut: int, flip: bytes) -> None:
    message = bytes(range(223))
    encoded = rs.encode(message)
    with pytest.raises(KernelArgumentError, match="multiple of 255"):
        rs.decode(encoded[:cut])
    with pytest.raises(KernelArgumentError, match="multiple of 255"):
        rs.check(encoded[:cut])
    received = bytearray(encoded)
    received[cut] ^= flip[0]
    result = rs.decode(received)
    assert result.data == message and result.corrected_symbols == (flip[0] != 0)


def test_blockwise_decoding_matches_batch() -> None:
    rng = random.Random(5)
    message = rng.randbytes(223 * 4)
    encoded = bytearray(rs.encode(message))
    for b in range(4):
        for j in rng.sample(range(255), 4 * b + 5):
            encoded[255 * b + j] ^= 0x5A
    batch = rs.decode(encoded)
    single = [rs.decode(encoded[255 * b:255 * (b + 1)]) for b in range(4)]
    assert batch.data == b"".join(r.data for r in single)
    assert batch.corrected_per_block == tuple(r.corrected_symbols for r in single)
    assert batch.failed_blocks == (3,)


def test_buffer_types() -> None:
    message = bytes(range(223)) * 2
    expected = rs.encode(message, interleave=2)
    for buffer in (bytearray(message), memoryview(message), np.frombuffer(message, np.uint8)):
        assert rs.encode(buffer, interleave=2) == expected
    array = np.frombuffer(expected, np.uint8).reshape(2, 255)
    assert rs.decode(array, interleave=2).data == message
    assert rs.check(memoryview(expected), interleave=2) == 0
    assert rs.encode(b"") == b"" and rs.check(b"") == 0
    assert rs.active_path() in {"sse2", "portable"}
    assert rs.decode(b"") == rs.RsDecodeResult(b"", 0, 0, (), ())


def test_argument_errors() -> None:
    with pytest.raises(KernelArgumentError, match="check_symbols"):
        rs.encode(bytes(223), check_symbols=8)
    with pytest.raises(KernelArgumentError, match="interleave"):
        rs.check(bytes(255 * 6), interleave=6)
    with pytest.raises(KernelArgumentError, match="multiple of 446"):
        rs.encode(bytes(223), interleave=2)
    with pytest.raises(KernelArgumentError, match="single codeblock"):
        rs.decode(bytes(510), erasures=[1])
    with pytest.raises(KernelArgumentError, match="erasure positions"):
        rs.decode(bytes(255), erasures=[255])
    with pytest.raises(KernelArgumentError, match="erasure positions"):
        rs.decode(bytes(255), erasures=[-1])
    with pytest.raises(KernelArgumentError, match="integers"):
        rs.decode(bytes(255), erasures=[1.5])  # type: ignore[list-item]
    # numpy positions and an empty array are accepted
    assert rs.decode(bytes(255), erasures=np.array([3, 3, 7])).ok
    assert rs.decode(bytes(510), erasures=np.array([], dtype=np.int64)).ok


def reedsolo_codec(nroots: int) -> reedsolo.RSCodec:
    """reedsolo configured for CCSDS: prim 0x187, roots (alpha^11)^(fcr+j) (4.3.2)."""
    return reedsolo.RSCodec(nsym=nroots, nsize=255, fcr=128 - nroots // 2, prim=FIELD_POLY,
                            generator=gf_pow(2, 11), c_exp=8)


@pytest.mark.interop
@given(CODES, st.randoms(use_true_random=False))
@settings(max_examples=25)
def test_interop_with_reedsolo(nroots: int, rng: random.Random) -> None:
    codec = reedsolo_codec(nroots)
    k = 255 - nroots
    message = rng.randbytes(k)
    peer = bytes(codec.encode(message))
    assert rs.encode(message, check_symbols=nroots, dual_basis=False) == peer
    dual_message = rs.to_dual(message)
    assert rs.encode(dual_message, check_symbols=nroots) == rs.to_dual(peer)
    # both decoders agree on a word with correctable errors
    received = corrupt(peer, 1, {0: rng.sample(range(255), nroots // 2)}, rng)
    decoded = codec.decode(received)[0]
    assert bytes(decoded) == message
    assert rs.decode(received, check_symbols=nroots, dual_basis=False).data == message
