"""TC and TM pseudo-randomizers (231.0-B-4 s.6, 131.0-B-5 s.10)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.randomizer import tc_randomize, tc_sequence, tm_randomize, tm_sequence


@pytest.mark.parametrize(("key", "sequence"), [("tm_randomizer", tm_sequence),
                                              ("tc_randomizer", tc_sequence)])
def test_sequences_match_the_standards(kat: dict[str, Any], key: str, sequence: Any) -> None:
    expected = bytes.fromhex(kat[key]["sequence"])
    assert sequence(len(expected)) == expected


@pytest.mark.parametrize("sequence", [tm_sequence, tc_sequence])
def test_period_is_255_octets(sequence: Any) -> None:
    long = sequence(255 * 3 + 10)
    assert long[:255] == long[255:510] == long[510:765]
    assert long[765:] == long[:10]


def test_randomizing_zeros_gives_the_sequence() -> None:
    assert tm_randomize(bytes(300)) == tm_sequence(300)
    assert tc_randomize(bytes(300)) == tc_sequence(300)


@given(st.binary(max_size=3000))
def test_randomizing_twice_is_identity(data: bytes) -> None:
    assert tm_randomize(tm_randomize(data)) == data
    assert tc_randomize(tc_randomize(bytearray(data))) == data
