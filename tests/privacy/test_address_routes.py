"""The coordinator's page for export and erasure by e-mail address (people without an account)."""

from __future__ import annotations

import json

import httpx

from server.models import AuditEntry, Role
from tests.factories import make_user, post, sign_in
from tests.privacy.people import stored_anywhere
from tests.privacy.test_address import ADDRESS, make_person_without_account


async def test_the_users_page_links_to_the_address_page(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))

    assert 'href="/beheer/adressen"' in (await client.get("/beheer/gebruikers")).text
    page = await client.get("/beheer/adressen")
    assert page.status_code == 200 and "Gegevens definitief wissen" in page.text


async def test_a_coordinator_downloads_the_data_at_an_address(client: httpx.AsyncClient) -> None:
    await make_person_without_account()
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)

    response = await post(client, "/beheer/adressen/gegevens", {"email": ADDRESS})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "private, no-store"
    assert json.loads(response.content)["onderdelen"]["contactpersonen"][0]["email"] == ADDRESS
    entry = await AuditEntry.get(action="personal_data_exported", actor_id=coordinator.id)
    assert ADDRESS not in entry.summary


async def test_erasing_by_address_asks_for_confirmation_then_erases(client: httpx.AsyncClient) -> None:
    await make_person_without_account()
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)

    unconfirmed = await post(client, "/beheer/adressen/wissen", {"email": ADDRESS})
    assert unconfirmed.status_code == 400
    assert "Bevestig dat u de gegevens bij dit e-mailadres wilt wissen." in unconfirmed.text
    assert f'value="{ADDRESS}"' in unconfirmed.text
    assert await stored_anywhere((ADDRESS,)) != []

    erased = await post(client, "/beheer/adressen/wissen", {"email": ADDRESS, "confirm": "on"})
    assert erased.status_code == 303
    assert erased.headers["location"] == "/beheer/adressen?melding=gewist"
    assert await stored_anywhere((ADDRESS, "06 11 22 33 44")) == []
    entry = await AuditEntry.get(action="personal_data_erased", actor_id=coordinator.id)
    assert ADDRESS not in entry.summary
    assert "zijn gewist" in (await client.get(erased.headers["location"])).text


async def test_a_bad_address_or_an_account_is_refused_at_the_field(client: httpx.AsyncClient) -> None:
    await make_user(Role.CLERK, email=ADDRESS)
    await sign_in(client, await make_user(Role.COORDINATOR))

    listed = await post(client, "/beheer/adressen/gegevens", {"email": f"{ADDRESS}, ander@example.org"})
    assert listed.status_code == 400 and "Vul één e-mailadres in" in listed.text
    account = await post(client, "/beheer/adressen/wissen", {"email": ADDRESS, "confirm": "on"})
    assert account.status_code == 409 and "Dit adres hoort bij een account" in account.text
    assert 'aria-invalid="true"' in account.text
    assert await AuditEntry.filter(action="personal_data_erased").count() == 0
