"""Prometheus metrics: what the app counts as it works, and the text `/metrics` answers with.

Counted in each process (prometheus-client): requests and their latency per route template, database
errors, failed logins, and the last success of each periodic job. Under `weerbaar serve --workers N`
each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR (a fresh folder per start) and a
scrape, answered by any worker, adds them up.

Read from the database at each scrape instead (the same in every process and on every host): the
outbox, and the readings the domains register as sources in `server/app.py` (e.g. the invoices
waiting for their documents), so `server/` needs no domain import.
"""

from __future__ import annotations

import hmac
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

#: The app's own metrics (not the default registry's process and GC collectors: in multiprocess mode
#: those would describe only the worker that happens to answer).
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "weerbaar_http_requests",
    "HTTP requests answered, per method, route template and status code.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "weerbaar_http_request_duration_seconds",
    "Time from receiving a request until its answer was sent, per method and route template.",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
DATABASE_ERRORS = Counter(
    "weerbaar_database_errors",
    "Database errors: 'unavailable' (unreachable, restarting, locked) or 'other' (a failed statement).",
    ("kind",),
    registry=REGISTRY,
)
LOGIN_FAILURES = Counter(
    "weerbaar_login_failures",
    "Failed login steps: an invalid or expired link, a wrong code, too many attempts.",
    ("reason",),
    registry=REGISTRY,
)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Reading:
    """One value read from the database at scrape time, shown as a gauge."""

    name: str
    help: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


#: A source of readings (a domain registers its own in server/app.py).
ReadingSource = Callable[[], Awaitable[Sequence[Reading]]]


class _Readings:
    """A collector for one scrape's readings, grouped into gauge families by name."""

    def __init__(self, readings: Sequence[Reading]) -> None:
        self.readings = readings

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for reading in self.readings:
            family = families.get(reading.name)
            if family is None:
                label_names = [name for name, _ in reading.labels]
                family = families[reading.name] = GaugeMetricFamily(
                    reading.name, reading.help, labels=label_names
                )
            family.add_metric([value for _, value in reading.labels], reading.value)
        yield from families.values()


def exposition(readings: Sequence[Reading], multiprocess_dir: str | None) -> bytes:
    """The text format: this process's metrics (all workers' in multiprocess mode), then the readings."""
    if multiprocess_dir:
        counted = CollectorRegistry()
        MultiProcessCollector(counted, path=multiprocess_dir)
    else:
        counted = REGISTRY
    read = CollectorRegistry()
    read.register(_Readings(readings))
    return generate_latest(counted) + generate_latest(read)


def is_authorised(authorization: str, token: str | None) -> bool:
    """True without a configured token; else only for `Bearer <token>` (compared in constant time)."""
    if token is None:
        return True
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)


def count_database_error(*, unavailable: bool) -> None:
    DATABASE_ERRORS.labels("unavailable" if unavailable else "other").inc()


def count_login_failure(reason: str) -> None:
    LOGIN_FAILURES.labels(reason).inc()


@contextmanager
def metrics_folder(workers: int, given: str | None) -> Iterator[None]:
    """PROMETHEUS_MULTIPROC_DIR for several workers, so that a scrape adds up all of them: the
    operator's folder (emptied: values of an earlier run would be added in) or a fresh temporary one.
    One process needs none (its values live in memory)."""
    if workers <= 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        yield
        return
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for old in Path(given).glob("*.db"):
            old.unlink()
        yield
        return
    with tempfile.TemporaryDirectory(prefix="weerbaar-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder  # read by the workers uvicorn starts
        try:
            yield
        finally:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
