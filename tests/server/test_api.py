"""API v1 basics: tokens, problem+json, API-Version, ETags, rate limit, the public OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import httpx

from server import api, clock
from server.api_tokens import authenticate, revoke_token
from server.clock import Clock
from server.models import ApiToken, AuditEntry, Role
from tests.bookings.factories import make_booking
from tests.factories import make_api_token, make_organisation, make_user


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_the_openapi_document_is_public_with_cors_and_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["api-version"] == "1.0.0"
    document = response.json()
    assert document["servers"][0]["url"].endswith("/api/v1")
    assert "/bookings/{reference}" in document["paths"]


async def test_without_a_token_the_api_answers_401_as_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/bookings")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["api-version"] == "1.0.0"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] and "Bearer" in body["detail"]


async def test_a_token_is_stored_as_a_hash_only_and_its_use_is_recorded(client: httpx.AsyncClient) -> None:
    clerk = await make_user(Role.CLERK)
    secret = await make_api_token(clerk)
    token = await ApiToken.get(user=clerk)
    assert secret not in (token.token_hash, token.prefix) and secret.startswith(token.prefix)
    assert await AuditEntry.filter(action="api_token_created").count() == 1
    response = await client.get("/api/v1/organisations", headers=bearer(secret))
    assert response.status_code == 200
    assert [o["code"] for o in response.json()["items"]] == [clerk.organisation.cbs_code]
    await token.refresh_from_db()
    assert token.last_used_at == clock.now()


async def test_revoked_and_expired_tokens_are_refused(client: httpx.AsyncClient, fixed_clock: Clock) -> None:
    clerk = await make_user(Role.CLERK)
    secret = await make_api_token(clerk)
    token = await ApiToken.get(user=clerk)
    fixed_clock.advance(timedelta(days=31))
    assert await authenticate(secret) is None
    fixed_clock.advance(timedelta(days=-31))
    await revoke_token(token.id, actor=clerk)
    response = await client.get("/api/v1/bookings", headers=bearer(secret))
    assert response.status_code == 401


async def test_another_user_cannot_revoke_a_token_but_a_coordinator_can() -> None:
    clerk = await make_user(Role.CLERK)
    await make_api_token(clerk)
    token = await ApiToken.get(user=clerk)
    other = await make_user(Role.CLERK)
    try:
        await revoke_token(token.id, actor=other)
        raise AssertionError("revoked someone else's token")
    except api.DomainError as error:
        assert error.status_code == 404
    await revoke_token(token.id, actor=await make_user(Role.COORDINATOR))
    await token.refresh_from_db()
    assert token.revoked_at is not None


async def test_a_token_without_the_scope_gets_403(client: httpx.AsyncClient) -> None:
    finance = await make_user(Role.FINANCE)
    secret = await make_api_token(finance, scopes=("read",))
    response = await client.get("/api/v1/invoices", headers=bearer(secret))
    assert response.status_code == 403
    assert "invoices" in response.json()["detail"]


async def test_reads_carry_an_etag_and_answer_304_when_unchanged(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    booking = await make_booking(organisation=organisation)
    secret = await make_api_token(await make_user(Role.CLERK, organisation=organisation))
    first = await client.get(f"/api/v1/bookings/{booking.reference}", headers=bearer(secret))
    assert first.status_code == 200 and first.json()["reference"] == booking.reference
    etag = first.headers["etag"]
    again = await client.get(
        f"/api/v1/bookings/{booking.reference}", headers={**bearer(secret), "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.headers["etag"] == etag


async def test_bookings_are_paged_with_a_cursor(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    references = [(await make_booking(organisation=organisation)).reference for _ in range(3)]
    secret = await make_api_token(await make_user(Role.CLERK, organisation=organisation))
    first = (await client.get("/api/v1/bookings?pageSize=2", headers=bearer(secret))).json()
    assert first["next"]
    rest = (
        await client.get(f"/api/v1/bookings?pageSize=2&cursor={first['next']}", headers=bearer(secret))
    ).json()
    assert rest["next"] is None
    seen = [b["reference"] for b in first["items"] + rest["items"]]
    assert seen == list(reversed(references))


async def test_bad_query_input_names_the_field(client: httpx.AsyncClient) -> None:
    secret = await make_api_token(await make_user(Role.COORDINATOR))
    response = await client.get("/api/v1/bookings?pageSize=0", headers=bearer(secret))
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "pageSize"


async def test_an_unknown_api_path_is_a_problem_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/bestaat-niet")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_too_many_calls_get_429_with_retry_after(client: httpx.AsyncClient, monkeypatch) -> None:
    monkeypatch.setattr(api, "RATE_LIMIT", 2)
    secret = await make_api_token(await make_user(Role.COORDINATOR))
    statuses = [(await client.get("/api/v1/offerings", headers=bearer(secret))).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = await client.get("/api/v1/offerings", headers=bearer(secret))
    assert response.headers["retry-after"] == "60"


async def test_a_coordinator_reads_contacts_tour_steps_and_the_calendar(client: httpx.AsyncClient) -> None:
    from bookings.contacts_models import Contact
    from bookings.models import BookingStatus

    organisation = await make_organisation()
    await Contact.create(organisation=organisation, name="Griffier", function="griffier", email="g@a.nl")
    booking = await make_booking(
        organisation=organisation,
        status=BookingStatus.SCHEDULED,
        starts_at=clock.now() + timedelta(days=30),
        ends_at=clock.now() + timedelta(days=30, hours=3),
    )
    headers = bearer(await make_api_token(await make_user(Role.COORDINATOR)))
    code = organisation.cbs_code
    contacts = (await client.get(f"/api/v1/organisations/{code}/contacts", headers=headers)).json()
    assert [c["email"] for c in contacts["items"]] == ["g@a.nl"]
    tour = (await client.get(f"/api/v1/organisations/{code}/tour-steps", headers=headers)).json()
    assert tour["organisationCode"] == code and tour["steps"]
    calendar = await client.get(f"/api/v1/bookings/{booking.reference}/calendar", headers=headers)
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in calendar.content


async def test_idempotency_keys_are_purged_after_a_day(fixed_clock: Clock) -> None:
    from server.models import IdempotentRequest
    from server.retention import purge_expired

    await make_api_token(await make_user(Role.CLERK))
    token = await ApiToken.first()
    await IdempotentRequest.create(token=token, key="k", request_hash="h", status_code=201, body="{}")
    assert (await purge_expired()).idempotency_keys == 0
    fixed_clock.advance(timedelta(days=1, minutes=1))
    assert (await purge_expired()).idempotency_keys == 1
