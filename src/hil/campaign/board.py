"""The board trial backend: ``flight-sw run`` on an emulated board behind a pty
(:class:`hil.boards.emulated.EmulatedBoardSession`, restarted on its reset exits) commanded
by the ground station (:class:`ground_sw.station.GroundStation`) in real time, optionally
through the profile's link channel (:class:`hil.channel.SerialProxy`: light time, line
rates, bit errors and bursts; always in contact).

Everything goes the way it would with a real board: uploads and reads by CFDP, SHA-256 jobs
by service 129, upsets by service 131 (FAULT_FLIP_BITS, FAULT_STICK_BITS, FAULT_HANG for a
SEFI, FAULT_LATCH_UP), errors seen as service 5 events and the diagnostics housekeeping
(EDAC_CORRECTED on request), resets seen as the process's exit statuses (docs/icd.md
section 10: 4 watchdog, 5 latch-up power cycle). The bench clock is the wall clock, so a
trial lasts ``duration_s`` seconds plus the workload: use it for a few trials.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from firmware_stubs.board.board import BoardSpec
from flight_sw.hal.emulated import with_storage_size
from ground_sw.errors import GroundError, VerificationFailed
from ground_sw.station import GroundStation
from ground_sw.verification import CommandHandle
from hil.boards.base import BoardError
from hil.boards.emulated import EmulatedBoardSession
from hil.boards.relay import PtyRelay
from hil.campaign.scenario import Scenario
from hil.campaign.trial import (
    Plan,
    Tally,
    TrialResult,
    TrialSetupError,
    TrialSpec,
    finished,
    plan,
    timeline_times,
    upset_schedule,
)
from hil.channel import PassSchedule, SerialProxy, channel_config
from hil.profiles import load_profile
from hil.radiation import Injector, UpsetKind

BACKEND = "board"
LINK_TIMEOUT_S = 30.0
COMMAND_TIMEOUT_S = 30.0
TRANSFER_TIMEOUT_S = 120.0
RESTART_TIMEOUT_S = 40.0
"""From FAULT_HANG to the software serving again (watchdog timeout plus a restart)."""
TICK_S = 0.1
LATCH_UP_STEP_MW = 3000
WATCHDOG_EXIT, LATCH_UP_EXIT = 4, 5
DIAGNOSTICS_STRUCTURE = 3


class BoardTrialError(RuntimeError):
    """The board stopped for good or did not come back from a reset."""


@contextmanager
def _board(scenario: Scenario, seed: int) -> Iterator[tuple[EmulatedBoardSession, str]]:
    """An emulated board and the URL the ground opens (the link channel's end when the
    scenario asks for the profile's link)."""
    with ExitStack() as stack:
        session = EmulatedBoardSession(storage_size=scenario.storage_octets)
        stack.callback(session.close)
        url = session.open()
        if scenario.link == "profile":
            relay = PtyRelay()
            relay.start()
            stack.callback(relay.close)
            config = channel_config(load_profile(scenario.profile), seed=seed,
                                    schedule=PassSchedule.always_up())
            proxy = SerialProxy(relay.board_path, url, config).start()
            stack.callback(proxy.close)
            url = relay.ground_path
        yield session, url


class BoardTrial:
    """One trial against a board session and a ground station."""

    def __init__(self, spec: TrialSpec, session: EmulatedBoardSession, url: str,
                 files: Path, tally: Tally) -> None:
        self.spec = spec
        self.scenario = spec.scenario
        self.session = session
        self.url = url
        self.station = GroundStation.connect(url, link_timeout=LINK_TIMEOUT_S)
        self._past_events: list[tuple[str, int]] = []
        """Events of the stations closed after a reset."""
        self._ground_errors = 0
        """Reads and transfers that failed without a board error code."""
        self._edac_carried = 0
        """Corrections counted in earlier boots (a reset loses the store's unsaved ones)."""
        self._edac_base = 0
        self.files = files
        self.tally = tally
        self.lost: set[str] = set()
        self.inject_errors: list[str] = []
        self._pending: list[CommandHandle] = []
        self._ticker = threading.Event()

    # -- injection (service 131) -----------------------------------------------------------

    def inject(self, region: str, kind: UpsetKind, positions: NDArray[np.int64]) -> None:
        """The injector's callable: one fault-injection command per event. Bit flips are
        sent without waiting (their completions are awaited by :meth:`flush`); a hang or a
        latch-up waits for what was sent before it, then for the reset it brings."""
        octets = positions.astype(">u8").tobytes()
        if kind in (UpsetKind.BIT, UpsetKind.CLUSTER):
            self._send("FAULT_FLIP_BITS", region=region, positions=octets)
        elif kind is UpsetKind.STUCK:
            self._send("FAULT_STICK_BITS", region=region, value=1, positions=octets)
        elif kind is UpsetKind.LATCHUP or self.scenario.sefi:
            self.flush()
            self._edac_carried += self.corrected_words(wait=True) - self._edac_base
            if kind is UpsetKind.LATCHUP:
                self.tally.latchups += 1
                self._send("FAULT_LATCH_UP", step_mw=LATCH_UP_STEP_MW)
            else:
                self.tally.sefis += 1
                self._send("FAULT_HANG")
            self.flush()
            self._await_restart()

    def _send(self, name: str, **values: int | str | bytes) -> None:
        self._pending.append(self.station.send(name, values, confirm=True))

    def flush(self) -> None:
        """Wait for the completion of every injection sent; failures are kept."""
        pending, self._pending = self._pending, []
        for handle in pending:
            try:
                handle.wait_completed(COMMAND_TIMEOUT_S)
            except GroundError as exc:
                self.inject_errors.append(f"{type(exc).__name__}: {exc}")

    def _await_restart(self) -> None:
        """Wait for the reset that a hang or latch-up brings, and the boot after it."""
        since = self.station.clock()
        if not self.session.wait_reset(self.session.reset_count + 1, RESTART_TIMEOUT_S):
            raise BoardTrialError(f"the board did not restart (exit {self.session.exit_status})")
        self.station.await_event("BOOT", RESTART_TIMEOUT_S, since=since)
        self._reconnect()
        self._edac_base = self.corrected_words(wait=True)

    def _reconnect(self) -> None:
        """A fresh ground station after a board reset: the restarted board numbers its CFDP
        transactions from the start again, which the old ground entity would take for
        transactions it has finished (CCSDS 727.0-B-5 wants them unique)."""
        self._past_events += self._event_words()
        self.station.close()
        self.station = GroundStation.connect(self.url, link_timeout=LINK_TIMEOUT_S)

    def close(self) -> None:
        """Close the ground station."""
        self.station.close()

    # -- workload ----------------------------------------------------------------------

    def upload(self, work: Plan) -> None:
        """Store every object of the plan by CFDP."""
        for upload in work.uploads:
            path = self.files / upload.name.replace("/", "_")
            path.write_bytes(upload.data)
            self.station.upload(path, upload.name, timeout=TRANSFER_TIMEOUT_S)

    def _fetch(self, name: str) -> bytes | None:
        """An object by CFDP; None (counted) when the board or the transfer fails."""
        path = self.files / f"read-{name.replace('/', '_')}"
        try:
            self.station.download(name, path, timeout=TRANSFER_TIMEOUT_S)
        except VerificationFailed as exc:
            if exc.error_name == "DATA_LOST":
                self.lost.add(name)
            else:
                self._ground_errors += 1
            return None
        except GroundError:
            self._ground_errors += 1
            return None
        return path.read_bytes()

    def read_pass(self, work: Plan) -> None:
        """Read every object back against the SHA-256 kept aside."""
        for upload in work.uploads:
            self.tally.reads += 1
            data = self._fetch(upload.name)
            if data is not None and hashlib.sha256(data).digest() != upload.digest:
                self.tally.wrong_data += 1

    def job(self, work: Plan, index: int) -> None:
        """A SHA-256 job (service 129, completion when done) and its result read back."""
        upload = work.job_input(index)
        output = f"campaign/job-{index:02d}"
        try:
            self.station.send_and_assert(
                "COMPUTE_SUBMIT_SHA256", input=upload.name, output=output, priority=0,
                dmr=False, progress_step=0, timeout=TRANSFER_TIMEOUT_S)
        except VerificationFailed:
            self.tally.jobs_failed += 1
            return
        self.tally.jobs_completed += 1
        result = self._fetch(output)
        if result is not None and result != upload.digest:
            self.tally.wrong_data += 1

    def corrected_words(self, *, wait: bool) -> int:
        """EDAC_CORRECTED of this boot's diagnostics report asked for now (``wait``), or the
        latest one received while asking for the next (the timeline: one sample late)."""
        since = self.station.clock()
        handle = self.station.send("HK_ONE_SHOT", count=1,
                                   structure_id=DIAGNOSTICS_STRUCTURE)
        if wait:
            handle.wait_completed(COMMAND_TIMEOUT_S)
            value = self.station.wait_telemetry("EDAC_CORRECTED", since=since,
                                                timeout=COMMAND_TIMEOUT_S).engineering
            return int(value) if isinstance(value, int | float) else 0
        latest = self.station.telemetry("EDAC_CORRECTED")
        return int(latest) if isinstance(latest, int | float) else 0

    # -- the run -----------------------------------------------------------------------

    def run(self, rng: np.random.Generator,
            timeline: list[tuple[float, int, int, int]]) -> None:
        """Scrub period, uploads, then the schedule in real time with the jobs and reads."""
        scenario = self.scenario
        work = plan(scenario, rng)
        self.station.send_and_assert("STORE_SCRUB_CONTROL", enabled=True,
                                     base_period_s=round(self.spec.scrub_period_s))
        self.upload(work)
        injector = Injector(upset_schedule(scenario, _region_bits(scenario), rng),
                            inject=self.inject)
        jobs, reads = list(work.job_times), list(work.read_times)
        samples = list(timeline_times(scenario.duration_s))
        start = time.monotonic()
        while samples:
            now = time.monotonic() - start
            injector.advance(now)
            self.flush()
            while jobs and jobs[0] <= now:
                self.job(work, len(work.job_times) - len(jobs))
                jobs.pop(0)
            while reads and reads[0] <= now:
                self.read_pass(work)
                reads.pop(0)
            while samples and samples[0] <= now:
                self._sample(samples.pop(0), injector, timeline)
            self._ticker.wait(TICK_S)  # pacing of the real-time loop
        for remaining in range(len(work.job_times) - len(jobs), len(work.job_times)):
            self.job(work, remaining)
        for _ in reads:
            self.read_pass(work)
        self._finish(injector)

    def _edac_total(self, *, wait: bool) -> int:
        """Corrected words over every boot of the trial."""
        return self._edac_carried + max(0, self.corrected_words(wait=wait) - self._edac_base)

    def _upset_bits(self, injector: Injector) -> int:
        schedule = injector.schedule
        forwarded = schedule.sizes[:injector.cursor]
        return int(forwarded.sum())

    def _sample(self, at: float, injector: Injector,
                timeline: list[tuple[float, int, int, int]]) -> None:
        self.count_events()
        timeline.append((at, self._upset_bits(injector), self._edac_total(wait=False),
                         self.tally.uncorrectable_words))

    def _event_words(self) -> list[tuple[str, int]]:
        """Name and word count of every event the station keeps (the last 4096)."""
        found = []
        for event in self.station.events():
            words = event.values.get("count", 0)
            found.append((event.name, int(words) if isinstance(words, int) else 0))
        return found

    def count_events(self) -> None:
        """Recount the error reports: events of this and earlier stations, failed reads."""
        tally = self.tally
        tally.events, tally.uncorrectable_words = {}, 0
        tally.reported_errors = self._ground_errors
        for name, words in [*self._past_events, *self._event_words()]:
            tally.event(name, words)

    def _finish(self, injector: Injector) -> None:
        tally = self.tally
        tally.upset_bits, tally.upset_events = self._upset_bits(injector), injector.cursor
        tally.corrected_words = self._edac_total(wait=True)
        tally.lost_objects = len(self.lost)
        statuses = self.session.exit_statuses
        tally.uncommanded_resets = statuses.count(WATCHDOG_EXIT)
        stopped = self.session.exit_status
        if stopped is not None:
            raise BoardTrialError(f"the software stopped with status {stopped}")
        failures = [*self.inject_errors, *([injector.stats.last_error]
                                           if injector.stats.inject_errors else [])]
        if failures:
            raise BoardTrialError(f"{len(failures)} injection commands failed; last: "
                                  f"{failures[-1]}")


def _region_bits(scenario: Scenario) -> dict[str, int]:
    """Sizes of the emulated board's regions (docs/icd.md section 13) in bits."""
    spec = with_storage_size(BoardSpec(), scenario.storage_octets)
    return {region.name: region.size * 8 for region in spec.regions}


def run_board_trial(spec: TrialSpec) -> TrialResult:
    """Run one trial on an emulated board through the ground station; a board that stops
    for good, or a ground error, ends the trial as a crash with the reason; a board or
    station that does not start is a :class:`TrialSetupError`."""
    wall = time.perf_counter()
    rng = np.random.default_rng(spec.seed_sequence)
    tally = Tally()
    timeline: list[tuple[float, int, int, int]] = []
    exception = ""
    with tempfile.TemporaryDirectory(prefix="campaign-board-") as files, \
            ExitStack() as stack:
        try:
            session, url = stack.enter_context(_board(spec.scenario, spec.index))
            trial = BoardTrial(spec, session, url, Path(files), tally)
        except (BoardError, GroundError, OSError) as exc:
            raise TrialSetupError(f"trial {spec.index}: the board or the ground did not "
                                  f"start: {type(exc).__name__}: {exc}") from exc
        try:
            trial.run(rng, timeline)
        except (BoardTrialError, GroundError, OSError) as exc:
            exception = f"{type(exc).__name__}: {exc}"
        finally:
            trial.count_events()
            trial.close()
    return finished(spec, BACKEND, tally, timeline=timeline,
                    wall_s=time.perf_counter() - wall, exception=exception)
