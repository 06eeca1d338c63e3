"""Feedback results: threshold, who sees what, audit of open answers, escaping, charts, exports,
trends, leads and retention."""

from __future__ import annotations

import csv
import io
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import httpx
import pytest
from pypdf import PdfReader

from bookings.models import Booking, BookingStatus, TrainerKind
from bookings.staffing_models import RequestStatus
from feedback import charts, export, results, retention, trends
from feedback.models import (
    Answer,
    ContactRequest,
    FeedbackForm,
    Question,
    QuestionKind,
    Response,
    SessionFeedback,
)
from feedback.policy import FeedbackPolicy
from feedback.report import session_report_pdf
from server import clock
from server.models import AuditEntry, Role, User
from server.spreadsheet import neutralise
from tests.bookings.factories import make_booking, make_offering, make_request, make_trainer
from tests.factories import make_organisation, make_user, sign_in

POLICY = FeedbackPolicy()
HOSTILE_TEXT = "<script>alert(1)</script>"
HOSTILE_FORMULA = '=HYPERLINK("http://evil.example","klik")'

QUESTIONS: list[tuple[QuestionKind, str, list[str], bool]] = [
    (QuestionKind.SCALE, "Hoe nuttig was de sessie?", ["Niet nuttig", "Heel nuttig"], False),
    (QuestionKind.GRADE, "Welk cijfer geeft u de sessie?", [], False),
    (QuestionKind.SINGLE, "Wilt u een vervolgtraining?", ["Ja", "Nee"], True),
    (
        QuestionKind.MULTIPLE,
        "Welke onderwerpen spraken u aan?",
        ["Online haat", "Veiligheid", "Privé"],
        False,
    ),
    (QuestionKind.TEXT, "Wat wilt u nog kwijt?", [], False),
]


# ---------- Factories ----------


async def make_form() -> FeedbackForm:
    form = await FeedbackForm.create(name="Evaluatie raadsbrede sessie")
    for position, (kind, text, options, follow_up) in enumerate(QUESTIONS, start=1):
        await Question.create(
            form=form,
            position=position,
            kind=kind,
            text=text,
            options=options,
            marks_follow_up_interest=follow_up,
        )
    return form


async def make_session(
    booking: Booking | None = None, *, opens_at: datetime | None = None, **booking_overrides: object
) -> SessionFeedback:
    """A feedback session (with a form of its own) for a delivered booking, held `opens_at` (by
    default 15 days ago: its form has closed, so its results show)."""
    opens_at = opens_at or clock.now() - timedelta(days=15)
    if booking is None:
        booking = await make_booking(status=BookingStatus.DELIVERED, starts_at=opens_at, **booking_overrides)
    session = await SessionFeedback.create(
        booking=booking,
        form=await make_form(),
        code=secrets.token_hex(5),
        opens_at=opens_at,
        closes_at=opens_at + timedelta(days=14),
    )
    await session.fetch_related("booking__organisation", "booking__offering", "form")
    return session


async def add_responses(
    session: SessionFeedback,
    count: int,
    *,
    scale: int = 4,
    grade: int = 8,
    follow_up: int = 1,
    topics: Sequence[int] = (0, 2),
    text: str | None = "Heel leerzaam.",
) -> None:
    """`count` responses, each giving the same answers."""
    questions = {question.kind: question for question in await Question.filter(form_id=session.form_id)}  # type: ignore[attr-defined]
    for _index in range(count):
        response = await Response.create(session=session, token_hash=secrets.token_hex(32))
        rows = [
            (QuestionKind.SCALE, scale, None),
            (QuestionKind.GRADE, grade, None),
            (QuestionKind.SINGLE, follow_up, None),
            *((QuestionKind.MULTIPLE, topic, None) for topic in topics),
        ]
        if text is not None:
            rows.append((QuestionKind.TEXT, None, text))
        for kind, number, answer_text in rows:
            await Answer.create(response=response, question=questions[kind], number=number, text=answer_text)


# ---------- HTTP ----------


async def as_user(client: httpx.AsyncClient, user: User) -> httpx.AsyncClient:
    client.cookies.clear()
    await sign_in(client, user)
    return client


# ---------- Threshold ----------


async def test_below_the_threshold_only_the_count_is_shown(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 4, text=HOSTILE_TEXT)
    outcome = await results.session_results(session, POLICY)
    assert (outcome.count, outcome.is_shown, outcome.questions) == (4, False, [])

    await as_user(client, await make_user(Role.COORDINATOR))
    reference = session.booking.reference
    page = await client.get(f"/feedback/sessies/{reference}")
    assert page.status_code == 200
    assert "4 reacties" in page.text
    assert "vanaf 5 reacties" in page.text
    assert "Hoe nuttig was de sessie?" not in page.text
    assert "alert(1)" not in page.text
    assert (await client.get(f"/feedback/sessies/{reference}/resultaten.csv")).status_code == 403
    assert (await client.get(f"/feedback/sessies/{reference}/rapport.pdf")).status_code == 403
    assert not await AuditEntry.filter(action="feedback_open_answers_viewed").exists()


async def test_from_the_threshold_on_the_results_are_shown(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 3, scale=5, grade=9, topics=(0,))
    await add_responses(session, 2, scale=2, grade=6, follow_up=0, topics=(0, 1), text=None)
    outcome = await results.session_results(session, POLICY)
    assert outcome.is_shown and outcome.count == 5
    by_kind = {question.kind: question for question in outcome.questions}
    scale = by_kind[QuestionKind.SCALE]
    assert scale.distribution == [
        ("1 (Niet nuttig)", 0),
        ("2", 2),
        ("3", 0),
        ("4", 0),
        ("5 (Heel nuttig)", 3),
    ]
    assert scale.mean == pytest.approx(3.8) and scale.mean_text == "3,8"
    grade = by_kind[QuestionKind.GRADE]
    assert [label for label, _count in grade.distribution] == [str(n) for n in range(1, 11)]
    assert grade.mean == pytest.approx(7.8)
    assert by_kind[QuestionKind.SINGLE].distribution == [("Ja", 2), ("Nee", 3)]
    assert by_kind[QuestionKind.SINGLE].mean is None
    assert by_kind[QuestionKind.MULTIPLE].distribution == [
        ("Online haat", 5),
        ("Veiligheid", 2),
        ("Privé", 0),
    ]
    assert by_kind[QuestionKind.TEXT].open_answers == ["Heel leerzaam."] * 3

    await as_user(client, await make_user(Role.COORDINATOR))
    page = await client.get(f"/feedback/sessies/{session.booking.reference}")
    assert page.status_code == 200
    assert "5 reacties" in page.text
    assert "3,8" in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in page.text
    assert "Heel leerzaam." in page.text


# ---------- Who sees what ----------


async def test_who_sees_a_session(client: httpx.AsyncClient) -> None:
    session = await make_session()
    booking = session.booking
    await add_responses(session, 5)
    path = f"/feedback/sessies/{booking.reference}"
    gave_it = await make_trainer(TrainerKind.TRAINER)
    await make_request(booking, gave_it, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    declined = await make_trainer(TrainerKind.TRAINER)
    await make_request(booking, declined, TrainerKind.TRAINER, RequestStatus.DECLINED)
    other_trainer = await make_trainer(TrainerKind.TRAINER)
    expected = {
        await make_user(Role.COORDINATOR): 200,
        await make_user(Role.CLERK, organisation=booking.organisation): 200,
        await make_user(Role.CLERK, organisation=await make_organisation()): 404,
        gave_it: 200,
        declined: 404,
        other_trainer: 404,
        await make_user(Role.FINANCE): 403,
    }
    for user, status in expected.items():
        await as_user(client, user)
        assert (await client.get(path)).status_code == status, user.role
        assert (await client.get(path + "/resultaten.csv")).status_code == status, user.role
    client.cookies.clear()
    anonymous = await client.get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/inloggen")
    # Nobody learns whether a booking without feedback exists.
    await as_user(client, await make_user(Role.COORDINATOR))
    assert (await client.get("/feedback/sessies/WB-BESTAATNIET")).status_code == 404


async def test_the_overview_and_period_export_are_for_coordinators(client: httpx.AsyncClient) -> None:
    for role, status in (
        (Role.COORDINATOR, 200),
        (Role.CLERK, 403),
        (Role.TRAINER, 403),
        (Role.FINANCE, 403),
    ):
        await as_user(client, await make_user(role))
        assert (await client.get("/feedback")).status_code == status
        assert (await client.get("/feedback/export.csv?van=2026-01-01&tot=2026-01-31")).status_code == status


# ---------- Open answers: audit and escaping ----------


async def test_viewing_and_exporting_open_answers_is_audited(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 10)  # clerks see open answers from 10 responses
    clerk = await make_user(Role.CLERK, organisation=session.booking.organisation)
    await as_user(client, clerk)
    reference = session.booking.reference
    assert (await client.get(f"/feedback/sessies/{reference}")).status_code == 200
    assert (await client.get(f"/feedback/sessies/{reference}/resultaten.csv")).status_code == 200
    entries = await AuditEntry.filter(action="feedback_open_answers_viewed").order_by("id")
    assert [(entry.actor_id, entry.object_type, entry.object_id) for entry in entries] == [  # type: ignore[attr-defined]
        (clerk.id, "SessionFeedback", str(session.id))
    ] * 2
    assert reference in entries[0].summary and "CSV" in entries[1].summary


async def test_no_audit_when_there_are_no_open_answers(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 5, text=None)
    await as_user(client, await make_user(Role.COORDINATOR))
    assert (await client.get(f"/feedback/sessies/{session.booking.reference}")).status_code == 200
    assert not await AuditEntry.filter(action="feedback_open_answers_viewed").exists()


async def test_hostile_text_is_escaped_in_the_page(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 3, text=HOSTILE_TEXT)
    await add_responses(session, 2, text=HOSTILE_FORMULA)
    await as_user(client, await make_user(Role.COORDINATOR))
    page = await client.get(f"/feedback/sessies/{session.booking.reference}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;klik&#34;)" in page.text


async def test_the_session_csv_is_neutralised_dutch_excel_csv(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 3, text=HOSTILE_FORMULA)
    await add_responses(session, 1, text="@SUM(A1)")
    await add_responses(session, 1, text="-2+3")
    await as_user(client, await make_user(Role.COORDINATOR))
    response = await client.get(f"/feedback/sessies/{session.booking.reference}/resultaten.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f"feedback-{session.booking.reference}.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Ingevuld op", *(text for _kind, text, _options, _follow_up in QUESTIONS)]
    assert len(rows) == 6
    today = clock.local_today().isoformat()
    assert {row[0] for row in rows[1:]} == {today}  # the day only, no time
    assert rows[1][1:5] == ["4", "8", "Nee", "Online haat; Privé"]
    assert [row[5] for row in rows[1:]] == ["'" + HOSTILE_FORMULA] * 3 + ["'@SUM(A1)", "'-2+3"]


def test_neutralise() -> None:
    for dangerous in ("=1+1", "+31", "-1", "@x", "\tx", "\rx", "  =1"):
        assert neutralise(dangerous) == "'" + dangerous
    for harmless in ("", "Goed", "3", "a=b"):
        assert neutralise(harmless) == harmless


async def test_the_pdf_report_holds_the_text_literally(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 3, text=HOSTILE_TEXT)
    await add_responses(session, 7, text=HOSTILE_FORMULA)  # clerks see open answers from 10
    await as_user(client, await make_user(Role.CLERK, organisation=session.booking.organisation))
    response = await client.get(f"/feedback/sessies/{session.booking.reference}/rapport.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    squashed = "".join(text.split())
    assert HOSTILE_TEXT in squashed
    assert "".join(HOSTILE_FORMULA.split()) in squashed
    assert session.booking.organisation.name.replace(" ", "") in squashed
    assert "Hoenuttigwasdesessie?" in squashed
    assert await AuditEntry.filter(action="feedback_open_answers_viewed", summary__contains="PDF").exists()


async def test_the_report_is_refused_below_the_threshold() -> None:
    session = await make_session()
    await add_responses(session, 4)
    with pytest.raises(results.TooFewResponses):
        await session_report_pdf(session, await results.session_results(session, POLICY))


# ---------- Charts ----------


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own SVG, in a test)


def test_a_chart_without_answers_is_valid_and_says_so() -> None:
    svg = charts.bar_chart("vraag-1", "Hoe <nuttig>?", [(str(n), 0) for n in range(1, 6)])
    root = _parse(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.get("role") == "img"
    assert root.findtext("svg:title", namespaces=ns) == "Hoe <nuttig>?"
    assert root.findtext("svg:desc", namespaces=ns) == "Nog geen antwoorden."
    assert "Nog geen antwoorden." in [
        element.text for element in root.iter("{http://www.w3.org/2000/svg}text")
    ]
    assert _parse(charts.bar_chart("leeg", "Geen opties", []))


def test_a_chart_with_all_answers_the_same() -> None:
    bars = [("Ja & <b>zeker</b>", 5), ("Nee", 0)]
    root = _parse(charts.bar_chart("vraag-2", "Vervolg?", bars))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    desc = root.findtext("svg:desc", namespaces=ns)
    assert desc == "Ja & <b>zeker</b>: 5 antwoorden; Nee: 0 antwoorden. Totaal: 5 antwoorden."
    widths = [int(rect.get("width", "0")) for rect in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths == [charts.BAR_MAX_WIDTH, charts.BAR_MAX_WIDTH, charts.BAR_MAX_WIDTH]  # track, bar, track
    labels = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert labels == ["Ja & <b>zeker</b>", "5", "Nee", "0"]


# ---------- Trends ----------


async def test_trends_hide_small_groups() -> None:
    trainer = await make_trainer(TrainerKind.TRAINER, name="Tessa Trainer")
    big_offering = await make_offering(name="Raadsbrede sessie")
    small_offering = await make_offering(name="Verdiepingstraining")
    big = await make_session(offering=big_offering)
    await add_responses(big, 5, scale=4)
    small = await make_session(offering=small_offering)
    await add_responses(small, 3, scale=2)
    await make_request(small.booking, trainer, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    old = await make_session(offering=big_offering, opens_at=clock.now() - timedelta(days=800))
    await add_responses(old, 5)

    by_offering = {row.group_label: row for row in await trends.trends(POLICY, group="offering")}
    assert set(by_offering) == {"Raadsbrede sessie", "Verdiepingstraining"}
    shown = by_offering["Raadsbrede sessie"]
    assert (shown.sessions, shown.responses, shown.is_shown, shown.mean) == (1, 5, True, 4.0)
    hidden = by_offering["Verdiepingstraining"]
    assert (hidden.sessions, hidden.responses, hidden.is_shown, hidden.mean) == (1, 3, False, None)

    (tour,) = await trends.trends(POLICY, group="tour")
    assert (tour.sessions, tour.responses, tour.is_shown) == (2, 8, True)
    assert tour.mean == pytest.approx((5 * 4 + 3 * 2) / 8)

    (by_trainer,) = await trends.trends(POLICY, group="trainer")
    assert (by_trainer.group_label, by_trainer.is_shown, by_trainer.mean) == ("Tessa Trainer", False, None)


async def test_trends_count_only_sessions_whose_form_has_closed() -> None:
    """A running form's responses would let a trend be compared before and after one response."""
    offering = await make_offering(name="Raadsbrede sessie")
    running = await make_session(offering=offering, opens_at=clock.now() - timedelta(days=3))
    await add_responses(running, 5, scale=1)

    assert await trends.trends(POLICY, group="offering") == []
    (closed,) = await trends.trends(POLICY, group="offering", now=running.closes_at)
    assert (closed.sessions, closed.responses, closed.mean) == (1, 5, 1.0)


async def test_the_overview_page(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, 5, follow_up=0)
    await as_user(client, await make_user(Role.COORDINATOR))
    for group in ("offering", "trainer", "tour", "onzin"):
        page = await client.get(f"/feedback?groep={group}")
        assert page.status_code == 200
    assert session.booking.organisation.name in page.text
    assert "5 van 5 deelnemers" in page.text
    bad = await client.get("/feedback/export.csv?van=gisteren&tot=")
    assert bad.status_code == 400
    assert "Vul een begindatum in" in bad.text


# ---------- Leads ----------


async def test_leads_per_organisation() -> None:
    many = await make_session()
    await add_responses(many, 2, follow_up=0)
    await add_responses(many, 3, follow_up=1)
    few = await make_session()
    await add_responses(few, 1, follow_up=0)
    await add_responses(few, 1, follow_up=1)
    nobody = await make_session()
    await add_responses(nobody, 6, follow_up=1)

    found = {lead.organisation_id: lead for lead in await trends.leads(POLICY)}
    assert set(found) == {many.booking.organisation_id, few.booking.organisation_id}  # type: ignore[attr-defined]
    lead = found[many.booking.organisation_id]  # type: ignore[attr-defined]
    assert (lead.interested, lead.responses, [s.reference for s in lead.sessions]) == (
        2,
        5,
        [many.booking.reference],
    )
    small = found[few.booking.organisation_id]  # type: ignore[attr-defined]
    assert (small.interested, small.is_count_shown, small.responses) == (None, False, 2)


# ---------- Exports per period ----------


async def test_the_period_export(client: httpx.AsyncClient) -> None:
    inside = await make_session()
    await add_responses(inside, 5, text=HOSTILE_TEXT)
    too_small = await make_session()
    await add_responses(too_small, 2)
    outside = await make_session(opens_at=clock.now() - timedelta(days=90))
    await add_responses(outside, 5)
    coordinator = await make_user(Role.COORDINATOR)
    today = clock.local_today()
    content = await export.period_csv(POLICY, today - timedelta(days=30), today, actor=coordinator)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Referentie", "Organisatie", "Aanbod", "Sessiedatum", "Ingevuld op"]
    assert {row[0] for row in rows[1:]} == {inside.booking.reference}
    assert len(rows) == 6
    assert rows[1][-1] == HOSTILE_TEXT  # does not start with a formula character
    entry = await AuditEntry.get(action="feedback_open_answers_viewed")
    assert inside.booking.reference in entry.summary and entry.actor_id == coordinator.id  # type: ignore[attr-defined]

    await as_user(client, coordinator)
    first, last = (today - timedelta(days=30)).isoformat(), today.isoformat()
    response = await client.get(f"/feedback/export.csv?van={first}&tot={last}")
    assert response.status_code == 200
    assert f"feedback-{first}-{last}.csv" in response.headers["content-disposition"]


def test_period_bounds_are_inclusive_days_in_amsterdam() -> None:
    start, end = export.period_bounds(date(2026, 3, 1), date(2026, 3, 31))
    assert (start.isoformat(), end.isoformat()) == ("2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00")


# ---------- Retention ----------


async def test_retention_removes_old_texts_and_contacts_but_keeps_numbers() -> None:
    now = clock.now()
    old = await make_session(opens_at=now - timedelta(days=800))
    await add_responses(old, 5, text="Oud commentaar")
    recent = await make_session(opens_at=now - timedelta(days=30))
    await add_responses(recent, 5, text="Nieuw commentaar")
    done = await ContactRequest.create(session=recent, email="a@example.org", done_at=now - timedelta(days=1))
    stale = await ContactRequest.create(session=old, email="b@example.org")
    await ContactRequest.filter(id=stale.id).update(created_at=now - timedelta(days=400))
    waiting = await ContactRequest.create(session=recent, email="c@example.org")
    numbers_before = await Answer.filter(number__isnull=False).count()

    report = await retention.apply_retention(POLICY, now=now)

    assert (report.open_answers, report.contact_requests) == (5, 2)
    assert not await Answer.filter(response__session_id=old.id, text__isnull=False).exists()
    assert await Answer.filter(response__session_id=recent.id, text="Nieuw commentaar").count() == 5
    assert await Answer.filter(number__isnull=False).count() == numbers_before
    assert [contact.id for contact in await ContactRequest.all()] == [waiting.id]
    assert done.id != waiting.id
    entry = await AuditEntry.get(action="feedback_retention")
    assert entry.actor_id is None and "5 open antwoorden" in entry.summary  # type: ignore[attr-defined]
    outcome = await results.session_results(old, POLICY)
    assert outcome.is_shown and next(q for q in outcome.questions if q.kind is QuestionKind.SCALE).mean == 4.0

    again = await retention.apply_retention(POLICY, now=now)
    assert not again.removed_anything
    assert await AuditEntry.filter(action="feedback_retention").count() == 1


async def test_contact_requests_are_listed_for_coordinators_and_marked_done(client) -> None:  # type: ignore[no-untyped-def]
    from feedback.models import ContactRequest
    from tests.bookings.factories import make_booking
    from tests.factories import post

    booking = await make_booking()
    form = await FeedbackForm.create(name="F")
    session = await SessionFeedback.create(
        booking=booking, form=form, code="CNT123", opens_at=clock.now(), closes_at=clock.now()
    )
    contact = await ContactRequest.create(session=session, email="deelnemer@example.org")
    await sign_in(client, await make_user(Role.COORDINATOR))
    page = await client.get("/feedback")
    assert "deelnemer@example.org" in page.text
    done = await post(client, f"/feedback/contact/{contact.id}/afgehandeld")
    assert done.status_code == 303
    assert (await ContactRequest.get(id=contact.id)).done_at is not None
    assert "deelnemer@example.org" not in (await client.get("/feedback")).text
