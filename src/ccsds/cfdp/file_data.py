"""File Data PDU (CCSDS 727.0-B-5 5.3), with or without segment metadata."""

from __future__ import annotations

from dataclasses import dataclass

from ccsds.cfdp.defs import RecordContinuation
from ccsds.cfdp.pdu_header import PduHeader
from ccsds.cfdp.wire import Reader, fss_width, uint_bytes
from ccsds.errors import LocalProtocolError

SEGMENT_METADATA_MAX = 63


@dataclass(frozen=True)
class FileDataPdu:
    """A file segment at ``offset``; ``record_continuation`` set means segment metadata is
    present (header flag set, 5.3.2) together with up to 63 octets of ``segment_metadata``.
    """

    header: PduHeader
    offset: int
    data: bytes
    record_continuation: RecordContinuation | None = None
    segment_metadata: bytes = b""

    @property
    def has_segment_metadata(self) -> bool:
        """Whether the segment metadata fields are present (fixed header flag, 5.1.1)."""
        return self.record_continuation is not None

    def body(self) -> bytes:
        offset = uint_bytes(self.offset, fss_width(self.header.large_file), "segment offset")
        if self.record_continuation is None:
            if self.segment_metadata:
                raise LocalProtocolError("segment metadata needs a record continuation state")
            return offset + self.data
        if len(self.segment_metadata) > SEGMENT_METADATA_MAX:
            raise LocalProtocolError(f"segment metadata over {SEGMENT_METADATA_MAX} octets")
        octet = self.record_continuation << 6 | len(self.segment_metadata)
        return bytes((octet,)) + self.segment_metadata + offset + self.data

    @classmethod
    def from_body(cls, header: PduHeader, reader: Reader, segment_metadata: bool) -> FileDataPdu:
        continuation: RecordContinuation | None = None
        metadata = b""
        if segment_metadata:
            octet = reader.u8("segment metadata length")
            continuation = RecordContinuation(octet >> 6)
            metadata = reader.take(octet & 0x3F, "segment metadata")
        offset = reader.uint(fss_width(header.large_file), "segment offset")
        return cls(header, offset, reader.rest(), continuation, metadata)
