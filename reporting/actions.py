"""The dashboard's "needs action" lists: what the team should pick up next.

Each list shows the most urgent items (at most `LIST_SIZE`) and how many there are in all. A fixed
number of queries whatever the size of the tour: each list is one to three queries, counted and
grouped in the database, with the details of only the items shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count

from bookings.models import Booking, BookingStatus, OfferingRole, TrainerKind
from bookings.staffing_models import RequestStatus
from feedback.leads import lead_views
from feedback.models import LeadStatus, Response, SessionFeedback
from invoicing.models import Invoice, InvoiceStatus
from reporting.stages import OrganisationProgress, TourStage
from server.i18n import _, ngettext
from server.templating import format_money

LIST_SIZE = 10
UPCOMING_DAYS = 14
FEEDBACK_CLOSING_DAYS = 3


@dataclass(frozen=True)
class ActionItem:
    title: str
    detail: str
    href: str
    #: When it is due or since when it waits.
    moment: datetime | date | None = None
    #: For a session short of trainers: what is missing, as {kind, min_count, max_count} (the
    #: shape of an offering's roles, for the template's labels), and how many are asked.
    missing_roles: tuple[dict[str, object], ...] = ()
    asked: int = 0


@dataclass(frozen=True)
class ActionList:
    key: str
    title: str
    explanation: str
    items: tuple[ActionItem, ...]
    total: int
    #: Where the whole list is (empty when the items are all there is).
    more_href: str = ""


def stale_invitations(organisations: Sequence[OrganisationProgress], now: datetime, weeks: int) -> ActionList:
    """Organisations invited more than `weeks` ago that have not booked anything since."""
    cutoff = now - timedelta(weeks=weeks)
    waiting = sorted(
        (
            o
            for o in organisations
            if o.stage is TourStage.INVITED and o.last_invited_at is not None and o.last_invited_at < cutoff
        ),
        key=lambda o: o.last_invited_at or now,
    )
    items = tuple(
        ActionItem(
            o.name, _("Uitgenodigd, nog geen boeking"), f"/organisaties/{o.cbs_code}", o.last_invited_at
        )
        for o in waiting[:LIST_SIZE]
    )
    return ActionList(
        "uitnodigingen",
        _("Uitnodigingen zonder reactie"),
        ngettext(
            "Uitgenodigd meer dan {n} week geleden, zonder boeking.",
            "Uitgenodigd meer dan {n} weken geleden, zonder boeking.",
            weeks,
        ).format(n=weeks),
        items,
        len(waiting),
        "/tour" if len(waiting) > LIST_SIZE else "",
    )


def _booking_item(row: dict, detail: str, moment: datetime | None, **extra: object) -> ActionItem:
    return ActionItem(
        f"{row['organisation__name']}: {row['offering__name']}",
        detail,
        f"/boekingen/{row['reference']}",
        moment,
        **extra,  # type: ignore[arg-type]
    )


BOOKING_FIELDS = ("id", "reference", "organisation__name", "offering__name", "created_at", "starts_at")


async def waiting_for_scheduling() -> ActionList:
    """Requests of clerks that have no date yet, oldest first."""
    query = Booking.filter(status=BookingStatus.REQUESTED)
    total = await query.count()
    rows = await query.order_by("created_at", "id").limit(LIST_SIZE).values(*BOOKING_FIELDS)
    items = tuple(_booking_item(row, _("Aangevraagd, nog niet ingepland"), row["created_at"]) for row in rows)
    return ActionList(
        "inplannen",
        _("Boekingen die op planning wachten"),
        _("Aanvragen van griffiers zonder datum, de oudste eerst."),
        items,
        total,
        "/boekingen?status=requested" if total > LIST_SIZE else "",
    )


def _request_counts(kinds: set[TrainerKind]) -> dict[str, Count]:
    """Per booking, its accepted and its pending requests of each kind, counted in the database."""
    counts = {}
    for kind in kinds:
        for status in (RequestStatus.ACCEPTED, RequestStatus.PENDING):
            only = Q(assignment_requests__kind=kind, assignment_requests__status=status)
            counts[f"{status.value}_{kind.value}"] = Count("assignment_requests__id", _filter=only)
    return counts


async def roles_without_trainer(now: datetime) -> ActionList:
    """Planned sessions from now on where a role has fewer accepted trainers than it needs."""
    needs: dict[int, list[tuple[TrainerKind, int]]] = {}
    for role in await OfferingRole.filter(min_count__gt=0).values("offering_id", "kind", "min_count"):
        needs.setdefault(role["offering_id"], []).append((TrainerKind(role["kind"]), role["min_count"]))
    counts = _request_counts({kind for roles in needs.values() for kind, _count in roles})
    bookings = (
        await Booking.filter(
            status__in=(BookingStatus.SCHEDULED, BookingStatus.CONFIRMED),
            starts_at__gte=now,
            offering_id__in=list(needs),
        )
        .annotate(**counts)
        .group_by("id", "offering_id", "starts_at")
        .order_by("starts_at", "id")
        .values("id", "offering_id", *counts)
        if needs
        else []
    )
    short: list[tuple[int, tuple[dict[str, object], ...], int]] = []
    for row in bookings:
        missing = {
            kind: needed - row[f"accepted_{kind.value}"]
            for kind, needed in needs[row["offering_id"]]
            if row[f"accepted_{kind.value}"] < needed
        }
        if missing:
            asked = sum(row[f"pending_{kind.value}"] for kind in missing)
            roles = tuple(
                {"kind": kind.value, "min_count": count, "max_count": count}
                for kind, count in missing.items()
            )
            short.append((row["id"], roles, asked))
    first = short[:LIST_SIZE]
    details = {
        row["id"]: row
        for row in (
            await Booking.filter(id__in=[booking_id for booking_id, _r, _a in first]).values(*BOOKING_FIELDS)
            if first
            else []
        )
    }
    items = tuple(
        _booking_item(
            details[booking_id], "", details[booking_id]["starts_at"], missing_roles=roles, asked=asked
        )
        for booking_id, roles, asked in first
    )
    return ActionList(
        "trainers",
        _("Rollen zonder trainer"),
        _("Geplande sessies waarvoor nog niet genoeg trainers hebben toegezegd, de eerste eerst."),
        items,
        len(short),
        "/boekingen?status=scheduled" if len(short) > LIST_SIZE else "",
    )


async def unconfirmed_soon(now: datetime) -> ActionList:
    """Sessions in the coming two weeks that are not confirmed yet."""
    query = Booking.filter(
        status=BookingStatus.SCHEDULED, starts_at__gte=now, starts_at__lt=now + timedelta(days=UPCOMING_DAYS)
    )
    total = await query.count()
    rows = await query.order_by("starts_at", "id").limit(LIST_SIZE).values(*BOOKING_FIELDS)
    items = tuple(_booking_item(row, _("Ingepland, nog niet bevestigd"), row["starts_at"]) for row in rows)
    return ActionList(
        "bevestigen",
        _("Sessies binnenkort, nog niet bevestigd"),
        ngettext(
            "Sessies in de komende {n} dag die nog niet bevestigd zijn.",
            "Sessies in de komende {n} dagen die nog niet bevestigd zijn.",
            UPCOMING_DAYS,
        ).format(n=UPCOMING_DAYS),
        items,
        total,
        "/boekingen?status=scheduled" if total > LIST_SIZE else "",
    )


async def feedback_closing(now: datetime) -> ActionList:
    """Feedback forms that close in the coming days, with how many responses they have."""
    query = SessionFeedback.filter(
        closes_at__gte=now, closes_at__lt=now + timedelta(days=FEEDBACK_CLOSING_DAYS)
    )
    total = await query.count()
    sessions = (
        await query.order_by("closes_at", "id")
        .limit(LIST_SIZE)
        .values("id", "closes_at", "booking__reference", "booking__organisation__name")
    )
    responses = dict(
        await Response.filter(session_id__in=[s["id"] for s in sessions])
        .annotate(n=Count("id"))
        .group_by("session_id")
        .values_list("session_id", "n")
        if sessions
        else []
    )
    items = tuple(
        ActionItem(
            session["booking__organisation__name"],
            ngettext(
                "{n} reactie tot nu toe", "{n} reacties tot nu toe", responses.get(session["id"], 0)
            ).format(n=responses.get(session["id"], 0)),
            f"/boekingen/{session['booking__reference']}",
            session["closes_at"],
        )
        for session in sessions
    )
    return ActionList(
        "feedback",
        _("Feedbackformulieren die bijna sluiten"),
        ngettext(
            "Formulieren die binnen {n} dag sluiten: vraag de griffier zo nodig om een herinnering.",
            "Formulieren die binnen {n} dagen sluiten: vraag de griffier zo nodig om een herinnering.",
            FEEDBACK_CLOSING_DAYS,
        ).format(n=FEEDBACK_CLOSING_DAYS),
        items,
        total,
    )


async def overdue_invoices(today: date) -> ActionList:
    """Issued invoices past their due date and not paid, the longest overdue first."""
    query = Invoice.filter(status__in=(InvoiceStatus.ISSUED, InvoiceStatus.SENT), due_date__lt=today)
    total = await query.count()
    rows = (
        await query.order_by("due_date", "id")
        .limit(LIST_SIZE)
        .values("number", "due_date", "gross_cents", "organisation__name", "organisation__cbs_code")
    )
    items = tuple(
        ActionItem(
            f"{row['organisation__name']}: {row['number']}",
            _("Vervallen op {day}, {amount}").format(
                day=f"{row['due_date']:%d-%m-%Y}", amount=format_money(row["gross_cents"])
            ),
            f"/organisaties/{row['organisation__cbs_code']}",
        )
        for row in rows
    )
    return ActionList(
        "facturen",
        _("Facturen over de vervaldatum"),
        _("Verstuurde facturen die na de vervaldatum nog niet betaald zijn; financiën maant aan."),
        items,
        total,
    )


async def open_leads(today: date) -> ActionList:
    """Leads nobody has picked up yet, and contacted leads whose next date has come; oldest first."""
    waiting = [
        lead
        for lead in reversed(await lead_views(open_only=True))
        if lead.status is LeadStatus.NEW or (lead.next_on is not None and lead.next_on <= today)
    ]
    items = tuple(
        ActionItem(
            lead.organisation_name,
            _("{source}; volgende stap {day}").format(
                source=lead.source_label, day=f"{lead.next_on:%d-%m-%Y}"
            )
            if lead.next_on
            else lead.source_label,
            f"/feedback/leads#lead-{lead.id}",
            lead.created_at,
        )
        for lead in waiting[:LIST_SIZE]
    )
    return ActionList(
        "leads",
        _("Leads om op te pakken"),
        _("Deelnemers die contact of een vervolg willen, en leads met een volgende stap tot en met vandaag."),
        items,
        len(waiting),
        "/feedback/leads",
    )
