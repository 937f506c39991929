"""Our PDUs against spacepackets.cfdp, an independent implementation, in both directions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spacepackets.cfdp import defs as sp_defs
from spacepackets.cfdp import pdu as sp
from spacepackets.cfdp import tlv as sp_tlv
from spacepackets.cfdp.pdu.file_data import RecordContinuationState, SegmentMetadata
from spacepackets.cfdp.pdu.prompt import ResponseRequired
from spacepackets.util import UnsignedByteField

from ccsds.cfdp import (
    AckPdu,
    ActionCode,
    ConditionCode,
    DeliveryCode,
    Direction,
    DirectiveCode,
    EntityIdTlv,
    EofPdu,
    FaultHandlerCode,
    FaultHandlerOverrideTlv,
    FileDataPdu,
    FileStatus,
    FilestoreRequestTlv,
    FinishedPdu,
    FlowLabelTlv,
    KeepAlivePdu,
    MessageToUserTlv,
    MetadataPdu,
    NakPdu,
    Pdu,
    PduHeader,
    PromptPdu,
    PromptResponse,
    RecordContinuation,
    TransactionStatus,
    TransmissionMode,
    decode_pdu,
    encode_pdu,
)

pytestmark = pytest.mark.interop

SP_WIDTHS = st.sampled_from([1, 2, 4, 8])
# spacepackets has no code 9 (invalid file structure)
conditions = st.sampled_from(
    [c for c in ConditionCode if c is not ConditionCode.INVALID_FILE_STRUCTURE]
)


@st.composite
def headers(draw: st.DrawFn, direction: Direction) -> PduHeader:
    id_len, seq_len = draw(SP_WIDTHS), draw(SP_WIDTHS)
    return PduHeader(
        draw(st.integers(0, (1 << (8 * id_len)) - 1)),
        draw(st.integers(0, (1 << (8 * seq_len)) - 1)),
        draw(st.integers(0, (1 << (8 * id_len)) - 1)),
        transmission_mode=draw(st.sampled_from(TransmissionMode)),
        direction=direction,
        crc=draw(st.booleans()),
        large_file=draw(st.booleans()),
        entity_id_length=id_len,
        sequence_number_length=seq_len,
    )


def fss(header: PduHeader) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << (64 if header.large_file else 32)) - 1)


def entity_ids(width: int) -> st.SearchStrategy[EntityIdTlv]:
    return st.builds(EntityIdTlv, st.integers(0, (1 << (8 * width)) - 1), st.just(width))


# ASCII: spacepackets sizes filestore request names by characters, not UTF-8 octets
short_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
options = st.one_of(
    st.builds(MessageToUserTlv, st.binary(max_size=40)),
    st.builds(FlowLabelTlv, st.binary(max_size=40)),
    st.builds(FaultHandlerOverrideTlv, conditions, st.sampled_from(FaultHandlerCode)),
    st.builds(
        lambda action, first, second: FilestoreRequestTlv(
            action, first, second if action.has_second_name else ""
        ),
        st.sampled_from(ActionCode), short_text, short_text,
    ),
)


@st.composite
def interop_pdus(draw: st.DrawFn) -> Pdu:
    kind = draw(st.sampled_from(["eof", "fin", "ack", "md", "nak", "prompt", "ka", "fd"]))
    toward_sender = kind in ("fin", "nak", "ka")
    acked = draw(st.sampled_from([DirectiveCode.EOF, DirectiveCode.FINISHED]))
    if kind == "ack":
        toward_sender = acked is DirectiveCode.EOF
    header = draw(headers(Direction(toward_sender)))
    width = draw(SP_WIDTHS)
    if kind == "eof":
        condition = draw(conditions)
        location = None if condition is ConditionCode.NO_ERROR else draw(entity_ids(width))
        return EofPdu(header, condition, draw(st.integers(0, 2**32 - 1)), draw(fss(header)),
                      location)
    if kind == "fin":
        condition = draw(conditions)
        # spacepackets drops a fault location for "unsupported checksum type" (its quirk)
        no_location = (ConditionCode.NO_ERROR, ConditionCode.UNSUPPORTED_CHECKSUM_TYPE)
        location = None if condition in no_location else draw(entity_ids(width))
        return FinishedPdu(header, condition, draw(st.sampled_from(DeliveryCode)),
                           draw(st.sampled_from(FileStatus)), (), location)
    if kind == "ack":
        return AckPdu(header, acked, draw(conditions), draw(st.sampled_from(TransactionStatus)))
    if kind == "md":
        return MetadataPdu(header, draw(fss(header)), draw(short_text), draw(short_text),
                           draw(st.sampled_from([0, 1, 2, 3, 15])), draw(st.booleans()),
                           tuple(draw(st.lists(options, max_size=3))))
    if kind == "nak":
        pairs = st.tuples(fss(header), fss(header))
        return NakPdu(header, draw(fss(header)), draw(fss(header)),
                      tuple(draw(st.lists(pairs, max_size=5))))
    if kind == "prompt":
        return PromptPdu(header, draw(st.sampled_from(PromptResponse)))
    if kind == "ka":
        return KeepAlivePdu(header, draw(fss(header)))
    continuation = draw(st.none() | st.sampled_from(RecordContinuation))
    metadata = draw(st.binary(max_size=63)) if continuation is not None else b""
    # spacepackets rejects a File Data PDU without data octets (its quirk), so min_size=1
    return FileDataPdu(header, draw(fss(header)), draw(st.binary(min_size=1, max_size=200)),
                       continuation,
                       metadata)


def _field(value: int, width: int) -> UnsignedByteField:
    return UnsignedByteField(value, width)


def _conf(header: PduHeader) -> sp.PduConfig:
    return sp.PduConfig(
        source_entity_id=_field(header.source_entity_id, header.entity_id_length),
        dest_entity_id=_field(header.destination_entity_id, header.entity_id_length),
        transaction_seq_num=_field(header.sequence_number, header.sequence_number_length),
        trans_mode=sp_defs.TransmissionMode(header.transmission_mode),
        file_flag=sp_defs.LargeFileFlag(header.large_file),
        crc_flag=sp_defs.CrcFlag(header.crc),
        direction=sp_defs.Direction(header.direction),
    )


def _their_entity_id(tlv: EntityIdTlv | None) -> sp_tlv.EntityIdTlv | None:
    return None if tlv is None else sp_tlv.EntityIdTlv(tlv.value())


def _their_option(tlv: object) -> object:
    if isinstance(tlv, MessageToUserTlv):
        return sp_tlv.MessageToUserTlv(tlv.message)
    if isinstance(tlv, FlowLabelTlv):
        return sp_tlv.FlowLabelTlv(tlv.label)
    if isinstance(tlv, FaultHandlerOverrideTlv):
        return sp_tlv.FaultHandlerOverrideTlv(
            sp_defs.ConditionCode(tlv.condition), sp_defs.FaultHandlerCode(tlv.handler)
        )
    assert isinstance(tlv, FilestoreRequestTlv)
    return sp_tlv.FileStoreRequestTlv(
        sp_tlv.FilestoreActionCode(tlv.action), tlv.first_name, tlv.second_name
    )


def to_theirs(pdu: Pdu) -> object:
    """The same PDU built with spacepackets from our field values."""
    conf = _conf(pdu.header)
    if isinstance(pdu, EofPdu):
        return sp.EofPdu(conf, pdu.checksum, pdu.file_size, _their_entity_id(pdu.fault_location),
                         sp_defs.ConditionCode(pdu.condition))
    if isinstance(pdu, FinishedPdu):
        return sp.FinishedPdu(conf, sp.FinishedParams(
            sp_defs.ConditionCode(pdu.condition), sp_defs.DeliveryCode(pdu.delivery),
            sp_defs.FileStatus(pdu.file_status), [], _their_entity_id(pdu.fault_location)))
    if isinstance(pdu, AckPdu):
        return sp.AckPdu(conf, sp.DirectiveType(pdu.acknowledged),
                         sp_defs.ConditionCode(pdu.condition),
                         sp.TransactionStatus(pdu.transaction_status))
    if isinstance(pdu, MetadataPdu):
        params = sp.MetadataParams(pdu.closure_requested, sp_defs.ChecksumType(pdu.checksum_type),
                                   pdu.file_size, pdu.source_name, pdu.destination_name)
        return sp.MetadataPdu(conf, params, [_their_option(o) for o in pdu.options] or None)
    if isinstance(pdu, NakPdu):
        return sp.NakPdu(conf, pdu.start_of_scope, pdu.end_of_scope, list(pdu.segments))
    if isinstance(pdu, PromptPdu):
        return sp.PromptPdu(conf, ResponseRequired(pdu.response))
    if isinstance(pdu, KeepAlivePdu):
        return sp.KeepAlivePdu(conf, pdu.progress)
    segment = None
    if pdu.record_continuation is not None:
        segment = SegmentMetadata(RecordContinuationState(pdu.record_continuation),
                                  pdu.segment_metadata)
    return sp.FileDataPdu(conf, sp.FileDataParams(pdu.data, pdu.offset, segment))


@given(interop_pdus())
def test_their_pdus_decode_in_ours(pdu: Pdu) -> None:
    theirs = to_theirs(pdu)
    assert decode_pdu(bytes(theirs.pack())) == pdu  # type: ignore[attr-defined]


@given(interop_pdus())
def test_our_pdus_decode_in_theirs(pdu: Pdu) -> None:
    raw = encode_pdu(pdu)
    decoded = sp.PduFactory.from_raw(raw)
    assert decoded is not None
    assert type(decoded).__name__ == type(pdu).__name__
    if not _their_eof_condition_defect(pdu) and not _their_segment_metadata_defect(pdu):
        assert bytes(decoded.pack()) == raw
    for ours, theirs in _field_pairs(pdu, decoded):
        assert ours == theirs
    assert decoded.transaction_seq_num.value == pdu.header.sequence_number
    assert decoded.source_entity_id.value == pdu.header.source_entity_id


def _their_eof_condition_defect(pdu: Pdu) -> bool:
    """spacepackets 0.32 decodes the EOF condition code without shifting it down 4 bits."""
    return isinstance(pdu, EofPdu) and pdu.condition is not ConditionCode.NO_ERROR


def _their_segment_metadata_defect(pdu: Pdu) -> bool:
    """spacepackets 0.32: a File Data PDU with segment metadata, once unpacked, packs again
    with a data field length one octet short (its own freshly built PDUs are right)."""
    return isinstance(pdu, FileDataPdu) and pdu.has_segment_metadata


def _field_pairs(pdu: Pdu, theirs: Any) -> list[tuple[object, object]]:
    """(our value, their decoded value) for the fields that identify each PDU type."""
    if isinstance(pdu, EofPdu):
        their_condition = theirs.condition_code
        if _their_eof_condition_defect(pdu):
            their_condition >>= 4
        return [(pdu.condition, their_condition), (pdu.file_size, theirs.file_size),
                (pdu.checksum, int.from_bytes(theirs.file_checksum, "big"))]
    if isinstance(pdu, FinishedPdu):
        return [(pdu.condition, theirs.condition_code), (pdu.delivery, theirs.delivery_code),
                (pdu.file_status, theirs.file_status)]
    if isinstance(pdu, AckPdu):
        return [(pdu.acknowledged, theirs.directive_code_of_acked_pdu),
                (pdu.transaction_status, theirs.transaction_status)]
    if isinstance(pdu, MetadataPdu):
        return [(pdu.file_size, theirs.file_size), (pdu.closure_requested,
                theirs.closure_requested), (pdu.checksum_type, theirs.checksum_type),
                (pdu.source_name, theirs.source_file_name or ""),
                (pdu.destination_name, theirs.dest_file_name or "")]
    if isinstance(pdu, NakPdu):
        return [(pdu.start_of_scope, theirs.start_of_scope), (pdu.end_of_scope,
                theirs.end_of_scope), (list(pdu.segments), theirs.segment_requests)]
    if isinstance(pdu, PromptPdu):
        return [(pdu.response, theirs.response_required)]
    if isinstance(pdu, KeepAlivePdu):
        return [(pdu.progress, theirs.progress)]
    pairs: list[tuple[object, object]] = [(pdu.offset, theirs.offset),
                                          (pdu.data, theirs.file_data)]
    if pdu.record_continuation is not None:
        pairs.append((pdu.segment_metadata, theirs.segment_metadata.metadata))
    return pairs


def test_theirs_and_ours_agree_on_a_crc_protected_nak_with_large_offsets() -> None:
    header = PduHeader(5, 7, 6, direction=Direction.TOWARD_SENDER, crc=True, large_file=True)
    pdu = NakPdu(header, 0, 1 << 40, ((0, 0), (1 << 33, (1 << 33) + 10)))
    assert bytes(to_theirs(pdu).pack()) == encode_pdu(pdu)  # type: ignore[attr-defined]
    assert replace(pdu) == decode_pdu(encode_pdu(pdu))
