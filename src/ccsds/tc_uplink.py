"""The uplink coding chain both ends configure from :class:`~ccsds.config.TcLinkConfig`.

Ground: TC frame -> randomize (CCSDS 231.0-B-4 section 6, when configured) -> CLTU.
Board: byte stream -> CLTUs -> derandomize -> TC frame checks -> :class:`TcFrame`.
Frame acceptance (FARM-1) and segment reassembly sit above this; so does SDLS (CCSDS
355.0-B-2), which needs the frame octets as received (:meth:`TcUplinkReceiver.feed_received`):
re-encoding a decoded frame would clear spare bits the MAC covers. ``security_overhead`` is
the octets an SA adds to each frame (security header and trailer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ccsds.cltu import INFO_LENGTH, Cltu, CltuExtractor, cltu_encode, codeblocks_for
from ccsds.config import TcLinkConfig
from ccsds.errors import DecodeError, LengthError, LocalProtocolError
from ccsds.randomizer import tc_randomize
from ccsds.tc_frame import FECF_LENGTH, PRIMARY_HEADER_LENGTH, TcFrame, frame_length_field
from ccsds.tc_segment import SEGMENT_HEADER_LENGTH


class WrongSpacecraftError(DecodeError):
    """A frame addressed to another spacecraft (232.0-B-4 4.1.2.6)."""


def max_frame_data(config: TcLinkConfig, security_overhead: int = 0) -> int:
    """Octets of plaintext frame data field (segment header included) a frame of the link
    can carry, less ``security_overhead`` when an SA protects it (355.0-B-2 4.1)."""
    return (config.max_frame_length - PRIMARY_HEADER_LENGTH - (FECF_LENGTH if config.fecf else 0)
            - security_overhead)


def max_segment_portion(config: TcLinkConfig, security_overhead: int = 0) -> int:
    """Octets of packet one frame carries after its segment header, if the link has one."""
    return (max_frame_data(config, security_overhead)
            - (SEGMENT_HEADER_LENGTH if config.segment_header else 0))


def frame_to_cltu(frame: TcFrame, config: TcLinkConfig) -> bytes:
    """Ground side: encode ``frame`` and make the CLTU the link transmits."""
    return raw_frame_to_cltu(frame.encode(fecf=config.fecf), config)


def raw_frame_to_cltu(raw: bytes, config: TcLinkConfig) -> bytes:
    """Ground side: the CLTU of an encoded frame (e.g. one SDLS has protected)."""
    if len(raw) > config.max_frame_length:
        raise LocalProtocolError(f"TC frame of {len(raw)} octets exceeds the link's "
                                 f"{config.max_frame_length}")
    return cltu_encode(tc_randomize(raw) if config.randomize else raw)


class ReceivedFrame(NamedTuple):
    """A frame that passed the link's checks, with its octets as received."""

    raw: bytes
    frame: TcFrame


@dataclass(slots=True)
class UplinkCounters:
    """Frames delivered by a :class:`TcUplinkReceiver` and CLTUs it rejected."""

    frames: int = 0
    """Valid frames delivered."""
    rejected: int = 0
    """CLTUs whose content was no valid frame of this link (any reason)."""
    wrong_spacecraft: int = 0
    """Of those, valid frames addressed to another spacecraft."""


class TcUplinkReceiver:
    """Board side: feed the received byte stream, get the valid TC frames it carries.

    A CLTU whose content is no valid frame (truncated, bad version or frame type, length
    beyond the link's maximum or not matching the number of codeblocks, FECF mismatch,
    another spacecraft id) is rejected, counted, and described by :attr:`last_error`.
    CLTU-level counters are on :attr:`extractor`. ``start_errors`` overrides the link's
    ``start_sequence_errors`` (bit errors tolerated in the CLTU start sequence).
    """

    def __init__(self, config: TcLinkConfig, *, start_errors: int | None = None) -> None:
        self.config = config
        self.extractor = CltuExtractor(
            max_frame_length=config.max_frame_length,
            start_errors=config.start_sequence_errors if start_errors is None else start_errors,
        )
        self.counters = UplinkCounters()
        self.last_error: DecodeError | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> list[TcFrame]:
        """Take the next octets of the stream; return the frames they complete."""
        return [received.frame for received in self.feed_received(data)]

    def flush(self) -> list[TcFrame]:
        """The line has gone idle: end the CLTU under way (see :meth:`CltuExtractor.flush`)."""
        return [received.frame for received in self.flush_received()]

    def feed_received(self, data: bytes | bytearray | memoryview) -> list[ReceivedFrame]:
        """As :meth:`feed`, each frame with its derandomized octets (for SDLS)."""
        return self._frames(self.extractor.feed(data))

    def flush_received(self) -> list[ReceivedFrame]:
        """As :meth:`flush`, each frame with its derandomized octets (for SDLS)."""
        return self._frames(self.extractor.flush())

    def _frames(self, cltus: list[Cltu]) -> list[ReceivedFrame]:
        frames = []
        for cltu in cltus:
            try:
                frames.append(self._frame(cltu.data))
            except DecodeError as error:
                self.counters.rejected += 1
                self.counters.wrong_spacecraft += isinstance(error, WrongSpacecraftError)
                self.last_error = error
        self.counters.frames += len(frames)
        return frames

    def _frame(self, data: bytes) -> ReceivedFrame:
        config = self.config
        raw = tc_randomize(data) if config.randomize else data
        length = frame_length_field(raw)
        if length > config.max_frame_length:
            raise LengthError(f"TC frame length {length} exceeds the link's "
                              f"{config.max_frame_length}")
        if len(raw) > codeblocks_for(length) * INFO_LENGTH:
            raise LengthError(f"TC frame length {length} leaves whole codeblocks of the "
                              "CLTU unused (this link carries one frame per CLTU)")
        frame = TcFrame.decode(raw, fecf=config.fecf)
        if frame.spacecraft_id != config.spacecraft_id:
            raise WrongSpacecraftError(f"TC frame for spacecraft {frame.spacecraft_id}, "
                                       f"this is {config.spacecraft_id}")
        return ReceivedFrame(raw[: frame_length_field(raw)], frame)
