"""Readiness drill: `weerbaar serve --workers 2` on a private PostgreSQL cluster (bench/drills/cluster.py,
never the shared server). /readyz answers 200, 503 while the database is stopped (/healthz stays 200)
and 200 again once it is back; /metrics adds up both workers; the log is JSON lines without
uvicorn's access lines (which would hold raw paths)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.drills.app import Process, environment, wait_until_serving
from bench.drills.cluster import free_port, private_cluster
from server.settings import PROJECT_DIR

DEADLINE_SECONDS = 90.0
TOKEN = "t" * 40


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll with a generous deadline: the machine is shared, a stopped server takes its time."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"niet binnen {DEADLINE_SECONDS:.0f} s: {what}")


def status_of(url: str) -> int:
    try:
        return httpx.get(url, timeout=10).status_code
    except httpx.HTTPError:
        return 0


def requests_counted(base_url: str, route: str) -> float:
    text = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "weerbaar_http_requests_total" and sample.labels["route"] == route
    )


async def test_readyz_follows_the_database_and_metrics_add_up_the_workers(
    db_kind: str, tmp_path: Path
) -> None:
    if db_kind != "postgres":
        pytest.skip("stops a (private) PostgreSQL server")
    with private_cluster() as cluster:
        database_url = await cluster.create_database("weerbaar")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = environment(database_url, base_url, WEERBAAR_METRICS_TOKEN=TOKEN)
        subprocess.run(
            [sys.executable, "-m", "server.cli", "migrate"], env=env, cwd=PROJECT_DIR, check=True, timeout=120
        )
        log = tmp_path / "serve.log"
        server = Process(["serve", "--port", str(port), "--workers", "2"], env, log)
        server.start()
        try:
            wait_until_serving(base_url, server, timeout=DEADLINE_SECONDS)
            wait_for(lambda: status_of(f"{base_url}/readyz") == 200, "/readyz 200")
            for _ in range(20):
                assert status_of(f"{base_url}/privacy") == 200
            assert requests_counted(base_url, "/privacy") == 20  # whichever worker answered each

            cluster.stop_fast()
            wait_for(lambda: status_of(f"{base_url}/readyz") == 503, "/readyz 503 while the database is down")
            assert status_of(f"{base_url}/healthz") == 200
            body = httpx.get(f"{base_url}/readyz", timeout=10).json()
            assert body == {"status": "niet gereed", "checks": {"database": "niet bereikbaar"}}

            cluster.start()
            wait_for(lambda: status_of(f"{base_url}/readyz") == 200, "/readyz 200 once the database is back")
        finally:
            server.stop()

    lines = [line for line in log.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert any(line["event"] == "request" and line["route"] == "/readyz" for line in parsed)
    assert not any('"GET /privacy HTTP/1.1"' in line for line in lines)
