"""The handout (*uitdeelblad*): slips to cut, one per participant, each with a participant code as
QR code and as text (feedback/codes.py), to hand out at the end of a session so participants give
their opinion on the spot. It holds the codes not used yet; while a coordinator has switched on the
open link, its first page shows that link, marked as such.

Who may print it is `results.session_for`'s rule (a coordinator, a clerk of the booking's
organisation, a trainer with an accepted request on the booking). A session gets its feedback link
when it starts; printing the handout before that makes the link early, with the same window.

Errors: NotFound (404) for a booking the user may not see, or one without a feedback form.
"""

from __future__ import annotations

import segno
from tortoise.transactions import in_transaction

from bookings.models import Booking
from feedback import codes, opening, results
from feedback.models import SessionFeedback
from feedback.policy import FeedbackPolicy
from server.errors import NotFound
from server.models import User
from server.pdf import render_pdf
from server.templating import render_document

TEMPLATE = "pdf/feedback_handout.html"


def handout_filename(session: SessionFeedback) -> str:
    return f"uitdeelblad-feedback-{session.code}.pdf"


async def session_for_handout(user: User, reference: str, policy: FeedbackPolicy) -> SessionFeedback:
    """The feedback session of booking `reference` for its handout, made now if the session has not
    started yet (a booking that is confirmed or later, whose offering has a form).

    Raises NotFound unless `user` may see the session (`results.session_for`); nothing is made for a
    user who may not.
    """
    try:
        return await results.session_for(user, reference)
    except NotFound:
        booking = await Booking.get_or_none(reference=reference, status__in=opening.COLLECTING)
        if booking is None or booking.starts_at is None:
            raise
    # Made and checked in one transaction: when the user may not see it, it is rolled back.
    async with in_transaction():
        locked = await Booking.select_for_update().get(id=booking.id)
        if await opening.open_feedback(locked, policy) is None:
            raise NotFound()
        return await results.session_for(user, reference)


def qr_data_uri(url: str) -> str:
    """The link as a QR code, an SVG `data:` URI (the PDF's URL fetcher allows `data:` only)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=10, border=2, dark="#000000")


def _bare(url: str) -> str:
    return url.removeprefix("https://").removeprefix("http://")


async def handout_pdf(session: SessionFeedback, base_url: str) -> bytes:
    """The slips for `session` (with booking, organisation and offering fetched): its unused codes."""
    booking = session.booking
    slips = [
        {"code": codes.grouped(code), "qr": qr_data_uri(f"{base_url}/f/{code}")}
        for code in await codes.unused(session)
    ]
    open_url = f"{base_url}/f/{session.code}"
    return await render_pdf(
        render_document(
            TEMPLATE,
            {
                "slips": slips,
                "enter_url": _bare(f"{base_url}/f"),
                "is_open_link": session.is_open_link,
                "open_url": _bare(open_url),
                "open_qr": qr_data_uri(open_url) if session.is_open_link else "",
                "offering_name": booking.offering.name,
                "organisation_name": booking.organisation.name,
                "starts_at": booking.starts_at,
                "closes_at": session.closes_at,
            },
        )
    )
