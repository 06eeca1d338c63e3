"""Where each organisation stands in the tour, derived from its invitations and bookings.

Nobody types a stage: it is the furthest step any of the organisation's bookings reached (a
cancelled booking counts for nothing), or "invited" after a tour invitation, or "not yet contacted".
Each step also has the date it was first reached, for the progress over time: a booking counts as
planned from the day it was made and as held from the day the session took place.

Three queries whatever the number of organisations or bookings: the organisations, the bookings
grouped per organisation, offering stage and status, and the invitations grouped per organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from tortoise.functions import Max, Min

from bookings.models import Booking, BookingStatus, Stage, TourInvitation
from server.i18n import _
from server.models import Organisation, OrganisationKind
from server.templating import AMSTERDAM


class TourStage(StrEnum):
    """The steps of the tour, in order: an organisation at a step has passed all before it."""

    NOT_CONTACTED = "not_contacted"
    INVITED = "invited"
    INTAKE_PLANNED = "intake_planned"
    INTAKE_HELD = "intake_held"
    SESSION_PLANNED = "session_planned"
    SESSION_HELD = "session_held"
    FOLLOW_UP_BOOKED = "follow_up_booked"
    FOLLOW_UP_HELD = "follow_up_held"

    @property
    def rank(self) -> int:
        return STAGE_ORDER.index(self)

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_ORDER = list(TourStage)
STAGE_LABELS = {
    TourStage.NOT_CONTACTED: _("Nog niet benaderd"),
    TourStage.INVITED: _("Uitgenodigd"),
    TourStage.INTAKE_PLANNED: _("Intake gepland"),
    TourStage.INTAKE_HELD: _("Intake gehouden"),
    TourStage.SESSION_PLANNED: _("Raadsbrede sessie gepland"),
    TourStage.SESSION_HELD: _("Raadsbrede sessie gehouden"),
    TourStage.FOLLOW_UP_BOOKED: _("Vervolgtraining geboekt"),
    TourStage.FOLLOW_UP_HELD: _("Vervolgtraining gegeven"),
}
#: The step a booking of an offering stage reaches: (when booked, when held).
BOOKING_STEPS = {
    Stage.INTAKE: (TourStage.INTAKE_PLANNED, TourStage.INTAKE_HELD),
    Stage.COUNCIL_SESSION: (TourStage.SESSION_PLANNED, TourStage.SESSION_HELD),
    Stage.FOLLOW_UP: (TourStage.FOLLOW_UP_BOOKED, TourStage.FOLLOW_UP_HELD),
}
HELD = (BookingStatus.DELIVERED, BookingStatus.CLOSED)


@dataclass
class OrganisationProgress:
    id: int
    cbs_code: str
    name: str
    kind: OrganisationKind
    #: The province's CBS code: its own for a province.
    province_code: str
    province_name: str
    stage: TourStage = TourStage.NOT_CONTACTED
    #: The first day each reached step was reached (Europe/Amsterdam).
    reached_on: dict[TourStage, date] = field(default_factory=dict)
    last_activity_at: datetime | None = None
    last_invited_at: datetime | None = None

    def reach(self, stage: TourStage, moment: datetime | None) -> None:
        """Record that the organisation reached a step (at a moment, when known)."""
        if stage.rank > self.stage.rank:
            self.stage = stage
        if moment is None:
            return
        day = moment.astimezone(AMSTERDAM).date()
        if stage not in self.reached_on or day < self.reached_on[stage]:
            self.reached_on[stage] = day
        if self.last_activity_at is None or moment > self.last_activity_at:
            self.last_activity_at = moment

    def is_at_least(self, stage: TourStage) -> bool:
        return self.stage.rank >= stage.rank


async def organisation_progress() -> list[OrganisationProgress]:
    """Every organisation with its stage and the dates it reached each step, by name."""
    organisations = (
        await Organisation.all()
        .order_by("name")
        .values("id", "cbs_code", "name", "kind", "province__cbs_code", "province__name")
    )
    progress: dict[int, OrganisationProgress] = {}
    for row in organisations:
        is_province = row["kind"] == OrganisationKind.PROVINCE
        progress[row["id"]] = OrganisationProgress(
            id=row["id"],
            cbs_code=row["cbs_code"],
            name=row["name"],
            kind=OrganisationKind(row["kind"]),
            province_code=row["cbs_code"] if is_province else (row["province__cbs_code"] or ""),
            province_name=row["name"] if is_province else (row["province__name"] or ""),
        )
    invitations = (
        await TourInvitation.all()
        .annotate(first_invited_at=Min("invited_at"), last_invited_at=Max("invited_at"))
        .group_by("organisation_id")
        .values("organisation_id", "first_invited_at", "last_invited_at")
    )
    for row in invitations:
        if row["organisation_id"] in progress:
            progress[row["organisation_id"]].reach(TourStage.INVITED, row["first_invited_at"])
            progress[row["organisation_id"]].last_invited_at = row["last_invited_at"]
    bookings = (
        await Booking.exclude(status=BookingStatus.CANCELLED)
        .annotate(
            first_created_at=Min("created_at"), first_starts_at=Min("starts_at"), last_at=Max("updated_at")
        )
        .group_by("organisation_id", "offering__stage", "status")
        .values(
            "organisation_id", "offering__stage", "status", "first_created_at", "first_starts_at", "last_at"
        )
    )
    for row in bookings:
        organisation = progress.get(row["organisation_id"])
        if organisation is None:
            continue
        booked, held = BOOKING_STEPS[Stage(row["offering__stage"])]
        organisation.reach(booked, row["first_created_at"])
        if row["status"] in HELD:
            organisation.reach(held, row["first_starts_at"] or row["first_created_at"])
        if row["last_at"] and (
            organisation.last_activity_at is None or row["last_at"] > organisation.last_activity_at
        ):
            organisation.last_activity_at = row["last_at"]
    return list(progress.values())
