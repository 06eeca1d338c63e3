"""Retention of sensitive text (issue 20): bookings' free text and intake notes, contacts and tour
mail recipients, and the names and summaries in the audit log; on the controlled clock."""

from __future__ import annotations

from datetime import timedelta

from bookings.contacts_models import Contact, OutreachRecipient
from bookings.models import Booking, TourInvitation
from bookings.retention import CLEARED, apply_booking_retention, months
from server import clock
from server.app import periodic_jobs
from server.audit import record
from server.clock import Clock
from server.models import AuditEntry, Role
from server.retention import CLEARED_ACTOR, clear_audit_details
from server.settings import Settings
from tests.bookings.factories import make_booking
from tests.factories import make_organisation, make_user

SECRET = "Vertrouwelijk: de burgemeester overweegt aangifte"


async def booking_held(days_ago: int) -> Booking:
    return await make_booking(
        starts_at=clock.now() - timedelta(days=days_ago),
        local_situation="Bedreigingen na het debat",
        outcome_notes=SECRET,
        next_step="Raadsbrede sessie",
        contact_name="Petra de Griffier",
        contact_phone="06 1234 5678",
    )


async def test_booking_text_is_cleared_after_the_retention_and_the_purge_is_audited(
    settings: Settings,
) -> None:
    retention_days = months(settings.booking_text_retention_months).days
    old = await booking_held(retention_days + 1)
    recent = await booking_held(retention_days - 1)

    report = await apply_booking_retention(settings)

    assert report.booking_texts == 1
    cleared = await Booking.get(id=old.id)
    assert (cleared.outcome_notes, cleared.local_situation, cleared.next_step, cleared.contact_phone) == (
        "",
        "",
        "",
        "",
    )
    assert cleared.contact_name == CLEARED and cleared.reference == old.reference
    assert cleared.status == old.status and cleared.starts_at == old.starts_at
    assert (await Booking.get(id=recent.id)).outcome_notes == SECRET
    entry = await AuditEntry.get(action="booking_retention")
    assert entry.actor_id is None and "tekst van 1 boekingen" in entry.summary  # type: ignore[attr-defined]
    again = await apply_booking_retention(settings)
    assert not again.removed_anything
    assert await AuditEntry.filter(action="booking_retention").count() == 1


async def test_the_clock_moving_past_the_retention_clears_the_text(
    settings: Settings, fixed_clock: Clock
) -> None:
    booking = await booking_held(1)
    assert not (await apply_booking_retention(settings)).removed_anything

    fixed_clock.advance(months(settings.booking_text_retention_months))

    assert (await apply_booking_retention(settings)).booking_texts == 1
    assert SECRET not in (await Booking.get(id=booking.id)).outcome_notes


async def test_stale_contacts_go_and_tour_recipients_lose_name_and_address(settings: Settings) -> None:
    organisation = await make_organisation()
    contact = await Contact.create(organisation=organisation, name="Oud", function="griffier", email="o@x.nl")
    invitation = await TourInvitation.create(organisation=organisation, recipients=1)
    recipient = await OutreachRecipient.create(
        invitation=invitation,
        contact=contact,
        name="Oud",
        email="o@x.nl",
        function="griffier",
        token_hash="r" * 64,
        expires_at=clock.now(),
        mailed_at=clock.now(),
        used_at=clock.now(),
    )
    # updated_at is the ORM's (wall-clock) time, so the job is asked about moments after it.
    retention = months(settings.contact_retention_months)
    within = await apply_booking_retention(settings, now=contact.updated_at + retention - timedelta(days=1))
    assert not within.removed_anything and await Contact.exists(id=contact.id)

    report = await apply_booking_retention(settings, now=contact.updated_at + retention + timedelta(days=1))

    assert report.contacts >= 1 and report.outreach_recipients == 1
    assert not await Contact.exists(id=contact.id)
    kept = await OutreachRecipient.get(id=recipient.id)
    assert (kept.name, kept.email, kept.used_at is not None) == (CLEARED, "", True)


async def test_audit_details_are_cleared_after_the_retention_the_event_stays(
    settings: Settings, fixed_clock: Clock
) -> None:
    coordinator = await make_user(Role.COORDINATOR, name="Kees Coördinator", email="kees@weerbaar.example")
    retention = months(settings.audit_detail_retention_months)
    # created_at is set by the ORM, not by the app's clock: place the entries on the test's clock.
    old_entry = await record(coordinator, "user_invited", coordinator, "petra@zeist.nl als griffier")
    await AuditEntry.filter(id=old_entry.id).update(created_at=clock.now() - retention - timedelta(days=1))
    recent_entry = await record(coordinator, "user_invited", coordinator, "recent@zeist.nl als griffier")
    await AuditEntry.filter(id=recent_entry.id).update(created_at=clock.now() - retention + timedelta(days=1))

    assert await clear_audit_details(retention) == 1

    old, recent = await AuditEntry.filter(action="user_invited").order_by("created_at")
    assert (old.summary, old.actor_label, old.actor_id) == ("", CLEARED_ACTOR, coordinator.id)  # type: ignore[attr-defined]
    assert old.object_id == str(coordinator.id)
    assert recent.summary == "recent@zeist.nl als griffier" and "Kees" in recent.actor_label
    assert await AuditEntry.filter(action="audit_details_cleared").count() == 1
    assert await clear_audit_details(retention) == 0


async def test_the_retention_jobs_run_with_the_periodic_jobs(settings: Settings) -> None:
    names = [job.__name__ for job in periodic_jobs(settings)]
    assert {"apply_booking_retention", "clear_audit_details"} <= set(names)
