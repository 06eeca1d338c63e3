"""The main writes run a small, fixed number of SQL statements: each is a round trip under load, so
one more per request costs every request. The mails of a booking do not add a statement per
coordinator; a feedback submission is counted for the rate limit in its own transaction."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bookings.models import (
    Booking,
    BookingStatus,
    OfferingRole,
    PreferredSlot,
    PriceModel,
    Stage,
    TrainerKind,
)
from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback import codes, collect, opening
from feedback.models import FeedbackForm, OfferingForm, Question, QuestionKind, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from reporting.figures import rebuild_figures
from server import clock
from server.errors import RateLimited
from server.mail import OutboxMessage
from server.models import RateLimitHit, Role
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering, make_request, make_trainer
from tests.factories import make_organisation, make_user, post, sign_in
from tests.query_counter import count_queries

#: One of them asks which webhook subscriptions want the event (server.webhooks.record_event), one
#: the recipients' languages (server.languages.recipient_languages, once for all the mails); five
#: keep the organisation's tour figures (reporting.figures: lock the row, three grouped queries,
#: update it).
BOOKING_STATEMENTS = 16
#: With a participant code: the client's wrong codes, the code, the session, the questions, using up
#: the code, the response, the answers (no lock shared by the session's participants any more).
FEEDBACK_STATEMENTS = 8
ACCEPT_STATEMENTS = 9


def booking_form(day: int) -> dict[str, str]:
    return {
        "local_situation": "Bedreigingen na een besluit over een azc.",
        "themes": "online",
        "expected_participants": "20",
        "part_of_day": "evening",
        "location_address": "Raadhuis, Markt 1, Zeist",
        "contact_name": "Petra de Griffier",
        "contact_phone": "06 1234 5678",
        "date_1": (clock.now() + timedelta(days=day)).date().isoformat(),
        "time_1": "19:30",
        "invoice_email": "facturen@zeist.nl",
        "po_number": "",
    }


def three_dates(day: int) -> dict[str, str]:
    """The booking form with three preferred dates, a week apart."""
    form = booking_form(day)
    for position in (2, 3):
        form[f"date_{position}"] = (clock.now() + timedelta(days=day + 7 * position)).date().isoformat()
        form[f"time_{position}"] = "19:30"
    return form


async def submit_booking(
    client: httpx.AsyncClient, url: str, day: int, form: dict[str, str] | None = None
) -> int:
    async with count_queries() as counter:
        response = await post(client, url, form or booking_form(day))
    assert response.status_code == 303, response.text
    return counter.total


async def test_submitting_a_booking_runs_as_many_statements_for_many_coordinators_as_for_one(
    client: httpx.AsyncClient,
) -> None:
    organisation = await make_organisation(name="Zeist")
    await rebuild_figures()  # its row of tour figures, as `weerbaar migrate` leaves it
    clerk = await make_user(Role.CLERK, organisation=organisation)
    offering = await make_offering(
        name="Omgaan met online haat",
        stage=Stage.FOLLOW_UP,
        price_model=PriceModel.PER_SESSION,
        price_cents=90000,
    )
    await make_user(Role.COORDINATOR)
    await sign_in(client, clerk)
    url = f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}"

    with_one = await submit_booking(client, url, 40)
    for _ in range(3):
        await make_user(Role.COORDINATOR)
    with_four = await submit_booking(client, url, 41)

    assert with_one == with_four <= BOOKING_STATEMENTS
    assert await OutboxMessage.filter(to_address=clerk.email).count() == 2
    assert await OutboxMessage.all().count() == 2 + 1 + 4

    with_three_dates = await submit_booking(client, url, 42, three_dates(42))
    assert with_three_dates == with_one
    booking = await Booking.filter(organisation=organisation).order_by("-id").first()
    assert booking is not None
    slots = PreferredSlot.filter(booking=booking).order_by("position")
    assert await slots.values_list("position", flat=True) == [1, 2, 3]


async def open_session() -> tuple[SessionFeedback, Question]:
    offering = await make_offering()
    form = await FeedbackForm.create(name="Raadsbrede sessie")
    question = await Question.create(
        form=form, position=1, kind=QuestionKind.GRADE, text="Welk cijfer?", is_required=True, options=[]
    )
    await OfferingForm.create(offering=offering, form=form)
    booking = await make_booking(
        offering=offering, starts_at=clock.now() - timedelta(hours=1), status=BookingStatus.DELIVERED
    )
    session = await opening.open_feedback(booking, FeedbackPolicy())
    assert session is not None
    return session, question


async def test_submitting_feedback_runs_a_fixed_number_of_statements(
    client: httpx.AsyncClient,
) -> None:
    session, question = await open_session()
    code = (await codes.unused(session))[0]

    async with count_queries() as counter:
        response = await post(client, f"/f/{code}", {f"q{question.id}": "8"})
    assert response.status_code == 303
    assert counter.total <= FEEDBACK_STATEMENTS, counter.statements
    assert await Response.filter(session=session).count() == 1


async def test_accepting_a_request_runs_a_fixed_number_of_statements(client: httpx.AsyncClient) -> None:
    offering = await make_offering(duration_minutes=180)
    await OfferingRole.create(offering=offering, kind=TrainerKind.TRAINER, min_count=2, max_count=2)
    booking = await make_booking(
        offering=offering, status=BookingStatus.SCHEDULED, starts_at=clock.now() + timedelta(days=30)
    )
    trainer = await make_trainer()
    request = await make_request(booking, trainer, TrainerKind.TRAINER)
    await sign_in(client, trainer)

    async with count_queries() as counter:
        response = await post(client, f"/trainer/verzoeken/{request.id}", {"action": "accept", "reason": ""})
    assert response.status_code == 303
    assert counter.total <= ACCEPT_STATEMENTS, counter.statements
    assert (await AssignmentRequest.get(id=request.id)).status is RequestStatus.ACCEPTED


async def test_an_open_link_submission_is_counted_once_and_one_over_the_limit_stores_nothing(
    settings: Settings,
) -> None:
    session, question = await open_session()
    session.is_open_link = True
    await session.save(update_fields=["is_open_link"])
    key = "feedback-open:192.0.2.1"
    answers = {f"q{question.id}": ["8"]}

    await collect.submit(session.code, None, answers, settings=settings, client="192.0.2.1")
    assert await RateLimitHit.filter(key=key).count() == 1

    limit = FeedbackPolicy().open_link_limit
    await RateLimitHit.bulk_create([RateLimitHit(key=key, created_at=clock.now()) for _ in range(limit - 1)])
    with pytest.raises(RateLimited):
        await collect.submit(session.code, None, answers, settings=settings, client="192.0.2.1")
    assert await Response.filter(session=session).count() == 1
    assert await RateLimitHit.filter(key=key).count() == limit
