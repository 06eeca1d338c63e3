"""Retention of bookings' sensitive text and of contacts, by a periodic job (issue 20).

- A booking's free text (the local situation, special needs, the intake's confidential notes and
  next step, the reason for cancelling) and its contact on the day (name and phone) are cleared
  `booking_text_retention_months` after the session (its start, else its cancellation, else its
  request); reference, organisation, dates, status and money stay for the tour and the accounts.
- Contacts not changed for `contact_retention_months` are deleted; the names and addresses of tour
  mail recipients are cleared that long after the mail (whether it was used stays).

Safe to run in several processes at once: clearing what is already empty changes nothing. An audit
entry (actor: the system) says how many rows were cleared or deleted, only when there were any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bookings.contacts_models import Contact, OutreachRecipient
from bookings.models import Booking
from server import clock
from server.audit import record
from server.i18n import _
from server.settings import Settings

#: The booking columns that hold free text or the contact on the day.
TEXT_FIELDS = (
    "local_situation",
    "special_needs",
    "outcome_notes",
    "next_step",
    "cancellation_reason",
    "contact_name",
    "contact_phone",
    "contact_email",
)
#: The contact name of a booking whose texts have expired: stored and searched for, so one Dutch text
#: whatever the language of the request.
CLEARED = "(verlopen)"
BATCH = 500


def months(count: int) -> timedelta:
    return timedelta(days=round(count * 30.44))


@dataclass(frozen=True)
class BookingRetentionReport:
    booking_texts: int
    contacts: int
    outreach_recipients: int

    @property
    def removed_anything(self) -> bool:
        return bool(self.booking_texts or self.contacts or self.outreach_recipients)


def _session_before(cutoff: datetime) -> Q:
    """Bookings whose session (or, without one, cancellation or request) lies before `cutoff`."""
    return (
        Q(starts_at__lt=cutoff)
        | Q(starts_at__isnull=True, cancelled_at__lt=cutoff)
        | Q(starts_at__isnull=True, cancelled_at__isnull=True, created_at__lt=cutoff)
    )


def _has_text() -> Q:
    has = Q(contact_name__not=CLEARED)
    for name in TEXT_FIELDS:
        if name != "contact_name":
            has |= Q(**{f"{name}__not": ""})
    return has


async def _clear_booking_texts(cutoff: datetime) -> int:
    cleared = 0
    old = Booking.filter(_session_before(cutoff)).filter(_has_text())
    while ids := list(await old.limit(BATCH).values_list("id", flat=True)):
        blank = dict.fromkeys(TEXT_FIELDS, "")
        cleared += await Booking.filter(id__in=ids).update(**{**blank, "contact_name": CLEARED})
    return cleared


async def apply_booking_retention(settings: Settings, now: datetime | None = None) -> BookingRetentionReport:
    """Clear old bookings' text, delete stale contacts, clear old tour recipients; audit the counts
    (actor None, action "booking_retention")."""
    now = now or clock.now()
    contact_cutoff = now - months(settings.contact_retention_months)
    async with in_transaction():
        texts = await _clear_booking_texts(now - months(settings.booking_text_retention_months))
        contacts = await Contact.filter(updated_at__lt=contact_cutoff).delete()
        recipients = (
            await OutreachRecipient.filter(mailed_at__lt=contact_cutoff)
            .exclude(name=CLEARED, email="")
            .update(name=CLEARED, email="", contact_id=None)
        )
        report = BookingRetentionReport(texts, contacts, recipients)
        if report.removed_anything:
            await record(
                None,
                "booking_retention",
                None,
                _(
                    "Bewaartermijn: tekst van {texts} boekingen gewist, {contacts} contactpersonen "
                    "verwijderd, {recipients} ontvangers van tourmails gewist."
                ).format(texts=texts, contacts=contacts, recipients=recipients),
            )
    return report
