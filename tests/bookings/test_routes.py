"""Booking pages over HTTP: booking as a clerk, the steps on the booking page, the board, the
catalogue, the tour invitations and the quote."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import httpx
from pypdf import PdfReader

from bookings.models import (
    Booking,
    BookingStatus,
    Offering,
    PreferredSlot,
    PriceModel,
    Stage,
    TourInvitation,
    VatTreatment,
)
from bookings.public_holidays import first_day_without_holiday
from server import clock
from server.clock import Clock
from server.mail import OutboxMessage
from server.models import Organisation, Role
from server.templating import format_local_datetime
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation, make_user, post, sign_in


def days_ahead(days: int) -> str:
    """The day this many days ahead, or the first day after it that is no public holiday (refused)."""
    return first_day_without_holiday(clock.local_today() + timedelta(days=days)).isoformat()


def booking_form(**overrides: str) -> dict[str, str]:
    values = {
        "local_situation": "Bedreigingen na een besluit over een azc.",
        "expected_participants": "35",
        "part_of_day": "evening",
        "location_address": "Raadhuis, Markt 1, Zeist",
        "special_needs": "Rolstoeltoegankelijk graag",
        "contact_name": "Petra de Griffier",
        "contact_phone": "06 1234 5678",
        "date_1": days_ahead(40),
        "time_1": "19:30",
        "invoice_email": "facturen@zeist.nl",
        "po_number": "",
    }
    values.update(overrides)
    return values


async def test_a_clerk_books_the_free_session_and_sees_it(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation(name="Zeist")
    clerk = await make_user(Role.CLERK, organisation=organisation)
    session = await make_offering(name="Omgaan met agressie en intimidatie")
    await sign_in(client, clerk)

    catalogue = await client.get(f"/organisaties/{organisation.cbs_code}/boeken")
    assert catalogue.status_code == 200 and "Omgaan met agressie en intimidatie" in catalogue.text
    url = f"/organisaties/{organisation.cbs_code}/boeken/{session.id}"
    assert (await client.get(url)).status_code == 200

    response = await post(client, url, booking_form())
    assert response.status_code == 303
    booking = await Booking.get(organisation=organisation)
    assert response.headers["location"] == f"/boekingen/{booking.reference}?melding=aangevraagd"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert booking.reference in page.text and "Rolstoeltoegankelijk graag" in page.text
    listing = await client.get(f"/organisaties/{organisation.cbs_code}/boekingen")
    assert booking.reference in listing.text

    second = await post(client, url, booking_form(date_1=days_ahead(60)))
    assert second.status_code == 400 and "al een gratis raadsbrede sessie" in second.text
    assert await Booking.filter(organisation=organisation).count() == 1


async def test_the_organisation_bookings_list_the_newest_first_with_date_or_first_preference(
    client: httpx.AsyncClient, fixed_clock: Clock
) -> None:
    organisation = await make_organisation(name="Zeist")
    clerk = await make_user(Role.CLERK, organisation=organisation)
    now = clock.now()
    first_wish, second_wish = now + timedelta(days=40), now + timedelta(days=30)
    requested = await make_booking(organisation=organisation)
    await PreferredSlot.create(booking=requested, position=2, starts_at=second_wish)
    await PreferredSlot.create(booking=requested, position=1, starts_at=first_wish)
    fixed_clock.advance(timedelta(minutes=1))
    planned = await make_booking(
        organisation=organisation, status=BookingStatus.SCHEDULED, starts_at=now + timedelta(days=20)
    )
    elsewhere = await make_booking()
    await sign_in(client, clerk)

    page = (await client.get(f"/organisaties/{organisation.cbs_code}/boekingen")).text

    assert page.index(planned.reference) < page.index(requested.reference)
    assert elsewhere.reference not in page
    assert planned.offering.name in page
    assert format_local_datetime(planned.starts_at) in page
    assert f"voorkeur: {format_local_datetime(first_wish)}" in page
    assert format_local_datetime(second_wish) not in page


async def test_a_bad_booking_form_keeps_what_was_typed(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    offering = await make_offering()
    url = f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}"
    response = await post(client, url, booking_form(date_1=days_ahead(3), contact_phone=""))
    assert response.status_code == 400
    assert "Bedreigingen na een besluit over een azc." in response.text
    assert 'id="field-contact_phone"' in response.text and "field-contact_phone-error" in response.text
    assert "field-date_1-error" in response.text
    assert await Booking.all().count() == 0


async def test_the_contact_on_the_day_may_ask_for_the_calendar_invitations(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    offering = await make_offering()
    url = f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}"
    assert 'name="contact_email"' in (await client.get(url)).text

    wrong = await post(client, url, booking_form(contact_email="petra bij zeist"))
    assert wrong.status_code == 400 and "field-contact_email-error" in wrong.text
    assert 'href="#field-contact_email"' in wrong.text  # in the summary
    response = await post(client, url, booking_form(contact_email=" Petra@Zeist.NL "))
    assert response.status_code == 303
    booking = await Booking.get(organisation=organisation)
    assert booking.contact_email == "petra@zeist.nl"
    page = await client.get(response.headers["location"])
    assert "petra@zeist.nl" in page.text and "krijgt de agenda-uitnodigingen" in page.text


async def test_the_quote_is_a_pdf_with_the_price(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation(name="Zeist")
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    paid = await make_offering(
        name="Omgaan met online haat",
        stage=Stage.FOLLOW_UP,
        price_model=PriceModel.PER_PARTICIPANT,
        price_cents=18500,
        vat_treatment=VatTreatment.STANDARD,
    )
    form = await client.get(f"/organisaties/{organisation.cbs_code}/boeken/{paid.id}?deelnemers=10")
    assert "offerte.pdf?deelnemers=10" in form.text
    response = await client.get(
        f"/organisaties/{organisation.cbs_code}/boeken/{paid.id}/offerte.pdf?deelnemers=10"
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "Zeist" in text and "Omgaan met online haat" in text
    assert re.search(r"€\s?1\.850,00", text) and re.search(r"€\s?2\.238,50", text)


async def test_coordinators_run_the_booking_from_the_booking_page(client: httpx.AsyncClient) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)
    booking = await make_booking()
    url = f"/boekingen/{booking.reference}"

    bad = await post(client, f"{url}/plannen", {"date": "morgen", "time": "19:00"})
    assert bad.status_code == 400 and "Vul een datum en een begintijd in" in bad.text
    assert 'aria-invalid="true"' in bad.text
    ok = await post(client, f"{url}/plannen", {"date": days_ahead(30), "time": "19:00"})
    assert ok.status_code == 303 and ok.headers["location"] == f"{url}?melding=gepland-gevraagd"
    again = await post(client, f"{url}/plannen", {"date": days_ahead(31), "time": "19:00"})
    assert again.status_code == 409
    assert (await post(client, f"{url}/bevestigen")).status_code == 303
    assert (await Booking.get(id=booking.id)).status is BookingStatus.CONFIRMED
    page = await client.get(url)
    assert "datum vastgelegd" in page.text.lower() or "gepland" in page.text.lower()


async def test_a_clerk_sees_the_cost_before_cancelling(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    clerk = await make_user(Role.CLERK, organisation=organisation)
    await sign_in(client, clerk)
    paid = await make_offering(stage=Stage.FOLLOW_UP, price_model=PriceModel.PER_SESSION, price_cents=100000)
    booking = await make_booking(
        organisation=organisation,
        offering=paid,
        status=BookingStatus.CONFIRMED,
        starts_at=clock.now() + timedelta(days=5),
        requested_by=clerk,
    )
    page = await client.get(f"/boekingen/{booking.reference}/annuleren")
    assert page.status_code == 200 and "50" in page.text and re.search(r"€\s?500,00", page.text)
    missing_reason = await post(client, f"/boekingen/{booking.reference}/annuleren", {"reason": ""})
    assert missing_reason.status_code == 400
    done = await post(client, f"/boekingen/{booking.reference}/annuleren", {"reason": "Verkiezingen"})
    assert done.status_code == 303
    cancelled = await Booking.get(id=booking.id)
    assert cancelled.status is BookingStatus.CANCELLED and cancelled.cancellation_fee_cents == 50000


async def test_the_board_filters_and_puts_requests_first(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    province = await Organisation.create(kind="province", cbs_code="PV26", name="Utrecht")
    zeist = await make_organisation(name="Zeist", province=province)
    delft = await make_organisation(name="Delft")
    confirmed = await make_booking(
        organisation=zeist, status=BookingStatus.CONFIRMED, starts_at=clock.now() + timedelta(days=3)
    )
    requested = await make_booking(organisation=zeist)
    elsewhere = await make_booking(organisation=delft)
    board = await client.get("/boekingen")
    assert board.text.index(requested.reference) < board.text.index(confirmed.reference)
    filtered = await client.get("/boekingen?provincie=PV26&status=confirmed")
    assert confirmed.reference in filtered.text
    assert requested.reference not in filtered.text and elsewhere.reference not in filtered.text


async def test_coordinators_add_an_offering(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    bad = await post(client, "/aanbod/nieuw", {"name": "", "price": "abc"})
    assert bad.status_code == 400 and await Offering.all().count() == 0
    ok = await post(
        client,
        "/aanbod/nieuw",
        {
            "name": "Voorzitten onder druk",
            "description": "Voor voorzitters",
            "stage": "follow_up",
            "audience": "individuals",
            "duration_minutes": "180",
            "max_participants": "4",
            "price_model": "per_session",
            "price": "1.150,00",
            "vat_treatment": "standard",
            "is_active": "on",
            "role_trainer_min": "1",
            "role_trainer_max": "1",
        },
    )
    assert ok.status_code == 303
    offering = await Offering.get(name="Voorzitten onder druk").prefetch_related("roles")
    assert offering.price_cents == 115000 and [(r.kind, r.max_count) for r in offering.roles] == [
        ("trainer", 1)
    ]


async def test_coordinators_invite_a_province_to_the_tour(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    await make_offering(stage=Stage.INTAKE, name="Intake")
    province = await Organisation.create(kind="province", cbs_code="PV26", name="Utrecht")
    zeist = await make_organisation(name="Zeist", province=province)
    houten = await make_organisation(name="Houten", province=province)
    await make_user(Role.CLERK, organisation=zeist, email="griffie@zeist.nl")
    response = await post(client, "/tour/uitnodigen", {"province": "PV26"})
    assert response.status_code == 200
    assert await TourInvitation.filter(organisation=zeist).count() == 1
    assert await TourInvitation.filter(organisation=houten).count() == 0  # nobody to mail
    assert "Houten" in response.text
    mail = await OutboxMessage.get(to_address="griffie@zeist.nl")
    assert "http://testserver/tour/link/" in mail.body_text

    nothing = await post(client, "/tour/uitnodigen", {})
    assert nothing.status_code == 400


async def test_intake_notes_stay_with_the_team(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    intake = await make_booking(
        organisation=organisation,
        offering=await make_offering(stage=Stage.INTAKE),
        outcome_notes="Vertrouwelijk: burgemeester overweegt aangifte",
    )
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    assert "Vertrouwelijk" not in (await client.get(f"/boekingen/{intake.reference}")).text
    await sign_in(client, await make_user(Role.COORDINATOR))
    assert "Vertrouwelijk" in (await client.get(f"/boekingen/{intake.reference}")).text
