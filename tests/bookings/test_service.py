"""The booking rules and the life of a booking, at the service level."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from tortoise import timezone
from tortoise.exceptions import IntegrityError

from bookings import lifecycle, pricing, service
from bookings.errors import BookingRuleBroken, IllegalTransition
from bookings.forms import BookingDraft, local_datetime, parse_booking_form
from bookings.models import (
    Booking,
    BookingStatus,
    CalendarInvitation,
    FreeSessionException,
    PartOfDay,
    PreferredSlot,
    PriceModel,
    Stage,
    TourInvitation,
    VatTreatment,
)
from bookings.policy import BookingPolicy
from server.errors import NotFound, ValidationFailed
from server.mail import OutboxAttachment, OutboxMessage
from server.models import AuditEntry, Organisation, Role, User
from server.settings import Settings
from server.templating import format_local_datetime
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation, make_user

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=local_datetime("2026-11-24", "10:00").tzinfo)


def draft(offering_id: int, *days_ahead: int, **overrides: object) -> BookingDraft:
    values: dict[str, object] = {
        "offering_id": offering_id,
        "local_situation": "Raadsleden worden online bedreigd.",
        "themes": ["online"],
        "expected_participants": 30,
        "part_of_day": PartOfDay.EVENING,
        "location_address": "Raadhuis, Markt 1, Zeist",
        "special_needs": "",
        "contact_name": "Petra",
        "contact_phone": "06 1234 5678",
        "po_number": "",
        "invoice_email": "facturen@zeist.nl",
        "preferred": {
            n: NOW + timedelta(days=d, hours=9) for n, d in enumerate(days_ahead or (30,), start=1)
        },
    }
    values.update(overrides)
    return BookingDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
async def clerk() -> User:
    return await make_user(Role.CLERK, email="griffier@zeist.nl")


@pytest.fixture
async def coordinator() -> User:
    return await make_user(Role.COORDINATOR, email="coordinator@team.nl")


async def book(clerk: User, settings: Settings, offering_id: int, *days: int, **overrides: object) -> Booking:
    organisation = await Organisation.get(id=clerk.organisation_id)
    return await service.create_booking(
        organisation, draft(offering_id, *days, **overrides), actor=clerk, settings=settings, now=NOW
    )


async def test_a_clerk_books_and_everyone_concerned_hears_of_it(
    clerk: User, coordinator: User, settings: Settings
) -> None:
    offering = await make_offering(
        price_model=PriceModel.PER_PARTICIPANT,
        price_cents=18500,
        vat_treatment=VatTreatment.STANDARD,
        stage=Stage.FOLLOW_UP,
    )
    invitation = await TourInvitation.create(organisation_id=clerk.organisation_id, recipients=1)
    booking = await book(clerk, settings, offering.id, 30, 37, po_number="PO-1")

    assert booking.status is BookingStatus.REQUESTED and booking.reference.startswith("WB-")
    assert (booking.unit_price_cents, booking.vat_treatment) == (18500, VatTreatment.STANDARD)
    assert await PreferredSlot.filter(booking=booking).count() == 2
    price = pricing.booking_price(booking)
    assert (price.net_cents, price.vat_cents, price.gross_cents) == (555000, 116550, 671550)
    assert [m.to_address for m in await OutboxMessage.all().order_by("id")] == [
        "griffier@zeist.nl",
        "coordinator@team.nl",
    ]
    assert booking.reference in (await OutboxMessage.get(to_address="griffier@zeist.nl")).subject
    # Both mails list the preferred dates, in order.
    dates = [
        format_local_datetime(NOW + timedelta(days=d, hours=9), "EEEE d MMMM y 'om' HH:mm") for d in (30, 37)
    ]
    for message in await OutboxMessage.all():
        assert f"- {dates[0]}\n- {dates[1]}" in message.body_text
        assert f"{dates[0]}<br>{dates[1]}" in message.body_html
    assert (await TourInvitation.get(id=invitation.id)).booked_at is not None
    assert await AuditEntry.filter(action="booking_requested", object_id=str(booking.id)).exists()


async def test_a_clerk_books_only_for_their_own_organisation(clerk: User, settings: Settings) -> None:
    other = await make_organisation()
    offering = await make_offering()
    with pytest.raises(NotFound):
        await service.create_booking(other, draft(offering.id), actor=clerk, settings=settings, now=NOW)
    assert await Booking.all().count() == 0


async def test_an_offering_handed_in_is_used_only_when_it_is_the_drafts_and_active(
    clerk: User, settings: Settings
) -> None:
    organisation = await Organisation.get(id=clerk.organisation_id)
    wanted, other = await make_offering(name="Gewenst"), await make_offering(name="Ander")
    booking = await service.create_booking(
        organisation, draft(wanted.id), actor=clerk, settings=settings, now=NOW, offering=other
    )
    assert booking.offering_id == wanted.id  # type: ignore[attr-defined]
    wanted.is_active = False
    await wanted.save()
    with pytest.raises(ValidationFailed):
        await service.create_booking(
            organisation, draft(wanted.id), actor=clerk, settings=settings, now=NOW, offering=wanted
        )


@pytest.mark.parametrize(
    ("stage", "too_soon", "soon_enough"), [(Stage.INTAKE, 6, 8), (Stage.FOLLOW_UP, 20, 22)]
)
async def test_dates_keep_the_lead_time(
    clerk: User, settings: Settings, stage: Stage, too_soon: int, soon_enough: int
) -> None:
    offering = await make_offering(stage=stage, price_model=PriceModel.PER_SESSION, price_cents=1000)
    with pytest.raises(ValidationFailed) as caught:
        await book(clerk, settings, offering.id, soon_enough, too_soon)
    assert set(caught.value.errors) == {"date_2"}
    await book(clerk, settings, offering.id, soon_enough)


async def test_participants_and_invoice_address_are_checked(clerk: User, settings: Settings) -> None:
    offering = await make_offering(max_participants=10, price_model=PriceModel.PER_SESSION, price_cents=5000)
    with pytest.raises(ValidationFailed) as caught:
        await book(clerk, settings, offering.id, expected_participants=11, invoice_email="")
    assert set(caught.value.errors) == {"expected_participants", "invoice_email"}


async def test_one_free_council_session_per_term_unless_an_exception_is_granted(
    clerk: User, coordinator: User, settings: Settings
) -> None:
    session = await make_offering()  # free council-wide session
    organisation = await Organisation.get(id=clerk.organisation_id)
    first = await book(clerk, settings, session.id, 30)
    with pytest.raises(BookingRuleBroken) as caught:
        await book(clerk, settings, session.id, 60)
    assert caught.value.field == "offering"

    await service.grant_free_session_exception(
        organisation, "Nieuwe raad na herindeling", actor=coordinator, settings=settings, now=NOW
    )
    second = await book(clerk, settings, session.id, 60)
    assert (await FreeSessionException.get(organisation=organisation)).used_by_id == second.id
    with pytest.raises(BookingRuleBroken):
        await book(clerk, settings, session.id, 90)

    await lifecycle.cancel_booking(first.id, "Toch niet", actor=clerk, settings=settings, now=NOW)
    await book(clerk, settings, session.id, 90)  # a cancelled one does not count
    next_term = (date(2030, 4, 1) - NOW.date()).days
    term_settings = replace(settings, municipal_terms=("2022-03-30", "2026-04-01", "2030-03-28"))
    await book(clerk, term_settings, session.id, next_term)


async def test_concurrent_bookings_of_the_free_session_let_one_through(
    clerk: User, settings: Settings, db_kind: str
) -> None:
    session = await make_offering()
    organisation = await Organisation.get(id=clerk.organisation_id)
    colleagues = [clerk] + [await make_user(Role.CLERK, organisation=organisation) for _ in range(7)]
    results = await asyncio.gather(
        *(book(colleague, settings, session.id, 30) for colleague in colleagues), return_exceptions=True
    )
    assert sum(isinstance(r, Booking) for r in results) == 1, results
    assert all(isinstance(r, BookingRuleBroken) for r in results if not isinstance(r, Booking))


async def test_the_life_of_a_booking(clerk: User, coordinator: User, settings: Settings) -> None:
    offering = await make_offering(duration_minutes=180)
    booking = await book(clerk, settings, offering.id, 30)
    starts = NOW + timedelta(days=40, hours=9)

    with pytest.raises(IllegalTransition):
        await lifecycle.confirm_booking(booking.id, actor=coordinator, settings=settings)
    booking = await lifecycle.schedule_booking(
        booking.id, starts, actor=coordinator, settings=settings, now=NOW
    )
    assert booking.status is BookingStatus.SCHEDULED and booking.ends_at == starts + timedelta(hours=3)
    with pytest.raises(IllegalTransition):
        await lifecycle.schedule_booking(booking.id, starts, actor=coordinator, settings=settings, now=NOW)

    await OutboxMessage.all().delete()
    booking = await lifecycle.confirm_booking(booking.id, actor=coordinator, settings=settings)
    assert booking.status is BookingStatus.CONFIRMED
    invite = await invite_sent_to("griffier@zeist.nl")
    assert invite["METHOD"] == "REQUEST"
    first_event = invite.walk("VEVENT")[0]

    moved = starts + timedelta(days=7)
    booking = await lifecycle.reschedule_booking(booking.id, moved, actor=clerk, settings=settings, now=NOW)
    assert booking.status is BookingStatus.SCHEDULED and booking.calendar_sequence == 1
    update = (await invite_sent_to("griffier@zeist.nl")).walk("VEVENT")[0]
    assert update["UID"] == first_event["UID"] and int(update["SEQUENCE"]) == 1
    assert update.decoded("DTSTART") == moved

    with pytest.raises(BookingRuleBroken):  # a clerk keeps the lead time when moving
        await lifecycle.reschedule_booking(
            booking.id, NOW + timedelta(days=3), actor=clerk, settings=settings, now=NOW
        )
    await lifecycle.confirm_booking(booking.id, actor=coordinator, settings=settings)
    with pytest.raises(IllegalTransition):  # not before it started
        await lifecycle.mark_delivered(booking.id, 30, actor=coordinator, now=NOW)
    booking = await lifecycle.mark_delivered(
        booking.id, 28, actor=coordinator, now=moved + timedelta(hours=4)
    )
    assert booking.status is BookingStatus.DELIVERED and booking.participants_count == 28
    with pytest.raises(IllegalTransition):
        await lifecycle.cancel_booking(booking.id, "te laat", actor=clerk, settings=settings, now=NOW)
    booking = await lifecycle.close_booking(booking.id, actor=coordinator)
    assert booking.status is BookingStatus.CLOSED
    actions = (
        await AuditEntry.filter(object_id=str(booking.id), object_type="Booking")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "booking_requested",
        "booking_scheduled",
        "booking_confirmed",
        "booking_rescheduled",
        "booking_confirmed",
        "booking_delivered",
        "booking_closed",
    ]


async def invite_sent_to(address: str) -> Calendar:
    message = await OutboxMessage.filter(to_address=address).order_by("-id").first()
    attachment = await OutboxAttachment.get(message=message)
    assert attachment.content_type.startswith("text/calendar")
    return Calendar.from_ical(bytes(attachment.content))


@pytest.mark.parametrize(("days_before", "percent"), [(20, 0), (14, 50), (10, 50), (2, 100), (1, 100)])
async def test_cancelling_a_paid_training_costs_what_the_policy_says(
    clerk: User, settings: Settings, days_before: int, percent: int
) -> None:
    offering = await make_offering(
        stage=Stage.FOLLOW_UP,
        price_model=PriceModel.PER_SESSION,
        price_cents=200000,
        vat_treatment=VatTreatment.STANDARD,
    )
    starts = NOW + timedelta(days=60)
    booking = await make_booking(
        organisation_id=clerk.organisation_id,
        offering=offering,
        status=BookingStatus.CONFIRMED,
        starts_at=starts,
        requested_by=clerk,
    )
    # Confirmed earlier: the clerk's calendar holds the session.
    await CalendarInvitation.create(booking=booking, address="griffier@zeist.nl", sequence=0, sent_at=NOW)
    with pytest.raises(BookingRuleBroken):  # a clerk gives a reason
        await lifecycle.cancel_booking(booking.id, " ", actor=clerk, settings=settings, now=starts)
    cancelled = await lifecycle.cancel_booking(
        booking.id,
        "Raadsvergadering verplaatst",
        actor=clerk,
        settings=settings,
        now=starts - timedelta(days=days_before),
    )
    assert cancelled.status is BookingStatus.CANCELLED
    assert cancelled.cancellation_fee_cents == 200000 * percent // 100
    invite = await invite_sent_to("griffier@zeist.nl")
    assert invite["METHOD"] == "CANCEL" and int(invite.walk("VEVENT")[0]["SEQUENCE"]) == 1


def test_the_cancellation_policy_steps() -> None:
    policy = BookingPolicy()
    starts = NOW + timedelta(days=30)
    assert policy.cancellation_percent(starts, starts - timedelta(days=15)) == 0
    assert policy.cancellation_percent(starts, starts - timedelta(days=14)) == 50
    assert policy.cancellation_percent(starts, starts - timedelta(days=2)) == 100
    assert policy.cancellation_percent(None, NOW) == 0


async def test_only_coordinators_record_intake_outcomes(clerk: User, coordinator: User) -> None:
    intake = await make_booking(offering=await make_offering(stage=Stage.INTAKE))
    session = await make_booking()
    with pytest.raises(Exception) as caught:
        await lifecycle.record_intake_outcome(intake.id, "x", "y", actor=clerk)
    assert caught.value.status_code == 403
    with pytest.raises(IllegalTransition):
        await lifecycle.record_intake_outcome(session.id, "x", "y", actor=coordinator)
    saved = await lifecycle.record_intake_outcome(
        intake.id, " Vertrouwelijk ", "Raadsbrede sessie", actor=coordinator
    )
    assert (saved.outcome_notes, saved.next_step) == ("Vertrouwelijk", "Raadsbrede sessie")


async def test_the_purchase_order_can_follow_later(clerk: User) -> None:
    finance = await make_user(Role.FINANCE)
    paid = await make_offering(price_model=PriceModel.PER_SESSION, price_cents=100000)
    booking = await make_booking(organisation_id=clerk.organisation_id, offering=paid)
    with pytest.raises(ValidationFailed):
        await lifecycle.update_purchase_order(booking.id, "PO-9", "geen-adres", actor=clerk)
    updated = await lifecycle.update_purchase_order(booking.id, " PO-9 ", "Facturen@Zeist.nl", actor=finance)
    assert (updated.po_number, updated.invoice_email) == ("PO-9", "facturen@zeist.nl")
    other_clerk = await make_user(Role.CLERK)
    with pytest.raises(NotFound):
        await lifecycle.update_purchase_order(booking.id, "PO-10", "a@b.nl", actor=other_clerk)


def test_the_form_parser_names_each_wrong_field() -> None:
    values = {
        "offering": "3",
        "local_situation": "",
        "expected_participants": "nul",
        "part_of_day": "nacht",
        "location_address": "Markt 1",
        "contact_name": "P",
        "contact_phone": "06",
        "date_1": "2027-02-30",
        "time_1": "19:00",
        "date_2": "2027-03-01",
        "time_2": "23:30",
    }
    parsed, errors = parse_booking_form(values, ["onbekend"])
    assert parsed is None
    assert set(errors) == {
        "local_situation",
        "expected_participants",
        "part_of_day",
        "themes",
        "date_1",
        "time_2",
        "contact_phone",
    }
    good = {
        **values,
        "contact_phone": "06 1234 5678",
        "local_situation": "x",
        "expected_participants": "30",
        "part_of_day": "evening",
        "date_1": "2027-03-01",
        "time_2": "19:30",
        "date_2": "2027-03-08",
    }
    parsed, errors = parse_booking_form(good, ["online"])
    assert errors == {} and parsed is not None
    assert parsed.contact_phone == "+31 6 12345678"
    assert parsed.preferred[1] == local_datetime("2027-03-01", "19:00")
    assert parsed.preferred[1].utcoffset() == timedelta(hours=1)  # winter time in Amsterdam
    assert timezone.is_aware(parsed.preferred[1])


async def test_a_reference_already_taken_is_drawn_again_and_nothing_is_stored_twice(
    clerk: User, coordinator: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    offering = await make_offering(name="Omgaan met online haat", stage=Stage.FOLLOW_UP)
    first = await book(clerk, settings, offering.id, 30)
    mails_before = await OutboxMessage.all().count()
    references = iter([first.reference, "WB-KLMNPQ"])
    monkeypatch.setattr(service, "_new_reference", lambda: next(references))

    second = await book(clerk, settings, offering.id, 33)  # 31 days on is Christmas

    assert second.reference == "WB-KLMNPQ"
    assert await Booking.all().count() == 2
    assert await PreferredSlot.filter(booking=second).count() == 1
    assert await AuditEntry.filter(action="booking_requested").count() == 2
    assert await OutboxMessage.all().count() - mails_before == 2  # the clerk and the coordinator, once


async def test_another_clash_than_the_reference_is_not_retried(
    clerk: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    offering = await make_offering(name="Omgaan met online haat", stage=Stage.FOLLOW_UP)
    await book(clerk, settings, offering.id, 30)
    drawn: list[str] = []

    def new_reference() -> str:
        drawn.append("WB-KLMNP" + "QRTUVW"[len(drawn)])
        return drawn[-1]

    async def clash(*args: object, **kwargs: object) -> None:
        raise IntegrityError("UNIQUE constraint failed: tour_invitation.booking_id")

    monkeypatch.setattr(service, "_new_reference", new_reference)
    monkeypatch.setattr(service, "record", clash)

    with pytest.raises(IntegrityError):
        await book(clerk, settings, offering.id, 33)
    assert len(drawn) == 1
    assert await Booking.all().count() == 1
