"""A whole channel's configuration (uplink and downlink) and how a profile sets it."""

from __future__ import annotations

from dataclasses import dataclass, field

from hil.channel.direction import DirectionConfig
from hil.channel.impairments import BurstConfig
from hil.channel.passes import PassSchedule
from hil.profiles.model import Profile


@dataclass(frozen=True)
class ChannelConfig:
    """Both directions, the contact plan they share, and the seed of their impairments."""

    up: DirectionConfig
    down: DirectionConfig
    schedule: PassSchedule = field(default_factory=PassSchedule.always_up)
    seed: int | None = None


def channel_config(profile: Profile, *, seed: int = 0, schedule: PassSchedule | None = None,
                   bursts: bool = True, days: int = 30) -> ChannelConfig:
    """The profile's link: mean light time, line rates, raw BERs (PROFILES.md: Links), the
    Gilbert-Elliott burst model when ``bursts``, and its generated contact plan unless
    ``schedule`` is given."""
    link = profile.link
    burst = BurstConfig(link.burst.p_good_to_bad.value, link.burst.p_bad_to_good.value,
                        link.burst.ber_bad.value) if bursts else BurstConfig()
    up = DirectionConfig(rate_bps=link.uplink_bps.value, delay_s=link.light_time_s.value,
                         ber=link.uplink_ber.value, burst=burst)
    down = DirectionConfig(rate_bps=link.downlink_bps.value, delay_s=link.light_time_s.value,
                           ber=link.downlink_ber.value, burst=burst)
    if schedule is None:
        schedule = PassSchedule.generated(link.contact, seed, days)
    return ChannelConfig(up, down, schedule, seed)
