"""The bench's link channel: rate, light time, bit errors and bursts, slips, outages from a
pass schedule, live statistics and raw captures, in-process or between two serial ports."""

from hil.channel.capture import CaptureError, CaptureWriter
from hil.channel.config import ChannelConfig, channel_config
from hil.channel.direction import ChannelConfigError, Direction, DirectionConfig, DirectionStats
from hil.channel.gaps import GapProcess
from hil.channel.impairments import BurstConfig, GilbertElliott, OctetSlips
from hil.channel.passes import PassSchedule, ScheduleError, Window, parse_contacts
from hil.channel.proxy import PortStats, SerialProxy

__all__ = [
    "BurstConfig", "CaptureError", "CaptureWriter", "ChannelConfig", "ChannelConfigError",
    "Direction", "DirectionConfig", "DirectionStats", "GapProcess", "GilbertElliott",
    "OctetSlips", "PassSchedule", "PortStats", "ScheduleError", "SerialProxy", "Window",
    "channel_config", "parse_contacts",
]
