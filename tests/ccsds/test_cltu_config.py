"""``tc.start_sequence_errors``: from the ICD baseline and mission files to the receiver."""

from __future__ import annotations

import pytest

from ccsds.cltu import cltu_encode
from ccsds.config import ConfigError, LinkConfig
from ccsds.tc_uplink import TcUplinkReceiver


def test_baseline_demands_an_exact_start_sequence() -> None:
    config = LinkConfig.baseline()
    assert config.tc.start_sequence_errors == 0
    assert TcUplinkReceiver(config.tc).extractor.start_errors == 0


def test_mission_file_allows_one_start_error() -> None:
    config = LinkConfig.from_toml("[tc]\nstart_sequence_errors = 1\n")
    receiver = TcUplinkReceiver(config.tc)
    assert receiver.extractor.start_errors == 1
    assert TcUplinkReceiver(config.tc, start_errors=0).extractor.start_errors == 0
    damaged = bytearray(cltu_encode(b"x" * 20))
    damaged[0] ^= 0x01  # one bit of EB 90 in error: found, though the frame is no TC frame
    receiver.feed(bytes(damaged))
    assert receiver.extractor.counters.cltus == 1


@pytest.mark.parametrize("value", ["2", "-1", "true", "1.0"])
def test_other_values_are_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="start_sequence_errors"):
        LinkConfig.from_toml(f"[tc]\nstart_sequence_errors = {value}\n")
