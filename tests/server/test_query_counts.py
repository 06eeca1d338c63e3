"""The number of SQL statements a page runs does not grow with the rows it shows (no N+1 queries)."""

from __future__ import annotations

import secrets
from collections import Counter as CountOf
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from tortoise.transactions import in_transaction

from bookings.feeds import feed_for
from bookings.models import (
    Booking,
    BookingStatus,
    Offering,
    OfferingRole,
    PreferredSlot,
    PriceModel,
    Stage,
    TourInvitation,
    TrainerKind,
    VatTreatment,
)
from bookings.staffing_models import BlockedPeriod, RequestStatus, TrainerProfile
from feedback.models import (
    Answer,
    ContactRequest,
    FeedbackForm,
    OfferingForm,
    Question,
    QuestionKind,
    Response,
    SessionFeedback,
)
from feedback.policy import FeedbackPolicy
from invoicing.document import VatCategory
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from server import clock
from server.app import create_app
from server.audit import record
from server.mail import OutboxMessage
from server.models import Organisation, OrganisationKind, Role, User
from server.sessions import SESSION_COOKIE, start_session
from tests.bookings.factories import make_booking, make_offering, make_request, make_trainer
from tests.conftest import make_settings
from tests.databases import empty_all_tables
from tests.factories import make_organisation, make_province, make_user
from tests.query_counter import count_queries


async def test_the_counter_counts_each_insert_and_select() -> None:
    async with count_queries() as counter:
        for number in range(5):
            await Organisation.create(kind=OrganisationKind.PROVINCE, cbs_code=f"PV9{number:03d}", name="P")
        assert await Organisation.all().count() == 5
    assert counter.total == 6, counter.statements
    assert all("INSERT" in statement for statement in counter.statements[:5])


async def test_the_counter_counts_statements_inside_transactions_and_batches() -> None:
    with count_queries() as counter:
        async with in_transaction():
            await Organisation.create(kind=OrganisationKind.PROVINCE, cbs_code="PV9100", name="P")
            async with in_transaction():
                await Organisation.filter(cbs_code="PV9100").update(name="Q")
        codes = ["PV9201", "PV9202", "PV9203"]
        await Organisation.bulk_create(
            [Organisation(kind=OrganisationKind.PROVINCE, cbs_code=c, name="R") for c in codes]
        )
    assert counter.total == 3, counter.statements


async def test_the_counter_stops_counting_after_the_block() -> None:
    async with count_queries() as counter:
        await Organisation.all().count()
    await Organisation.all().count()
    assert counter.total == 1


@dataclass
class World:
    """The fixed actors and the objects the pages focus on; `grow` adds rows around them."""

    users: dict[str, User]
    organisation: Organisation
    province: Organisation
    offering: Offering
    booking: Booking
    planned: Booking
    session: SessionFeedback
    questions: list[Question]
    invoice: Invoice
    feeds: dict[str, str]
    rows: int = 0

    def url(self, template: str) -> str:
        return template.format(
            org=self.organisation.cbs_code,
            offering=self.offering.id,
            booking=self.booking.reference,
            planned=self.planned.reference,
            form=self.session.form_id,  # type: ignore[attr-defined]
            code=self.session.code,
            invoice=self.invoice.id,
            trainer=self.users["trainer"].id,
            **{f"feed_{role}": token for role, token in self.feeds.items()},
        )


QUESTIONS = (
    (QuestionKind.SCALE, ["niet", "zeer"]),
    (QuestionKind.GRADE, []),
    (QuestionKind.SINGLE, ["ja", "nee"]),
    (QuestionKind.MULTIPLE, ["a", "b", "c"]),
    (QuestionKind.TEXT, []),
)
STATUSES = list(BookingStatus)
REQUEST_STATUSES = (RequestStatus.PENDING, RequestStatus.ACCEPTED, RequestStatus.DECLINED)


async def make_world() -> World:
    province = await make_province()
    organisation = await make_organisation(province=province)
    users = {
        "coordinator": await make_user(Role.COORDINATOR),
        "clerk": await make_user(Role.CLERK, organisation=organisation),
        "trainer": await make_trainer(provinces=[province], specialties=["online haat"]),
        "finance": await make_user(Role.FINANCE),
    }
    offering = await make_offering(
        name="Omgaan met online haat",
        stage=Stage.FOLLOW_UP,
        price_model=PriceModel.PER_SESSION,
        price_cents=120000,
        vat_treatment=VatTreatment.STANDARD,
    )
    await OfferingRole.create(offering=offering, kind=TrainerKind.TRAINER)
    await OfferingRole.create(offering=offering, kind=TrainerKind.MODERATOR)
    form = await FeedbackForm.create(name="Training")
    await OfferingForm.create(offering=offering, form=form)
    questions = [
        await Question.create(
            form=form,
            position=position,
            kind=kind,
            text=f"Vraag {position}",
            options=options,
            marks_follow_up_interest=kind is QuestionKind.SINGLE,
        )
        for position, (kind, options) in enumerate(QUESTIONS, start=1)
    ]
    started = clock.now() - timedelta(days=1)
    booking = await make_booking(
        organisation=organisation, offering=offering, status=BookingStatus.DELIVERED, starts_at=started
    )
    await make_request(booking, users["trainer"], TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    planned = await make_booking(
        organisation=organisation,
        offering=offering,
        status=BookingStatus.SCHEDULED,
        starts_at=clock.now() + timedelta(days=40),
    )
    # Its form has closed (results show only then); the open link admits the form page's visitor.
    session = await SessionFeedback.create(
        booking=booking,
        form=form,
        code="QRYCNT",
        opens_at=started,
        closes_at=clock.now() - timedelta(minutes=1),
        is_open_link=True,
    )
    invoice = await Invoice.create(
        organisation=organisation, booking=booking, status=InvoiceStatus.ISSUED, number="2026-0001"
    )
    feeds = {role: (await feed_for(users[role])).token for role in ("coordinator", "clerk", "trainer")}
    world = World(
        users, organisation, province, offering, booking, planned, session, questions, invoice, feeds
    )
    for _ in range(FeedbackPolicy().open_answers_threshold):  # results show everything, to everyone
        await add_response(session, questions)
    return world


async def add_response(session: SessionFeedback, questions: list[Question]) -> None:
    """Answers to every question: a text, the first option (which marks follow-up interest) or a 1."""
    response = await Response.create(session=session, token_hash=secrets.token_hex(32))
    for question in questions:
        if question.kind is QuestionKind.TEXT:
            await Answer.create(response=response, question=question, text="Leerzaam")
        else:
            await Answer.create(
                response=response, question=question, number=0 if question.kind is QuestionKind.SINGLE else 1
            )


async def grow(world: World, rows: int) -> None:
    """Add `rows` of everything the pages list: organisations and their clerks, offerings, trainers,
    bookings with requests and invoices, questions, responses, contact requests, audit entries, mail."""
    for number in range(world.rows, world.rows + rows):
        organisation = await make_organisation(province=world.province if number % 2 else None)
        clerk = await make_user(Role.CLERK, organisation=organisation)
        await make_user(Role.CLERK, organisation=world.organisation)
        await TourInvitation.create(organisation=organisation, invited_by=world.users["coordinator"])
        colleague = await add_trainer(world, number)
        starts_at = clock.now() + timedelta(days=number - 15)
        offering = await make_offering(name=f"Training {number}", stage=Stage.FOLLOW_UP)
        await OfferingRole.create(offering=offering, kind=TrainerKind.MODERATOR)
        for owner, requested_by in ((world.organisation, world.users["clerk"]), (organisation, clerk)):
            booking = await make_booking(
                organisation=owner,
                offering=world.offering if number % 2 else offering,
                status=STATUSES[number % len(STATUSES)],
                starts_at=starts_at,
                requested_by=requested_by,
            )
            await PreferredSlot.create(booking=booking, position=1, starts_at=starts_at)
            await make_request(
                booking, world.users["trainer"], TrainerKind.TRAINER, REQUEST_STATUSES[number % 3]
            )
            await make_request(booking, colleague, TrainerKind.MODERATOR)
            await record(world.users["coordinator"], "booking_scheduled", booking)
            await add_invoice(booking, issued=bool(number % 2))
        await add_feedback(world, number, booking)
        await record(world.users["coordinator"], "booking_scheduled", world.booking)
        await record(clerk, "login")
        await OutboxMessage.create(
            to_address=clerk.email,
            subject="Bevestiging",
            body_text="t",
            body_html="h",
            next_attempt_at=clock.now(),
            message_id=f"<qc{number}@weerbaar>",
        )
    world.rows += rows


async def add_trainer(world: World, number: int) -> User:
    """A colleague of the focus trainer on both focus bookings, and a blocked period of the focus trainer."""
    colleague = await make_trainer(
        (TrainerKind.MODERATOR, TrainerKind.TRAINER)[number % 2],
        provinces=[world.province],
        specialties=[f"thema {number}"],
    )
    await make_request(world.booking, colleague, TrainerKind.MODERATOR, RequestStatus.ACCEPTED)
    await make_request(world.planned, colleague, TrainerKind.MODERATOR)
    first_day = date(2031, 1, 1) + timedelta(days=number * 3)
    profile = await TrainerProfile.get(user=world.users["trainer"])
    await BlockedPeriod.create(profile=profile, first_day=first_day, last_day=first_day + timedelta(days=1))
    return colleague


async def add_invoice(booking: Booking, *, issued: bool) -> None:
    invoice = await Invoice.create(
        organisation_id=booking.organisation_id,  # type: ignore[attr-defined]
        booking=booking,
        status=InvoiceStatus.ISSUED if issued else InvoiceStatus.DRAFT,
        number=f"2027-{booking.id:05d}" if issued else None,
        issue_date=clock.now().date() if issued else None,
    )
    await add_line(invoice)


async def add_line(invoice: Invoice) -> None:
    await InvoiceLine.create(
        invoice=invoice,
        position=await InvoiceLine.filter(invoice=invoice).count() + 1,
        description="Training",
        unit_price_cents=120000,
        vat_category=VatCategory.STANDARD,
        vat_percent=21,
    )


async def add_feedback(world: World, number: int, booking: Booking) -> None:
    """A question on the focus form, another form, a session for `booking`, responses, contact requests."""
    kind, options = QUESTIONS[number % len(QUESTIONS)]
    position = len(world.questions) + 1
    form = world.session.form
    world.questions.append(
        await Question.create(
            form=form, position=position, kind=kind, text=f"Vraag {position}", options=options
        )
    )
    other_form = await FeedbackForm.create(name=f"Formulier {number}")
    await Question.create(form=other_form, position=1, kind=kind, text="Vraag", options=options)
    session = await SessionFeedback.create(
        booking=booking,
        form=form,
        code=f"QC{number:04d}",
        opens_at=booking.starts_at,
        closes_at=booking.starts_at + timedelta(days=14),
    )
    await add_response(session, world.questions[: len(QUESTIONS)])
    await add_response(world.session, world.questions)
    await ContactRequest.create(session=session, email=f"deelnemer{number}@example.org")
    await ContactRequest.create(session=world.session, email=f"raadslid{number}@example.org")
    await add_line(world.invoice)


#: Each page by name: who asks for it, and its URL with the placeholders of `World.url`.
PAGES = {
    "home-anonymous": ("anonymous", "/"),
    "home-coordinator": ("coordinator", "/"),
    "home-clerk": ("clerk", "/"),
    "home-trainer": ("trainer", "/"),
    "home-finance": ("finance", "/"),
    "organisation": ("clerk", "/organisaties/{org}"),
    "organisation-coordinator": ("coordinator", "/organisaties/{org}"),
    "organisation-bookings": ("clerk", "/organisaties/{org}/boekingen"),
    "organisation-bookings-coordinator": ("coordinator", "/organisaties/{org}/boekingen"),
    "catalogue": ("clerk", "/organisaties/{org}/boeken"),
    "booking-form": ("clerk", "/organisaties/{org}/boeken/{offering}"),
    "booking-clerk": ("clerk", "/boekingen/{booking}"),
    "booking-coordinator": ("coordinator", "/boekingen/{booking}"),
    "booking-staffing": ("coordinator", "/boekingen/{planned}/trainers"),
    "cancel-form": ("clerk", "/boekingen/{planned}/annuleren"),
    "bookings-board": ("coordinator", "/boekingen"),
    "offerings": ("coordinator", "/aanbod"),
    "offering": ("coordinator", "/aanbod/{offering}"),
    "tour": ("coordinator", "/tour"),
    "organisations": ("coordinator", "/organisaties"),
    "trainers": ("coordinator", "/trainers"),
    "trainer-profile": ("coordinator", "/trainers/{trainer}"),
    "trainer-requests": ("trainer", "/trainer"),
    "trainer-session": ("trainer", "/trainer/sessies/{booking}"),
    "trainer-availability": ("trainer", "/trainer/beschikbaarheid"),
    "feedback-form": ("anonymous", "/f/{code}"),
    "feedback-results-coordinator": ("coordinator", "/feedback/sessies/{booking}"),
    "feedback-results-clerk": ("clerk", "/feedback/sessies/{booking}"),
    "feedback-results-trainer": ("trainer", "/feedback/sessies/{booking}"),
    "feedback-overview": ("coordinator", "/feedback"),
    "feedback-results-csv": ("coordinator", "/feedback/sessies/{booking}/resultaten.csv"),
    "feedback-report-pdf": ("coordinator", "/feedback/sessies/{booking}/rapport.pdf"),
    "feedback-export-csv": ("coordinator", "/feedback/export.csv?van=2020-01-01&tot=2040-12-31"),
    "feedback-forms": ("coordinator", "/feedbackformulieren"),
    "feedback-form-editor": ("coordinator", "/feedbackformulieren/{form}"),
    "invoices": ("finance", "/financien"),
    "invoice": ("finance", "/financien/facturen/{invoice}"),
    "organisation-invoices": ("clerk", "/organisaties/{org}/facturen"),
    "free-session-costs": ("finance", "/financien/kosten"),
    "audit-log": ("coordinator", "/beheer/audit"),
    "outbox": ("coordinator", "/beheer/mail"),
    "development-mail": ("anonymous", "/dev/mail"),
    "users": ("coordinator", "/beheer/gebruikers"),
    "calendar-page": ("coordinator", "/agenda"),
    "calendar-feed-coordinator": ("coordinator", "/agenda/{feed_coordinator}.ics"),
    "calendar-feed-clerk": ("clerk", "/agenda/{feed_clerk}.ics"),
    "calendar-feed-trainer": ("trainer", "/agenda/{feed_trainer}.ics"),
}


@dataclass
class Visit:
    status_code: int
    statements: list[str]


async def visit(client: httpx.AsyncClient, session_key: str | None, url: str) -> Visit:
    client.cookies.clear()
    if session_key:
        client.cookies.set(SESSION_COOKIE, session_key)
    await client.get(url)  # the first request may do one-off work (a session's first touch, a new feed)
    async with count_queries() as counter:
        response = await client.get(url)
    return Visit(response.status_code, counter.statements)


@pytest.fixture(scope="module")
async def visits(database_url: str) -> dict[str, tuple[Visit, Visit]]:
    """Each page visited with 3 rows of everything and again with 30. One world serves every page:
    building it per page takes minutes on PostgreSQL."""
    await empty_all_tables(database_url)
    world = await make_world()
    keys = {actor: await start_session(user, second_factor_done=True) for actor, user in world.users.items()}
    app = create_app(make_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await grow(world, 3)
            few = {
                name: await visit(client, keys.get(actor), world.url(url))
                for name, (actor, url) in PAGES.items()
            }
            await grow(world, 27)
            many = {
                name: await visit(client, keys.get(actor), world.url(url))
                for name, (actor, url) in PAGES.items()
            }
    return {name: (few[name], many[name]) for name in PAGES}


@pytest.mark.parametrize("page", PAGES)
def test_a_page_runs_as_many_queries_for_many_rows_as_for_few(
    visits: dict[str, tuple[Visit, Visit]], page: str
) -> None:
    few, many = visits[page]
    assert few.status_code == many.status_code == 200, (few.status_code, many.status_code)
    repeated = CountOf(many.statements) - CountOf(few.statements)
    assert len(many.statements) == len(few.statements), (
        f"{len(few.statements)} statements for 3 rows, {len(many.statements)} for 30; more often: {repeated}"
    )
