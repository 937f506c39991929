"""The demo's link configuration: COP-1 sized for the bench channel's round trip, and the
mission file that gives the flight software the same settings as the ground."""

from __future__ import annotations

import math

from ccsds.config import LinkConfig
from hil.channel import ChannelConfig

WINDOW_MARGIN_FRAMES = 4
"""Frames beyond one round trip's worth in the FOP-1 window."""
TIMER_MARGIN_S = 2.0
"""Slack added to the FOP-1 retransmission timer T1."""
MAX_FOP_WINDOW = 127
"""The largest sliding window K with W = 2K inside FARM-1's 255 (CCSDS 232.1-B-2 6.1.8.2)."""


def cltu_length(frame_octets: int) -> int:
    """Octets of the CLTU carrying a frame: start sequence, BCH(63,56) codeblocks of 7
    information octets in 8, tail (CCSDS 231.0-B-4 section 5)."""
    return 2 + math.ceil(frame_octets / 7) * 8 + 8


def mission_link_config(channel: ChannelConfig) -> LinkConfig:
    """The ICD baseline with COP-1 sized for the channel (CCSDS 232.1-B-2 5.1.9, 6.1.8.2):
    K frames cover the round trip plus 4, so the uplink stays busy (the baseline K = 5 idles
    it most of each lunar round trip); W = 2K; T1 = round trip + K frame times + 2 s. A
    larger K only lengthens go-back-N retransmissions after a lost frame."""
    baseline = LinkConfig.baseline()
    rate = channel.up.rate_bps or 1e9
    frame_s = cltu_length(baseline.tc.max_frame_length) * 8 / rate
    round_trip = channel.up.delay_s + channel.down.delay_s
    window = max(baseline.tc.fop_window,
                 min(MAX_FOP_WINDOW, math.ceil(round_trip / frame_s) + WINDOW_MARGIN_FRAMES))
    return LinkConfig.from_dict({"tc": {
        "farm_window": 2 * window, "fop_window": window,
        "fop_timer_initial_s": round(round_trip + window * frame_s + TIMER_MARGIN_S, 1)}})


def mission_toml(config: LinkConfig) -> str:
    """The mission file (TOML over the ICD baseline) giving the flight software the same
    COP-1 settings as the ground."""
    tc = config.tc
    return (f"[tc]\nfarm_window = {tc.farm_window}\nfop_window = {tc.fop_window}\n"
            f"fop_timer_initial_s = {tc.fop_timer_initial_s!r}\n")
