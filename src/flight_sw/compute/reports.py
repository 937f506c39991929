"""The service 129 reports: TM(129,8) one job, TM(129,10) the job list (docs/compute.md).

Layouts are the dictionary's :data:`~flight_sw.compute.dictionary.JOB_REPORT_FIELDS` and
:data:`~flight_sw.compute.dictionary.JOB_LIST_ENTRY_FIELDS`, encoded with the mission
database codec (ECSS-E-ST-70-41C 7.3 parameter types).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ccsds.mission_db.codec import encode_fields
from flight_sw.compute.dictionary import JOB_LIST_ENTRY_FIELDS, JOB_REPORT_FIELDS
from flight_sw.compute.jobs import Job

MAX_LIST_ENTRIES = 0xFF
_COUNT = struct.Struct(">B")


def job_report(job: Job, request_id: bytes = bytes(4)) -> bytes:
    """Source data of TM(129,8) for ``job`` submitted by the TC of ``request_id``."""
    return encode_fields(JOB_REPORT_FIELDS, {
        "job_id": job.id, "request_id": request_id, "kind": int(job.spec.kind),
        "state": int(job.state), "priority": job.spec.priority, "dmr": job.spec.dmr,
        "progress": job.percent, "cpu_time_ms": min(round(job.cpu_s * 1000), 0xFFFF_FFFF),
        "result_size": job.result_size, "result_sha256": job.result_sha256,
        "error_code": int(job.error or 0), "input": job.spec.input, "output": job.spec.output,
    }, "TM(129,8)")


def job_list(jobs: Sequence[Job]) -> bytes:
    """Source data of TM(129,10): N, then N x (job id, kind, state, priority, progress) of
    the first 255 ``jobs``."""
    listed = jobs[:MAX_LIST_ENTRIES]
    return _COUNT.pack(len(listed)) + b"".join(encode_fields(JOB_LIST_ENTRY_FIELDS, {
        "job_id": job.id, "kind": int(job.spec.kind), "state": int(job.state),
        "priority": job.spec.priority, "progress": job.percent}, "TM(129,10)")
        for job in listed)
