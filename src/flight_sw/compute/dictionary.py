"""Dictionary entries of the compute service 129.
Ids: parameters 160..191 (settings 116..121), events 32..47, housekeeping structure 5.

Service 129 is a mission service (ECSS-E-ST-70-41C 5.3: types 128..255 are mission
specific); docs/compute.md describes its requests, reports and error codes. The layouts of
the job reports TM(129,8) and TM(129,10) are :data:`JOB_REPORT_FIELDS` and
:data:`JOB_LIST_ENTRY_FIELDS` (the mission database has no TM report definitions).
"""

from __future__ import annotations

from ccsds.mission_db import Argument, Command, Event, HousekeepingStructure, Parameter, Severity

SERVICE = 129

KINDS = (("SHA256", 0), ("COMPRESS", 1), ("DECOMPRESS", 2), ("INFERENCE", 3), ("SEARCH", 4))
"""flight_sw.compute.jobs.JobKind, in this order."""
STATES = (("QUEUED", 0), ("RUNNING", 1), ("COMPLETED", 2), ("FAILED", 3), ("CANCELLED", 4))
"""flight_sw.compute.jobs.JobState, in this order."""
ALGORITHMS = (("ZLIB", 0), ("LZMA", 1))
"""flight_sw.compute.workloads.Algorithm, in this order."""
MAX_PRIORITY = 7
MAX_INFERENCE_INPUTS = 4096
MAX_INFERENCE_WIDTH = 1024
MAX_PATTERN_OCTETS = 255

# ----------------------------------------------------------------------------- commands


def _job_id() -> Argument:
    return Argument(name="job_id", type="uint16", minimum=1, description="job identifier")


def _algorithm() -> Argument:
    return Argument(name="algorithm", type="enum8", enumeration=ALGORITHMS,
                    description="stdlib codec: zlib (RFC 1950) or lzma (.xz container)")


_COMMON = (
    Argument(name="input", type="string", description="name of the stored object to read"),
    Argument(name="output", type="string",
             description="name of the result object (replaced if it exists)"),
    Argument(name="priority", type="uint8", minimum=0, maximum=MAX_PRIORITY,
             description="0 lowest .. 7 most urgent; ties run in submission order"),
    Argument(name="dmr", type="bool",
             description="run twice and compare the result digests (dual modular redundancy)"),
    Argument(name="progress_step", type="uint8", unit="%", minimum=0, maximum=100,
             description="a (1,5) progress report every N % of the job (0: none)"),
)
"""Arguments every submission starts with."""


def _submit(name: str, subtype: int, description: str,
            extra: tuple[Argument, ...] = ()) -> Command:
    return Command(name, SERVICE, subtype, _COMMON + extra,
                   description=f"queue a job: {description}")


COMMANDS: tuple[Command, ...] = (
    _submit("COMPUTE_SUBMIT_SHA256", 1, "SHA-256 of the input, stored as 32 octets"),
    _submit("COMPUTE_SUBMIT_COMPRESS", 2, "compress the input", (
        _algorithm(),
        Argument(name="level", type="uint8", minimum=0, maximum=9,
                 description="compression level (zlib level, lzma preset)"))),
    _submit("COMPUTE_SUBMIT_DECOMPRESS", 3, "decompress the input", (_algorithm(),)),
    _submit("COMPUTE_SUBMIT_INFERENCE", 4, "a seeded MLP over the input as float rows", (
        Argument(name="seed", type="uint32", description="seed of the weights"),
        Argument(name="inputs", type="uint16", minimum=1, maximum=MAX_INFERENCE_INPUTS,
                 description="input octets per row (features)"),
        Argument(name="hidden", type="uint16", minimum=1, maximum=MAX_INFERENCE_WIDTH,
                 description="hidden layer width"),
        Argument(name="outputs", type="uint16", minimum=1, maximum=MAX_INFERENCE_WIDTH,
                 description="output values per row"))),
    _submit("COMPUTE_SUBMIT_SEARCH", 5, "count a pattern and list the lines it occurs on", (
        Argument(name="pattern", type="bytes",
                 description=f"octets to find, 1..{MAX_PATTERN_OCTETS}"),)),
    Command("COMPUTE_CANCEL", SERVICE, 6, (_job_id(),),
            description="cancel a queued or running job (nothing is stored)"),
    Command("COMPUTE_REPORT_JOB", SERVICE, 7, (_job_id(),),
            description="report one job in TM(129,8)"),
    Command("COMPUTE_LIST_JOBS", SERVICE, 9, description="list the known jobs in TM(129,10)"),
)

# ----------------------------------------------------------------------------- reports

JOB_REPORT_FIELDS: tuple[Argument, ...] = (
    Argument(name="job_id", type="uint16"),
    Argument(name="request_id", type="bytes:4",
             description="packet id and sequence control of the submitting TC"),
    Argument(name="kind", type="enum8", enumeration=KINDS),
    Argument(name="state", type="enum8", enumeration=STATES),
    Argument(name="priority", type="uint8"),
    Argument(name="dmr", type="bool"),
    Argument(name="progress", type="uint8", unit="%"),
    Argument(name="cpu_time_ms", type="uint32", unit="ms", description="process CPU time"),
    Argument(name="result_size", type="uint64", unit="octets"),
    Argument(name="result_sha256", type="bytes:32", description="zeros until committed"),
    Argument(name="error_code", type="uint16", description="PUS 1 failure code, 0 if none"),
    Argument(name="input", type="string"),
    Argument(name="output", type="string"),
)
"""TM(129,8) job report, one job."""

JOB_LIST_ENTRY_FIELDS: tuple[Argument, ...] = (
    Argument(name="job_id", type="uint16"),
    Argument(name="kind", type="enum8", enumeration=KINDS),
    Argument(name="state", type="enum8", enumeration=STATES),
    Argument(name="priority", type="uint8"),
    Argument(name="progress", type="uint8", unit="%"),
)
"""TM(129,10) job list: N (uint8), then N entries of these fields."""

# ----------------------------------------------------------------------------- parameters


def _counter(pid: int, name: str, description: str, kind: str = "uint32") -> Parameter:
    return Parameter(id=pid, name=name, type=kind, description=description)


PARAMETERS: tuple[Parameter, ...] = (
    _counter(160, "JOBS_QUEUED", "jobs waiting to start", "uint8"),
    _counter(161, "JOBS_RUNNING", "jobs started and not finished (one advances at a time)",
             "uint8"),
    _counter(162, "JOBS_DONE", "jobs completed with their result committed"),
    _counter(163, "JOBS_FAILED", "jobs failed"),
    _counter(164, "JOBS_CANCELLED", "jobs cancelled"),
    _counter(165, "DMR_MISMATCHES", "duplicated runs whose result digests differed"),
    _counter(166, "JOBS_REJECTED", "job submissions refused at acceptance"),
    Parameter(id=167, name="COMPUTE_CPU_TIME", type="uint32", unit="s",
              calibration=(0.0, 0.001), description="CPU time used by jobs (ms steps)"),
    Parameter(id=168, name="COMPUTE_INPUT_READ", type="uint32", unit="KiB",
              description="input octets read by jobs, in KiB"),
    Parameter(id=169, name="COMPUTE_LOAD", type="uint8", unit="%", calibration=(0.0, 0.5),
              description="share of the compute period spent in jobs (0.5 % steps)"),
    _counter(170, "CURRENT_JOB", "job advanced last (0: none)", "uint16"),
    Parameter(id=171, name="CURRENT_JOB_PROGRESS", type="uint8", unit="%",
              description="progress of CURRENT_JOB"),
    # settings (116..)
    Parameter(id=116, name="HK_COMPUTE_INTERVAL_MS", type="uint32", unit="ms",
              minimum=100, maximum=3_600_000, settable=True,
              description="compute structure interval"),
    Parameter(id=117, name="COMPUTE_BUDGET_MS", type="uint32", unit="ms", minimum=1,
              maximum=100, settable=True,
              description="longest time jobs may run per compute cycle (default 20)"),
)

HOUSEKEEPING: tuple[HousekeepingStructure, ...] = (
    HousekeepingStructure(5, "compute", (
        "JOBS_QUEUED", "JOBS_RUNNING", "JOBS_DONE", "JOBS_FAILED", "JOBS_CANCELLED",
        "DMR_MISMATCHES", "JOBS_REJECTED", "COMPUTE_CPU_TIME", "COMPUTE_INPUT_READ",
        "COMPUTE_LOAD", "CURRENT_JOB", "CURRENT_JOB_PROGRESS"),
        5.0, True, "compute job engine every 5 s"),
)

# ----------------------------------------------------------------------------- events

EVENTS: tuple[Event, ...] = (
    Event(32, "JOB_COMPLETED", Severity.INFO, (
        Argument(name="job_id", type="uint16"),
        Argument(name="kind", type="enum8", enumeration=KINDS),
        Argument(name="result_size", type="uint64", unit="octets"),
        Argument(name="cpu_time_ms", type="uint32", unit="ms"),
    ), "a job's result object was committed"),
    Event(33, "JOB_FAILED", Severity.LOW, (
        Argument(name="job_id", type="uint16"),
        Argument(name="kind", type="enum8", enumeration=KINDS),
        Argument(name="error_code", type="uint16", description="PUS 1 failure code"),
    ), "a job failed; nothing was stored"),
    Event(34, "JOB_DMR_MISMATCH", Severity.MEDIUM, (
        Argument(name="job_id", type="uint16"),
        Argument(name="kind", type="enum8", enumeration=KINDS),
        Argument(name="first_sha256", type="bytes:32"),
        Argument(name="second_sha256", type="bytes:32"),
    ), "the two runs of a DMR job disagreed (silent corruption); nothing was stored"),
)
