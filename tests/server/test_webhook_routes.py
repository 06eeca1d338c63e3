"""The webhook pages: a clerk manages their organisation's webhooks, a coordinator the global ones; the
secret is shown once; bad input is refused at its field with nothing stored; every change is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from server.app import create_app
from server.models import AuditEntry, Role
from server.webhook_models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from tests.conftest import make_settings
from tests.factories import csrf_token, make_user, post, sign_in


@pytest.fixture
async def web(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url, webhooks_allow_private=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def submit(client: httpx.AsyncClient, path: str, **fields: object) -> httpx.Response:
    return await client.post(path, data={"csrf_token": csrf_token(client), **fields})


async def test_a_clerk_manages_the_organisations_webhook(web: httpx.AsyncClient) -> None:
    clerk = await make_user(Role.CLERK)
    await sign_in(web, clerk)
    assert "Nieuwe webhook" in (await web.get("/organisatie/webhooks")).text

    refused = await submit(web, "/organisatie/webhooks", url="ftp://x", events=["booking.requested"])
    assert refused.status_code == 400 and 'id="field-url-error"' in refused.text
    none_chosen = await submit(web, "/organisatie/webhooks", url="http://127.0.0.1:9/x")
    assert none_chosen.status_code == 400 and "Kies minstens één gebeurtenis" in none_chosen.text
    assert not await WebhookSubscription.exists()

    made = await submit(
        web,
        "/organisatie/webhooks",
        url="http://127.0.0.1:9/x",
        description="Vergaderplanner",
        events=["booking.requested", "booking.cancelled"],
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    subscription = await WebhookSubscription.get()
    assert subscription.organisation_id == clerk.organisation_id  # type: ignore[attr-defined]
    assert subscription.secret in made.text
    page = await web.get(f"/webhooks/{subscription.id}")
    assert page.status_code == 200 and subscription.secret not in page.text

    changed = await submit(
        web, f"/webhooks/{subscription.id}", url="http://127.0.0.1:9/y", events=["invoice.issued"]
    )
    assert changed.status_code == 303
    subscription = await WebhookSubscription.get(id=subscription.id)
    assert subscription.event_types == ["invoice.issued"] and subscription.url.endswith("/y")

    assert (await post(web, f"/webhooks/{subscription.id}/uitzetten")).status_code == 303
    subscription = await WebhookSubscription.get(id=subscription.id)
    assert not subscription.is_active and clerk.name in subscription.disabled_reason
    assert (await post(web, f"/webhooks/{subscription.id}/aanzetten")).status_code == 303
    assert (await WebhookSubscription.get(id=subscription.id)).is_active

    rotated = await post(web, f"/webhooks/{subscription.id}/nieuw-geheim")
    new_secret = (await WebhookSubscription.get(id=subscription.id)).secret
    assert new_secret != subscription.secret and new_secret in rotated.text

    event = await WebhookEvent.create(
        event_id="e1", type="invoice.issued", subject="2026-0001", data={}, occurred_at="2026-01-01T00:00:00Z"
    )
    delivery = await WebhookDelivery.create(
        subscription=subscription,
        event=event,
        status=DeliveryStatus.FAILED,
        attempts=9,
        next_attempt_at=event.occurred_at,
    )
    assert "Opnieuw versturen" in (await web.get(f"/webhooks/{subscription.id}")).text
    resent = await post(web, f"/webhooks/{subscription.id}/berichten/{delivery.id}/opnieuw")
    assert resent.status_code == 303
    delivery = await WebhookDelivery.get(id=delivery.id)
    assert delivery.status is DeliveryStatus.QUEUED and delivery.attempts == 0

    assert (await post(web, f"/webhooks/{subscription.id}/verwijderen")).status_code == 303
    assert not await WebhookSubscription.exists()
    actions = set(await AuditEntry.filter(action__startswith="webhook").values_list("action", flat=True))
    assert actions == {
        "webhook_created",
        "webhook_changed",
        "webhook_disabled",
        "webhook_enabled",
        "webhook_secret_rotated",
        "webhook_resent",
        "webhook_deleted",
    }


async def test_another_organisations_clerk_sees_nothing_and_coordinators_see_all(
    web: httpx.AsyncClient,
) -> None:
    clerk = await make_user(Role.CLERK)
    await sign_in(web, clerk)
    await submit(web, "/organisatie/webhooks", url="http://127.0.0.1:9/x", events=["booking.requested"])
    subscription = await WebhookSubscription.get()

    await sign_in(web, await make_user(Role.CLERK))
    assert (await web.get(f"/webhooks/{subscription.id}")).status_code == 404
    assert "127.0.0.1:9/x" not in (await web.get("/organisatie/webhooks")).text

    await sign_in(web, await make_user(Role.COORDINATOR))
    await submit(web, "/beheer/webhooks", url="http://127.0.0.1:9/team", events=["feedback.closed"])
    listing = await web.get("/beheer/webhooks")
    assert "127.0.0.1:9/x" in listing.text and "alle organisaties" in listing.text
    team = await WebhookSubscription.get(url="http://127.0.0.1:9/team")
    assert team.is_global


async def test_private_addresses_are_refused_on_the_page_by_default(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.CLERK))
    refused = await submit(
        client, "/organisatie/webhooks", url="http://127.0.0.1:9/x", events=["booking.requested"]
    )
    assert refused.status_code == 400 and "openbare adressen" in refused.text
    assert not await WebhookSubscription.exists()
