"""The booking form helps: every problem in one round with a summary that links to each field, phone
numbers checked and stored in one format, and the rules that can be known in advance (the first
possible date, public holidays, the free session already used this term) shown before typing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx

from bookings.models import Booking, BookingStatus, Offering, PriceModel, Stage, VatTreatment
from bookings.policy import BookingPolicy
from bookings.public_holidays import holidays_between
from bookings.request_rules import HOLIDAYS_SHOWN, first_possible, first_possible_text
from server import clock
from server.clock import AMSTERDAM
from server.models import Role
from tests.bookings.factories import make_booking, make_offering
from tests.bookings.test_routes import booking_form, days_ahead
from tests.factories import make_organisation, make_user, post, sign_in


def summary_links(page: str) -> list[str]:
    summary = page.split('class="error-summary__list"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="#([\w-]+)"', summary)


async def test_every_problem_is_named_at_once_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    paid = await make_offering(
        stage=Stage.FOLLOW_UP,
        price_model=PriceModel.PER_SESSION,
        price_cents=95000,
        vat_treatment=VatTreatment.STANDARD,
        max_participants=20,
    )
    url = f"/organisaties/{organisation.cbs_code}/boeken/{paid.id}"
    christmas = next(
        day
        for day, name in holidays_between(clock.local_today(), clock.local_today() + timedelta(days=400))
        if name == "Eerste Kerstdag"
    )
    wrong = booking_form(
        local_situation="",
        expected_participants="35",
        contact_phone="abc",
        contact_email="petra bij zeist",
        invoice_email="",
        date_1=days_ahead(3),
        date_2=christmas.isoformat(),
        time_2="19:30",
    )
    response = await post(client, url, wrong)

    assert response.status_code == 400
    assert await Booking.all().count() == 0
    text = response.text
    for message in (
        "Beschrijf kort wat er bij u speelt.",
        "Dit aanbod is voor hoogstens 20 deelnemers.",
        "Kies een datum die minstens 21 dagen vooruit ligt",
        "De eerste mogelijke datum is",
        "Eerste Kerstdag",
        "Vul een geldig telefoonnummer in",
        "Vul één geldig e-mailadres in",
        "Vul het e-mailadres in waar de factuur heen moet.",
    ):
        assert message in text, message
    assert summary_links(text) == [
        "field-local_situation",
        "field-expected_participants",
        "field-date_1",
        "field-date_2",
        "field-contact_phone",
        "field-contact_email",
        "field-invoice_email",
    ]
    for field in summary_links(text):
        assert f'id="{field}"' in text and f'id="{field}-error"' in text
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in text
    assert "<title>Fout:" in text
    assert 'value="abc"' in text  # what was typed stays


async def test_a_phone_number_is_refused_at_the_field_or_stored_normalised(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    offering = await make_offering()
    url = f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}"

    refused = await post(client, url, booking_form(contact_phone="abc"))
    assert refused.status_code == 400 and "field-contact_phone-error" in refused.text
    assert 'href="#field-contact_phone"' in refused.text
    assert await Booking.all().count() == 0

    accepted = await post(client, url, booking_form(contact_phone="070-3738314"))
    assert accepted.status_code == 303
    assert (await Booking.get(organisation=organisation)).contact_phone == "+31 70 373 8314"


async def test_the_form_tells_the_first_possible_date_and_the_holidays_before_typing(
    client: httpx.AsyncClient,
) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    offering = await make_offering()
    first = first_possible(offering, BookingPolicy(), clock.now())

    page = await client.get(f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}")

    assert page.status_code == 200
    assert first_possible_text(first).split(",")[0] in page.text
    assert f'min="{first.day.isoformat()}"' in page.text
    holidays = holidays_between(first.day, first.day + HOLIDAYS_SHOWN)
    assert holidays
    assert "Op feestdagen geven wij geen sessies:" in page.text
    assert all(name in page.text for _day, name in holidays)


def test_the_first_possible_date_follows_the_lead_time_the_last_start_and_the_holidays() -> None:
    policy = BookingPolicy()
    session = make_offering_stub(Stage.COUNCIL_SESSION)
    intake = make_offering_stub(Stage.INTAKE)
    morning = datetime(2027, 3, 1, 7, 0, tzinfo=AMSTERDAM)
    assert first_possible(session, policy, morning).day.isoformat() == "2027-03-22"
    assert first_possible(session, policy, morning).from_time is None
    midday = datetime(2027, 3, 1, 14, 15, tzinfo=AMSTERDAM)
    assert first_possible(intake, policy, midday).day.isoformat() == "2027-03-08"
    assert first_possible(intake, policy, midday).from_time == "14:15"
    assert first_possible_text(first_possible(intake, policy, midday)) == (
        "De eerste mogelijke datum is maandag 8 maart 2027, vanaf 14:15."
    )
    late = datetime(2027, 3, 1, 21, 30, tzinfo=AMSTERDAM)
    assert first_possible(intake, policy, late).day.isoformat() == "2027-03-09"
    # Three weeks after 4 December is Christmas Day, and the day after is a holiday too.
    before_christmas = datetime(2027, 12, 4, 10, 0, tzinfo=AMSTERDAM)
    first = first_possible(session, policy, before_christmas)
    assert (first.day.isoformat(), first.from_time) == ("2027-12-27", None)


def make_offering_stub(stage: Stage) -> Offering:
    """An unsaved offering: `first_possible` only reads its stage."""
    return Offering(stage=stage)


async def test_a_used_free_session_is_told_before_typing_and_named_with_the_other_problems(
    client: httpx.AsyncClient,
) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    session = await make_offering()
    term = BookingPolicy().term_start(organisation.kind, clock.local_today())
    earlier = await make_booking(
        organisation=organisation,
        offering=session,
        council_term_start=term,
        status=BookingStatus.SCHEDULED,
        starts_at=datetime(2027, 1, 14, 19, 30, tzinfo=AMSTERDAM),
    )
    url = f"/organisaties/{organisation.cbs_code}/boeken/{session.id}"

    page = await client.get(url)
    assert "al gebruikt op 14 januari 2027" in page.text and earlier.reference in page.text

    response = await post(client, url, booking_form(contact_phone="abc"))
    assert response.status_code == 400
    assert "al een gratis raadsbrede sessie" in response.text
    assert "field-contact_phone-error" in response.text
    assert await Booking.filter(organisation=organisation).count() == 1


async def test_a_cancelled_free_session_does_not_count(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    session = await make_offering()
    term = BookingPolicy().term_start(organisation.kind, clock.local_today())
    await make_booking(
        organisation=organisation, offering=session, council_term_start=term, status=BookingStatus.CANCELLED
    )
    page = await client.get(f"/organisaties/{organisation.cbs_code}/boeken/{session.id}")
    assert "al gebruikt op" not in page.text
