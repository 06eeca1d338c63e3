"""Private calendar feeds: one secret, renewable address per user with the sessions they may see.

Rules:
- The token in the address is the only key to the feed (calendar programs cannot log in). It is
  random (256 bits) and renewing it makes the old address stop working at once.
- A feed follows its user: a deactivated user's feed answers 404, as does an unknown token.
- What is in it: a clerk gets their organisation's sessions that have a date (scheduled,
  confirmed, delivered, closed, and cancelled ones, marked cancelled); a coordinator every scheduled
  and confirmed session; other roles nothing yet.

Errors: `NotFound` (404) for an unknown token or an inactive user.
"""

from __future__ import annotations

import secrets

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings.models import Booking, BookingStatus, CalendarFeed
from bookings.staffing_models import RequestStatus
from server.audit import record
from server.errors import NotFound
from server.models import Role, User

CLERK_STATUSES = (
    BookingStatus.SCHEDULED,
    BookingStatus.CONFIRMED,
    BookingStatus.DELIVERED,
    BookingStatus.CLOSED,
    BookingStatus.CANCELLED,
)
COORDINATOR_STATUSES = (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def feed_url(base_url: str, feed: CalendarFeed) -> str:
    return f"{base_url.rstrip('/')}/agenda/{feed.token}.ics"


async def feed_for(user: User) -> CalendarFeed:
    """The user's feed, made on first use. Two first visits at once end with the same feed."""
    existing = await CalendarFeed.get_or_none(user_id=user.id)
    if existing is not None:
        return existing
    try:
        async with in_transaction():
            return await CalendarFeed.create(user=user, token=_new_token())
    except IntegrityError:
        return await CalendarFeed.get(user_id=user.id)


async def renew_feed(user: User) -> CalendarFeed:
    """Give the feed a new token, so that the old address (shared, leaked) stops working; audited."""
    await feed_for(user)
    async with in_transaction():
        feed = await CalendarFeed.select_for_update().get(user_id=user.id)
        feed.token = _new_token()
        await feed.save(update_fields=["token"])
        await record(user, "calendar_feed_renewed", feed)
    return feed


async def bookings_in_feed(token: str) -> tuple[User, list[Booking]]:
    """The feed's owner and the sessions in their feed, earliest first. Raises NotFound."""
    feed = await CalendarFeed.get_or_none(token=token).select_related("user")
    if feed is None or not feed.user.is_active:
        raise NotFound()
    user = feed.user
    if user.role is Role.CLERK:
        listed = Booking.filter(organisation_id=user.organisation_id, status__in=CLERK_STATUSES)  # type: ignore[attr-defined]
    elif user.role is Role.COORDINATOR:
        listed = Booking.filter(status__in=COORDINATOR_STATUSES)
    elif user.role is Role.TRAINER:
        listed = Booking.filter(
            assignment_requests__trainer_id=user.id,
            assignment_requests__status=RequestStatus.ACCEPTED,
            status__in=COORDINATOR_STATUSES,
        ).distinct()
    else:
        return user, []  # finance has no sessions
    bookings = (
        await listed.filter(starts_at__isnull=False)
        .select_related("offering", "organisation")
        .order_by("starts_at", "id")
    )
    return user, list(bookings)
