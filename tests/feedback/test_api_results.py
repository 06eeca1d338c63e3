"""Feedback results through API v1: aggregates only, and exactly as the results page shows them
(after the form closed, from the threshold on; never open answers)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from server import clock
from server.models import AuditEntry, Role
from tests.factories import make_api_token, make_user
from tests.feedback.test_results import POLICY, add_responses, make_session


async def results_of(client: httpx.AsyncClient, reference: str) -> dict:
    secret = await make_api_token(await make_user(Role.COORDINATOR))
    response = await client.get(
        f"/api/v1/bookings/{reference}/feedback-results", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    return response.json()


async def test_below_the_threshold_only_the_count(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, POLICY.threshold - 1)
    body = await results_of(client, session.booking.reference)
    assert (body["responseCount"], body["isShown"], body["questions"]) == (POLICY.threshold - 1, False, [])


async def test_an_open_form_shows_nothing_yet(client: httpx.AsyncClient) -> None:
    session = await make_session(opens_at=clock.now() - timedelta(days=1))
    await add_responses(session, POLICY.threshold + 3)
    body = await results_of(client, session.booking.reference)
    assert (body["isClosed"], body["isShown"], body["questions"]) == (False, False, [])


async def test_from_the_threshold_the_totals_without_open_answers(client: httpx.AsyncClient) -> None:
    session = await make_session()
    await add_responses(session, POLICY.threshold, text="Iets persoonlijks")
    body = await results_of(client, session.booking.reference)
    assert body["isShown"] and body["responseCount"] == POLICY.threshold
    assert {q["kind"] for q in body["questions"]} == {"scale", "grade", "single", "multiple"}
    scale = next(q for q in body["questions"] if q["kind"] == "scale")
    assert {"label": "4", "count": POLICY.threshold} in scale["distribution"] and scale["mean"] == 4
    assert "Iets persoonlijks" not in str(body)
    assert not await AuditEntry.filter(action="feedback_open_answers_viewed").exists()
