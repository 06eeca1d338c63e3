"""Booking and answering through API v1: the form's rules and messages, Idempotency-Key, and the
double-booking guarantee under 50 simultaneous calls (PostgreSQL with --db postgres)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx

from bookings.models import Booking, BookingStatus, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus
from server.clock import AMSTERDAM
from server.models import IdempotentRequest, Role
from tests.bookings.factories import make_booking, make_offering
from tests.bookings.test_assignment import START, scheduled_booking, trainer
from tests.bookings.test_routes import days_ahead
from tests.factories import make_api_token, make_organisation, make_user


def booking_body(code: str, offering_id: int, **overrides: object) -> dict[str, object]:
    start = datetime.fromisoformat(f"{days_ahead(40)}T19:30").replace(tzinfo=AMSTERDAM)
    body: dict[str, object] = {
        "organisationCode": code,
        "offeringId": offering_id,
        "localSituation": "Bedreigingen na een besluit over een azc.",
        "expectedParticipants": 35,
        "partOfDay": "evening",
        "locationAddress": "Raadhuis, Markt 1, Zeist",
        "contactName": "Petra de Griffier",
        "contactPhone": "06 1234 5678",
        "invoiceEmail": "facturen@zeist.nl",
        "preferredStarts": [start.isoformat()],
    }
    body.update(overrides)
    return body


async def clerk_with_token() -> tuple[str, str]:
    organisation = await make_organisation(name="Zeist")
    clerk = await make_user(Role.CLERK, organisation=organisation)
    return organisation.cbs_code, await make_api_token(clerk)


async def test_a_clerk_books_through_the_api(client: httpx.AsyncClient) -> None:
    code, secret = await clerk_with_token()
    offering = await make_offering()
    response = await client.post(
        "/api/v1/bookings",
        json=booking_body(code, offering.id),
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.text
    booking = await Booking.get(reference=response.json()["reference"])
    assert booking.status is BookingStatus.REQUESTED and booking.expected_participants == 35
    assert response.headers["api-version"] == "1.0.0"


async def test_the_forms_messages_come_back_per_field(client: httpx.AsyncClient) -> None:
    code, secret = await clerk_with_token()
    offering = await make_offering()
    body = booking_body(code, offering.id, expectedParticipants=0, contactName="")
    response = await client.post("/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    reasons = {p["name"]: p["reason"] for p in problem["invalidParams"]}
    assert reasons["expectedParticipants"].startswith("Vul het verwachte aantal deelnemers in")
    assert "contactName" in reasons
    assert await Booking.all().count() == 0


async def test_a_second_free_session_is_refused_with_the_forms_message(client: httpx.AsyncClient) -> None:
    code, secret = await clerk_with_token()
    offering = await make_offering()
    headers = {"Authorization": f"Bearer {secret}"}
    assert (
        await client.post("/api/v1/bookings", json=booking_body(code, offering.id), headers=headers)
    ).status_code == 201
    again = booking_body(code, offering.id, preferredStarts=[f"{days_ahead(60)}T19:30:00+01:00"])
    response = await client.post("/api/v1/bookings", json=again, headers=headers)
    assert response.status_code == 400 and "al een gratis raadsbrede sessie" in response.json()["detail"]


async def test_a_repeat_with_the_same_idempotency_key_books_once(client: httpx.AsyncClient) -> None:
    code, secret = await clerk_with_token()
    offering = await make_offering()
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "aanvraag-1"}
    first = await client.post("/api/v1/bookings", json=booking_body(code, offering.id), headers=headers)
    second = await client.post("/api/v1/bookings", json=booking_body(code, offering.id), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    assert await Booking.all().count() == 1
    other = booking_body(code, offering.id, expectedParticipants=12)
    reused = await client.post("/api/v1/bookings", json=other, headers=headers)
    assert reused.status_code == 422


async def test_fifty_simultaneous_posts_with_one_key_make_one_booking(client: httpx.AsyncClient) -> None:
    code, secret = await clerk_with_token()
    offering = await make_offering()
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "gelijktijdig"}
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/bookings", json=booking_body(code, offering.id), headers=headers)
            for _ in range(50)
        )
    )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    assert await Booking.all().count() == 1
    assert await IdempotentRequest.all().count() == 1
    assert len({r.json()["reference"] for r in responses if r.status_code == 201}) == 1


async def test_a_clerk_cancels_with_a_reason_as_on_the_page(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    booking = await make_booking(organisation=organisation)
    secret = await make_api_token(await make_user(Role.CLERK, organisation=organisation))
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/bookings/{booking.reference}/cancellation"
    refused = await client.post(url, json={}, headers=headers)
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "reason"
    done = await client.post(url, json={"reason": "Raad gaat niet door"}, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "cancelled"


async def test_fifty_simultaneous_accepts_of_overlapping_requests_accept_one(
    client: httpx.AsyncClient,
) -> None:
    tamara = await trainer(per_month=100)
    requests = []
    for n in range(50):
        booking = await scheduled_booking(starts_at=START + timedelta(minutes=2 * n))
        requests.append(
            await AssignmentRequest.create(
                booking=booking,
                trainer=tamara,
                kind=TrainerKind.TRAINER,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                expires_at=START,
            )
        )
    secret = await make_api_token(tamara, scopes=("read", "answer-requests"))
    headers = {"Authorization": f"Bearer {secret}"}
    responses = await asyncio.gather(
        *(client.post(f"/api/v1/assignment-requests/{r.id}/acceptance", headers=headers) for r in requests)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, statuses
    assert all(status in (200, 409) for status in statuses), statuses
    assert await AssignmentRequest.filter(trainer=tamara, status=RequestStatus.ACCEPTED).count() == 1


async def test_a_clerk_moves_a_scheduled_session_within_the_rules(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    first = datetime.fromisoformat(f"{days_ahead(40)}T19:30").replace(tzinfo=AMSTERDAM)
    booking = await make_booking(
        organisation=organisation,
        status=BookingStatus.SCHEDULED,
        starts_at=first,
        ends_at=first + timedelta(hours=3),
    )
    secret = await make_api_token(await make_user(Role.CLERK, organisation=organisation))
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/bookings/{booking.reference}"
    bad = await client.patch(url, json={"startsAt": "morgen"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "startsAt"
    later = datetime.fromisoformat(f"{days_ahead(50)}T19:30").replace(tzinfo=AMSTERDAM)
    moved = await client.patch(url, json={"startsAt": later.isoformat()}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["startsAt"]) == later
