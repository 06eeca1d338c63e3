"""The single-URL load test's figures: the kernel's autogroup setting as read, each row against its
target, and the medians of several runs."""

from __future__ import annotations

from pathlib import Path

from bench import wrk
from bench.single_url_table import Baselines, Row, autogroup_scheduling, median_rows


def test_the_autogroup_setting_is_read_from_the_kernel_file(tmp_path: Path) -> None:
    setting = tmp_path / "sched_autogroup_enabled"
    assert autogroup_scheduling(setting) is None
    setting.write_text("1\n")
    assert autogroup_scheduling(setting) is True
    setting.write_text("0\n")
    assert autogroup_scheduling(setting) is False


def test_on_sqlite_the_target_is_no_errors_and_nothing_lost() -> None:
    """The issue's speed targets are PostgreSQL's; on SQLite only errors and lost writes count."""
    baselines = Baselines(wrk.Result(6000, 1, 4, 20, 0), wrk.Result(2000, 1, 10, 20, 0))
    slow = Row("submit a booking", wrk.Result(300, 1, 90, 400, 0), is_write=True, stored=300)
    assert not slow.meets_target(baselines) and slow.meets_target(baselines, speed=False)
    lost = Row("submit a booking", wrk.Result(600, 1, 20, 40, 0), is_write=True, stored=599)
    failed = Row("home", wrk.Result(9000, 1, 2, 5, 3), is_write=False)
    for row in (lost, failed):
        assert not row.meets_target(baselines) and not row.meets_target(baselines, speed=False)
    fast = Row("submit a booking", wrk.Result(600, 1, 20, 40, 0), is_write=True, stored=600)
    assert fast.meets_target(baselines)


def test_several_runs_give_the_median_of_each_figure() -> None:
    runs = [
        [
            Row("home", wrk.Result(6000, 6, 4, 30, 0), is_write=False),
            Row("submit a booking", wrk.Result(3000, 6, 60, 90, 0), is_write=True, stored=3000),
        ],
        [
            Row("home", wrk.Result(5400, 6, 5, 900, 0), is_write=False),
            Row("submit a booking", wrk.Result(2700, 6, 70, 120, 1), is_write=True, stored=2699),
        ],
        [
            Row("home", wrk.Result(6600, 6, 3, 20, 0), is_write=False),
            Row("submit a booking", wrk.Result(3300, 6, 50, 80, 0), is_write=True, stored=3300),
        ],
    ]
    home, booking = median_rows(runs)
    assert (home.result.per_second, home.result.p50_ms, home.result.p99_ms) == (1000, 4, 30)
    assert home.stored is None
    assert (booking.result.per_second, booking.result.p99_ms, booking.result.errors) == (500, 90, 1)
    assert booking.stored == 3000 - 1  # every run stored what it answered
    runs[2][1].stored = 3299
    assert median_rows(runs)[1].stored == 0
