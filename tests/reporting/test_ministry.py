"""The ministry's report: figures per quarter and year for a constructed tour, the Amsterdam period
boundaries, the anonymity threshold, revenue after credit notes, the PDF and CSV read back, access."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import httpx
import pytest
from pypdf import PdfReader

from bookings.day_rate_models import DayRate
from bookings.models import Booking, BookingStatus, PriceModel, Stage, TrainerKind, VatTreatment
from bookings.staffing_models import RequestStatus
from feedback.models import Answer, FeedbackForm, Question, QuestionKind, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from invoicing.credits import credit_invoice
from invoicing.document import DocumentKind
from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice
from reporting import ministry_exports
from reporting.ministry import ministry_report
from reporting.ministry_period import Period, UnknownPeriod, period_from_choice
from server import clock
from server.errors import ValidationFailed
from server.models import AuditEntry, Role, User
from server.templating import AMSTERDAM
from tests.bookings.factories import make_booking, make_offering, make_request, make_trainer
from tests.factories import make_organisation, make_province, make_user, sign_in
from tests.invoicing.factories import billed_organisation, complete_seller_settings
from tests.query_counter import count_queries

POLICY = FeedbackPolicy()  # threshold 5
Q3 = Period(2026, 3)
FORMULA_NAME = '=HYPERLINK("x")'


def at(*parts: int) -> datetime:
    """A moment in Amsterdam time."""
    return datetime(*parts, tzinfo=AMSTERDAM)  # type: ignore[misc]


@dataclass
class Tour:
    training: Booking
    finance: User


async def make_form(name: str) -> FeedbackForm:
    form = await FeedbackForm.create(name=name)
    await Question.create(form=form, position=1, kind=QuestionKind.SCALE, text=f"Hoe nuttig was de {name}?")
    await Question.create(form=form, position=2, kind=QuestionKind.GRADE, text="Welk cijfer geeft u?")
    await Question.create(form=form, position=3, kind=QuestionKind.TEXT, text="Opmerkingen?")
    return form


async def add_responses(booking: Booking, form: FeedbackForm, answers: list[tuple[int, int]]) -> None:
    """One response per (scale, grade) pair, with an open answer too (which the report ignores)."""
    session, _created = await SessionFeedback.get_or_create(
        booking=booking,
        defaults={
            "form": form,
            "code": secrets.token_hex(5),
            "opens_at": booking.starts_at,
            "closes_at": booking.starts_at,
        },
    )
    questions = {q.kind: q for q in await Question.filter(form=form)}
    for scale, grade in answers:
        response = await Response.create(session=session, token_hash=secrets.token_hex(32))
        await Answer.create(response=response, question=questions[QuestionKind.SCALE], number=scale)
        await Answer.create(response=response, question=questions[QuestionKind.GRADE], number=grade)
        await Answer.create(response=response, question=questions[QuestionKind.TEXT], text="=1+1")


async def make_tour() -> Tour:
    """Two provinces, four municipalities (two without sessions), sessions in every quarter of 2026."""
    utrecht = await make_province(name="Utrecht", cbs_code="PV26")
    gelderland = await make_province(name=FORMULA_NAME, cbs_code="PV25")
    zeist = await billed_organisation(name="Zeist", province=utrecht)
    await billed_organisation(name="De Bilt", province=utrecht, cbs_code="GM0310")
    arnhem = await billed_organisation(name="Arnhem", province=gelderland, cbs_code="GM0202")
    ede = await billed_organisation(name="Ede", province=gelderland, cbs_code="GM0228")

    intake = await make_offering(name="Intake", stage=Stage.INTAKE, duration_minutes=90)
    council = await make_offering(name="Raadsbrede sessie")
    training = await make_offering(
        name="Omgaan met online haat",
        stage=Stage.FOLLOW_UP,
        duration_minutes=180,
        price_model=PriceModel.PER_PARTICIPANT,
        price_cents=18500,
        vat_treatment=VatTreatment.STANDARD,
    )
    paid, rated, unrated = (
        await make_trainer(TrainerKind.TRAINER),
        await make_trainer(TrainerKind.TRAINER),
        await make_trainer(TrainerKind.COORDINATOR),
    )
    await DayRate.create(trainer=paid, valid_from=date(1900, 1, 1), day_rate_cents=80000)
    await DayRate.create(trainer=unrated, valid_from=date(1900, 1, 1), day_rate_cents=40000)
    declined = await make_trainer(TrainerKind.TRAINER)

    delivered, closed = BookingStatus.DELIVERED, BookingStatus.CLOSED
    # The third quarter: four sessions held.
    s1 = await make_booking(
        organisation=zeist,
        offering=council,
        status=delivered,
        starts_at=at(2026, 7, 9, 19, 30),
        participants_count=22,
    )
    await make_request(s1, paid, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    await make_request(s1, rated, TrainerKind.MODERATOR, RequestStatus.ACCEPTED)
    await make_request(s1, declined, TrainerKind.TRAINER, RequestStatus.DECLINED)
    s2 = await make_booking(organisation=zeist, offering=intake, status=closed, starts_at=at(2026, 8, 3, 14))
    await make_request(s2, unrated, TrainerKind.COORDINATOR, RequestStatus.ACCEPTED)
    s3 = await make_booking(
        organisation=arnhem,
        offering=training,
        status=delivered,
        starts_at=at(2026, 9, 30, 23, 30),  # the last half hour of the quarter, Amsterdam time
        participants_count=12,
    )
    await make_request(s3, paid, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    s4 = await make_booking(
        organisation=utrecht,
        offering=council,
        status=delivered,
        starts_at=at(2026, 9, 1, 19),
        participants_count=30,
    )
    await make_request(s4, rated, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    # Not held: cancelled, or confirmed but not yet given.
    await make_booking(
        organisation=ede, offering=council, status=BookingStatus.CANCELLED, starts_at=at(2026, 8, 20, 19)
    )
    s6 = await make_booking(
        organisation=zeist, offering=council, status=BookingStatus.CONFIRMED, starts_at=at(2026, 9, 15, 19)
    )
    await make_request(s6, paid, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    # Other quarters, right at the boundaries.
    s7 = await make_booking(
        organisation=zeist,
        offering=training,
        status=delivered,
        starts_at=at(2026, 5, 12, 19),
        participants_count=10,
    )
    await make_booking(
        organisation=arnhem, offering=intake, status=delivered, starts_at=at(2026, 4, 1, 0, 30)
    )
    await make_booking(organisation=ede, offering=intake, status=closed, starts_at=at(2026, 3, 31, 23, 30))
    await make_booking(
        organisation=arnhem,
        offering=council,
        status=delivered,
        starts_at=at(2026, 10, 1, 0, 30),
        participants_count=15,
    )

    council_form, training_form = await make_form("sessie"), await make_form("training")
    await add_responses(s1, council_form, [(5, 8), (4, 8), (4, 8), (4, 8), (3, 8)])
    await add_responses(s3, training_form, [(2, 6)] * 4)

    await complete_seller_settings()
    finance = await make_user(Role.FINANCE)
    invoice_a = await create_draft_for_booking(s3.id, actor=finance)
    invoice_b = await create_draft_for_booking(s7.id, actor=finance)
    await issue_invoice(invoice_b.id, actor=finance, today=date(2026, 7, 1))
    await issue_invoice(invoice_a.id, actor=finance, today=date(2026, 8, 15))
    await credit_invoice(
        invoice_b.id, None, reason="Training gaat niet door", actor=finance, today=date(2026, 9, 2)
    )
    return Tour(s3, finance)


# ---------- Periods ----------


def test_periods_in_amsterdam_time() -> None:
    assert Period.parse("2026-K3") == Period.parse("2026-q3") == Q3
    assert Period.parse("2026") == Period(2026)
    for bad in ("2026-K5", "2026-K0", "26-K1", "1999", "2026-3", "abc", "2026-K3x"):
        with pytest.raises(UnknownPeriod):
            Period.parse(bad)
    first = Period(2026, 1)
    assert first.ends_at == at(2026, 4, 1)
    assert first.starts_at <= at(2026, 3, 31, 23, 30) < first.ends_at
    assert Period(2026, 2).starts_at <= at(2026, 4, 1, 0, 30)
    assert (first.previous, Q3.previous, Period(2026).previous) == (
        Period(2025, 4),
        Period(2026, 2),
        Period(2025),
    )
    assert (Q3.first_day, Q3.last_day, Q3.slug, Q3.label) == (
        date(2026, 7, 1),
        date(2026, 9, 30),
        "2026-K3",
        "3e kwartaal 2026",
    )
    assert Period.last_complete_quarter(date(2026, 11, 24)) == Q3
    assert Period.last_complete_quarter(date(2026, 1, 2)) == Period(2025, 4)
    assert period_from_choice("2026", "") == Period(2026)
    with pytest.raises(ValidationFailed) as refused:
        period_from_choice("20x6", "5")
    assert set(refused.value.errors) == {"jaar", "kwartaal"}


# ---------- Figures ----------


async def test_the_quarter_figures() -> None:
    await make_tour()
    report = await ministry_report(Q3, POLICY, now=at(2026, 11, 24, 9))
    assert report.is_complete
    intake, council, training = report.stages
    assert (intake.sessions, intake.organisations, intake.participants, intake.sessions_without_count) == (
        1,
        1,
        0,
        1,
    )
    assert (council.sessions, council.organisations, council.participants) == (2, 2, 52)
    assert (training.sessions, training.organisations, training.participants) == (1, 1, 12)
    assert [s.trainer_minutes for s in report.stages] == [90, 450, 180]  # accepted, of held sessions only
    assert [s.trainers for s in report.stages] == [1, 2, 1]
    total = report.total
    assert (total.sessions, total.organisations, total.participants, total.sessions_without_count) == (
        4,
        3,
        64,
        1,
    )
    assert (total.trainer_minutes, total.hours_text, total.trainers) == (720, "12", 3)

    rows = {row.label: row for row in report.provinces}
    assert list(rows) == [FORMULA_NAME, "Utrecht", "Provincies zelf (Provinciale Staten)"]
    assert (rows[FORMULA_NAME].sessions_by_stage, rows[FORMULA_NAME].organisations) == ((0, 0, 1), 1)
    assert rows[FORMULA_NAME].organisations_total == 2
    assert (rows["Utrecht"].sessions_by_stage, rows["Utrecht"].participants) == ((1, 1, 0), 22)
    own = rows["Provincies zelf (Provinciale Staten)"]
    assert (own.sessions_by_stage, own.organisations, own.organisations_total, own.participants) == (
        (0, 1, 0),
        1,
        2,
        30,
    )

    # Free sessions: S1 150 min at € 800 a day and 150 without a rate, the intake 90 at € 400, S4 150 without.
    free = report.free_sessions
    assert (free.sessions, free.minutes, free.cost_cents, free.trainers_without_rate) == (3, 540, 32500, 1)

    revenue = report.revenue
    assert (revenue.invoices, revenue.credit_notes) == (2, 1)
    assert (revenue.invoiced_net_cents, revenue.credited_net_cents) == (222000 + 185000, 185000)
    assert (revenue.net_cents, revenue.vat_cents, revenue.gross_cents) == (222000, 46620, 268620)

    compared = {row.label: row for row in report.comparison}
    assert (compared["Gehouden sessies"].previous, compared["Gehouden sessies"].change_text) == (2, "+2")
    assert compared["Omzet excl. btw"].previous == 0
    assert compared["Trainersuren"].current_text == "12"


async def test_quarter_boundaries_and_the_year() -> None:
    await make_tour()
    quarters = [await ministry_report(Period(2026, q), POLICY) for q in (1, 2, 3, 4)]
    assert [report.total.sessions for report in quarters] == [1, 2, 4, 1]
    year = await ministry_report(Period(2026), POLICY)
    assert year.total.sessions == 8
    assert year.total.participants == 22 + 12 + 30 + 10 + 15
    assert year.total.organisations == 4  # Zeist, Arnhem, Ede (its intake in Q1) and the province of Utrecht
    assert year.revenue.net_cents == 222000
    assert year.comparison[0].previous == 0 and year.previous_period == Period(2025)
    fourth = await ministry_report(Period(2026, 4), POLICY, now=at(2026, 11, 24, 9))
    assert not fourth.is_complete


async def test_the_anonymity_threshold() -> None:
    tour = await make_tour()
    report = await ministry_report(Q3, POLICY)
    intake, council, training = report.stages
    assert (intake.responses, intake.is_feedback_shown) == (0, False)
    assert (council.responses, council.is_feedback_shown) == (5, True)
    assert (council.scale_mean_text, council.grade_mean_text) == ("4,0", "8,0")
    assert (training.responses, training.is_feedback_shown) == (4, False)
    assert (training.scale_mean, training.grade_mean) == (None, None)
    assert (report.total.responses, report.total.scale_mean_text, report.total.grade_mean_text) == (
        9,
        "3,1",
        "7,1",
    )
    by_text = {question.text: question for question in report.questions}
    assert by_text["Hoe nuttig was de sessie?"].mean_text == "4,0"
    assert not by_text["Hoe nuttig was de training?"].is_shown
    assert by_text["Hoe nuttig was de training?"].mean is None

    form = await FeedbackForm.get(name="training")
    await add_responses(tour.training, form, [(3, 7)])
    training = (await ministry_report(Q3, POLICY)).stages[2]
    assert (training.responses, training.is_feedback_shown, training.scale_mean_text) == (5, True, "2,2")
    stricter = (await ministry_report(Q3, FeedbackPolicy(threshold=6))).stages[1]
    assert not stricter.is_feedback_shown and stricter.scale_mean is None


async def test_feedback_counts_only_once_the_form_has_closed() -> None:
    """Otherwise a figure could be compared before and after one response (issue 20)."""
    await make_tour()
    still_open = clock.now() + timedelta(days=1)
    await SessionFeedback.filter(form__name="training").update(closes_at=still_open)

    training = (await ministry_report(Q3, POLICY)).stages[2]
    assert (training.responses, training.scale_mean) == (0, None)
    closed = (await ministry_report(Q3, POLICY, now=still_open)).stages[2]
    assert closed.responses == 4


async def test_the_number_of_queries_does_not_grow_with_the_tour() -> None:
    await make_tour()
    with count_queries() as small:
        await ministry_report(Q3, POLICY)
    form = await FeedbackForm.get(name="sessie")
    trainer = await make_trainer(TrainerKind.TRAINER)
    for number in range(6):
        organisation = await make_organisation(province=await make_province())
        booking = await make_booking(
            organisation=organisation, status=BookingStatus.DELIVERED, starts_at=at(2026, 8, 1 + number, 19)
        )
        await make_request(booking, trainer, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
        await add_responses(booking, form, [(4, 7)] * 2)
    with count_queries() as large:
        report = await ministry_report(Q3, POLICY)
    assert report.total.sessions == 10 and len(report.provinces) == 9
    assert large.total == small.total <= 24, large.statements


async def test_an_empty_period_reads_as_zeros() -> None:
    await make_organisation(province=None)
    report = await ministry_report(Period(2030, 1), POLICY)
    assert report.total.sessions == 0 and report.revenue.net_cents == 0
    labels = [(row.label, row.organisations_total) for row in report.provinces]
    assert labels == [("Gemeenten zonder provincie", 1), ("Provincies zelf (Provinciale Staten)", 0)]
    assert report.questions == ()


# ---------- Downloads ----------


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_the_csv_reads_back(client: httpx.AsyncClient) -> None:
    tour = await make_tour()
    await sign_in(client, tour.finance)
    response = await client.get("/coordinatie/rapportage/2026-K3.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="rapportage-ministerie-2026-K3.csv"' in response.headers["content-disposition"]
    header, *rows = rows_of(response.content)
    assert header == ["periode", "onderdeel", "groep", "kenmerk", "waarde"]
    assert {row[0] for row in rows} == {"2026-K3"}
    value = {(row[1], row[2], row[3]): row[4] for row in rows}
    assert value[("Sessies per fase", "Totaal", "sessies")] == "4"
    assert value[("Sessies per fase", "Totaal", "trainersuren")] == "12"
    assert value[("Sessies per fase", "Raadsbrede sessie", "gemiddelde schaalvragen (1-5)")] == "4,0"
    assert (
        value[("Sessies per fase", "Vervolgtraining", "gemiddelde schaalvragen (1-5)")]
        == "te weinig reacties"
    )
    assert value[("Sessies per fase", "Intake", "sessies zonder aantal deelnemers")] == "1"
    assert value[("Sessies per provincie", "'" + FORMULA_NAME, "sessies Vervolgtraining")] == "1"
    assert value[("Gratis sessies", "Kosten van gratis sessies", "kosten (euro)")] == "325,00"
    assert value[("Omzet", "Betaalde trainingen", "omzet excl. btw (euro)")] == "2220,00"
    assert value[("Omzet", "Betaalde trainingen", "omzet incl. btw (euro)")] == "2686,20"
    assert value[("Vorige periode", "Gehouden sessies", "2026-K2")] == "2"
    audit = await AuditEntry.get(action="ministry_report_downloaded")
    assert audit.actor_id == tour.finance.id and "CSV" in audit.summary  # type: ignore[attr-defined]


async def test_a_negative_revenue_stays_a_number_in_the_csv() -> None:
    tour = await make_tour()
    invoice = await Invoice.get(booking_id=tour.training.id, kind=DocumentKind.INVOICE)
    await credit_invoice(
        invoice.id, None, reason="Training gaat niet door", actor=tour.finance, today=date(2026, 11, 2)
    )
    content = await ministry_exports.report_csv(Period(2026, 4), POLICY, actor=tour.finance)
    value = {(row[1], row[3]): row[4] for row in rows_of(content)[1:]}
    assert value[("Omzet", "omzet excl. btw (euro)")] == "-2220,00"


async def test_the_pdf_reads_back(client: httpx.AsyncClient) -> None:
    await make_tour()
    await sign_in(client, await make_user(Role.COORDINATOR))
    response = await client.get("/coordinatie/rapportage/2026-K3.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    pages = len(reader.pages)
    assert pages >= 2
    assert f"pagina {pages} van {pages}" in text
    for heading in (
        "Rapportage voor het ministerie",
        "3e kwartaal 2026",
        "Gehouden sessies per fase",
        "Gehouden sessies per provincie",
        "Feedback van deelnemers",
        "Kosten van de gratis sessies",
        "Omzet uit betaalde trainingen",
    ):
        assert heading in text, heading
    squashed = "".join(text.split())
    for figure in (
        "€2.220,00",
        "€2.686,20",
        "€325,00",
        "teweinigreacties",
        "Provincieszelf",
        FORMULA_NAME.replace(" ", ""),
    ):
        assert figure in squashed, figure
    assert await AuditEntry.filter(action="ministry_report_downloaded", summary__contains="PDF").exists()


# ---------- Pages and access ----------


async def test_the_page_shows_the_chosen_period(client: httpx.AsyncClient) -> None:
    await make_tour()
    await sign_in(client, await make_user(Role.COORDINATOR))
    response = await client.get("/coordinatie/rapportage", params={"jaar": "2026", "kwartaal": "3"})
    assert response.status_code == 200
    page = response.text
    assert "3e kwartaal 2026" in page and "2.686,20" in page
    assert 'href="/coordinatie/rapportage/2026-K3.pdf"' in page
    assert 'href="/coordinatie/rapportage/2026-K3.csv"' in page
    assert page.count("<caption") >= 6
    assert '<label class="field__label" for="field-jaar">' in page
    assert '<option value="3" selected>' in page

    whole = await client.get("/coordinatie/rapportage", params={"jaar": "2026", "kwartaal": ""})
    assert 'href="/coordinatie/rapportage/2026.csv"' in whole.text

    default = await client.get("/coordinatie/rapportage")
    expected = Period.last_complete_quarter(clock.local_today())
    assert f'href="/coordinatie/rapportage/{expected.slug}.pdf"' in default.text

    bad = await client.get("/coordinatie/rapportage", params={"jaar": "twintig", "kwartaal": "9"})
    assert bad.status_code == 400
    assert "Kies een jaar" in bad.text and ".pdf" not in bad.text
    assert not await AuditEntry.filter(action="ministry_report_downloaded").exists()


async def test_an_unknown_period_is_not_found(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    for path in ("/coordinatie/rapportage/2026-K5.pdf", "/coordinatie/rapportage/volgend-jaar.csv"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "Gebruik een jaar" in response.text


async def test_who_may_see_the_report(client: httpx.AsyncClient) -> None:
    paths = (
        "/coordinatie/rapportage",
        "/coordinatie/rapportage/2026.pdf",
        "/coordinatie/rapportage/2026-K1.csv",
    )
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 303
        assert re.match(r"/inloggen\?volgende=", response.headers["location"])
    province = await make_province()
    clerk = await make_user(Role.CLERK, organisation=await billed_organisation(province=province))
    for user in (clerk, await make_user(Role.TRAINER)):
        client.cookies.clear()
        await sign_in(client, user)
        for path in paths:
            assert (await client.get(path)).status_code == 403, (user.role, path)
    client.cookies.clear()
    await sign_in(client, await make_user(Role.FINANCE))
    assert (await client.get(paths[0])).status_code == 200
    assert not await AuditEntry.filter(action="ministry_report_downloaded").exists()
