"""Hypothesis strategies for every CFDP PDU and TLV."""

from __future__ import annotations

from hypothesis import strategies as st

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
    FilestoreResponseTlv,
    FinishedPdu,
    FlowLabelTlv,
    KeepAlivePdu,
    MessageToUserTlv,
    MetadataPdu,
    NakPdu,
    PduHeader,
    PromptPdu,
    PromptResponse,
    RecordContinuation,
    TransactionStatus,
    TransmissionMode,
)

WIDTHS = st.sampled_from([1, 2, 3, 4, 8])
names = st.text(max_size=40).filter(lambda s: len(s.encode()) <= 255)
small_bytes = st.binary(max_size=60)


@st.composite
def headers(draw: st.DrawFn) -> PduHeader:
    id_len, seq_len = draw(WIDTHS), draw(WIDTHS)
    return PduHeader(
        source_entity_id=draw(st.integers(0, (1 << (8 * id_len)) - 1)),
        sequence_number=draw(st.integers(0, (1 << (8 * seq_len)) - 1)),
        destination_entity_id=draw(st.integers(0, (1 << (8 * id_len)) - 1)),
        transmission_mode=draw(st.sampled_from(TransmissionMode)),
        direction=draw(st.sampled_from(Direction)),
        crc=draw(st.booleans()),
        large_file=draw(st.booleans()),
        segmentation_control=draw(st.booleans()),
        entity_id_length=id_len,
        sequence_number_length=seq_len,
    )


def fss(header: PduHeader) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << (64 if header.large_file else 32)) - 1)


conditions = st.sampled_from(ConditionCode)


@st.composite
def entity_id_tlvs(draw: st.DrawFn) -> EntityIdTlv:
    width = draw(WIDTHS)
    return EntityIdTlv(draw(st.integers(0, (1 << (8 * width)) - 1)), width)


@st.composite
def filestore_requests(draw: st.DrawFn) -> FilestoreRequestTlv:
    action = draw(st.sampled_from(ActionCode))
    second = draw(st.text(max_size=20)) if action.has_second_name else ""
    return FilestoreRequestTlv(action, draw(st.text(max_size=20)), second)


@st.composite
def filestore_responses(draw: st.DrawFn) -> FilestoreResponseTlv:
    action = draw(st.sampled_from(ActionCode))
    second = draw(st.text(max_size=20)) if action.has_second_name else ""
    return FilestoreResponseTlv(
        action, draw(st.integers(0, 15)), draw(st.text(max_size=20)), second,
        draw(st.binary(max_size=40)),
    )


fault_overrides = st.builds(
    FaultHandlerOverrideTlv, conditions, st.sampled_from(FaultHandlerCode)
)
option_tlvs = st.one_of(
    filestore_requests(),
    st.builds(MessageToUserTlv, small_bytes),
    fault_overrides,
    st.builds(FlowLabelTlv, small_bytes),
)
all_tlvs = st.one_of(option_tlvs, entity_id_tlvs(), filestore_responses())


@st.composite
def eof_pdus(draw: st.DrawFn) -> EofPdu:
    header = draw(headers())
    return EofPdu(
        header, draw(conditions), draw(st.integers(0, 2**32 - 1)), draw(fss(header)),
        draw(st.none() | entity_id_tlvs()),
    )


@st.composite
def finished_pdus(draw: st.DrawFn) -> FinishedPdu:
    return FinishedPdu(
        draw(headers()), draw(conditions), draw(st.sampled_from(DeliveryCode)),
        draw(st.sampled_from(FileStatus)),
        tuple(draw(st.lists(filestore_responses(), max_size=3))),
        draw(st.none() | entity_id_tlvs()),
    )


ack_pdus = st.builds(
    AckPdu, headers(), st.sampled_from([DirectiveCode.EOF, DirectiveCode.FINISHED]),
    conditions, st.sampled_from(TransactionStatus),
)


@st.composite
def metadata_pdus(draw: st.DrawFn) -> MetadataPdu:
    header = draw(headers())
    return MetadataPdu(
        header, draw(fss(header)), draw(names), draw(names), draw(st.integers(0, 15)),
        draw(st.booleans()), tuple(draw(st.lists(option_tlvs, max_size=4))),
    )


@st.composite
def nak_pdus(draw: st.DrawFn) -> NakPdu:
    header = draw(headers())
    pairs = st.tuples(fss(header), fss(header))
    return NakPdu(
        header, draw(fss(header)), draw(fss(header)),
        tuple(draw(st.lists(pairs, max_size=8))),
    )


prompt_pdus = st.builds(PromptPdu, headers(), st.sampled_from(PromptResponse))


@st.composite
def keep_alive_pdus(draw: st.DrawFn) -> KeepAlivePdu:
    header = draw(headers())
    return KeepAlivePdu(header, draw(fss(header)))


@st.composite
def file_data_pdus(draw: st.DrawFn) -> FileDataPdu:
    header = draw(headers())
    continuation = draw(st.none() | st.sampled_from(RecordContinuation))
    metadata = draw(st.binary(max_size=63)) if continuation is not None else b""
    return FileDataPdu(
        header, draw(fss(header)), draw(st.binary(max_size=300)), continuation, metadata
    )


any_pdu = st.one_of(
    eof_pdus(), finished_pdus(), ack_pdus, metadata_pdus(), nak_pdus(), prompt_pdus,
    keep_alive_pdus(), file_data_pdus(),
)
