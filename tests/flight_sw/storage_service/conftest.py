"""Fixtures of the storage service tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flight_sw.storage_service.helpers import StorageBench


@pytest.fixture
def bench(tmp_path: Path) -> StorageBench:
    return StorageBench(tmp_path)
