"""Shared fixtures: the known-answer vectors and the hypothesis profiles."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
VENDORED_KAT = REPO / "tests" / "data" / "ccsds_kat.json"
SHARED_KAT = REPO.parent / "shared" / "vectors" / "ccsds_kat.json"

settings.register_profile(
    "default", deadline=None, max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "soak", deadline=None, max_examples=5000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def kat() -> dict[str, Any]:
    """The CCSDS known-answer vectors (tests/data copy of shared/vectors/ccsds_kat.json)."""
    document: dict[str, Any] = json.loads(VENDORED_KAT.read_text())
    return document
