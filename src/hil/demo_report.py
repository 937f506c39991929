"""The mission demo's PNG report: EDAC and upsets over time from the ground archive, transfer
progress and goodput, the steps, and the outcome table with the link's uplink figures (a
matplotlib Figure without pyplot: no display, no global state)."""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from ground_sw.archive_reader import ArchiveReader

CORRECTED = "EDAC_CORRECTED"
RARE = (("EDAC_UNCORRECTABLE", "tab:red"), ("STORE_REPAIRED_BLOCKS", "tab:green"))
"""Housekeeping counters drawn over time (docs/icd.md section 11), with their colours."""


TRANSFERS = (("upload", "upload, on board (housekeeping)"),
             ("download_compressed", "zlib result down, on ground"),
             ("download", "download, on ground"))
"""(summary key, label) of each CFDP class 2 transfer drawn."""


def goodput_text(bps: object) -> str:
    """A goodput in kbit/s (a dash when unknown)."""
    return f"{bps / 1000:.1f} kbit/s" if isinstance(bps, int | float) else "-"


def _uplink_rows(link: dict[str, Any]) -> list[tuple[str, str]]:
    """The board's uplink counters (its "link" housekeeping) against the ground's FOP-1."""
    board, ground = link.get("board"), link.get("ground")
    if not board or not ground:
        return []
    return [("uplink: FOP-1 frames sent / retransmitted",
             f"{ground['frames_sent']} / {ground['retransmissions']}"),
            ("board: CLTUs / frames accepted / rejected",
             f"{board['cltus_received']} / {board['frames_accepted']} / "
             f"{board['frames_rejected']}")]


def outcome_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, result) lines of the outcome table: every check, then the key figures."""
    rows = [(name.replace("_", " "), "PASS" if ok else "FAIL")
            for name, ok in summary.get("checks", {}).items()]
    soak = summary.get("soak", {})
    scrub = summary.get("verify", {}).get("scrub", {})
    if soak:
        rows.append(("bits flipped / stuck", f"{soak['bits_flipped']} / {soak['bits_stuck']}"))
    if scrub:
        rows.append(("words corrected", str(scrub["corrected_words"])))
        rows.append(("blocks repaired / lost",
                     f"{scrub['repaired_blocks']} / {scrub['lost_blocks']}"))
    rows += _uplink_rows(summary.get("link", {}))
    rows += [(f"{key.replace('_', ' ')} goodput", goodput_text(summary[key]["goodput_bps"]))
             for key, _ in TRANSFERS if key in summary]
    rows.append(("verdict", "PASS" if summary.get("verdict") else "FAIL"))
    return rows


def _legend(axes: Axes, where: Literal["upper left", "center left"] = "upper left") -> None:
    """A legend when something was drawn (a failed run may have nothing to show)."""
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small", loc=where)


def _series(archive: ArchiveReader, name: str, start: float) -> tuple[list[float], list[float]]:
    """Times (s since ``start``) and values of a numeric housekeeping parameter."""
    points = [(s.time - start, float(s.raw)) for s in archive.parameters(name)
              if isinstance(s.raw, int | float)]
    return [t for t, _ in points], [v for _, v in points]


def _counters(axes: Axes, archive: ArchiveReader, summary: dict[str, Any], start: float) -> None:
    times, values = _series(archive, CORRECTED, start)
    axes.step(times, values, where="post", label=f"{CORRECTED} (words)")
    timeline = summary.get("soak", {}).get("timeline", [])
    injected = [float(bits) for _, bits in timeline]
    axes.step([when for when, _ in timeline], list(accumulate(injected)), where="post",
              linestyle="--", label="bits injected (131)")
    axes.set_title("Upsets and EDAC")
    axes.set_xlabel("s since start")
    axes.set_ylabel("bits, words")
    _legend(axes)
    rare = axes.twinx()  # uncorrectable words and repaired blocks are orders of magnitude fewer
    for name, colour in RARE:
        times, values = _series(archive, name, start)
        rare.step(times, values, where="post", color=colour, label=name)
    rare.set_ylabel("words, blocks")
    _legend(rare, "center left")  # left of the soak: empty


def _transfers(axes: Axes, summary: dict[str, Any]) -> None:
    for name, label in TRANSFERS:
        progress = summary.get(name, {}).get("progress", [])
        if progress:
            axes.step([t for t, _ in progress], [octets / 1024 for _, octets in progress],
                      where="post",
                      label=f"{label}: {goodput_text(summary[name]['goodput_bps'])}")
    axes.set_title("CFDP class 2 transfers")
    axes.set_xlabel("s since start")
    axes.set_ylabel("KiB")
    _legend(axes)


def _steps(axes: Axes, summary: dict[str, Any]) -> None:
    spans = summary.get("steps", [])
    for row, span in enumerate(spans):
        axes.barh(row, span["duration_s"], left=span["start_s"])
    axes.set_yticks(range(len(spans)), [span["step"][:38] for span in spans], fontsize="small")
    axes.invert_yaxis()
    axes.set_title("Steps")
    axes.set_xlabel("s since start")


def _table(axes: Axes, summary: dict[str, Any]) -> None:
    axes.axis("off")
    rows = outcome_rows(summary)
    table = axes.table(cellText=[list(row) for row in rows], colLabels=["check", "result"],
                       colWidths=[0.62, 0.38], cellLoc="left",
                       bbox=Bbox.from_bounds(0.0, 0.0, 1.0, 1.0))  # the whole panel
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    axes.set_title("Outcome")


def write_report(summary: dict[str, Any], archive: ArchiveReader, path: Path) -> None:
    """Draw the four panels of a demo run into the PNG at ``path``."""
    start = float(summary.get("start_time_unix", 0.0))
    figure = Figure(figsize=(13, 8.5))  # no pyplot: no global state, no display backend
    grid = figure.subplots(2, 2)
    _counters(grid[0][0], archive, summary, start)
    _transfers(grid[0][1], summary)
    _steps(grid[1][0], summary)
    _table(grid[1][1], summary)
    verdict = "PASS" if summary.get("verdict") else "FAIL"
    link = summary.get("link", {})
    figure.suptitle(f"hil demo: {link.get('profile', '')} link, "
                    f"{link.get('one_way_light_time_s', '')} s one way -- {verdict}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
