"""Fixtures of the ground tests: the installed flight software's dictionary export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ground_sw.dictionary import Dictionary, load_dictionary


@pytest.fixture(scope="session")
def exported_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JSON written by ``flight-sw dictionary --format json --output FILE``."""
    path = tmp_path_factory.mktemp("dictionary") / "mission.json"
    subprocess.run([sys.executable, "-m", "flight_sw.cli", "dictionary", "--format", "json",
                    "--output", str(path)], check=True, capture_output=True, timeout=60)
    return path


@pytest.fixture(scope="session")
def exported(exported_path: Path) -> Dictionary:
    """The mission dictionary as the ground loads it."""
    return load_dictionary(exported_path)
