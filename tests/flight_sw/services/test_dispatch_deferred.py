"""Deferred completion: a long-running request reports (1,7) or (1,8) when its work ends,
not when its handler returns (ECSS-E-ST-70-41C 6.1.5), and the dispatcher counts it then."""

from __future__ import annotations

import struct

from ccsds.pus import AckFlags, PusTc
from flight_sw.dispatch import CommandError, Dispatcher
from flight_sw.services.verification import ErrorCode, Subtype, Verification

APID = 100


class _Recorder:
    def __init__(self) -> None:
        self.reports: list[tuple[int, int, bytes]] = []
        self.dispatcher = Dispatcher(APID, self.emit)
        self.pending: list[Verification] = []

    def emit(self, service: int, subtype: int, data: bytes) -> None:
        self.reports.append((service, subtype, data))

    def subtypes(self) -> list[int]:
        return [subtype for service, subtype, _ in self.reports if service == 1]


def _long_running(bench: _Recorder) -> None:
    def execute(_: None, verification: Verification) -> None:
        verification.defer()
        bench.pending.append(verification)

    bench.dispatcher.register(200, 1, execute)


def _request(sequence: int, ack: AckFlags = AckFlags.ALL) -> bytes:
    return PusTc(APID, sequence, 200, 1, b"", ack_flags=ack).encode()


def test_completion_waits_for_the_service() -> None:
    bench = _Recorder()
    _long_running(bench)
    bench.dispatcher.dispatch(_request(1))
    assert bench.subtypes() == [Subtype.ACCEPTANCE_SUCCESS, Subtype.START_SUCCESS]
    counters = bench.dispatcher.counters
    assert (counters.deferred, counters.completed) == (1, 0)
    bench.pending.pop().completed()
    assert bench.subtypes()[-1] == Subtype.COMPLETION_SUCCESS
    assert counters.completed == 1


def test_a_deferred_failure_is_reported_and_counted_once() -> None:
    bench = _Recorder()
    _long_running(bench)
    bench.dispatcher.dispatch(_request(2, AckFlags.ACCEPTANCE))
    bench.pending.pop().failed(Subtype.COMPLETION_FAILURE, ErrorCode.EXECUTION_FAILED)
    last_service, last_subtype, data = bench.reports[-1]
    assert (last_service, last_subtype) == (1, Subtype.COMPLETION_FAILURE)
    assert struct.unpack_from(">H", data, 4)[0] == ErrorCode.EXECUTION_FAILED
    counters = bench.dispatcher.counters
    assert (counters.failed, counters.completed) == (1, 0)


def test_an_immediate_failure_is_counted_as_before() -> None:
    bench = _Recorder()

    def refuse(_: None, __: Verification) -> None:
        raise CommandError(ErrorCode.BUSY, "busy")

    bench.dispatcher.register(200, 2, refuse)
    bench.dispatcher.dispatch(PusTc(APID, 3, 200, 2, b"").encode())
    counters = bench.dispatcher.counters
    assert (counters.failed, counters.completed, counters.deferred) == (1, 0, 0)
