"""SMTP outage drill: 200 mails are triggered by coordinators' actions over HTTP while the SMTP server
refuses connections (and the app's own sender keeps trying). Nobody sees an error; when the server is
back and the retry delays have passed, two senders at once deliver every mail exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bookings.models import Stage
from server import clock
from server.app import create_app
from server.mail import OutboxMessage, OutboxStatus
from server.mail_sender import deliver_due
from server.models import Organisation, Role
from tests.bookings.factories import make_offering
from tests.conftest import make_settings
from tests.factories import make_organisation, make_user, post, sign_in
from tests.smtp import SmtpSink

MAIL_FROM = "Weerbaar <noreply@weerbaar.example>"
INVITED_USERS = 120
INVITED_ORGANISATIONS = 80


@asynccontextmanager
async def app_with_sender(database_url: str, smtp_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app as deployed with the default WEERBAAR_BACKGROUND=inprocess: its own sender runs."""
    app = create_app(make_settings(database_url, smtp_url=smtp_url, run_background_jobs=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def trigger_mails(http: httpx.AsyncClient, organisations: list[Organisation]) -> Counter[int]:
    """A coordinator invites 120 trainers one by one and invites 80 organisations' clerks at once."""
    await sign_in(http, await make_user(Role.COORDINATOR))
    statuses: Counter[int] = Counter()
    for number in range(INVITED_USERS):
        response = await post(
            http,
            "/beheer/gebruikers",
            {"email": f"trainer{number}@example.org", "name": f"Trainer {number}", "role": "trainer"},
        )
        statuses[response.status_code] += 1
        assert response.headers.get("location") == "/beheer/gebruikers?melding=uitgenodigd"
    tour = await post(http, "/tour/uitnodigen", {"organisations": [o.cbs_code for o in organisations]})
    statuses[tour.status_code] += 1
    assert "Er ging iets mis" not in tour.text
    return statuses


async def sender_loop(smtp_url: str) -> int:
    """What `run_sender` does, with a bound so that a bug cannot hang the test."""
    sent = 0
    for _round in range(100):
        sent += await deliver_due(smtp_url, MAIL_FROM, limit=10)
        due = OutboxMessage.filter(
            status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING], next_attempt_at__lte=clock.now()
        )
        if not await due.exists():
            return sent
    raise AssertionError("still mail due after 100 rounds")


async def test_200_mails_during_an_smtp_outage_arrive_once_each_afterwards(
    database_url: str, smtp_sink: SmtpSink
) -> None:
    await make_offering(name="Intake", stage=Stage.INTAKE)
    organisations = [await make_organisation() for _ in range(INVITED_ORGANISATIONS)]
    for organisation in organisations:
        await make_user(Role.CLERK, organisation=organisation)
    smtp_sink.stop()

    async with app_with_sender(database_url, smtp_sink.url) as http:
        statuses = await trigger_mails(http, organisations)

    assert statuses == {303: INVITED_USERS, 200: 1}
    rows = await OutboxMessage.all()
    assert len(rows) == INVITED_USERS + INVITED_ORGANISATIONS == 200
    assert {row.status for row in rows} == {OutboxStatus.QUEUED}
    assert await sender_loop(smtp_sink.url) == 0  # still down: every mail now tried and waiting
    rows = await OutboxMessage.all()
    assert {row.status for row in rows} == {OutboxStatus.QUEUED}
    assert all(row.attempts >= 1 and row.last_error for row in rows)
    assert all(row.next_attempt_at > clock.now() for row in rows)
    assert smtp_sink.messages == []

    smtp_sink.start()
    assert await sender_loop(smtp_sink.url) == 0  # back, but the retry delay is not over yet
    await OutboxMessage.filter(status=OutboxStatus.QUEUED).update(next_attempt_at=clock.now())
    sent = await asyncio.gather(sender_loop(smtp_sink.url), sender_loop(smtp_sink.url))

    assert sum(sent) == 200
    received = Counter(str(message["Message-ID"]) for message in smtp_sink.messages)
    assert len(smtp_sink.messages) == 200
    assert set(received.values()) == {1}
    assert set(received) == {row.message_id for row in rows}
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(row.to_address for row in rows)
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 200
