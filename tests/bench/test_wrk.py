"""Reading wrk's report: the figures the load test prints come from here."""

from __future__ import annotations

from bench.wrk import parse

REPORT = """Running 1s test @ http://127.0.0.1:8000/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.34ms    5.67ms  50.00ms   75.50%
    Req/Sec   100.00     10.00   120.00     80.50%
  Latency Distribution
     50%  850.00us
     75%   13.00ms
     90%   20.00ms
     99%    1.20s{pad}
  300 requests in 1.50s, 1.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    200.00
""".format(pad=" ")  # wrk pads a one-letter unit with a space


def test_percentiles_come_from_the_distribution_not_the_stdev_column() -> None:
    result = parse(REPORT)

    assert result.p50_ms == 0.85
    assert result.p99_ms == 1200.0


def test_errors_add_socket_errors_and_bad_statuses_and_timeouts_count_apart() -> None:
    result = parse(REPORT)

    assert result.errors == 5
    assert result.timeouts == 2
    assert result.requests == 300
    assert result.per_second == 200.0


def test_a_clean_run_has_no_errors() -> None:
    clean = REPORT.replace("  Socket errors: connect 0, read 1, write 0, timeout 2\n", "").replace(
        "  Non-2xx or 3xx responses: 4\n", ""
    )

    assert parse(clean).errors == 0
    assert parse(clean).timeouts == 0
