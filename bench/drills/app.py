"""What the drills share: seeding a drill database, signing users in, running `weerbaar serve` and
`weerbaar worker` as processes of their own (so that SIGKILL hits them and not the drill), sending
requests and recording what came back."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from tortoise import Tortoise, timezone

from bench import seed as seeding
from bench import seed_additions
from invoicing.models import Invoice, InvoiceStatus
from server.db import apply_migrations, init_orm
from server.models import Organisation, OrganisationKind, User
from server.security import csrf_token_for
from server.sessions import SESSION_COOKIE, start_session
from server.settings import PROJECT_DIR

SECRET_KEY = "drill-secret-key-" + "0123456789abcdef" * 2
#: Small but complete: every organisation, a catalogue, trainers, bookings in every status, drafts.
VOLUME = seeding.Volume(
    bookings=200,
    responses=200,
    invoices=140,
    draft_invoices=110,
    trainers=8,
    coordinators=2,
    open_feedback_sessions=1,
)
CLERKS = 24
MARKER = "Drill:"


@dataclass
class Actors:
    base_url: str
    csrf_cookie: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cookies: dict[str, str] = field(default_factory=dict)
    clerk_cookies: list[tuple[str, str]] = field(default_factory=list)
    trainer_cookies: dict[int, str] = field(default_factory=dict)
    open_requests: list[tuple[int, int]] = field(default_factory=list)
    drafts: list[int] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    offering_id: int = 0

    @property
    def csrf_token(self) -> str:
        """A placeholder: `Recorder.send` swaps in the token of the cookie it sends (tokens are
        bound to the session)."""
        return csrf_token_for(self.csrf_cookie, SECRET_KEY)

    def cookie(self, session_key: str) -> str:
        return f"{SESSION_COOKIE}={session_key}; weerbaar_csrf={self.csrf_cookie}"


async def prepare(database_url: str, base_url: str, open_requests: int) -> Actors:
    """Migrate and seed the drill database; sessions for finance, a coordinator, clerks and trainers."""
    await apply_migrations(database_url)
    await init_orm(database_url)
    try:
        seeded = await seeding.seed(VOLUME)
        actors = Actors(base_url, offering_id=seeded.follow_up_offering_id)
        actors.open_requests = await seed_additions.add_open_requests(open_requests)
        for role, email in (("finance", seeded.finance_email), ("coordinator", seeded.coordinator_email)):
            key = await start_session(await User.get(email=email), second_factor_done=True)
            actors.cookies[role] = actors.cookie(key)
        municipalities = await Organisation.filter(kind=OrganisationKind.MUNICIPALITY).order_by("id")
        actors.municipalities = [organisation.cbs_code for organisation in municipalities]
        for organisation in municipalities[:CLERKS]:
            clerk = await User.filter(organisation_id=organisation.id).first()
            if clerk:
                key = await start_session(clerk, second_factor_done=True)
                actors.clerk_cookies.append((organisation.cbs_code, actors.cookie(key)))
        for trainer_id in {trainer_id for _request, trainer_id in actors.open_requests}:
            key = await start_session(await User.get(id=trainer_id), second_factor_done=True)
            actors.trainer_cookies[trainer_id] = actors.cookie(key)
        actors.drafts = list(
            await Invoice.filter(status=InvoiceStatus.DRAFT).order_by("id").values_list("id", flat=True)
        )
    finally:
        await Tortoise.close_connections()
    return actors


def environment(database_url: str, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEERBAAR_")}
    env.update(
        {
            "WEERBAAR_DATABASE_URL": database_url,
            "WEERBAAR_SECRET_KEY": SECRET_KEY,
            "WEERBAAR_BASE_URL": base_url,
            **extra,
        }
    )
    return env


class Process:
    """A `weerbaar` command in a process group of its own: SIGKILL reaches it and its children
    (uvicorn's workers, the PDF render pool) at once."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("a") as output:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "server.cli", *self.args],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=PROJECT_DIR,
                start_new_session=True,
            )

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up of any kind runs."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if not self.is_running:
            return
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def wait_until_serving(base_url: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.is_running:
            raise RuntimeError(f"de server stopte: zie {process.log}")
        try:
            if httpx.get(base_url + "/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"de server kwam niet op binnen {timeout:.0f} s: zie {process.log}")


@dataclass
class Outcome:
    kind: str
    status: int | str  # the HTTP status, or the name of the exception (no answer)
    started: float
    ended: float
    retry_after: str | None = None


@dataclass
class Recorder:
    """Every request's outcome, with times relative to the drill's start."""

    origin: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.origin

    async def send(
        self,
        http: httpx.AsyncClient,
        kind: str,
        method: str,
        path: str,
        cookie: str,
        data: dict[str, str] | None,
    ) -> Outcome:
        started = self.now()
        if data is not None and "csrf_token" in data:
            data = {**data, "csrf_token": token_for_cookie(cookie)}
        try:
            response = await http.request(method, path, headers={"Cookie": cookie}, data=data)
            outcome = Outcome(
                kind, response.status_code, started, self.now(), response.headers.get("retry-after")
            )
        except httpx.HTTPError as exc:
            outcome = Outcome(kind, type(exc).__name__, started, self.now())
        self.outcomes.append(outcome)
        return outcome

    def statuses(self) -> Counter[str]:
        return Counter(f"{o.kind} {o.status}" for o in self.outcomes)


def token_for_cookie(cookie: str) -> str:
    """The CSRF token for a Cookie header with the CSRF cookie and perhaps a session."""
    values = dict(part.strip().partition("=")[::2] for part in cookie.split(";"))
    return csrf_token_for(values.get("weerbaar_csrf", ""), SECRET_KEY, values.get(SESSION_COOKIE, ""))


def booking_form(actors: Actors, number: int) -> dict[str, str]:
    today = timezone.now().date()
    return {
        "csrf_token": actors.csrf_token,
        "local_situation": f"{MARKER} bedreigingen na een raadsdebat ({number}).",
        "themes": "online",
        "expected_participants": str(10 + number % 20),
        "part_of_day": "evening",
        "location_address": "Raadhuis, Raadhuisplein 1",
        "contact_name": "Griffie",
        "contact_phone": "070 123 4567",
        "po_number": f"PO-DRILL-{number}",
        "invoice_email": "facturen@gemeente.example",
        "date_1": (today + timedelta(days=40 + number % 200)).isoformat(),
        "time_1": "19:30",
        "date_2": (today + timedelta(days=41 + number % 200)).isoformat(),
        "time_2": "14:00",
    }
