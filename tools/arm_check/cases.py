"""Seeded random cases and known-answer vectors for every kernel, with host expectations.

The known-answer vectors (tests/data/ccsds_kat.json) are checked against the host result
before they become cases, so a case's expectation is both the host's and the standard's.
Random cases exercise the paths most likely to differ between x86 and ARM: slicing loops and
alignment heads of the CRCs (lengths around multiples of 8, offsets 0..7), RS lane batching
(interleave depths 1..8 over several codeblocks), RS decoding at and past capacity with
erasures (CCSDS 131.0-B-5 4.3), BCH single and double errors (CCSDS 231.0-B-4 3.3), and
SECDED single, double and adjacent multi-bit upsets in plain and interleaved layouts.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from arm_check import expect
from arm_check.protocol import Case, Op
from firmware_stubs import bch, rs, secded

RS_CODES = (32, 16)
RS_DEPTHS = rs.INTERLEAVE_DEPTHS
SECDED_DEPTHS = secded.DEPTHS


def _kat_equal(label: str, got: bytes, want: bytes) -> bytes:
    if got != want:
        raise expect.HostDisagreement(f"{label}: host {got.hex()} != vector {want.hex()}")
    return got


def _lengths(rng: random.Random, count: int) -> list[int]:
    """Short lengths around the 8-octet slicing step, a few long ones."""
    return [*range(17), 63, 64, 65, 4096, 65_537] + [rng.randrange(0, 2048) for _ in range(count)]


def crc_cases(rng: random.Random, count: int, kat: dict[str, Any]) -> Iterator[Case]:
    """CRC-16/CCITT-FALSE and CRC-32C: catalogue check values, then random buffers."""
    check = b"123456789"
    for op, name, compute, start in ((Op.CRC16, "crc16_ccitt_false", expect.crc16, 0xFFFF),
                                     (Op.CRC32C, "crc32c", expect.crc32, 0)):
        for offset in range(8):
            got = _kat_equal(f"kat:{name}", compute(check, start),
                             bytes.fromhex(kat[name]["crc"])[::-1])
            yield Case(op, (start, offset), check, got, f"kat:{name}@{offset}")
        for length in _lengths(rng, count):
            data, init = rng.randbytes(length), rng.choice((start, rng.getrandbits(32)))
            init &= 0xFFFF if op == Op.CRC16 else 0xFFFFFFFF
            yield Case(op, (init, rng.randrange(8)), data, compute(data, init),
                       f"{op.name.lower()} len {length}")


def _flip_bit(data: bytearray, bit: int) -> None:
    data[bit // 8] ^= 0x80 >> (bit % 8)


def bch_cases(rng: random.Random, count: int, kat: dict[str, Any]) -> Iterator[Case]:
    """BCH(63,56): vector codeblocks and CLTUs, then random encodes and noisy decodes."""
    for info_hex, parity_hex in kat["bch_63_56_codeblocks"]["cases"]:
        info = bytes.fromhex(info_hex)
        got = _kat_equal("kat:bch", bch.encode(info), info + bytes.fromhex(parity_hex))
        yield Case(Op.BCH_ENCODE, (), info, got, f"kat:bch {info_hex}")
    yield from _cltu_cases(kat)
    for trial in range(count):
        info = rng.randbytes(7 * rng.randrange(0, 40))
        yield Case(Op.BCH_ENCODE, (), info, bch.encode(info), f"bch encode {trial}")
        received = bytearray(bch.encode(info))
        for _ in range(rng.choice((0, 1, 2, 3))):  # single and double errors per block
            block = rng.randrange(max(1, len(received) // 8))
            if received:
                _flip_bit(received, 64 * block + rng.randrange(63))
        received += rng.randbytes(rng.choice((0, 0, 3, 7)))  # a partial block is not consumed
        nblocks = len(received) // 8
        max_blocks = rng.choice((-1, -1, 0, nblocks // 2, nblocks + 1))
        yield Case(Op.BCH_DECODE, (max_blocks,), bytes(received),
                   expect.bch_decode(bytes(received), max_blocks), f"bch decode {trial}")
    garbage = rng.randbytes(8 * 64)
    yield Case(Op.BCH_DECODE, (-1,), garbage, expect.bch_decode(garbage, -1), "bch garbage")


def _cltu_cases(kat: dict[str, Any]) -> Iterator[Case]:
    """CLTU bodies of the vectors: the decoded frame (derandomized, CCSDS 231.0-B-4 6)."""
    start = bytes.fromhex(kat["cltu_sequences"]["start"])
    randomizer = bytes.fromhex(kat["tc_randomizer"]["sequence"])
    for name, randomized in (("cltu_plain", False), ("cltu_randomized", True)):
        cltu, frame = bytes.fromhex(kat[name]["cltu"]), bytes.fromhex(kat[name]["tc_frame"])
        body = cltu[len(start):]
        result = bch.decode(body)
        data = bytes(a ^ b for a, b in zip(result.data, randomizer, strict=False)) \
            if randomized else result.data
        if not result.stopped or data[: len(frame)] != frame:
            raise expect.HostDisagreement(f"kat:{name}: host does not decode the frame")
        yield Case(Op.BCH_DECODE, (-1,), body, expect.bch_decode(body, -1), f"kat:{name}")


def _corrupt(block: bytearray, depth: int, codeword: int, symbols: list[int],
             rng: random.Random, *, base: int = 0) -> None:
    for j in symbols:
        block[base + j * depth + codeword] ^= rng.randrange(1, 256)


def rs_kat_cases(kat: dict[str, Any]) -> Iterator[Case]:
    """RS generator, dual-basis table, parity and the 16-error mask of the vectors."""
    vector = kat["rs_255_223"]
    for nroots in RS_CODES:
        generator = rs.generator(nroots)
        if nroots == 32:
            _kat_equal("kat:rs generator", generator,
                       bytes.fromhex(vector["generator_poly_conventional_x32_to_x0"]))
        yield Case(Op.RS_GENERATOR, (nroots,), b"", generator, f"kat:rs generator {nroots}")
    rows = bytes(0x80 >> r for r in range(8))
    for data, want in ((rows, vector["dual_basis_rows"]), (bytes(range(9)),
                                                            vector["taltab_first_9"])):
        got = _kat_equal("kat:rs dual basis", rs.to_dual(data), bytes.fromhex(want))
        yield Case(Op.RS_TRANSLATE, (1,), data, got, "kat:rs dual basis")
    every = bytes(range(256))
    for to_dual in (0, 1):
        got = rs.to_dual(every) if to_dual else rs.to_conventional(every)
        yield Case(Op.RS_TRANSLATE, (to_dual,), every, got, f"rs translate {to_dual}")
    for name, nroots in (("rs_255_223", 32), ("rs_255_239", 16)):
        message = bytes.fromhex(kat[name]["message"])
        for dual, parity in ((0, "parity_conventional"), (1, "parity_dual_basis")):
            got = _kat_equal(f"kat:{name}", rs.encode(message, check_symbols=nroots,
                                                      dual_basis=bool(dual)),
                             message + bytes.fromhex(kat[name][parity]))
            yield Case(Op.RS_ENCODE, (nroots, 1, dual), message, got, f"kat:{name} {parity}")
    for octet, parity in ((0x00, "all_zero_message_parity_dual"),
                          (0xFF, "all_ff_message_parity_dual")):
        message = bytes([octet]) * 223
        got = _kat_equal(f"kat:{parity}", rs.encode(message)[223:], bytes.fromhex(vector[parity]))
        yield Case(Op.RS_ENCODE, (32, 1, 1), message, message + got, f"kat:{parity}")
    received = bytearray(bytes.fromhex(vector["message"] + vector["parity_dual_basis"]))
    for index, value in vector["error_mask_16_dual_basis"].items():
        received[int(index)] ^= int(value, 16)
    want = expect.rs_decode(bytes(received), 32, 1, True, ())
    result = rs.decode(bytes(received))
    if not result.ok or result.data != bytes.fromhex(vector["message"]):
        raise expect.HostDisagreement("kat:rs error mask: host does not correct it")
    yield Case(Op.RS_DECODE, (32, 1, 1), bytes(received), want, "kat:rs 16-error mask")


def rs_cases(rng: random.Random, count: int, kat: dict[str, Any]) -> Iterator[Case]:
    """RS vectors, then random codes, depths and bases with errors and erasures."""
    yield from rs_kat_cases(kat)
    codes = list(itertools.product(RS_CODES, RS_DEPTHS, (0, 1)))
    for trial in range(count):
        params = codes[trial % len(codes)]  # every code, depth and basis in turn
        nroots, depth, dual = params
        k, capacity = 255 - nroots, nroots // 2
        message = rng.randbytes(k * depth * rng.randrange(1, 4))
        encoded = rs.encode(message, check_symbols=nroots, interleave=depth,
                            dual_basis=bool(dual))
        label = f"rs E={capacity} I={depth} dual={dual} #{trial}"
        yield Case(Op.RS_ENCODE, params, message, encoded, f"{label} encode")
        received = bytearray(encoded)
        for base in range(0, len(received), 255 * depth):
            for codeword in range(depth):
                errors = rng.choice((0, 1, capacity, capacity + 1, rng.randrange(capacity + 4)))
                _corrupt(received, depth, codeword, rng.sample(range(255), errors), rng,
                         base=base)
        blocks = bytes(received)
        yield Case(Op.RS_CHECK, params, blocks, expect.rs_check(blocks, *params), f"{label} check")
        yield Case(Op.RS_DECODE, params, blocks, expect.rs_decode(blocks, *params, ()),
                   f"{label} decode")
        yield _rs_erasure_case(rng, params, f"{label} erasures")


def _rs_erasure_case(rng: random.Random, params: tuple[int, int, int], label: str) -> Case:
    """One codeblock with errors and erasures, within capacity (2t + e <= 2E) or not."""
    nroots, depth, dual = params
    k = 255 - nroots
    block = bytearray(rs.encode(rng.randbytes(k * depth), check_symbols=nroots,
                                interleave=depth, dual_basis=bool(dual)))
    erasures: list[int] = []
    for codeword in range(depth):
        n_erased = rng.randrange(nroots + 2)
        n_errors = rng.randrange(max(0, (nroots - n_erased) // 2) + 2)
        symbols = rng.sample(range(255), min(255, n_erased + n_errors))
        erased = symbols[:n_erased]
        _corrupt(block, depth, codeword, [j for j in erased if rng.random() < 0.7], rng)
        _corrupt(block, depth, codeword, symbols[n_erased:], rng)
        erasures += [j * depth + codeword for j in erased]
    erasures = sorted(erasures)[:252]
    return Case(Op.RS_DECODE, (*params, *erasures), bytes(block),
                expect.rs_decode(bytes(block), *params, erasures), label)


def _random_words(rng: random.Random, n: int) -> NDArray[np.uint64]:
    special = (0, 2**64 - 1, 0x5555555555555555, 1 << 63)
    values = [rng.choice(special) if rng.random() < 0.1 else rng.getrandbits(64) for _ in range(n)]
    return np.array(values, dtype=np.uint64)


def _upset(rng: random.Random, words: NDArray[np.uint64], checks: NDArray[np.uint8],
           width: int) -> None:
    """Flip ``width`` adjacent bits of one word (or check octet), at random."""
    index = rng.randrange(len(words))
    if width <= 8 and rng.random() < 0.2:
        start = rng.randrange(9 - width)
        checks[index] ^= np.uint8(((1 << width) - 1) << start)
    else:
        start = rng.randrange(65 - width)
        words[index] ^= np.uint64(((1 << width) - 1) << start)


def secded_cases(rng: random.Random, count: int, kat: dict[str, Any]) -> Iterator[Case]:
    """SECDED plain and interleaved: random words with upsets of 1..depth+1 bits."""
    del kat  # no published SECDED vectors: Hsiao's code is checked by property in the tests
    for trial in range(count):
        n = rng.choice((0, 1, 7, 8, 15, 16, 17, rng.randrange(200), 1000))
        words = _random_words(rng, n)
        yield Case(Op.SECDED_ENCODE, (), expect.words_bytes(words), expect.secded_encode(words),
                   f"secded encode n={n}")
        checks = secded.encode(words)
        for _ in range(rng.randrange(n // 4 + 1) if n else 0):
            _upset(rng, words, checks, rng.choice((1, 1, 1, 2, 3)))
        correct, max_report = rng.randrange(2), rng.choice((0, 1, 3, 4096))
        label = f"secded check n={n} #{trial}"
        yield Case(Op.SECDED_CHECK, (correct, max_report),
                   expect.words_bytes(words) + checks.tobytes(),
                   expect.secded_check(words, checks, bool(correct), max_report, label), label)
        yield from _interleaved_cases(rng, trial)


def _interleaved_cases(rng: random.Random, trial: int) -> Iterator[Case]:
    depth = SECDED_DEPTHS[trial % len(SECDED_DEPTHS)]
    n = depth * rng.choice((0, 1, 2, 4, 8, rng.randrange(40), 130))
    logical = _random_words(rng, n)
    label = f"secded il depth={depth} n={n} #{trial}"
    in_place = rng.randrange(2)
    yield Case(Op.SECDED_ENCODE_IL, (depth, in_place), expect.words_bytes(logical),
               expect.secded_encode_il(logical, depth, bool(in_place), label), f"{label} encode")
    physical, checks = secded.encode_interleaved(logical, depth)
    for _ in range(rng.randrange(n // 8 + 2) if n else 0):
        _upset(rng, physical, checks, rng.choice((1, 2, depth, depth + 1)))
    correct, want_logical = rng.randrange(2), rng.randrange(2)
    max_report = rng.choice((0, 2, 4096))
    yield Case(Op.SECDED_CHECK_IL, (depth, correct, max_report, want_logical),
               expect.words_bytes(physical) + checks.tobytes(),
               expect.secded_check_il(physical, checks, depth, correct=bool(correct),
                                      max_report=max_report, want_logical=bool(want_logical),
                                      label=label),
               f"{label} check")


def all_cases(seed: int, count: int, kat: dict[str, Any]) -> list[Case]:
    """Every case: the vectors, then ``count`` random trials per kernel family."""
    cases: list[Case] = []
    for family in (crc_cases, bch_cases, rs_cases, secded_cases):
        cases += family(random.Random(f"{seed}:{family.__name__}"), count, kat)
    return cases
