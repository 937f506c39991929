"""The demo's COP-1 sizing: CLTU lengths from CCSDS 231.0-B-4, a window that covers the round
trip, and a mission file the flight software reads back to the same settings."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import pytest

from ccsds.config import LinkConfig
from hil.channel import PassSchedule, channel_config
from hil.mission_link import cltu_length, mission_link_config, mission_toml
from hil.profiles import load_profile


@pytest.mark.parametrize(("frame", "codeblocks"), [(1, 1), (7, 1), (8, 2), (1024, 147)])
def test_cltu_is_start_sequence_codeblocks_and_tail(frame: int, codeblocks: int) -> None:
    # 231.0-B-4: 2-octet start sequence, 8-octet BCH codeblocks of 7 data octets, 8-octet tail
    assert cltu_length(frame) == 2 + 8 * codeblocks + 8


def _lunar(delay_s: float | None = None) -> LinkConfig:
    channel = channel_config(load_profile("lunar-transit"), seed=1,
                             schedule=PassSchedule.always_up())
    if delay_s is not None:
        channel = replace(channel, up=replace(channel.up, delay_s=delay_s),
                          down=replace(channel.down, delay_s=delay_s))
    return mission_link_config(channel)


def test_the_window_covers_a_lunar_round_trip() -> None:
    config = _lunar()
    frame_s = cltu_length(config.tc.max_frame_length) * 8 / 64_000  # the profile's uplink
    round_trip = 2 * 1.28  # PROFILES.md: mean light time 1.28 s
    tc = config.tc
    assert (tc.fop_window - 4) * frame_s >= round_trip > (tc.fop_window - 5) * frame_s
    assert tc.farm_window == 2 * tc.fop_window  # 232.1-B-2 5.1.9: K <= W / 2
    assert tc.fop_timer_initial_s > round_trip + tc.fop_window * frame_s


def test_a_short_link_keeps_the_baseline_window() -> None:
    assert _lunar(delay_s=0.0).tc.fop_window == LinkConfig.baseline().tc.fop_window


def test_the_mission_file_gives_the_board_the_same_settings() -> None:
    config = _lunar()
    text = mission_toml(config)
    assert LinkConfig.from_toml(text).tc == config.tc
    assert set(tomllib.loads(text)["tc"]) == {"farm_window", "fop_window",
                                              "fop_timer_initial_s"}
