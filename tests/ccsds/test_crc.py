"""The link's CRCs against the catalogue check values of the known-answer vectors."""

from __future__ import annotations

from typing import Any

import pytest

from ccsds.crc import crc16_ccitt, crc32, crc32c


@pytest.mark.parametrize(
    ("key", "function"),
    [("crc16_ccitt_false", crc16_ccitt), ("crc32", crc32), ("crc32c", crc32c)],
)
def test_catalogue_check_values(kat: dict[str, Any], key: str, function: Any) -> None:
    vector = kat[key]
    assert function(vector["input_ascii"].encode()) == int(vector["crc"], 16)


@pytest.mark.parametrize("function", [crc16_ccitt, crc32, crc32c])
def test_continuation_equals_whole(function: Any) -> None:
    data = bytes(range(256)) * 3
    assert function(data[100:], function(data[:100])) == function(data)
