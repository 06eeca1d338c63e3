"""Who hears about a booking, and the mails of each step of its life (with iCalendar files where
the calendar changes). Mails are queued in the caller's transaction: they go out after it commits."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr

from tortoise.models import Model

from bookings import calendar
from bookings.models import Booking
from bookings.pricing import booking_price
from server.mail import compose_mails, queue_mail, store_mails
from server.models import Role, User
from server.settings import Settings


async def clerk_addresses(booking: Booking, requester: User | None = None) -> list[str]:
    """Who hears about a booking: the clerk who made it, or else the organisation's active clerks.

    `requester` is the user who made the booking, when the caller has them at hand.
    """
    if booking.requested_by_id:  # type: ignore[attr-defined]
        if requester is None or requester.id != booking.requested_by_id:  # type: ignore[attr-defined]
            requester = await User.get_or_none(id=booking.requested_by_id)  # type: ignore[attr-defined]
        if (
            requester
            and requester.is_active
            and requester.role is Role.CLERK
            and requester.organisation_id == booking.organisation_id  # type: ignore[attr-defined]
        ):
            return [requester.email]
    return list(
        await User.filter(organisation_id=booking.organisation_id, role=Role.CLERK, is_active=True)  # type: ignore[attr-defined]
        .order_by("id")
        .values_list("email", flat=True)
    )


async def coordinator_addresses() -> list[str]:
    return list(
        await User.filter(role=Role.COORDINATOR, is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
    )


async def notify(
    booking: Booking,
    event: str,
    settings: Settings,
    *,
    method: str | None = None,
    extra_staff: bool = False,
    trainers: Sequence[User] = (),
    requester: User | None = None,
    **context: object,
) -> None:
    """Queue the mails for `event`: to the clerks, to `trainers` (template `<event>_trainer`), and with
    extra_staff to the coordinators. With `method`, the clerks and trainers get an iCalendar file.

    The booking's organisation and offering are fetched unless the caller loaded them already;
    `requester` (see clerk_addresses) saves looking up the clerk. The templates get the rest through
    `context` (a new booking's mails: `preferred_starts`, the preferred start times in order)."""
    missing = [name for name in ("organisation", "offering") if not isinstance(getattr(booking, name), Model)]
    if missing:
        await booking.fetch_related(*missing)
    clerks = await clerk_addresses(booking, requester)
    page = f"{settings.base_url}/boekingen/{booking.reference}"
    attachments = []
    if method:
        attendees = [*clerks, *(trainer.email for trainer in trainers)]
        organizer = parseaddr(settings.mail_from)[1]
        attachments = [
            calendar.booking_event(booking, method=method, organizer_email=organizer, attendees=attendees)
        ]
    values = {"booking": booking, "price": booking_price(booking), "link": page, **context}
    clerk_mails = compose_mails(clerks, f"bookings/{event}", values)
    staff_mails = (
        compose_mails(await coordinator_addresses(), f"bookings/{event}_staff", values) if extra_staff else []
    )
    if attachments:
        await store_mails(clerk_mails, attachments)
        await store_mails(staff_mails)
    else:
        await store_mails([*clerk_mails, *staff_mails])
    for trainer in trainers:
        trainer_values = {
            **values,
            "trainer": trainer,
            "link": f"{settings.base_url}/trainer/sessies/{booking.reference}",
        }
        await queue_mail(trainer.email, f"bookings/{event}_trainer", trainer_values, attachments)
