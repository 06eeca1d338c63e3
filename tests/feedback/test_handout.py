"""The feedback handout: an A4 PDF with the QR code, link and code, for who may see the session."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import pytest
from pypdf import PdfReader

from bookings.models import Booking, BookingStatus, TrainerKind
from bookings.staffing_models import RequestStatus
from feedback import codes, handout, opening
from feedback.models import OfferingForm, ParticipantCode, SessionFeedback
from feedback.policy import FeedbackPolicy
from server import clock
from server.models import Role, User
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering, make_request, make_trainer
from tests.factories import make_user, sign_in
from tests.feedback.test_collect import make_form

PATH = "/feedback/sessies/{reference}/uitdeelblad.pdf"


async def confirmed_booking(days: int = 3) -> Booking:
    offering = await make_offering(name="Omgaan met agressie en intimidatie")
    await OfferingForm.create(offering=offering, form=await make_form())
    return await make_booking(
        offering=offering, starts_at=clock.now() + timedelta(days=days), status=BookingStatus.CONFIRMED
    )


def pdf_text(content: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


async def test_the_handout_has_a_slip_per_unused_code_and_says_what_it_is_for(settings: Settings) -> None:
    booking = await confirmed_booking(days=-1)
    session = await opening.open_feedback(booking, FeedbackPolicy())
    assert session is not None
    await session.fetch_related("booking__organisation", "booking__offering")
    unused = await codes.unused(session)
    assert len(unused) == codes.codes_for(booking.expected_participants)
    await ParticipantCode.filter(code=unused[0]).update(is_used=True)
    content = await handout.handout_pdf(session, settings.base_url)
    reader = PdfReader(io.BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "testserver/f",
        codes.grouped(unused[1]),
        codes.grouped(unused[-1]),
        booking.organisation.name,
        "Omgaan met agressie en intimidatie",
        "Anoniem, ongeveer 2 minuten",
    ):
        assert expected in text
    assert codes.grouped(unused[0]) not in text  # used: no slip
    assert "Open link" not in text
    assert "data:image/svg+xml" in handout.qr_data_uri(f"{settings.base_url}/f/{unused[1]}")


async def who(role: str, booking: Booking) -> User:
    match role:
        case "coordinator":
            return await make_user(Role.COORDINATOR)
        case "clerk":
            return await make_user(Role.CLERK, organisation=booking.organisation)
        case "other_clerk":
            return await make_user(Role.CLERK)
        case "finance":
            return await make_user(Role.FINANCE)
        case "trainer":
            trainer = await make_trainer()
            await make_request(booking, trainer, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
            return trainer
        case "declined_trainer":
            trainer = await make_trainer()
            await make_request(booking, trainer, TrainerKind.TRAINER, RequestStatus.DECLINED)
            return trainer
    raise AssertionError(role)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("coordinator", 200),
        ("clerk", 200),
        ("trainer", 200),
        ("other_clerk", 404),
        ("declined_trainer", 404),
        ("finance", 403),
    ],
)
async def test_who_may_print_the_handout(client: httpx.AsyncClient, role: str, status: int) -> None:
    booking = await confirmed_booking()
    await sign_in(client, await who(role, booking))
    response = await client.get(PATH.format(reference=booking.reference))
    assert response.status_code == status
    session = await SessionFeedback.get_or_none(booking=booking)
    if status == 200:
        assert response.headers["content-type"] == "application/pdf"
        assert session is not None and session.opens_at == booking.starts_at
        first = (await codes.unused(session))[0]
        assert codes.grouped(first) in pdf_text(response.content)
    else:
        assert session is None, "nothing is made for a user who may not see the session"


async def test_anonymous_visitors_are_sent_to_log_in(client: httpx.AsyncClient) -> None:
    booking = await confirmed_booking()
    response = await client.get(PATH.format(reference=booking.reference))
    assert response.status_code == 303 and response.headers["location"].startswith("/inloggen")


async def test_the_handout_reuses_the_sessions_link(client: httpx.AsyncClient, settings: Settings) -> None:
    booking = await confirmed_booking()
    await sign_in(client, await make_user(Role.COORDINATOR))
    first = await client.get(PATH.format(reference=booking.reference))
    second = await client.get(PATH.format(reference=booking.reference))
    assert first.status_code == second.status_code == 200
    assert await SessionFeedback.filter(booking=booking).count() == 1
    # The periodic job later finds the link made and does not make another.
    assert await opening.open_started_sessions(settings, now=booking.starts_at + timedelta(minutes=1)) == 0


async def test_no_handout_for_a_request_or_an_offering_without_a_form(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    requested = await make_booking()
    without_form = await make_booking(
        starts_at=clock.now() + timedelta(days=3), status=BookingStatus.CONFIRMED
    )
    for booking in (requested, without_form):
        assert (await client.get(PATH.format(reference=booking.reference))).status_code == 404
    assert (await client.get(PATH.format(reference="WB-NIETS"))).status_code == 404
    assert await SessionFeedback.all().count() == 0
