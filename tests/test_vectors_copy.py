"""The vendored known-answer vectors are the project's shared ones, unchanged."""

import json

import pytest

from tests.conftest import SHARED_KAT, VENDORED_KAT


def test_vendored_vectors_match_shared() -> None:
    if not SHARED_KAT.exists():
        pytest.skip("shared/ is not beside this checkout; the vendored copy is used as is")
    assert json.loads(VENDORED_KAT.read_text()) == json.loads(SHARED_KAT.read_text())
