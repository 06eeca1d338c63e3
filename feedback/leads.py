"""Leads: chances of a follow-up training that coordinators follow up.

Rules:
- **What makes a lead**: a participant's request to be contacted (one lead per request), and the
  answers of a session's participants that they want a follow-up (the first option of the question
  that marks follow-up interest; one lead per session, however many say so). Made in the
  submission's transaction, with a mail to every active coordinator queued in it (sent after commit).
- **Status**: new, contacted, not now are set by coordinators through `change_lead`, which refuses
  other moves (`LeadTransitionRefused`). Booked is not stored: a lead is booked as soon as its
  organisation has a follow-up training booked (not cancelled) after the lead was made. Bookings
  know nothing of leads; this module reads them.
- **Owner and next date**: a coordinator (or nobody) and a day to pick the lead up again.
- **Contacted ends a contact request**: it is marked done, so that its address is deleted by the
  feedback retention, as when it is marked done on the feedback page.

Errors: Forbidden (not a coordinator), NotFound (unknown lead), ValidationFailed (per field),
LeadTransitionRefused (409).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings.models import Booking, BookingStatus, Stage
from feedback.models import ContactRequest, Lead, LeadSource, LeadStatus, SessionFeedback
from server import clock
from server.audit import record
from server.errors import DomainError, Forbidden, NotFound, ValidationFailed
from server.i18n import _, lazy_gettext
from server.mail import compose_mails, store_mails
from server.models import Role, User
from server.settings import Settings

#: The moves a coordinator may make; BOOKED comes only from a booking.
TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.NEW: frozenset({LeadStatus.CONTACTED, LeadStatus.NOT_NOW}),
    LeadStatus.CONTACTED: frozenset({LeadStatus.NOT_NOW}),
    LeadStatus.NOT_NOW: frozenset({LeadStatus.CONTACTED}),
    LeadStatus.BOOKED: frozenset(),
}
STATUS_LABELS = {
    LeadStatus.NEW: lazy_gettext("Nieuw"),
    LeadStatus.CONTACTED: lazy_gettext("Benaderd"),
    LeadStatus.BOOKED: lazy_gettext("Geboekt"),
    LeadStatus.NOT_NOW: lazy_gettext("Nu niet"),
}
SOURCE_LABELS = {
    LeadSource.CONTACT_REQUEST: lazy_gettext("Deelnemer wil contact"),
    LeadSource.FOLLOW_UP_INTEREST: lazy_gettext("Deelnemers willen een vervolg"),
}
#: The statuses that still ask something of the team (under "Actie nodig").
OPEN = (LeadStatus.NEW, LeadStatus.CONTACTED)


class LeadTransitionRefused(DomainError):
    status_code = 409


@dataclass(frozen=True)
class LeadView:
    """A lead as the pages show it, with its status as it is now (booked included)."""

    id: int
    status: LeadStatus
    source: LeadSource
    organisation_name: str
    cbs_code: str
    reference: str
    offering_name: str
    created_at: datetime
    owner_id: int | None
    next_on: date | None
    #: The participant's address, for a contact request not yet removed by retention.
    contact_email: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])

    @property
    def choices(self) -> list[LeadStatus]:
        """The statuses the form offers: this one and those it may move to."""
        return [self.status, *sorted(TRANSITIONS[self.status], key=list(LeadStatus).index)]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


# ---------- Making leads (in the submission's transaction) ----------


async def note_signals(
    session: SessionFeedback,
    *,
    contact_request: ContactRequest | None,
    wants_follow_up: bool,
    settings: Settings,
) -> list[Lead]:
    """Make the leads of one feedback submission and queue the coordinators' mail for each new one.

    Call inside the submission's transaction. A session's follow-up lead is made once: a later
    submission, or one at the same moment (the unique key decides), adds nothing.
    """
    wanted = []
    if contact_request is not None:
        wanted.append((LeadSource.CONTACT_REQUEST, f"contact:{contact_request.id}", contact_request))
    if wants_follow_up:
        wanted.append((LeadSource.FOLLOW_UP_INTEREST, f"follow_up:{session.id}", None))
    wanted = [item for item in wanted if not await Lead.exists(key=item[1])]
    if not wanted:
        return []
    booking = await Booking.get(id=session.booking_id).select_related("organisation", "offering")  # type: ignore[attr-defined]
    made = [await _new_lead(booking, session, *item) for item in wanted]
    new = [lead for lead in made if lead is not None]
    if new:
        await _mail_coordinators(booking, new, settings)
    return new


async def _new_lead(
    booking: Booking,
    session: SessionFeedback,
    source: LeadSource,
    key: str,
    contact_request: ContactRequest | None,
) -> Lead | None:
    try:
        async with in_transaction():  # a savepoint: a key taken meanwhile undoes only this insert
            return await Lead.create(
                organisation_id=booking.organisation_id,  # type: ignore[attr-defined]
                session=session,
                source=source,
                key=key,
                contact_request=contact_request,
            )
    except IntegrityError:
        return None


async def _mail_coordinators(booking: Booking, leads: list[Lead], settings: Settings) -> None:
    addresses = list(
        await User.filter(role=Role.COORDINATOR, is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
    )
    context = {
        "booking": booking,
        "sources": [SOURCE_LABELS[lead.source] for lead in leads],
        "link": f"{settings.base_url}/feedback/leads",
    }
    await store_mails(await compose_mails(addresses, "feedback/lead", context))


# ---------- Reading ----------


LEAD_FIELDS = (
    "id",
    "status",
    "source",
    "created_at",
    "next_on",
    "owner_id",
    "contact_request__email",
    "organisation_id",
    "organisation__name",
    "organisation__cbs_code",
    "session__booking__reference",
    "session__booking__offering__name",
)


async def follow_ups_booked(organisation_ids: Iterable[int]) -> dict[int, list[datetime]]:
    """When each organisation asked for follow-up trainings that are not cancelled."""
    ids = list(set(organisation_ids))
    rows = (
        await Booking.filter(organisation_id__in=ids, offering__stage=Stage.FOLLOW_UP)
        .exclude(status=BookingStatus.CANCELLED)
        .values_list("organisation_id", "created_at")
        if ids
        else []
    )
    booked: dict[int, list[datetime]] = defaultdict(list)
    for organisation_id, created_at in rows:
        booked[organisation_id].append(created_at)
    return booked


def current_status(stored: LeadStatus, created_at: datetime, bookings_made: list[datetime]) -> LeadStatus:
    """BOOKED once a follow-up training was booked after the lead; otherwise what was set."""
    return LeadStatus.BOOKED if any(made >= created_at for made in bookings_made) else stored


def _view(row: dict, booked: dict[int, list[datetime]]) -> LeadView:
    return LeadView(
        id=row["id"],
        status=current_status(
            LeadStatus(row["status"]), row["created_at"], booked.get(row["organisation_id"], [])
        ),
        source=LeadSource(row["source"]),
        organisation_name=row["organisation__name"],
        cbs_code=row["organisation__cbs_code"],
        reference=row["session__booking__reference"],
        offering_name=row["session__booking__offering__name"],
        created_at=row["created_at"],
        owner_id=row["owner_id"],
        next_on=row["next_on"],
        contact_email=row["contact_request__email"] or "",
    )


async def lead_views(*, open_only: bool = False) -> list[LeadView]:
    """Every lead (or those still open: new or contacted, not booked), newest first. Two queries."""
    query = Lead.filter(status__in=OPEN) if open_only else Lead.all()
    rows = await query.order_by("-created_at", "-id").values(*LEAD_FIELDS)
    booked = await follow_ups_booked(row["organisation_id"] for row in rows)
    views = [_view(row, booked) for row in rows]
    return [view for view in views if view.is_open] if open_only else views


async def coordinators() -> list[User]:
    return list(await User.filter(role=Role.COORDINATOR, is_active=True).order_by("name", "id"))


# ---------- Changing ----------


def _parse(values: dict[str, str], owners: dict[int, User]) -> tuple[LeadStatus, User | None, date | None]:
    errors: dict[str, str] = {}
    raw_status = values.get("status", "")
    status = LeadStatus(raw_status) if raw_status in set(LeadStatus) else None
    if status is None:
        errors["status"] = _("Kies een status.")
    raw_owner = values.get("owner_id", "")
    owner = owners.get(int(raw_owner)) if raw_owner.isdigit() and len(raw_owner) < 10 else None
    if raw_owner and owner is None:
        errors["owner_id"] = _("Kies een coördinator, of niemand.")
    raw_day = values.get("next_on", "").strip()
    next_on = None
    if raw_day:
        try:
            next_on = date.fromisoformat(raw_day) if len(raw_day) == 10 else None
        except ValueError:
            next_on = None
        if next_on is None:
            errors["next_on"] = _("Vul een datum in, bijvoorbeeld 2027-03-01, of laat het veld leeg.")
    if errors:
        raise ValidationFailed(errors)
    assert status is not None
    return status, owner, next_on


async def change_lead(lead_id: int, values: dict[str, str], *, actor: User) -> Lead:
    """Set a lead's status (only along TRANSITIONS), owner (an active coordinator) and next date.

    Raises Forbidden, NotFound, ValidationFailed (status, owner_id, next_on) and
    LeadTransitionRefused (a move TRANSITIONS does not allow, or any move of a booked lead).
    """
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    status, owner, next_on = _parse(values, {user.id: user for user in await coordinators()})
    async with in_transaction():
        lead = await Lead.select_for_update().get_or_none(id=lead_id)
        if lead is None:
            raise NotFound()
        booked = await follow_ups_booked([lead.organisation_id])  # type: ignore[attr-defined]
        now = current_status(lead.status, lead.created_at, booked.get(lead.organisation_id, []))  # type: ignore[attr-defined]
        if status is not now and status not in TRANSITIONS[now]:
            raise LeadTransitionRefused(
                _("Een lead met status ‘%(now)s’ kan niet naar ‘%(next)s’.")
                % {"now": STATUS_LABELS[now], "next": STATUS_LABELS[status]}
            )
        if status is not LeadStatus.BOOKED:
            lead.status = status
        if status is LeadStatus.CONTACTED and lead.contact_request_id is not None:  # type: ignore[attr-defined]
            # The contact took place: the address now goes by the contact requests' retention.
            await ContactRequest.filter(id=lead.contact_request_id, done_at__isnull=True).update(  # type: ignore[attr-defined]
                done_at=clock.now()
            )
        lead.owner = owner  # type: ignore[assignment]
        lead.next_on = next_on  # type: ignore[assignment]
        await lead.save(update_fields=["status", "owner_id", "next_on", "updated_at"])
        await record(
            actor,
            "feedback_lead_changed",
            lead,
            f"{status.value}; {owner.name if owner else '-'}; {next_on or '-'}",
        )
    return lead
