"""The token pages: made and shown once, listed by prefix, revoked by the owner or a coordinator."""

from __future__ import annotations

import re

import httpx

from server.models import ApiToken, AuditEntry, Role
from tests.factories import make_api_token, make_user, post, sign_in


async def test_a_clerk_makes_a_token_sees_it_once_and_revokes_it(client: httpx.AsyncClient) -> None:
    clerk = await make_user(Role.CLERK)
    await sign_in(client, clerk)
    page = await client.get("/api-tokens")
    assert page.status_code == 200 and "Nieuw token" in page.text
    made = await post(
        client,
        "/api-tokens",
        {"name": "Vergaderplanner", "scopes": ["read", "book"], "expires_on": page_date(page)},
    )
    assert made.status_code == 201 and "maar één keer" in made.text
    secret = re.search(r'<code id="new-token">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    token = await ApiToken.get(user=clerk)
    assert token.scopes == ["read", "book"] and secret not in (await client.get("/api-tokens")).text
    api = await client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200

    revoked = await post(client, f"/api-tokens/{token.id}/intrekken", {})
    assert revoked.status_code == 303
    again = await client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {secret}"})
    assert again.status_code == 401
    assert await AuditEntry.filter(action="api_token_revoked", actor=clerk).count() == 1


def page_date(page: httpx.Response) -> str:
    return re.search(r'name="expires_on" value="([0-9-]+)"', page.text).group(1)  # type: ignore[union-attr]


async def test_a_bad_token_form_says_what_is_wrong_and_makes_nothing(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.TRAINER))
    response = await post(client, "/api-tokens", {"name": "", "expires_on": "2020-01-01"})
    assert response.status_code == 400
    assert "Geef het token een naam" in response.text and "Kies wat het token mag" in response.text
    assert await ApiToken.all().count() == 0


async def test_a_user_cannot_revoke_someone_elses_token(client: httpx.AsyncClient) -> None:
    owner = await make_user(Role.CLERK)
    await make_api_token(owner)
    token = await ApiToken.get(user=owner)
    await sign_in(client, await make_user(Role.CLERK))
    response = await post(client, f"/api-tokens/{token.id}/intrekken", {})
    assert response.status_code == 404
    await token.refresh_from_db()
    assert token.revoked_at is None


async def test_a_coordinator_sees_and_revokes_every_token(client: httpx.AsyncClient) -> None:
    owner = await make_user(Role.CLERK, name="Petra Griffier")
    await make_api_token(owner)
    token = await ApiToken.get(user=owner)
    await sign_in(client, await make_user(Role.COORDINATOR))
    listing = await client.get("/beheer/api-tokens")
    assert listing.status_code == 200 and "Petra Griffier" in listing.text and token.prefix in listing.text
    response = await post(client, f"/beheer/api-tokens/{token.id}/intrekken", {})
    assert response.status_code == 303
    await token.refresh_from_db()
    assert token.revoked_at is not None
