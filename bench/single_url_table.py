"""The figures of the single-URL load test (`bench.load --single-url`): a row per page or write
against its target and the baseline, the medians of several runs, and the printed table with the
kernel's autogroup scheduling state (warned about when on).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import wrk

PAGE_TARGET_RATIO = 0.3
PAGE_TARGET_P99_MS = 50.0
WRITE_TARGET_PER_SECOND = 300.0
WRITE_TARGET_P99_MS = 100.0
AUTOGROUP_SETTING = Path("/proc/sys/kernel/sched_autogroup_enabled")


@dataclass
class Row:
    name: str
    result: wrk.Result
    is_write: bool
    stored: int | None = None

    def ratio(self, baselines: Baselines) -> float:
        """Throughput against the bare app's: its page for a page, its smallest write for a write."""
        baseline = baselines.write if self.is_write else baselines.page
        return self.result.per_second / baseline.per_second if baseline.per_second else 0.0

    def meets_target(self, baselines: Baselines, *, speed: bool = True) -> bool:
        """No errors, every answered write stored, and with `speed` (the targets on PostgreSQL) the
        throughput and p99 targets."""
        result = self.result
        if result.errors or result.timeouts:
            return False
        if self.stored is not None and self.stored < result.requests - result.errors:
            return False
        if not speed:
            return True
        if self.is_write:
            return result.per_second >= WRITE_TARGET_PER_SECOND and result.p99_ms < WRITE_TARGET_P99_MS
        return self.ratio(baselines) >= PAGE_TARGET_RATIO and result.p99_ms < PAGE_TARGET_P99_MS


@dataclass
class Baselines:
    """The bare app of bench/baseline_app.py: a page after one SELECT, a write of one SELECT and one
    INSERT in a transaction."""

    page: wrk.Result
    write: wrk.Result


def autogroup_scheduling(setting: Path = AUTOGROUP_SETTING) -> bool | None:
    """Whether the kernel shares the CPU per session first; None where it has no such setting."""
    try:
        return setting.read_text().strip() != "0"
    except OSError:
        return None


def median_result(results: Sequence[wrk.Result]) -> wrk.Result:
    """The median of each figure of several runs (the throughput as the requests of the median
    throughput in the median length), with their errors and timeouts added up."""
    seconds = statistics.median(result.seconds for result in results)
    return wrk.Result(
        requests=round(statistics.median(result.per_second for result in results) * seconds),
        seconds=seconds,
        p50_ms=statistics.median(result.p50_ms for result in results),
        p99_ms=statistics.median(result.p99_ms for result in results),
        errors=sum(result.errors for result in results),
        timeouts=sum(result.timeouts for result in results),
    )


def median_rows(runs: Sequence[Sequence[Row]]) -> list[Row]:
    """Per line of the runs, the median figures; for a write `stored` is the median's answered
    requests when every run stored what it answered, and 0 when one did not."""
    rows = []
    for lines in zip(*runs, strict=True):
        result = median_result([line.result for line in lines])
        stored = None
        if lines[0].is_write:
            complete = all(
                line.stored is not None and line.stored >= line.result.requests - line.result.errors
                for line in lines
            )
            stored = result.requests - result.errors if complete else 0
        rows.append(Row(lines[0].name, result, lines[0].is_write, stored))
    return rows


AUTOGROUP_STATE = {True: "on", False: "off", None: "not available"}
AUTOGROUP_WARNING = (
    "Warning: kernel.sched_autogroup_enabled=1. PostgreSQL's backends then share the CPU as one group "
    "and stall for up to a second under full load: the p99 figures on PostgreSQL are then the "
    "kernel's, not the app's. Switch it off with `sysctl -w kernel.sched_autogroup_enabled=0` "
    "(make bench does that as root)."
)


def print_table(
    kind: str, baselines: Baselines, rows: list[Row], args: argparse.Namespace, title: str = ""
) -> None:
    page, write = baselines.page, baselines.write
    print(
        f"\n{kind}{title}, 2 workers, {args.connections} connections, {args.seconds:g} s each (wrk); "
        f"kernel autogroup scheduling {AUTOGROUP_STATE[autogroup_scheduling()]}\n"
        f"baseline page {page.per_second:.0f}/s, p50 {page.p50_ms:.1f} ms, p99 {page.p99_ms:.1f} ms; "
        f"baseline write {write.per_second:.0f}/s, p50 {write.p50_ms:.1f} ms, p99 {write.p99_ms:.1f} ms, "
        f"{write.errors} errors"
    )
    header = (
        f"{'':30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'>10 s':>6} {'stored':>7} "
        f"{'ratio':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        result = row.result
        stored = "" if row.stored is None else str(row.stored)
        target = "yes" if row.meets_target(baselines, speed=kind == "PostgreSQL") else "NO"
        print(
            f"{row.name:30} {result.per_second:8.0f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
            f"{result.errors:7d} {result.timeouts:6d} {stored:>7} {row.ratio(baselines):6.2f}  {target}"
        )
    print(
        f"targets: no errors and every answered write stored; on PostgreSQL also pages ratio >= "
        f"{PAGE_TARGET_RATIO} and p99 < {PAGE_TARGET_P99_MS:g} ms, writes >= {WRITE_TARGET_PER_SECOND:g}/s "
        f"and p99 < {WRITE_TARGET_P99_MS:g} ms; >10 s = requests "
        "without an answer within wrk's 10 s timeout; stored = rows the database gained; ratio = "
        "throughput against the baseline page (pages) or the baseline write (writes)"
    )
