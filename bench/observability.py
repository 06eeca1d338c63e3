"""What the request metrics and JSON log lines cost (issue 23): CPU per page with and without them.

    .venv/bin/python -m bench.observability [--rounds 30] [--per-round 20]

One process, one SQLite database seeded with the small volume (bench/seed.py, TINY), two apps on it:
`WEERBAAR_OBSERVABILITY` on (the request line as JSON, written to /dev/null, and the metrics in
prometheus-client's multiprocess mode, as under `weerbaar serve --workers 2`) and off. Each round
requests the same pages as a signed-in coordinator through both apps, in turns, and takes the
process's CPU time (not the wall clock: the machine is shared) per request. Printed: the median CPU
per request of each app over the rounds, and their ratio; the target is below 1.05. Figures are
printed, never asserted.
"""

from __future__ import annotations

import os
import tempfile

# Before prometheus-client is imported: the metrics then write to files as in a multi-worker server.
_METRICS_FOLDER = tempfile.TemporaryDirectory(prefix="weerbaar-bench-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _METRICS_FOLDER.name

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import IO  # noqa: E402

import httpx  # noqa: E402
from tortoise import Tortoise  # noqa: E402

from bench import seed as seeding  # noqa: E402
from server.app import create_app  # noqa: E402
from server.db import apply_migrations, init_orm  # noqa: E402
from server.logs import configure_logging  # noqa: E402
from server.models import User  # noqa: E402
from server.security import CSRF_COOKIE  # noqa: E402
from server.sessions import SESSION_COOKIE, start_session  # noqa: E402
from server.settings import Settings  # noqa: E402

PAGES = ("/coordinatie", "/boekingen", "/organisaties", "/privacy")
TARGET_RATIO = 1.05


async def _cpu_per_request(http: httpx.AsyncClient, count: int) -> float:
    started = time.process_time()
    for number in range(count):
        response = await http.get(PAGES[number % len(PAGES)])
        assert response.status_code == 200, (response.status_code, response.url)
    return (time.process_time() - started) / count


async def run(rounds: int, per_round: int, log_stream: IO[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="weerbaar-bench-observe-"))
    url = f"sqlite://{folder / 'bench.sqlite3'}"
    await apply_migrations(url)
    await init_orm(url)
    configure_logging("json", stream=log_stream)
    seeded = await seeding.seed(seeding.TINY)
    coordinator = await User.get(email=seeded.coordinator_email)
    key = await start_session(coordinator, second_factor_done=True)
    base = Settings(
        database_url=url,
        secret_key="b" * 48,
        base_url="http://bench",
        run_background_jobs=False,
        metrics_multiprocess_dir=_METRICS_FOLDER.name,
    )
    apps = {"aan": create_app(base), "uit": create_app(replace(base, observability=False))}
    clients = {
        name: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            cookies={SESSION_COOKIE: key, CSRF_COOKIE: "c" * 43},
        )
        for name, app in apps.items()
    }
    for http in clients.values():  # templates compiled, statements prepared
        await _cpu_per_request(http, len(PAGES) * 3)
    figures: dict[str, list[float]] = {name: [] for name in clients}
    for number in range(rounds):
        order = list(clients) if number % 2 == 0 else list(reversed(clients))
        for name in order:
            figures[name].append(await _cpu_per_request(clients[name], per_round))
    for http in clients.values():
        await http.aclose()
    await Tortoise.close_connections()

    on, off = statistics.median(figures["aan"]), statistics.median(figures["uit"])
    print(f"pagina's: {', '.join(PAGES)}; {rounds} rondes van {per_round} verzoeken per app")
    print(f"CPU per verzoek, mediaan: met metrics en JSON-log {on * 1000:.2f} ms, zonder {off * 1000:.2f} ms")
    ratio = on / off
    verdict = "gehaald" if ratio < TARGET_RATIO else "NIET gehaald"
    print(f"verhouding: {ratio:.3f} (doel < {TARGET_RATIO}: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=20)
    args = parser.parse_args()
    try:
        with open(os.devnull, "w") as log_stream:
            asyncio.run(run(args.rounds, args.per_round, log_stream))
    finally:
        _METRICS_FOLDER.cleanup()


if __name__ == "__main__":
    main()
