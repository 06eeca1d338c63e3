"""Private calendar feeds: who sees which sessions, the page with the address, renewing it, and
the feed as a calendar program fetches it."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
from icalendar import Calendar

from bookings import calendar, feeds
from bookings.models import BookingStatus, CalendarFeed
from server.models import AuditEntry, Role
from tests.bookings.factories import make_booking
from tests.factories import make_organisation, make_user, post, sign_in

STARTS_AT = datetime(2027, 3, 12, 18, 30, tzinfo=UTC)
FEED_PATH = re.compile(r"http://testserver(/agenda/[\w-]+\.ics)")


def uids_in(content: bytes) -> set[str]:
    return {str(event["UID"]) for event in Calendar.from_ical(content).walk("VEVENT")}


async def feed_path_on_page(client: httpx.AsyncClient) -> str:
    page = await client.get("/agenda")
    assert page.status_code == 200
    match = FEED_PATH.search(page.text)
    assert match, page.text
    return match.group(1)


async def test_a_clerks_feed_holds_the_dated_sessions_of_their_organisation_only(
    client: httpx.AsyncClient,
) -> None:
    organisation = await make_organisation(name="Gemeente Zeist")
    clerk = await make_user(Role.CLERK, organisation=organisation, name="Petra")
    shown = [
        await make_booking(organisation=organisation, status=status, starts_at=STARTS_AT + timedelta(days=n))
        for n, status in enumerate(feeds.CLERK_STATUSES)
    ]
    requested = await make_booking(organisation=organisation, status=BookingStatus.REQUESTED)
    cancelled_undated = await make_booking(organisation=organisation, status=BookingStatus.CANCELLED)
    elsewhere = await make_booking(status=BookingStatus.CONFIRMED, starts_at=STARTS_AT)

    await sign_in(client, clerk)
    path = await feed_path_on_page(client)
    client.cookies.clear()  # a calendar program has no session
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=300"
    assert uids_in(response.content) == {calendar.booking_uid(b) for b in shown}
    hidden = {calendar.booking_uid(b) for b in (requested, cancelled_undated, elsewhere)}
    assert not hidden & uids_in(response.content)
    assert Calendar.from_ical(response.content)["X-WR-CALNAME"] == "Weerbaar – Petra"


async def test_the_page_explains_how_to_subscribe_and_offers_a_webcal_link(client: httpx.AsyncClient) -> None:
    clerk = await make_user(Role.CLERK)
    await sign_in(client, clerk)
    page = await client.get("/agenda")
    feed = await CalendarFeed.get(user=clerk)
    assert f">http://testserver/agenda/{feed.token}.ics</textarea>" in page.text
    assert f'href="webcal://testserver/agenda/{feed.token}.ics"' in page.text
    for client_name in ("Outlook", "Google Agenda", "Apple Agenda"):
        assert client_name in page.text
    assert 'action="/agenda/vernieuwen"' in page.text
    assert 'name="csrf_token"' in page.text
    await client.get("/agenda")  # a second visit shows the same address
    assert await CalendarFeed.filter(user=clerk).count() == 1


async def test_renewing_makes_the_old_address_stop_working(client: httpx.AsyncClient) -> None:
    clerk = await make_user(Role.CLERK)
    await sign_in(client, clerk)
    old_path = await feed_path_on_page(client)

    response = await post(client, "/agenda/vernieuwen")
    assert response.status_code == 303
    assert response.headers["location"] == "/agenda?melding=vernieuwd"
    page = await client.get(response.headers["location"])
    assert "Het oude adres werkt niet meer" in page.text
    new_path = await feed_path_on_page(client)

    assert new_path != old_path
    assert (await client.get(old_path)).status_code == 404
    assert (await client.get(new_path)).status_code == 200
    entry = await AuditEntry.get(action="calendar_feed_renewed")
    assert entry.actor_id == clerk.id  # type: ignore[attr-defined]
    assert entry.object_type == "CalendarFeed"


async def test_unknown_tokens_and_inactive_users_get_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/agenda/onbekend-token.ics")).status_code == 404
    clerk = await make_user(Role.CLERK)
    feed = await feeds.feed_for(clerk)
    assert (await client.get(f"/agenda/{feed.token}.ics")).status_code == 200
    clerk.is_active = False
    await clerk.save(update_fields=["is_active"])
    assert (await client.get(f"/agenda/{feed.token}.ics")).status_code == 404


async def test_anonymous_visitors_are_sent_to_the_login_page_and_finance_is_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/agenda")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/inloggen?volgende=")
    await sign_in(client, await make_user(Role.FINANCE))
    assert (await client.get("/agenda")).status_code == 403


async def test_a_coordinator_sees_every_planned_session_and_a_trainer_none_yet() -> None:
    scheduled = await make_booking(status=BookingStatus.SCHEDULED, starts_at=STARTS_AT)
    confirmed = await make_booking(status=BookingStatus.CONFIRMED, starts_at=STARTS_AT + timedelta(days=1))
    await make_booking(status=BookingStatus.DELIVERED, starts_at=STARTS_AT - timedelta(days=30))
    await make_booking(status=BookingStatus.CANCELLED, starts_at=STARTS_AT)
    await make_booking(status=BookingStatus.REQUESTED)

    coordinator = await make_user(Role.COORDINATOR)
    user, bookings = await feeds.bookings_in_feed((await feeds.feed_for(coordinator)).token)
    assert user.id == coordinator.id
    assert [b.id for b in bookings] == [scheduled.id, confirmed.id]
    assert bookings[0].offering.name and bookings[0].organisation.name  # fetched for the feed

    trainer = await make_user(Role.TRAINER)
    assert (await feeds.bookings_in_feed((await feeds.feed_for(trainer)).token))[1] == []


async def test_two_first_visits_at_once_share_one_feed() -> None:
    clerk = await make_user(Role.CLERK)
    first, second = await asyncio.gather(feeds.feed_for(clerk), feeds.feed_for(clerk))
    assert first.token == second.token
    assert len(first.token) >= 43
    assert await CalendarFeed.filter(user=clerk).count() == 1
