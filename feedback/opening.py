"""Opening a session's feedback: when it starts, it gets its link (a short code) with the current
version of its offering's form and its participant codes, and its clerks a mail with the links to
forward. A periodic job (`open_started_sessions`) does it; the handout does it on demand."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from bookings.models import Booking, BookingStatus
from feedback import codes
from feedback.models import FeedbackForm, OfferingForm, SessionFeedback
from feedback.policy import FeedbackPolicy
from server import clock
from server.mail import queue_mail
from server.models import Role, User
from server.settings import Settings
from server.unique_codes import new_code, with_free_code

COLLECTING = (BookingStatus.CONFIRMED, BookingStatus.DELIVERED, BookingStatus.CLOSED)


async def open_feedback(booking: Booking, policy: FeedbackPolicy) -> SessionFeedback | None:
    """The session's feedback link, made when first needed; None when its offering has no form."""
    existing = await SessionFeedback.get_or_none(booking=booking)
    if existing or booking.starts_at is None:
        return existing
    link = await OfferingForm.get_or_none(offering_id=booking.offering_id)  # type: ignore[attr-defined]
    if link is None:
        return None
    form = await FeedbackForm.get(id=link.form_id)  # type: ignore[attr-defined]
    starts_at = booking.starts_at

    async def create() -> SessionFeedback:
        async with in_transaction():  # a savepoint when called in a transaction: a taken code is undone
            return await SessionFeedback.create(
                booking=booking,
                form=form,
                code=new_code(),
                opens_at=starts_at,
                closes_at=starts_at + policy.window,
            )

    session = await with_free_code(create, "session_feedback", "code")
    await codes.issue(session, codes.codes_for(booking.expected_participants or 0))
    return session


async def open_started_sessions(settings: Settings, now: datetime | None = None) -> int:
    """Periodic job: sessions that started get their link, and their clerks a mail to forward it."""
    now = now or clock.now()
    policy = FeedbackPolicy.from_settings(settings)
    with_form = await OfferingForm.all().values_list("offering_id", flat=True)
    started = await Booking.filter(
        status__in=COLLECTING,
        starts_at__lte=now,
        starts_at__gt=now - policy.window,
        offering_id__in=list(with_form),
    ).select_related("organisation", "offering")
    linked = set(
        await SessionFeedback.filter(booking_id__in=[b.id for b in started]).values_list(
            "booking_id", flat=True
        )
    )
    started = [b for b in started if b.id not in linked]
    mailed = 0
    for booking in started:
        async with in_transaction():
            locked = await Booking.select_for_update().get(id=booking.id)
            if await SessionFeedback.exists(booking=locked):
                continue
            session = await open_feedback(booking, policy)
            if session is None:
                continue
            for clerk in await User.filter(
                organisation_id=booking.organisation_id, role=Role.CLERK, is_active=True
            ):  # type: ignore[attr-defined]
                await queue_mail(
                    clerk.email,
                    "feedback/link",
                    {
                        "booking": booking,
                        "session": session,
                        "links": [
                            (codes.grouped(code), code_url(settings, code))
                            for code in await codes.unused(session)
                        ],
                        "enter_url": f"{settings.base_url}/f",
                        "clerk": clerk,
                    },
                )
            session.clerk_mailed_at = now
            await session.save(update_fields=["clerk_mailed_at"])
            mailed += 1
    return mailed


def feedback_url(settings: Settings, session: SessionFeedback) -> str:
    """The open link (it admits responses only while `session.is_open_link` is on)."""
    return code_url(settings, session.code)


def code_url(settings: Settings, code: str) -> str:
    return f"{settings.base_url}/f/{code}"
