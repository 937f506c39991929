"""The link demo: a file up and back through the full stack over a simulated lunar link."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hil.link_demo import LinkDemoSettings, lunar_link_config, run_link_demo
from hil.sim_link import Outage


def test_transfer_survives_outage_and_bit_errors() -> None:
    settings = LinkDemoSettings(file_size=48 * 1024, uplink_ber=1e-4, downlink_ber=1e-5,
                                outage=Outage(start=2.0, duration=3.0), seed=5)
    summary = run_link_demo(settings)
    assert summary["upload_intact"] and summary["download_intact"]
    up, down = summary["uplink"], summary["downlink"]
    assert up["octets_lost_in_outage"] > 0 and down["octets_lost_in_outage"] > 0
    # what the outage took was recovered by COP-1 retransmission and CFDP
    assert up["fop_retransmissions"] > 0
    assert down["frames_lost"] > 0
    # bit errors were corrected by the channel codes, not passed on
    assert up["bch_corrected_codeblocks"] > 0
    assert down["rs_corrected_symbols"] > 0
    assert down["uncorrectable_codeblocks"] == 0


def test_cop1_windows_cover_the_round_trip() -> None:
    config = lunar_link_config(LinkDemoSettings(one_way_delay_s=1.28, uplink_bps=100_000))
    frame_time = config.tc.max_frame_length * 8 * 8 / 7 / 100_000
    assert config.tc.fop_window * frame_time > 2 * 1.28
    assert config.tc.fop_timer_initial_s > 2 * 1.28
    assert config.tc.farm_window == 2 * config.tc.fop_window


def test_cli_demo_writes_summary(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, "-m", "hil.cli", "link-demo", "--file-size", "20000", "--outage", "1", "2",
         "--json", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(out.read_text())
    assert summary["upload_intact"] and summary["download_intact"]
    assert "intact" in result.stdout
