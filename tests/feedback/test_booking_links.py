"""The feedback links on a booking's page: offered only where the session collects feedback, and none
of the links on the page leads nowhere."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from bookings.models import Audience, Booking, BookingStatus, Stage
from feedback import opening
from feedback.models import OfferingForm
from feedback.policy import FeedbackPolicy
from server import clock
from server.models import Role, User
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_user, sign_in
from tests.feedback.test_collect import make_form

HREF = re.compile(r'href="([^"]*)"')


async def delivered(stage: Stage) -> Booking:
    offering = await make_offering(name=f"Aanbod {stage}", stage=stage, audience=Audience.GROUP)
    await OfferingForm.create(offering=offering, form=await make_form())
    return await make_booking(
        offering=offering,
        status=BookingStatus.DELIVERED,
        starts_at=clock.now() - timedelta(days=2),
        participants_count=6,
        delivered_at=clock.now() - timedelta(days=1),
    )


def local_links(page: str) -> list[str]:
    """The page's links within the app (no anchors, phone numbers or other sites)."""
    return sorted({href for href in HREF.findall(page) if href.startswith("/") and not href.startswith("//")})


async def broken_links(client: httpx.AsyncClient, page: str) -> dict[str, int]:
    broken = {}
    for href in local_links(page):
        status = (await client.get(href)).status_code
        if status >= 400:
            broken[href] = status
    return broken


async def viewer(role: Role, booking: Booking) -> User:
    if role is Role.CLERK:
        return await make_user(role, organisation=booking.organisation)
    return await make_user(role)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CLERK])
async def test_a_delivered_intake_offers_no_feedback_and_no_link_that_leads_nowhere(
    client: httpx.AsyncClient, role: Role
) -> None:
    """Even with a form linked to the intake offering by mistake: an intake collects no feedback."""
    booking = await delivered(Stage.INTAKE)
    await sign_in(client, await viewer(role, booking))

    page = await client.get(f"/boekingen/{booking.reference}")

    assert page.status_code == 200
    assert "Resultaten bekijken" not in page.text and "Uitdeelblad" not in page.text
    assert not any(href.startswith("/feedback/sessies/") for href in local_links(page.text))
    assert await broken_links(client, page.text) == {}


@pytest.mark.parametrize("stage", [Stage.COUNCIL_SESSION, Stage.FOLLOW_UP])
async def test_a_delivered_session_offers_its_results_and_handout_and_both_answer(
    client: httpx.AsyncClient, stage: Stage
) -> None:
    booking = await delivered(stage)
    await opening.open_feedback(booking, FeedbackPolicy())  # what the periodic job does at the start
    await sign_in(client, await make_user(Role.COORDINATOR))

    page = await client.get(f"/boekingen/{booking.reference}")

    links = local_links(page.text)
    assert f"/feedback/sessies/{booking.reference}" in links
    assert f"/feedback/sessies/{booking.reference}/uitdeelblad.pdf" in links
    assert await broken_links(client, page.text) == {}


def test_only_the_intake_stage_collects_no_feedback() -> None:
    assert [stage for stage in Stage if not stage.collects_feedback] == [Stage.INTAKE]
