"""Acceptance checks of the service 129 submissions (ECSS-E-ST-70-41C 6.1.4, acceptance):
the decoded arguments of (129,1)..(129,5) become a :class:`JobSpec`, or a CommandError whose
code the dispatcher reports in (1,2)."""

from __future__ import annotations

import struct
from collections.abc import Callable

from flight_sw.compute.dictionary import MAX_PATTERN_OCTETS
from flight_sw.compute.jobs import JobSpec
from flight_sw.compute.params import (
    Algorithm,
    CompressParams,
    DecompressParams,
    HashParams,
    InferenceParams,
    JobKind,
    Limits,
    SearchParams,
    WorkloadParams,
)
from flight_sw.compute.source import storage_error_code
from flight_sw.compute.workloads import expected_result_octets
from flight_sw.dispatch import CommandError
from flight_sw.services.arguments import Arguments, integer
from flight_sw.services.verification import ErrorCode
from flight_sw.storage.api import InvalidNameError, ObjectState, StorageError, Store
from flight_sw.storage.records import check_name

_JOB_ID = struct.Struct(">H")


def submit_subtype(kind: JobKind) -> int:
    """The (129, x) subtype that submits a job of ``kind``."""
    return int(kind) + 1


def job_id_data(job_id: int) -> bytes:
    """Failure data naming a job: its id (uint16)."""
    return _JOB_ID.pack(job_id & 0xFFFF)


def _text(arguments: Arguments, name: str) -> str:
    value = arguments[name]
    if not isinstance(value, str):
        raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, f"{name} is not a string")
    return value


def _octets(arguments: Arguments, name: str) -> bytes:
    value = arguments[name]
    if not isinstance(value, bytes):
        raise CommandError(ErrorCode.INVALID_APPLICATION_DATA, f"{name} is not octets")
    return value


def check_object_name(name: str) -> str:
    """``name`` if the store may hold it (its own rule, flight_sw.storage.records), else
    INVALID_OBJECT_NAME."""
    try:
        check_name(name)
    except InvalidNameError as error:
        raise CommandError(ErrorCode.INVALID_OBJECT_NAME, str(error)) from None
    return name


def _search(arguments: Arguments) -> SearchParams:
    pattern = _octets(arguments, "pattern")
    if not 0 < len(pattern) <= MAX_PATTERN_OCTETS:
        raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE,
                           f"pattern of {len(pattern)} octets, 1..{MAX_PATTERN_OCTETS} allowed")
    return SearchParams(pattern)


PARAMS: dict[JobKind, Callable[[Arguments], WorkloadParams]] = {
    JobKind.SHA256: lambda _: HashParams(),
    JobKind.COMPRESS: lambda a: CompressParams(Algorithm(integer(a, "algorithm")),
                                               integer(a, "level")),
    JobKind.DECOMPRESS: lambda a: DecompressParams(Algorithm(integer(a, "algorithm"))),
    JobKind.INFERENCE: lambda a: InferenceParams(integer(a, "seed"), integer(a, "inputs"),
                                                 integer(a, "hidden"), integer(a, "outputs")),
    JobKind.SEARCH: _search,
}
"""The workload parameters of each kind from its submission's arguments (the dictionary's
ranges were checked by the codec)."""


def job_spec(kind: JobKind, arguments: Arguments) -> JobSpec:
    """The job a submission describes (CommandError when an argument is refused)."""
    source = check_object_name(_text(arguments, "input"))
    output = check_object_name(_text(arguments, "output"))
    if source == output:
        raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE, "the output would replace the input")
    return JobSpec(source, output, PARAMS[kind](arguments),
                   priority=integer(arguments, "priority"), dmr=arguments["dmr"] is True,
                   progress_step=integer(arguments, "progress_step"))


def check_input(store: Store, spec: JobSpec, limits: Limits) -> None:
    """Refuse a job whose input is missing or lost, or whose result would exceed the
    result limit."""
    try:
        info = store.info(spec.input)
    except StorageError as error:
        raise CommandError(storage_error_code(error), str(error)) from None
    if info.state is ObjectState.LOST:
        raise CommandError(ErrorCode.DATA_LOST, f"{spec.input} is lost")
    expected = expected_result_octets(spec.params, info.size)
    if expected is not None and expected > limits.max_result_octets:
        raise CommandError(ErrorCode.ARGUMENT_OUT_OF_RANGE,
                           f"result of {expected} octets exceeds {limits.max_result_octets}")
