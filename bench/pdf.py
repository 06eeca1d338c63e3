"""The PDF benchmark: issuing invoices (one, and 354 in one go) and rendering a feedback report.

On a throwaway database (PostgreSQL by default, `--db sqlite` too), migrated and seeded small
(bench/seed.py: the 354 organisations, some bookings and feedback) plus drafts of one line each:

- the baseline: a plain WeasyPrint render of the same one-page invoice (the HTML linking pdf.css,
  no reused font configuration, no PDF/A), in this process, median of `--runs`;
- issuing end to end, one draft at a time: `issue_invoice` (number, frozen content, audit, one
  transaction), then its files as the renderer makes them after the commit (UBL, PDF/A-3b with the
  UBL inside, stored); median, and the ratio to the baseline;
- the feedback report PDF of the seeded session with the most responses; median;
- peak memory: tracemalloc's peak while issuing (Python allocations, a separate pass so that
  tracing does not slow the timed one), and the peak resident size of this process and of the
  largest render process of the batch (ru_maxrss);
- `issue_drafts` on `--batch` drafts (default 354, the number of organisations): wall time until
  every one is numbered and has both files, render processes' start included;
- page latency: a loop of GETs to the finance invoice list of a running `weerbaar serve` for a
  few seconds, then again while that server issues another `--batch` drafts (started with the
  "Alle concepten uitreiken" button), p50 and p99 of each.

Run `.venv/bin/python -m bench.pdf` (or `bench/pdf.py`). Figures are printed, never asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `bench/pdf.py`: the project's own packages (bench too) come first
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import http.client
import os
import resource
import secrets
import statistics
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from tortoise.functions import Count

from bench.databases import orm, throwaway_database
from bench.seed import Volume, seed
from bench.seed_additions import LINE, add_drafts
from bench.servers import BIN, free_port, server, status
from feedback.models import Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from feedback.report import session_report_pdf
from feedback.results import session_results
from invoicing import batch, documents, issuing
from invoicing.document import Line, VatCategory
from invoicing.models import Invoice, InvoiceStatus
from invoicing.pdf import invoice_html
from server.db import apply_migrations
from server.models import User
from server.security import CSRF_COOKIE, csrf_token_for
from server.sessions import SESSION_COOKIE, start_session
from server.settings import PROJECT_DIR
from tests.invoicing.documents import make_document

ISSUE_TARGET_MS = 65.0
BATCH_TARGET_SECONDS = 20.0
SMALL = Volume(
    bookings=600,
    responses=2000,
    invoices=10,
    draft_invoices=0,
    trainers=8,
    coordinators=2,
    open_feedback_sessions=2,
)
PAGE = "/financien"
#: The one-page invoice of the baseline: what the bench's drafts become.
SAMPLE = make_document(
    Line(LINE, 14, 18500, VatCategory.STANDARD, 21), number="2026-0001", order_reference="PO-BENCH-00001"
)


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def p99_ms(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1000 if len(values) > 1 else values[0] * 1000


async def timed(runs: int, action: Callable[[int], Awaitable[object]]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (this process, all threads) per run of `action(run)`, after two untimed
    warm-up runs (numbered -2 and -1). CPU time says more than wall time on a shared machine."""
    for warm_up in (-2, -1):
        await action(warm_up)
    wall, cpu = [], []
    for run in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        await action(run)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def plain_render_seconds(runs: int, document_html: str) -> tuple[list[float], list[float]]:
    """The baseline: the invoice's HTML linking pdf.css, rendered the plain way each time."""
    import weasyprint

    html = document_html.replace("<head>", '<head><link rel="stylesheet" href="static/pdf.css">', 1)
    base_url = PROJECT_DIR.as_uri() + "/"
    weasyprint.HTML(string=html, base_url=base_url).write_pdf()
    wall, cpu = [], []
    for _run in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return wall, cpu


async def measure_in_process(args: argparse.Namespace, database_url: str) -> dict[str, object]:
    figures: dict[str, object] = {}
    async with orm(database_url):
        seeded = await seed(SMALL)
        finance = await User.get(email=seeded.finance_email)
        single = await add_drafts(args.runs + 2 + args.memory_runs)
        singles = iter(single)

        async def issue_one(_run: int) -> None:
            """Number and frozen content committed, then both files rendered and stored."""
            await documents.with_documents(await issuing.issue_invoice(next(singles), actor=finance))

        figures["issue"], figures["issue_cpu"] = await timed(args.runs, issue_one)
        figures["plain"], figures["plain_cpu"] = await asyncio.to_thread(
            plain_render_seconds, args.runs, invoice_html(SAMPLE)
        )

        tracemalloc.start()
        for _run in range(args.memory_runs):
            await issue_one(0)
        figures["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

        top = await (
            Response.all()
            .annotate(n=Count("id"))
            .group_by("session_id")
            .order_by("-n")
            .first()
            .values("session_id", "n")
        )
        session = await SessionFeedback.get(id=top["session_id"]).prefetch_related(
            "booking__organisation", "booking__offering"
        )
        # As once the form has closed (results show only then), whichever session it is.
        results = await session_results(session, FeedbackPolicy(), now=session.closes_at)
        figures["report_responses"] = top["n"]
        figures["report"], figures["report_cpu"] = await timed(
            args.runs, lambda _run: session_report_pdf(session, results)
        )

        drafts = await add_drafts(args.batch)
        started = time.perf_counter()
        progress = await batch.issue_drafts(drafts, actor=finance)
        figures["batch_seconds"] = time.perf_counter() - started
        figures["batch_issued"] = len(progress.issued)
        figures["batch_consecutive"] = _consecutive(progress.issued)
    return figures


def _consecutive(numbers: list[str]) -> bool:
    tails = [int(number.rsplit("-", 1)[1]) for number in numbers]
    return tails == list(range(tails[0], tails[0] + len(tails))) if tails else False


class PageLoop:
    """GETs to one page, one after the other, on a thread of its own; keeps each one's seconds."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.seconds: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.is_set():
            started = time.perf_counter()
            connection.request("GET", PAGE, headers={"Cookie": self.cookie})
            response = connection.getresponse()
            response.read()
            self.seconds.append(time.perf_counter() - started)
            if response.status != 200:
                self.failures += 1
        connection.close()

    def __enter__(self) -> PageLoop:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _page_setup(database_url: str, batch_size: int) -> tuple[str, str, str]:
    async with orm(database_url):
        finance = await User.filter(role="finance").first()
        assert finance is not None
        await add_drafts(batch_size)
        key = await start_session(finance, second_factor_done=True)
    csrf_cookie = secrets.token_urlsafe(32)
    return key, csrf_cookie, f"{SESSION_COOKIE}={key}; {CSRF_COOKIE}={csrf_cookie}"


async def _work_left(database_url: str) -> int:
    """Drafts not issued yet, and issued invoices whose files are not rendered yet."""
    async with orm(database_url):
        drafts = await Invoice.filter(status=InvoiceStatus.DRAFT).count()
        return drafts + await Invoice.filter(pdf__isnull=True).exclude(status=InvoiceStatus.DRAFT).count()


def measure_pages(args: argparse.Namespace, database_url: str) -> dict[str, object]:
    """Page latency without and during a batch started with the button, on `weerbaar serve`."""
    secret_key = secrets.token_urlsafe(48)
    key, csrf_cookie, cookie = asyncio.run(_page_setup(database_url, args.batch))
    port = free_port()
    env = {
        **os.environ,
        "WEERBAAR_DATABASE_URL": database_url,
        "WEERBAAR_SECRET_KEY": secret_key,
        "WEERBAAR_BASE_URL": f"http://127.0.0.1:{port}",
        "WEERBAAR_BACKGROUND": "worker",
    }
    figures: dict[str, object] = {}
    with (
        tempfile.TemporaryDirectory(prefix="weerbaar-bench-pdf-") as folder,
        server([str(BIN / "weerbaar"), "serve", "--port", str(port)], env, Path(folder) / "app.log", port),
    ):
        for _warm_up in range(5):
            status("127.0.0.1", port, PAGE, cookie)
        with PageLoop(port, cookie) as quiet:
            time.sleep(args.page_seconds)
        figures["quiet"] = quiet.seconds
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = urlencode({"csrf_token": csrf_token_for(csrf_cookie, secret_key, key)})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        connection.request("POST", "/financien/concepten/uitreiken", body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        connection.close()
        if answer.status != 303:
            raise RuntimeError(f"Alle concepten uitreiken antwoordt {answer.status}, niet 303")
        with PageLoop(port, cookie) as busy:
            while asyncio.run(_work_left(database_url)) and time.perf_counter() - started < 300:
                time.sleep(0.5)
        figures["busy"] = busy.seconds
        figures["busy_failures"] = busy.failures + quiet.failures
        figures["web_batch_seconds"] = time.perf_counter() - started
    return figures


def _wall_and_cpu(figures: dict[str, object], name: str) -> tuple[float, float]:
    wall, cpu = figures[name], figures[f"{name}_cpu"]
    assert isinstance(wall, list) and isinstance(cpu, list)
    return median_ms(wall), median_ms(cpu)


def report(kind: str, args: argparse.Namespace, figures: dict[str, object]) -> None:
    issue_ms, issue_cpu = _wall_and_cpu(figures, "issue")
    plain_ms, plain_cpu = _wall_and_cpu(figures, "plain")
    report_ms, report_cpu = _wall_and_cpu(figures, "report")
    quiet, busy = figures["quiet"], figures["busy"]
    assert isinstance(quiet, list) and isinstance(busy, list)
    batch_seconds = float(figures["batch_seconds"])  # type: ignore[arg-type]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\n{kind}, {args.runs} runs each, {os.cpu_count()} cores, load average {load}")
    print(
        f"  baseline, plain WeasyPrint render of the invoice: median {plain_ms:.1f} ms "
        f"({plain_cpu:.1f} ms CPU)"
    )
    print(
        f"  issue one invoice end to end: median {issue_ms:.1f} ms ({issue_cpu:.1f} ms CPU), "
        f"{issue_ms / plain_ms:.2f}x the baseline; target <= {ISSUE_TARGET_MS:g} ms: "
        f"{'yes' if issue_ms <= ISSUE_TARGET_MS else 'NO'}"
    )
    print(
        f"  feedback report PDF ({figures['report_responses']} responses): median {report_ms:.1f} ms "
        f"({report_cpu:.1f} ms CPU), {report_ms / plain_ms:.2f}x the baseline"
    )
    traced = int(figures["traced_peak_bytes"]) / 2**20  # type: ignore[call-overload]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"  peak memory: tracemalloc {traced:.1f} MiB while issuing {args.memory_runs}; max RSS this "
        f"process {own:.0f} MiB, largest child (render process, server) {children:.0f} MiB"
    )
    print(
        f"  {args.batch} invoices in one go, numbered and rendered: {batch_seconds:.1f} s "
        f"({args.batch / batch_seconds:.0f}/s), "
        f"{figures['batch_issued']} issued, numbers consecutive: {figures['batch_consecutive']}; "
        f"target < {BATCH_TARGET_SECONDS:g} s: {'yes' if batch_seconds < BATCH_TARGET_SECONDS else 'NO'}"
    )
    web_seconds = float(figures["web_batch_seconds"])  # type: ignore[arg-type]
    print(
        f"  page {PAGE}, one GET after the other: quiet p50 {median_ms(quiet):.1f} ms, "
        f"p99 {p99_ms(quiet):.1f} ms ({len(quiet)} GETs); "
        f"while the app issues {args.batch} drafts and renders their files ({web_seconds:.1f} s): "
        f"p50 {median_ms(busy):.1f} ms, p99 {p99_ms(busy):.1f} ms ({len(busy)} GETs, "
        f"{figures['busy_failures']} not 200)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--runs", type=int, default=40, help="timed runs per median")
    parser.add_argument("--memory-runs", type=int, default=10, help="issues traced by tracemalloc")
    parser.add_argument("--batch", type=int, default=354, help="drafts issued in one go")
    parser.add_argument("--page-seconds", type=float, default=5.0, help="GET loop without a batch")
    parser.add_argument(
        "--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the database"
    )
    args = parser.parse_args(argv)
    for kind in ["postgres", "sqlite"] if args.db == "both" else [args.db]:
        with throwaway_database(kind, args.postgres) as database_url:
            asyncio.run(apply_migrations(database_url))
            figures = asyncio.run(measure_in_process(args, database_url))
            figures.update(measure_pages(args, database_url))
        report("PostgreSQL" if kind == "postgres" else "SQLite", args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
