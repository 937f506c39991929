"""Fixtures of the HAL tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flight_sw.hal.fakes import FakeClock, FakeLinuxTree


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(100.0)


@pytest.fixture
def fake_linux(tmp_path: Path) -> FakeLinuxTree:
    return FakeLinuxTree(tmp_path / "root")
