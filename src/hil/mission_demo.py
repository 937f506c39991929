"""The mission demo (``hil demo``): the payload's main job, end to end, with the real parts.

An emulated board (``flight-sw run`` in a subprocess behind a pty, fault injection allowed,
:class:`~hil.boards.emulated.EmulatedBoardSession`) sits behind the bench's link channel
(:class:`~hil.channel.SerialProxy`) at a profile's settings (lunar transit: 1.28 s one way,
64 kbit/s up at BER 1e-5, 2 Mbit/s down at BER 1e-6, Gilbert-Elliott bursts), and the ground
station (:class:`~ground_sw.station.GroundStation`, archive attached) drives the mission as
an operator would:

1. connect and check the dictionary hash the board reports in housekeeping (docs/ground.md);
2. upload a generated file by CFDP class 2 (CCSDS 727.0-B-5);
3. run compute jobs on it (service 129: SHA-256 and zlib compression), checked locally;
4. an accelerated radiation soak: the profile's upset schedule (:mod:`hil.radiation`) over
   the store's raw region, delivered as fault-injection commands (service 131,
   :mod:`hil.fault_commands`) while the patrol scrubber runs at a tightened period (128);
5. read back and verify every object (STORE_VERIFY_ALL), then the scrub report;
6. download the object by CFDP class 2 and compare SHA-256.

The result is a summary dictionary (JSON-ready); :mod:`hil.demo_report` draws it with the
archive. Progress goes to a callback; nothing here prints.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from contextlib import ExitStack, suppress
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from ground_sw.archive import Archive
from ground_sw.errors import TelemetryTimeout
from ground_sw.station import HASH_PARAMETER, GroundStation
from ground_sw.verification import CommandHandle
from hil.boards.emulated import EmulatedBoardSession
from hil.boards.relay import PtyRelay
from hil.channel import PassSchedule, SerialProxy, channel_config
from hil.demo_report import write_report
from hil.fault_commands import FaultCommander
from hil.mission_link import mission_link_config, mission_toml
from hil.mission_progress import (
    BoardReceived,
    Progress,
    ProgressTracker,
    Steps,
    count,
    transfer_summary,
)
from hil.mission_reports import MissionReports, job_state_name
from hil.mission_settings import MissionDemoSettings, generated_file
from hil.profiles import load_profile
from hil.radiation import EnvironmentModel, Injector, MemorySpec

STORE_REGION = "nand"
"""The raw region under the object store on the emulated board (docs/icd.md section 13)."""
OBJECT = "archive.dat"
SECONDS_PER_YEAR = 365.25 * 86_400
DIAGNOSTICS_HK, STORAGE_HK, FILE_TRANSFER_HK = 3, 4, 6
"""Housekeeping structures with the EDAC, scrubber and CFDP counters (ICD sections 11, 12)."""
UPLOAD_RECEIVED = "CFDP_OCTETS_RECEIVED"
"""File data octets the board's CFDP entity received (ICD section 12)."""
BOARD_LINK_COUNTERS = ("CLTUS_RECEIVED", "FRAMES_ACCEPTED", "FRAMES_REJECTED", "BAD_PACKETS",
                       "TCS_ACCEPTED", "TCS_REJECTED", "TM_FRAMES_SENT")
"""The board's uplink and downlink counters from its 1 Hz "link" housekeeping (ICD 9)."""
BOARD_HK_TIMEOUT_S = 10.0
"""Wait for a 1 Hz housekeeping sample: the round trip, the interval and slack."""


class MissionDemo:
    """One run of the demo; :meth:`run` returns the summary."""

    def __init__(self, settings: MissionDemoSettings, progress: Progress) -> None:
        self.settings = settings
        self.steps = Steps(progress)
        self.profile = load_profile(settings.profile)
        channel = channel_config(self.profile, seed=settings.seed,
                                 schedule=PassSchedule.always_up(), bursts=settings.bursts)
        if settings.one_way_delay_s is not None:
            channel = replace(channel,
                              up=replace(channel.up, delay_s=settings.one_way_delay_s),
                              down=replace(channel.down, delay_s=settings.one_way_delay_s))
        self.channel = channel
        self.link_config = mission_link_config(channel)
        self.data = generated_file(settings.file_size, settings.seed)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.summary: dict[str, Any] = {"checks": {}}
        self.checks: dict[str, bool] = self.summary["checks"]

    # -- the bench ----------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Run every step; a step that fails ends the run with its check false and the
        error in the summary."""
        with ExitStack() as stack:
            work = self.settings.work_dir
            if work is None:
                work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hil-demo-")))
            work.mkdir(parents=True, exist_ok=True)
            self.work = work
            try:
                self._run_steps(stack)
            except Exception as exc:  # the summary says what failed; the CLI exits non-zero
                self.summary["error"] = f"{type(exc).__name__}: {exc}"
                self.steps.progress(f"FAILED: {self.summary['error']}")
            self._close_out()
            self.summary["verdict"] = bool(self.checks) and all(self.checks.values()) \
                and "error" not in self.summary
            self._write_report()
        return self.summary

    def _write_report(self) -> None:
        """The PNG report, drawn while the archive is still open."""
        path = self.settings.report
        if path is None or not hasattr(self, "archive"):
            return
        write_report(self.summary, self.archive, path)
        self.summary["report"] = str(path)
        self.steps.progress(f"report written to {path}")

    def _run_steps(self, stack: ExitStack) -> None:
        s = self.settings
        with self.steps.step("connect", "power on the board and connect through the link"):
            self._start(stack)
            self._check_dictionary()
        with self.steps.step("upload", f"upload {len(self.data)} octets by CFDP class 2"):
            self._upload()
        with self.steps.step("compute", "compute jobs on board: SHA-256, zlib compression"):
            self._compute()
        with self.steps.step("radiation soak", f"radiation soak for {s.soak_s:g} s"):
            self._soak()
        with self.steps.step("verify", "read back and verify every object"):
            self._verify()
        with self.steps.step("download", "download the object by CFDP class 2"):
            self._download()

    def _start(self, stack: ExitStack) -> None:
        s = self.settings
        dictionary = self.work / "dictionary.json"
        subprocess.run([sys.executable, "-m", "flight_sw.cli", "dictionary", "--format", "json",
                        "--output", str(dictionary)], check=True, capture_output=True,
                       timeout=60)
        mission = self.work / "mission.toml"
        mission.write_text(mission_toml(self.link_config))
        down_rate = self.channel.down.rate_bps
        extra = ("--mission", str(mission)) + (
            ("--bit-rate", f"{down_rate:.0f}") if down_rate else ())
        self.board = EmulatedBoardSession(self.work / "board", storage_size=s.storage_size,
                                          extra_args=extra)
        board_url = self.board.open()
        stack.callback(self.board.close)
        relay = PtyRelay()  # the ground's port: a pty whose far end the channel opens
        relay.start()
        stack.callback(relay.close)
        self.proxy = SerialProxy(relay.board_path, board_url, self.channel,
                                 capture_dir=s.capture_dir).start()
        stack.callback(self.proxy.close)
        self.archive = Archive(self.work / "archive.sqlite")
        stack.callback(self.archive.close)
        self.station = GroundStation.connect(relay.ground_path, dictionary, self.link_config)
        stack.callback(self.station.close)
        self.station.add_listener(self.archive)
        self.reports = MissionReports(self.link_config.packets.apid_pus,
                                      self.station.decom.time_format)
        self.station.add_listener(self.reports)
        self.station.wait_link(30)
        handles = [self.station.send("HK_MODIFY_INTERVAL", count=1, structure_id=structure,
                                     interval_ms=2000)  # EDAC, scrub and CFDP every 2 s
                   for structure in (DIAGNOSTICS_HK, STORAGE_HK, FILE_TRANSFER_HK)]
        handles.append(self.station.send("HK_ENABLE_PERIODIC", count=1,
                                         structure_id=DIAGNOSTICS_HK))
        for handle in handles:  # sent together: one round trip, not four
            handle.wait_completed(30)

    def _check_dictionary(self) -> None:
        """The board's DICTIONARY_HASH (1 Hz "board" housekeeping) against the ground's
        dictionary: the board booted before the channel opened its port, and pyserial
        discards input at open, so its BOOT event is not seen (docs/demo.md)."""
        station = self.station
        sample = station.wait_telemetry(HASH_PARAMETER, timeout=BOARD_HK_TIMEOUT_S)
        reported = sample.raw.hex() if isinstance(sample.raw, bytes) else str(sample.raw)
        self.checks["dictionary_hash"] = (station.dictionary_mismatch is None
                                          and reported == station.dictionary.hash)
        self.summary["boot"] = {"dictionary_hash": reported,
                                "boot_count": station.telemetry("BOOT_COUNT"),
                                "reset_cause": station.telemetry("RESET_CAUSE"),
                                "boot_events_seen": len(station.events("BOOT"))}
        self.steps.progress(f"    board dictionary hash {reported[:16]}... "
                            f"{'matches' if self.checks['dictionary_hash'] else 'DIFFERS'}; "
                            f"boot {station.telemetry('BOOT_COUNT')!s} "
                            f"({station.telemetry('RESET_CAUSE')!s})")

    def _upload(self) -> None:
        local = self.work / "upload" / OBJECT
        local.parent.mkdir(exist_ok=True)
        local.write_bytes(self.data)
        tracker = ProgressTracker("upload (received on board)", self.steps)
        received = BoardReceived(tracker, UPLOAD_RECEIVED, len(self.data),
                                 count(self.station.telemetry(UPLOAD_RECEIVED)))
        self.station.add_listener(received)
        begin = time.time()
        try:
            transfer = self.station.upload(local, OBJECT, class_=2,
                                           timeout=self.settings.step_timeout_s)
        finally:
            self.station.remove_listener(received)
        seconds = time.time() - begin
        tracker(len(self.data) if transfer.succeeded else received.octets, len(self.data))
        self.checks["upload"] = transfer.succeeded
        self.summary["upload"] = transfer_summary(transfer.succeeded, len(self.data), seconds,
                                                  tracker.samples)

    def _download_object(self, name: str, label: str) -> tuple[dict[str, Any], bytes]:
        """Download ``name`` by CFDP class 2: its transfer summary and octets (empty on a
        failure)."""
        local = self.work / "download" / name
        tracker = ProgressTracker(label, self.steps)
        begin = time.time()
        transfer = self.station.download(name, local, class_=2,
                                         timeout=self.settings.step_timeout_s,
                                         progress=tracker)
        seconds = time.time() - begin
        data = local.read_bytes() if transfer.succeeded else b""
        return transfer_summary(transfer.succeeded, len(data), seconds, tracker.samples), data

    def _compute(self) -> None:
        since = self.station.clock()
        submitted = {  # both jobs go up together: one round trip, not two
            "sha256": self._submit("COMPUTE_SUBMIT_SHA256", f"{OBJECT}.sha256", {}),
            "compress": self._submit("COMPUTE_SUBMIT_COMPRESS", f"{OBJECT}.zlib",
                                     {"algorithm": "ZLIB",
                                      "level": self.settings.compress_level})}
        jobs = {name: self._job_result(handle, output, since)
                for name, (handle, output) in submitted.items()}
        digest = hashlib.sha256(self.data).digest()
        self.checks["compute_sha256"] = (
            jobs["sha256"]["result_sha256"] == hashlib.sha256(digest).hexdigest()
            and jobs["sha256"]["result_size"] == len(digest))
        packed = jobs["compress"]
        moved, compressed = self._download_object(packed["output"], "compressed download")
        try:
            restored = zlib.decompress(compressed)
        except zlib.error:
            restored = b""
        self.checks["compute_compress"] = moved["ok"] and restored == self.data
        packed["ratio"] = round(len(self.data) / max(1, packed["result_size"]), 2)
        self.summary["compute"] = jobs
        self.summary["download_compressed"] = moved
        self.steps.progress(f"    sha256 {jobs['sha256']['state']}, compress "
                            f"{packed['state']} ({packed['ratio']}:1, decompressed on the "
                            f"ground: {'identical' if restored == self.data else 'DIFFERS'})")

    def _submit(self, command: str, output: str,
                extra: dict[str, Any]) -> tuple[CommandHandle, str]:
        return self.station.send(command, {"input": OBJECT, "output": output, "priority": 4,
                                           "dmr": False, "progress_step": 0, **extra}), output

    def _job_result(self, handle: CommandHandle, output: str, since: float) -> dict[str, Any]:
        """Wait for the job's completion (1,7) and its final TM(129,8) report."""
        handle.wait_completed(self.settings.step_timeout_s)
        report = self.reports.wait((129, 8), 30, since=since,
                                   match=lambda r: r["output"] == output and r["state"] >= 2)
        return {"output": output, "state": job_state_name(report["state"]),
                "result_size": report["result_size"],
                "result_sha256": bytes(report["result_sha256"]).hex(),
                "cpu_time_ms": report["cpu_time_ms"]}

    def _soak(self) -> None:
        s = self.settings
        station = self.station
        bits = s.storage_size * 8
        spec = MemorySpec(STORE_REGION, "nand", bits)
        rate = self.profile.radiation.rate_per_bit_s("nand", s.condition) * bits
        acceleration = s.upset_bits / (rate * s.soak_s)
        model = EnvironmentModel(self.profile, s.condition, acceleration)
        schedule = model.schedule([spec], s.soak_s, np.random.default_rng(s.seed), soc=None)
        commander = FaultCommander(station)
        injector = Injector(schedule, inject_event=commander)
        station.send_and_assert("STORE_SCRUB_CONTROL", enabled=True,
                                base_period_s=s.scrub_period_s, timeout=30)
        self.steps.progress(
            f"    {s.profile} {s.condition} x{acceleration:.3g} "
            f"({s.soak_s * acceleration / SECONDS_PER_YEAR:.3g} years in {s.soak_s:g} s): "
            f"{len(schedule)} events, {schedule.bits_hit()} bits "
            f"scheduled over {STORE_REGION} ({bits} bits)")
        start = time.monotonic()
        waiter = threading.Event()  # never set: a paced wait that no clock change disturbs
        reported = 0.0
        while (elapsed := time.monotonic() - start) < s.soak_s:
            injector.advance(elapsed)
            commander.flush()
            if elapsed - reported >= 5.0:
                reported = elapsed
                self.steps.progress(f"    soak {elapsed:4.0f} s: {commander.log.bits_flipped} "
                                    f"bits flipped, {commander.log.bits_stuck} stuck, "
                                    f"EDAC corrected {station.telemetry('EDAC_CORRECTED')!s}")
            waiter.wait(min(1.0, max(0.0, s.soak_s - elapsed)))
        injector.advance(s.soak_s)
        commander.flush()
        commander.wait_all(s.step_timeout_s)
        injected_at = station.clock()
        touched = sum(count(e.values.get("count")) for e in station.events("FAULT_INJECTED"))
        self.checks["injections_delivered"] = (
            injector.stats.inject_errors == 0
            and touched == commander.log.bits_flipped + commander.log.bits_stuck)
        station.await_event("SCRUB_PASS_DONE", timeout=4 * s.scrub_period_s + 10,
                            since=injected_at)
        self.summary["soak"] = {
            "profile": s.profile, "condition": s.condition, "acceleration": acceleration,
            "duration_s": s.soak_s, "region": STORE_REGION, "region_bits": bits,
            "events_scheduled": len(schedule), "bits_scheduled": schedule.bits_hit(),
            "events_injected": commander.log.events, "bits_flipped": commander.log.bits_flipped,
            "bits_stuck": commander.log.bits_stuck, "commands": commander.log.commands,
            "board_bits_touched": touched, "device_events_skipped": commander.skipped,
            "injector": asdict(injector.stats),
            "timeline": [(round(t - self.steps.start, 2), n) for t, n in commander.log.timeline]}

    def _verify(self) -> None:
        since = self.station.clock()
        self.station.send_and_assert("STORE_VERIFY_ALL", timeout=30)
        verify = self.reports.wait((128, 14), self.settings.step_timeout_s, since=since)
        since = self.station.clock()
        self.station.send_and_assert("STORE_SCRUB_REPORT", timeout=30)
        scrub = self.reports.wait((128, 17), 30, since=since)
        scrub["enabled"] = bool(scrub["enabled"])
        events = {name: len(self.station.events(name)) for name in (
            "BLOCK_REPAIRED", "BLOCK_LOST", "MEMORY_UNCORRECTABLE", "SCRUB_PASS_DONE")}
        self.checks["verify_no_loss"] = verify["lost"] == 0 and verify["objects"] == verify[
            "intact"] + verify["repaired"]
        self.summary["verify"] = {"verify_all": verify, "scrub": scrub, "events": events,
                                  "edac_corrected": self.station.telemetry("EDAC_CORRECTED"),
                                  "edac_uncorrectable":
                                      self.station.telemetry("EDAC_UNCORRECTABLE")}
        self.steps.progress(
            f"    {verify['objects']} objects: {verify['intact']} intact, {verify['repaired']} "
            f"repaired, {verify['lost']} lost; scrubber corrected {scrub['corrected_words']} "
            f"words, repaired {scrub['repaired_blocks']} blocks, lost {scrub['lost_blocks']}")

    def _download(self) -> None:
        moved, data = self._download_object(OBJECT, "download")
        intact = moved["ok"] and hashlib.sha256(data).hexdigest() == self.sha256
        self.checks["download_sha256"] = intact
        self.summary["download"] = {**moved, "ok": intact}

    # -- closing figures ------------------------------------------------------------------

    def _close_out(self) -> None:
        """Link figures and the archive's path, whatever happened before."""
        s = self.settings
        self.summary["start_time_unix"] = self.steps.start
        self.summary["steps"] = self.steps.spans
        self.summary["wall_time_s"] = round(self.steps.elapsed(), 1)
        self.summary["file"] = {"name": OBJECT, "size": len(self.data), "sha256": self.sha256}
        up, down = self.channel.up, self.channel.down
        self.summary["link"] = {
            "profile": s.profile, "one_way_light_time_s": up.delay_s,
            "uplink_bps": up.rate_bps, "downlink_bps": down.rate_bps,
            "uplink_ber": up.ber, "downlink_ber": down.ber, "bursts": s.bursts,
            "fop_window": self.link_config.tc.fop_window,
            "fop_timer_s": self.link_config.tc.fop_timer_initial_s}
        if hasattr(self, "station"):
            self.summary["link"]["board"] = self._board_link_counters()
        if hasattr(self, "proxy"):
            self.proxy.close()  # final counters, equal to what the captures hold
            for name, stats in self.proxy.stats().items():
                self.summary["link"][f"channel_{name}"] = asdict(stats)
        if hasattr(self, "station"):
            status = self.station.link_status()
            self.summary["link"]["ground"] = {
                "frames_received": status.frames, "rs_corrected_symbols": status.rs_corrected,
                "rs_uncorrectable": status.rs_uncorrectable, "frames_lost": status.frames_lost,
                "frames_sent": status.frames_sent, "retransmissions": status.retransmissions,
                "fop_state": status.fop_state}
            self.summary["reports_rejected"] = self.reports.rejected
            self.archive.flush(10)
            self.summary["archive"] = str(self.archive.path)
        if s.capture_dir is not None:
            self.summary["capture_dir"] = str(s.capture_dir)

    def _board_link_counters(self) -> dict[str, Any]:
        """The board's link counters from a "link" housekeeping sample taken after the last
        command (the latest one kept when the link no longer delivers)."""
        with suppress(TelemetryTimeout):  # a failed run still reports what it has
            self.station.wait_telemetry(BOARD_LINK_COUNTERS[0], since=self.station.clock(),
                                        timeout=BOARD_HK_TIMEOUT_S)
        return {name.lower(): self.station.telemetry(name) for name in BOARD_LINK_COUNTERS}


def run_mission_demo(settings: MissionDemoSettings,
                     progress: Progress = lambda _: None) -> dict[str, Any]:
    """Run the mission demo; the summary's ``verdict`` is True when every check passed."""
    return MissionDemo(settings, progress).run()
