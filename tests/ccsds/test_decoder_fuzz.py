"""Every single-unit decoder of the core, fed random octets: a typed DecodeError or a value.

Each module's own tests fuzz it in depth (bit errors, truncation of valid units); this file
is the one place that checks them all with the same rule, so a new decoder is added here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsds.cfdp import decode_pdu
from ccsds.channel_coding import CodeblockDecoder
from ccsds.config import LinkConfig
from ccsds.cop1.clcw import Clcw
from ccsds.errors import DecodeError
from ccsds.pus import PusTc, PusTm, RequestId
from ccsds.spacepacket import SpacePacket
from ccsds.tc_frame import TcFrame
from ccsds.tc_segment import SegmentHeader
from ccsds.timecode import CdsTime, CucTime
from ccsds.tm_frame import TmFrame

TM = LinkConfig.baseline().tm

DECODERS: dict[str, Callable[[bytes], object]] = {
    "space packet": SpacePacket.decode,
    "pus tc": PusTc.decode,
    "pus tm": PusTm.decode,
    "request id": RequestId.decode,
    "cuc with p-field": CucTime.decode,
    "cds with p-field": CdsTime.decode,
    "tc frame": TcFrame.decode,
    "segment header": SegmentHeader.decode,
    "tm frame": lambda raw: TmFrame.decode(raw, frame_length=TM.frame_length, has_ocf=True,
                                           has_fecf=True),
    "clcw": Clcw.decode,
    "cfdp pdu": decode_pdu,
    "rs codeblock": CodeblockDecoder(TM).decode,
}


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(data=st.binary(max_size=1300) | st.binary(min_size=1275, max_size=1275))
def test_random_octets_give_a_value_or_a_decode_error(name: str, data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        DECODERS[name](data)


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_empty_input_is_a_decode_error(name: str) -> None:
    with pytest.raises(DecodeError):
        DECODERS[name](b"")
