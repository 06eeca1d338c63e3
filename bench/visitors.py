"""The people of the realistic load test, signed in on a seeded database, and the writes they send.

Several hundred browsers: the clerks of 300 municipalities on their own organisation's pages and
booking forms, the coordinators on the bookings board and the dashboard with filters of their own,
finance in three browsers on the invoice list with filters, every trainer on their requests, and
600 participants (no account) on the feedback forms of the open sessions. Each browser has its own
CSRF cookie. Users are signed in with the app's own session service, second factor counted as done.

The writes are lists sent once each: booking requests by the clerks, feedback by the participants,
acceptances of pending requests (a pool made for the run, `add_open_requests` of
bench/seed_additions.py) and the issuing of drafts (`add_drafts`).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tortoise import timezone

from bench import seed as seeding
from bench import seed_additions
from bench.mix import Request, Visitor, booking_request, form_body
from bench.request_lines import feedback_answers
from bookings.models import Offering
from feedback.models import ParticipantCode, Question
from server.models import Organisation, OrganisationKind, Role, User
from server.security import CSRF_COOKIE, csrf_token_for
from server.sessions import SESSION_COOKIE, start_session

CLERKS = 300
PARTICIPANTS = 600
FINANCE_BROWSERS = 3
#: Acceptances and drafts made for the run: more than the writes of a long comparison ask for.
POOL = 600


@dataclass
class Browser:
    visitor: Visitor
    token: str
    user_id: int | None = None
    organisation_code: str = ""
    feedback_code: str = ""


@dataclass
class People:
    clerks: list[Browser] = field(default_factory=list)
    coordinators: list[Browser] = field(default_factory=list)
    finance: list[Browser] = field(default_factory=list)
    trainers: dict[int, Browser] = field(default_factory=dict)
    participants: list[Browser] = field(default_factory=list)
    offering_ids: list[int] = field(default_factory=list)

    def visitors(self) -> list[Visitor]:
        browsers = [
            *self.clerks,
            *self.coordinators,
            *self.finance,
            *self.trainers.values(),
            *self.participants,
        ]
        return [browser.visitor for browser in browsers]


async def _browser(secret_key: str, user: User | None) -> tuple[str, str]:
    """A cookie header (session and CSRF cookie) and the CSRF token that goes with it."""
    csrf = secrets.token_urlsafe(32)
    cookie, session_key = f"{CSRF_COOKIE}={csrf}", ""
    if user is not None:
        session_key = await start_session(user, second_factor_done=True)
        cookie = f"{SESSION_COOKIE}={session_key}; {cookie}"
    return cookie, csrf_token_for(csrf, secret_key, session_key)


def _board_filters(number: int, provinces: list[str], codes: list[str]) -> list[str]:
    province = provinces[number % len(provinces)]
    return [
        "/boekingen",
        "/boekingen?status=requested",
        f"/boekingen?status=scheduled&provincie={province}",
        "/boekingen?fase=follow_up&status=confirmed",
        f"/boekingen?{urlencode({'organisatie': codes[number * 7 % len(codes)]})}",
        "/boekingen?pagina=2",
        f"/boekingen?van=2026-0{1 + number % 9}-01&tot=2026-12-31",
    ]


def _invoice_filters(number: int, provinces: list[str]) -> list[str]:
    return [
        "/financien",
        "/financien?status=draft",
        "/financien?status=overdue",
        f"/financien?jaar={2025 + number % 2}",
        f"/financien?provincie={provinces[number * 5 % len(provinces)]}",
        "/financien?status=paid&jaar=2025",
        "/financien?pagina=2",
    ]


async def sign_in(secret_key: str, seeded: seeding.Seeded) -> People:
    people = People()
    people.offering_ids = [seeded.follow_up_offering_id]
    provinces = list(
        await Organisation.filter(kind=OrganisationKind.PROVINCE)
        .order_by("cbs_code")
        .values_list("cbs_code", flat=True)
    )
    municipalities = (
        await Organisation.filter(kind=OrganisationKind.MUNICIPALITY).order_by("id").limit(CLERKS)
    )
    codes = [organisation.cbs_code for organisation in municipalities]
    offerings = list(await Offering.all().order_by("id").values_list("id", flat=True))
    for number, organisation in enumerate(municipalities):
        clerk = await User.filter(organisation_id=organisation.id, role=Role.CLERK).first()
        assert clerk is not None
        cookie, token = await _browser(secret_key, clerk)
        code = organisation.cbs_code
        pages = {
            "organisation page": [f"/organisaties/{code}"],
            "organisation bookings": [f"/organisaties/{code}/boekingen"],
            "booking form": [
                f"/organisaties/{code}/boeken/{offerings[(number + n) % len(offerings)]}" for n in (0, 1)
            ],
        }
        people.clerks.append(Browser(Visitor(cookie, pages), token, clerk.id, code))
    for number, coordinator in enumerate(await User.filter(role=Role.COORDINATOR).order_by("id")):
        cookie, token = await _browser(secret_key, coordinator)
        province = provinces[number % len(provinces)]
        pages = {
            "bookings board": _board_filters(number, provinces, codes),
            "tour dashboard": ["/coordinatie", f"/coordinatie?weken={4 + number}"],
            "organisations table": [
                "/coordinatie/organisaties",
                f"/coordinatie/organisaties?provincie={province}&sorteer=fase",
            ],
        }
        people.coordinators.append(Browser(Visitor(cookie, pages), token, coordinator.id))
    finance = await User.get(email=seeded.finance_email)
    for number in range(FINANCE_BROWSERS):
        cookie, token = await _browser(secret_key, finance)
        pages = {"invoice list": _invoice_filters(number, provinces)}
        people.finance.append(Browser(Visitor(cookie, pages), token, finance.id))
    for trainer in await User.filter(role=Role.TRAINER).order_by("id"):
        cookie, token = await _browser(secret_key, trainer)
        people.trainers[trainer.id] = Browser(
            Visitor(cookie, {"trainer requests": ["/trainer"]}), token, trainer.id
        )
    # Each participant's page is their own code; the writes use the codes after these (fresh ones).
    codes = seeded.open_feedback_codes
    for number in range(PARTICIPANTS):
        cookie, token = await _browser(secret_key, None)
        code = codes[number % len(codes)]
        pages = {"feedback form": [f"/f/{code}"], "home": ["/"]}
        people.participants.append(Browser(Visitor(cookie, pages), token, feedback_code=code))
    return people


def booking_writes(people: People) -> Iterator[Request]:
    today = timezone.now().date()
    for n, clerk in enumerate(itertools.cycle(people.clerks)):
        body = booking_request(n, clerk.token, today, po_prefix="PO-MIX")
        path = f"/organisaties/{clerk.organisation_code}/boeken/{people.offering_ids[0]}"
        yield Request("submit a booking", "POST", path, clerk.visitor.cookie, form_body(body))


async def feedback_writes(people: People) -> Iterator[Request]:
    """Each write uses a fresh participant code (one response per code), in a participant's browser."""
    taken = {p.feedback_code for p in people.participants}
    fresh = dict(
        await ParticipantCode.filter(is_used=False)
        .exclude(code__in=taken)
        .order_by("id")
        .values_list("code", "session__form_id")
    )
    questions: dict[int, list[Question]] = {}
    for question in await Question.filter(form_id__in=set(fresh.values())).order_by("id"):
        questions.setdefault(question.form_id, []).append(question)  # type: ignore[attr-defined]

    def lines() -> Iterator[Request]:
        for n, (participant, code) in enumerate(zip(itertools.cycle(people.participants), fresh)):
            body = [("csrf_token", participant.token)]
            body.extend(feedback_answers(questions[fresh[code]], n))
            path = f"/f/{code}"
            yield Request("submit feedback", "POST", path, participant.visitor.cookie, form_body(body))

    return lines()


async def accept_writes(people: People) -> Iterator[Request]:
    pool = await seed_additions.add_open_requests(POOL)
    lines = []
    for request_id, trainer_id in pool:
        trainer = people.trainers[trainer_id]
        body = form_body({"csrf_token": trainer.token, "action": "accept", "reason": ""})
        lines.append(
            Request(
                "accept a request", "POST", f"/trainer/verzoeken/{request_id}", trainer.visitor.cookie, body
            )
        )
    return iter(lines)


async def issue_writes(people: People) -> Iterator[Request]:
    drafts = await seed_additions.add_drafts(POOL)
    finance = people.finance[0]
    body = form_body({"csrf_token": finance.token})
    return iter(
        Request("issue an invoice", "POST", f"/financien/facturen/{i}/uitgeven", finance.visitor.cookie, body)
        for i in drafts
    )
