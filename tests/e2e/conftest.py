"""Browser tests: a real `weerbaar serve` process, a real SMTP server, Debian's Chromium via Playwright.

Without Chromium the browser tests skip, except under CI=true where they must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect

from server.clock import Clock, clock
from tests.cli import weerbaar_output
from tests.clocked import TEST_MOMENT, clock_environment
from tests.databases import running_in_ci, throwaway_database
from tests.hang_guard import HANG_GUARD_SECONDS
from tests.smtp import SmtpSink, free_port

#: How long a browser action or a web-first assertion may wait before the test fails: a guard against
#: a hang, never a speed check. With 10 s for actions (and Playwright's 5 s for `expect`) a PDF
#: download timed out on a machine with both cores busy (make test-under-load, 6 December 2026).
HANG_GUARD_MS = HANG_GUARD_SECONDS * 1000
expect.set_options(timeout=HANG_GUARD_MS)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERVER_SECRET = "e2e-secret-key-that-is-long-enough-0123456789"
TEMPLATE_BASE_URL = "http://127.0.0.1"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):
        if running_in_ci():
            pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs it.", pytrace=False)
        pytest.skip(f"Chromium not found at {CHROMIUM}: browser tests skipped.")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[Clock]:
    """A clock that starts at TEST_MOMENT and runs: the server is another process and pages take
    time (sessions age, mail is sent, TOTP steps pass), yet every date is the one of TEST_DAY. The
    processes the test starts begin at the test clock's moment (`LiveServer.process_env`), so a
    TOTP code or a date typed into a form matches the server's time. `live_server` moves it on to
    the moment its demo data was made (`DemoTemplate.ready_at`), a few seconds later."""
    clock.start_at(TEST_MOMENT)
    try:
        yield clock
    finally:
        clock.reset()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="nl-NL")
    context.set_default_timeout(HANG_GUARD_MS)
    new_page = await context.new_page()
    try:
        yield new_page
    finally:
        await context.close()


@dataclass
class LiveServer:
    url: str
    database_url: str
    smtp: SmtpSink
    env: dict[str, str]

    def process_env(self) -> dict[str, str]:
        """The server's environment, with the clock of a new process started at the test's now."""
        return {**self.env, **clock_environment(clock.now())}

    def weerbaar(self, *args: str) -> str:
        return weerbaar_output(self.process_env(), *args)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = HANG_GUARD_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weerbaar serve exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up in {timeout} s")


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@dataclass(frozen=True)
class DemoTemplate:
    """A database with the migrations and the demo data, made once per test process: each browser
    test serves a copy of it rather than migrating and loading the demo again (7 to 8 s a test)."""

    database_url: str
    #: The moment, on the clock the template was made by, when the demo data was complete: a test's
    #: clock goes on from there, as if the test had loaded the demo just before its server started.
    ready_at: datetime


@pytest.fixture(scope="session")
async def demo_template(db_kind: str) -> AsyncIterator[DemoTemplate]:
    """The demo's own mails wait in the template's outbox with links to TEMPLATE_BASE_URL, the
    template's address; each test's server sends them to that test's SMTP server."""
    async with throwaway_database(db_kind) as database_url:
        env = {
            **os.environ,
            "WEERBAAR_DATABASE_URL": database_url,
            "WEERBAAR_SECRET_KEY": SERVER_SECRET,
            "WEERBAAR_BASE_URL": TEMPLATE_BASE_URL,
        }
        making = Clock()
        making.start_at(TEST_MOMENT)
        for args in (["migrate"], ["demo", "--no-links"]):
            weerbaar_output({**env, **clock_environment(making.now())}, *args)
        yield DemoTemplate(database_url, making.now())


@pytest.fixture
async def live_server(
    db_kind: str, smtp_server: SmtpSink, demo_template: DemoTemplate
) -> AsyncIterator[LiveServer]:
    """`weerbaar serve` on a free port over a copy of the demo database, mailing to `smtp_server`."""
    async with throwaway_database(db_kind, copy_of=demo_template.database_url) as database_url:
        clock.start_at(demo_template.ready_at)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "WEERBAAR_DATABASE_URL": database_url,
            "WEERBAAR_SECRET_KEY": SERVER_SECRET,
            "WEERBAAR_BASE_URL": url,
            "WEERBAAR_SMTP_URL": smtp_server.url,
            # Webhooks of the journeys go to a closed port on loopback, never out of the machine.
            "WEERBAAR_WEBHOOKS_ALLOW_PRIVATE": "on",
        }
        server = LiveServer(url, database_url, smtp_server, env)
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            env=server.process_env(),
            stdout=subprocess.DEVNULL,
            # Not a pipe nobody reads: a JSON line per request would fill it and stall the server.
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(url, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=HANG_GUARD_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def assert_accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page, once it has loaded: after a click
    the new page's text can be there before its stylesheet, and axe would judge it unstyled."""
    await page.wait_for_load_state("load")
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    assert not violations, f"{page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )
