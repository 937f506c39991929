"""Command handles: one sent telecommand and its PUS service 1 verification reports.

Reports follow the TC's acknowledgement flags: (1,1) acceptance, (1,3) start, (1,5)
progress, (1,7) completion; failures (1,2), (1,4), (1,6), (1,8) carry an error code
(ECSS-E-ST-70-41C 6.1.3, docs/icd.md section 8). Waits use a shared condition variable.
"""

from __future__ import annotations

import threading

from ccsds.pus_types import Value
from ground_sw.commanding import PreparedCommand
from ground_sw.decom import VerificationReport
from ground_sw.errors import VerificationFailed, VerificationTimeout
from ground_sw.records import Outcome

_OUTCOMES = {1: Outcome.ACCEPTED, 3: Outcome.STARTED, 5: Outcome.STARTED,
             7: Outcome.COMPLETED}
_STAGE_SUBTYPE = {"acceptance": 1, "start": 3, "progress": 5, "completion": 7}


def outcome_of(report: VerificationReport) -> Outcome:
    """The outcome a report moves its command to."""
    return _OUTCOMES.get(report.subtype, Outcome.STARTED) if report.success \
        else Outcome.FAILED


class CommandHandle:
    """A sent command; :meth:`wait_completed` blocks until its completion report."""

    def __init__(self, prepared: PreparedCommand, time: float,
                 condition: threading.Condition) -> None:
        self.prepared = prepared
        self.time = time
        """Ground time it was handed to the link (Unix seconds)."""
        self.outcome = Outcome.SENT
        self.reports: list[VerificationReport] = []
        self._condition = condition

    @property
    def name(self) -> str:
        """The command name."""
        return self.prepared.command.name

    @property
    def arguments(self) -> dict[str, Value]:
        """The argument values sent."""
        return self.prepared.arguments

    @property
    def request(self) -> tuple[int, int]:
        """(APID, sequence count) of the TC."""
        return self.prepared.request

    @property
    def failure(self) -> VerificationReport | None:
        """The failure report, if one arrived."""
        return next((r for r in self.reports if not r.success), None)

    def add(self, report: VerificationReport) -> None:
        """Take a report (the caller holds the condition and notifies)."""
        self.reports.append(report)
        if self.outcome is not Outcome.FAILED:
            self.outcome = outcome_of(report)

    def wait_stage(self, stage: str, timeout: float) -> CommandHandle:
        """Wait for the success report of ``stage`` (acceptance, start, progress, completion).

        Raises VerificationFailed (with the error code name) as soon as a failure report
        arrives, VerificationTimeout when nothing decisive arrived within ``timeout``.
        """
        subtype = _STAGE_SUBTYPE[stage]
        with self._condition:
            done = self._condition.wait_for(
                lambda: self.failure is not None
                or any(r.subtype == subtype for r in self.reports), timeout)
            failure = self.failure
            if not done:
                self.outcome = Outcome.TIMED_OUT
        if failure is not None:
            raise VerificationFailed(self.name, failure.stage, failure.error_code or 0,
                                     failure.error_name or "")
        if not done:
            seen = ", ".join(f"(1,{r.subtype})" for r in self.reports) or "no report"
            raise VerificationTimeout(f"{self.name}: no {stage} report within {timeout} s "
                                      f"({seen})")
        return self

    def wait_accepted(self, timeout: float = 10.0) -> CommandHandle:
        """Wait for the acceptance report (1,1)."""
        return self.wait_stage("acceptance", timeout)

    def wait_completed(self, timeout: float = 10.0) -> CommandHandle:
        """Wait for the completion report (1,7)."""
        return self.wait_stage("completion", timeout)

    def __repr__(self) -> str:
        return f"<CommandHandle {self.name} request={self.request} {self.outcome.value}>"
