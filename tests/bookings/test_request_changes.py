"""Changing a request while it is requested: the clerk (or a coordinator) changes the answers, the
preferred dates and the contact on the day with the same checks as the request form; the change is on
the timeline; once a date is fixed the page refuses and rescheduling applies."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from bookings import request_changes
from bookings.errors import BookingRuleBroken, IllegalTransition
from bookings.forms import local_datetime
from bookings.models import Booking, BookingStatus, PreferredSlot
from bookings.policy import BookingPolicy
from server import clock
from server.mail import OutboxMessage
from server.models import AuditEntry, OrganisationKind, Role
from server.settings import Settings
from tests.bookings.factories import make_offering
from tests.bookings.test_routes import booking_form, days_ahead
from tests.bookings.test_service import draft
from tests.conftest import make_settings
from tests.factories import make_organisation, make_user, post, sign_in


async def requested_booking(client: httpx.AsyncClient, role: Role = Role.CLERK) -> Booking:
    """A request made through the form by a clerk; `role` is who is signed in afterwards."""
    organisation = await make_organisation(name="Zeist")
    clerk = await make_user(Role.CLERK, organisation=organisation, email="griffier@zeist.nl")
    offering = await make_offering(name="Omgaan met agressie")
    await sign_in(client, clerk)
    url = f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}"
    response = await post(client, url, booking_form(date_1=days_ahead(40), time_1="19:30"))
    assert response.status_code == 303
    if role is not Role.CLERK:
        client.cookies.clear()
        await sign_in(client, await make_user(role))
    return await Booking.get(organisation=organisation)


def page_values(booking: Booking, **overrides: str) -> dict[str, str]:
    return booking_form(version=booking.updated_at.isoformat(), **overrides)


async def test_a_clerk_changes_the_dates_and_the_contact_of_a_request(client: httpx.AsyncClient) -> None:
    booking = await requested_booking(client)
    await make_user(Role.COORDINATOR, email="coordinator@team.nl")
    page = await client.get(f"/boekingen/{booking.reference}")
    assert f'href="/boekingen/{booking.reference}/wijzigen"' in page.text

    form = await client.get(f"/boekingen/{booking.reference}/wijzigen")
    assert form.status_code == 200
    assert "Bedreigingen na een besluit over een azc." in form.text  # prefilled
    assert f'value="{days_ahead(40)}"' in form.text and 'value="+31 6 12345678"' in form.text
    assert "De eerste mogelijke datum is" in form.text

    new_values = page_values(
        booking,
        date_1=days_ahead(50),
        time_1="14:00",
        date_2=days_ahead(57),
        time_2="19:30",
        contact_name="Jan Bode",
        contact_phone="070 373 8314",
    )
    response = await post(client, f"/boekingen/{booking.reference}/wijzigen", new_values)

    assert response.status_code == 303
    assert response.headers["location"] == f"/boekingen/{booking.reference}?melding=gewijzigd"
    changed = await Booking.get(id=booking.id)
    assert (changed.contact_name, changed.contact_phone) == ("Jan Bode", "+31 70 373 8314")
    slots = await PreferredSlot.filter(booking_id=booking.id).order_by("position")
    assert [s.starts_at for s in slots] == [
        local_datetime(days_ahead(50), "14:00"),
        local_datetime(days_ahead(57), "19:30"),
    ]
    entry = await AuditEntry.get(action="booking_request_changed", object_id=str(booking.id))
    assert entry.summary == (
        "gewijzigd: contactpersoon op de dag, telefoonnummer van de contactpersoon, voorkeursdata"
    )
    staff_mail = await OutboxMessage.get(to_address="coordinator@team.nl")
    assert booking.reference in staff_mail.subject and "gewijzigd" in staff_mail.subject
    assert (
        "Voorkeursdata:" in staff_mail.body_text and f"/boekingen/{booking.reference}" in staff_mail.body_html
    )
    shown = await client.get(response.headers["location"])
    assert "De aanvraag is gewijzigd." in shown.text and "aanvraag gewijzigd" in shown.text


async def test_the_confirmation_mail_points_to_the_change_page(client: httpx.AsyncClient) -> None:
    booking = await requested_booking(client)
    mail = await OutboxMessage.get(to_address="griffier@zeist.nl")
    link = f"http://testserver/boekingen/{booking.reference}/wijzigen"
    assert link in mail.body_text and f'href="{link}"' in mail.body_html


async def test_a_change_gets_the_same_checks_all_at_once_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    booking = await requested_booking(client)
    before = await Booking.get(id=booking.id)
    wrong = page_values(
        booking, local_situation="", contact_phone="abc", date_1=days_ahead(2), time_1="19:30"
    )
    response = await post(client, f"/boekingen/{booking.reference}/wijzigen", wrong)

    assert response.status_code == 400
    for field in ("local_situation", "date_1", "contact_phone"):
        assert f'href="#field-{field}"' in response.text and f'id="field-{field}-error"' in response.text
    after = await Booking.get(id=booking.id)
    assert (after.local_situation, after.contact_phone, after.updated_at) == (
        before.local_situation,
        before.contact_phone,
        before.updated_at,
    )
    assert [s.starts_at for s in await PreferredSlot.filter(booking_id=booking.id)] == [
        local_datetime(days_ahead(40), "19:30")
    ]
    assert not await AuditEntry.filter(action="booking_request_changed").exists()


async def test_a_coordinator_may_change_a_request(client: httpx.AsyncClient) -> None:
    booking = await requested_booking(client, Role.COORDINATOR)
    response = await post(
        client, f"/boekingen/{booking.reference}/wijzigen", page_values(booking, expected_participants="12")
    )
    assert response.status_code == 303
    assert (await Booking.get(id=booking.id)).expected_participants == 12


async def test_a_change_from_an_old_page_is_refused(client: httpx.AsyncClient) -> None:
    booking = await requested_booking(client)
    old = page_values(booking, contact_name="Eerste")
    assert (await post(client, f"/boekingen/{booking.reference}/wijzigen", old)).status_code == 303
    stale = await post(client, f"/boekingen/{booking.reference}/wijzigen", {**old, "contact_name": "Tweede"})
    assert stale.status_code == 409 and "Iemand anders heeft deze boeking gewijzigd" in stale.text
    assert (await Booking.get(id=booking.id)).contact_name == "Eerste"


async def test_once_a_date_is_fixed_the_request_cannot_be_changed(client: httpx.AsyncClient) -> None:
    booking = await requested_booking(client)
    await Booking.filter(id=booking.id).update(status=BookingStatus.SCHEDULED)
    page = await client.get(f"/boekingen/{booking.reference}")
    assert f"/boekingen/{booking.reference}/wijzigen" not in page.text

    form = await client.get(f"/boekingen/{booking.reference}/wijzigen")
    assert form.status_code == 409 and "Verzetten" in form.text
    response = await post(
        client, f"/boekingen/{booking.reference}/wijzigen", page_values(booking, contact_name="Laat")
    )
    assert response.status_code == 409
    assert (await Booking.get(id=booking.id)).contact_name == "Petra de Griffier"


async def test_nothing_changed_writes_nothing(client: httpx.AsyncClient) -> None:
    booking = await requested_booking(client)
    response = await post(client, f"/boekingen/{booking.reference}/wijzigen", page_values(booking))
    assert response.status_code == 303
    assert not await AuditEntry.filter(action="booking_request_changed").exists()


async def test_moving_a_free_session_into_a_term_whose_free_session_is_taken_is_refused(
    database_url: str,
) -> None:
    today = clock.local_today()
    new_term = today + timedelta(days=60)
    settings: Settings = make_settings(
        database_url, provincial_terms=((today - timedelta(days=800)).isoformat(), new_term.isoformat())
    )
    policy = BookingPolicy.from_settings(settings)
    province = await make_organisation(kind=OrganisationKind.PROVINCE, cbs_code="PV88")
    clerk = await make_user(Role.CLERK, organisation=province)
    session = await make_offering()
    await Booking.create(
        reference="WB-NIEUW1",
        organisation=province,
        offering=session,
        expected_participants=20,
        part_of_day="evening",
        location_address="Provinciehuis",
        contact_name="P",
        contact_phone="+31 6 12345678",
        price_model=session.price_model,
        unit_price_cents=0,
        vat_treatment=session.vat_treatment,
        council_term_start=new_term,
    )
    old_term = policy.term_start(province.kind, today)
    booking = await Booking.create(
        reference="WB-OUD001",
        organisation=province,
        offering=session,
        expected_participants=20,
        part_of_day="evening",
        location_address="Provinciehuis",
        contact_name="P",
        contact_phone="+31 6 12345678",
        price_model=session.price_model,
        unit_price_cents=0,
        vat_treatment=session.vat_treatment,
        council_term_start=old_term,
    )
    now = clock.now()
    within = draft(session.id, preferred={1: local_datetime(days_ahead(35), "19:30")})
    moved = draft(session.id, preferred={1: local_datetime(days_ahead(90), "19:30")})
    # A date in its own term is fine; one in the next term, where the free session is taken, is not.
    await request_changes.change_request(booking.id, within, actor=clerk, settings=settings, now=now)
    with pytest.raises(BookingRuleBroken):
        await request_changes.change_request(booking.id, moved, actor=clerk, settings=settings, now=now)
    assert (await Booking.get(id=booking.id)).council_term_start == old_term


async def test_the_service_refuses_a_booking_that_is_no_request(settings: Settings) -> None:
    organisation = await make_organisation()
    clerk = await make_user(Role.CLERK, organisation=organisation)
    offering = await make_offering()
    booking = await Booking.create(
        reference="WB-GEPL01",
        organisation=organisation,
        offering=offering,
        expected_participants=20,
        part_of_day="evening",
        location_address="Raadhuis",
        contact_name="P",
        contact_phone="+31 6 12345678",
        price_model=offering.price_model,
        unit_price_cents=0,
        vat_treatment=offering.vat_treatment,
        status=BookingStatus.CONFIRMED,
        council_term_start=date(2026, 4, 1),
    )
    with pytest.raises(IllegalTransition):
        await request_changes.change_request(
            booking.id,
            draft(offering.id, preferred={1: local_datetime(days_ahead(40), "19:30")}),
            actor=clerk,
            settings=settings,
        )
