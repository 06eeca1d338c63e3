"""Who hears about a booking, and the mails of each step of its life (with iCalendar files where
the calendar changes). Mails are queued in the caller's transaction: they go out after it commits."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.models import Model

from bookings import invitations
from bookings.models import Booking
from bookings.pricing import booking_price
from server.languages import recipient_languages
from server.mail import Attachment, compose_mails, queue_mail, store_mails
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
    also_in_calendar: Sequence[str] = (),
    requester: User | None = None,
    **context: object,
) -> dict[str, Attachment]:
    """Queue the mails for `event`: to the clerks, to `trainers` (template `<event>_trainer`), and with
    extra_staff to the coordinators. With `method` (REQUEST or CANCEL, bookings/invitations.py) the
    clerks, the contact on the day and the trainers get the calendar part each is due, and the
    contact on the day, who has no account, a short mail of their own to carry it.

    `also_in_calendar`: addresses that get a calendar part but no mail from here; the caller mails
    them with the returned parts (by address). The
    booking's organisation and offering are fetched unless the caller loaded them already;
    `requester` (see clerk_addresses) saves looking up the clerk. The templates get the rest through
    `context` (a new booking's mails: `preferred_starts`, the preferred start times in order)."""
    missing = [name for name in ("organisation", "offering") if not isinstance(getattr(booking, name), Model)]
    if missing:
        await booking.fetch_related(*missing)
    clerks = await clerk_addresses(booking, requester)
    contact = invitations.contact_address(booking)
    parts: dict[str, Attachment] = {}
    if method:
        recipients = [
            *clerks,
            *([contact] if contact else []),
            *(trainer.email for trainer in trainers),
            *also_in_calendar,
        ]
        if method == "REQUEST":
            parts = await invitations.request_parts(booking, recipients, settings)
        else:
            parts = await invitations.cancel_parts(booking, recipients, settings, whole_session=True)
    values = {
        "booking": booking,
        "price": booking_price(booking),
        "link": f"{settings.base_url}/boekingen/{booking.reference}",
        "has_calendar": False,
        **context,
    }
    in_calendar = [clerk for clerk in clerks if _part(parts, clerk)]
    others = [clerk for clerk in clerks if not _part(parts, clerk)]
    staff = await coordinator_addresses() if extra_staff else []
    languages = await recipient_languages([*clerks, *staff])
    staff_mails = await compose_mails(staff, f"bookings/{event}_staff", values, languages)
    # Mails without a calendar part go in with one statement; each calendar part is its recipient's own.
    await store_mails([*await compose_mails(others, f"bookings/{event}", values, languages), *staff_mails])
    calendar_values = {**values, "has_calendar": True}
    for message in await compose_mails(in_calendar, f"bookings/{event}", calendar_values, languages):
        await store_mails([message], _part(parts, message.to_address))
    if contact and contact in parts and contact not in {clerk.lower() for clerk in clerks}:
        await queue_mail(
            contact,
            "bookings/calendar_contact",
            {**values, "event": event, "has_calendar": True},
            [parts[contact]],
        )
    for trainer in trainers:
        trainer_values = {
            **values,
            "trainer": trainer,
            "link": f"{settings.base_url}/trainer/sessies/{booking.reference}",
        }
        part = _part(parts, trainer.email)
        await queue_mail(
            trainer.email, f"bookings/{event}_trainer", {**trainer_values, "has_calendar": bool(part)}, part
        )
    return parts


def _part(parts: dict[str, Attachment], address: str) -> list[Attachment]:
    part = parts.get(address.lower())
    return [part] if part else []


async def release_trainer(booking: Booking, trainer: User, why: str, settings: Settings) -> None:
    """`trainer` is off a session that goes on: a CANCEL for their calendar, if it holds the session.

    `why`: 'withdrawn' (they withdrew), 'removed' (the team took them off), 'declined' (they declined
    the new date) or 'expired' (they did not answer after a move). A trainer the team takes off is
    told even without a calendar entry; the others know already.
    """
    await booking.fetch_related("organisation", "offering")
    parts = await invitations.cancel_parts(booking, [trainer.email], settings, whole_session=False)
    if not parts and why != "removed":
        return
    values = {
        "booking": booking,
        "trainer": trainer,
        "why": why,
        "has_calendar": bool(parts),
        "link": f"{settings.base_url}/trainer/sessies",
    }
    await queue_mail(trainer.email, "bookings/released_trainer", values, _part(parts, trainer.email))


async def invite_trainer(booking: Booking, trainer: User, settings: Settings) -> None:
    """`trainer` joins a confirmed session: the confirmation with their invitation (REQUEST)."""
    await booking.fetch_related("organisation", "offering")
    parts = await invitations.request_parts(booking, [trainer.email], settings)
    values = {
        "booking": booking,
        "trainer": trainer,
        "has_calendar": True,
        "link": f"{settings.base_url}/trainer/sessies/{booking.reference}",
    }
    await queue_mail(trainer.email, "bookings/confirmed_trainer", values, _part(parts, trainer.email))
