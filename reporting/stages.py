"""Where each organisation stands in the tour: one fact per step, derived, never typed.

Each step is true or not on its own, with the first day it has been true (Europe/Amsterdam):

- **invited**: a tour invitation was sent (from the first one);
- **planned** (intake, council-wide session, follow-up): a live booking of that stage that has not
  been held yet (from the day the first such booking was made); a cancelled booking counts for nothing;
- **held**: a delivered or closed booking of that stage (from the day of the first session), or a
  step held before the app (`reporting.models.HistoryEntry`, from its day).

Organisations do not walk the steps in order: a follow-up training says nothing about an intake.
The furthest true step (`stage`) is shown and sorted on, but never counts as an earlier one.

After a merger (`server.mergers`) the successor holds the held steps of the organisations merged
into it, from their days; the merged ones keep theirs too. Which organisations count on a day is
`exists_on`: a report looks at the organisations that existed on its day.

Computing the steps takes three queries whatever the number of organisations or bookings: the
invitations, the bookings and the history, each grouped per organisation (and stage). The pages do
not compute them: they read what `reporting.figures` keeps in the database, updated with each write
that changes them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from tortoise.expressions import Q
from tortoise.functions import Max, Min

from bookings.models import Booking, BookingStatus, Stage, TourInvitation
from reporting.models import HistoryEntry, HistoryStep
from server.i18n import lazy_gettext
from server.models import Organisation, OrganisationKind
from server.templating import AMSTERDAM


class TourStage(StrEnum):
    """The steps of the tour, in their usual order (which an organisation need not follow)."""

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
        return str(STAGE_LABELS[self])


STAGE_ORDER = list(TourStage)
#: The steps that are facts of their own (not "not yet contacted": that is the absence of all).
STEPS = STAGE_ORDER[1:]
STAGE_LABELS = {
    TourStage.NOT_CONTACTED: lazy_gettext("Nog niet benaderd"),
    TourStage.INVITED: lazy_gettext("Uitgenodigd"),
    TourStage.INTAKE_PLANNED: lazy_gettext("Intake gepland"),
    TourStage.INTAKE_HELD: lazy_gettext("Intake gehouden"),
    TourStage.SESSION_PLANNED: lazy_gettext("Raadsbrede sessie gepland"),
    TourStage.SESSION_HELD: lazy_gettext("Raadsbrede sessie gehouden"),
    TourStage.FOLLOW_UP_BOOKED: lazy_gettext("Vervolgtraining geboekt"),
    TourStage.FOLLOW_UP_HELD: lazy_gettext("Vervolgtraining gegeven"),
}
#: The steps a booking of an offering stage makes true: (while planned, once held).
BOOKING_STEPS = {
    Stage.INTAKE: (TourStage.INTAKE_PLANNED, TourStage.INTAKE_HELD),
    Stage.COUNCIL_SESSION: (TourStage.SESSION_PLANNED, TourStage.SESSION_HELD),
    Stage.FOLLOW_UP: (TourStage.FOLLOW_UP_BOOKED, TourStage.FOLLOW_UP_HELD),
}
HISTORY_STAGES = {
    HistoryStep.INTAKE: Stage.INTAKE,
    HistoryStep.COUNCIL_SESSION: Stage.COUNCIL_SESSION,
    HistoryStep.FOLLOW_UP: Stage.FOLLOW_UP,
}
#: The held step of the same session as a planned one: a target "session planned" is met by a
#: session that was planned and has since been held, never by another step.
HELD_OF_PLANNED = {planned: held for planned, held in BOOKING_STEPS.values()}
HELD_STEPS = frozenset(HELD_OF_PLANNED.values())
HELD = (BookingStatus.DELIVERED, BookingStatus.CLOSED)


def local_day(moment: datetime) -> date:
    return moment.astimezone(AMSTERDAM).date()


@dataclass(kw_only=True)
class StepFacts:
    """What an organisation's own invitations, bookings and history make true: the part of its
    progress that `reporting.figures` keeps in the database."""

    #: Each step that is true now, with the first day it has been true.
    since: dict[TourStage, date] = field(default_factory=dict)
    #: Per planned step: the first day a live booking of that stage was made, held since or not.
    first_booked_on: dict[TourStage, date] = field(default_factory=dict)
    #: The held steps known (also) from the history before the app.
    before_app: set[TourStage] = field(default_factory=set)
    last_activity_at: datetime | None = None
    last_invited_at: datetime | None = None

    def note(self, step: TourStage, day: date, facts: dict[TourStage, date] | None = None) -> None:
        """Record that a step is true from `day` (the earliest day wins)."""
        facts = self.since if facts is None else facts
        if step not in facts or day < facts[step]:
            facts[step] = day

    def touch(self, moment: datetime | None) -> None:
        if moment is not None and (self.last_activity_at is None or moment > self.last_activity_at):
            self.last_activity_at = moment


@dataclass
class OrganisationProgress(StepFacts):
    id: int
    cbs_code: str
    name: str
    kind: OrganisationKind
    #: The province's CBS code: its own for a province.
    province_code: str
    province_name: str
    started_on: date | None = None
    ended_on: date | None = None
    successor_id: int | None = None

    def has(self, step: TourStage) -> bool:
        """Whether the step is true now; "not yet contacted" when no step is."""
        if step is TourStage.NOT_CONTACTED:
            return not self.since
        return step in self.since

    @property
    def stage(self) -> TourStage:
        """The furthest true step, for showing and sorting only: it says nothing of the earlier ones."""
        return max(self.since, key=lambda step: step.rank, default=TourStage.NOT_CONTACTED)

    @property
    def steps(self) -> list[TourStage]:
        """The true steps, in the usual order."""
        return [step for step in STEPS if step in self.since]

    def reached_on(self, goal: TourStage) -> date | None:
        """The first day the organisation met `goal`: the step itself, or for a planned step its
        session being booked (held since or not); never a later step."""
        days = [self.since.get(goal)]
        if goal in HELD_OF_PLANNED:
            days += [self.first_booked_on.get(goal), self.since.get(HELD_OF_PLANNED[goal])]
        return min((day for day in days if day is not None), default=None)

    def has_reached(self, goal: TourStage, day: date | None = None) -> bool:
        """Whether `goal` was met (by `day`, when given)."""
        reached = self.reached_on(goal)
        return reached is not None and (day is None or reached <= day)

    def exists_on(self, day: date) -> bool:
        """Whether the organisation existed on `day`: not before a merger made it, not from the day
        it was merged into another."""
        return (self.started_on is None or self.started_on <= day) and (
            self.ended_on is None or day < self.ended_on
        )


def existing_on(organisations: list[OrganisationProgress], day: date) -> list[OrganisationProgress]:
    return [organisation for organisation in organisations if organisation.exists_on(day)]


def _of(organisation_ids: Collection[int] | None) -> Q:
    """All organisations, or only these."""
    return Q() if organisation_ids is None else Q(organisation_id__in=list(organisation_ids))


async def _add_invitations(facts: dict[int, StepFacts], organisation_ids: Collection[int] | None) -> None:
    rows = (
        await TourInvitation.filter(_of(organisation_ids))
        .annotate(first_invited_at=Min("invited_at"), last_invited_at=Max("invited_at"))
        .group_by("organisation_id")
        .values("organisation_id", "first_invited_at", "last_invited_at")
    )
    for row in rows:
        organisation = facts.setdefault(row["organisation_id"], StepFacts())
        organisation.note(TourStage.INVITED, local_day(row["first_invited_at"]))
        organisation.touch(row["first_invited_at"])
        organisation.last_invited_at = row["last_invited_at"]


#: Per offering stage, the names of its aggregates: when the first live booking not yet held was
#: made, when the first held one was made, and its first start.
BOOKING_AGGREGATES = {
    stage: (f"{stage.value}_planned_at", f"{stage.value}_held_created_at", f"{stage.value}_held_at")
    for stage in BOOKING_STEPS
}


def _booking_aggregates() -> dict[str, Min | Max]:
    """The aggregates of BOOKING_AGGREGATES; and the last change of any booking (never before it
    was made, so it is the last activity the bookings show)."""
    held, planned = Q(status__in=HELD), ~Q(status__in=HELD)
    aggregates: dict[str, Min | Max] = {"last_at": Max("updated_at")}
    for stage, (planned_at, held_created_at, held_at) in BOOKING_AGGREGATES.items():
        of_stage = Q(offering__stage=stage)
        aggregates[planned_at] = Min("created_at", _filter=of_stage & planned)
        aggregates[held_created_at] = Min("created_at", _filter=of_stage & held)
        aggregates[held_at] = Min("starts_at", _filter=of_stage & held)
    return aggregates


async def _add_bookings(facts: dict[int, StepFacts], organisation_ids: Collection[int] | None) -> None:
    """One aggregated row per organisation: no booking row (and no datetime per booking) reaches
    Python."""
    aggregates = _booking_aggregates()
    rows = (
        await Booking.exclude(status=BookingStatus.CANCELLED)
        # Every stage: the filter joins the offering that the aggregates' conditions read.
        .filter(_of(organisation_ids), offering__stage__in=list(BOOKING_STEPS))
        .annotate(**aggregates)
        .group_by("organisation_id")
        .values("organisation_id", *aggregates)
    )
    for row in rows:
        organisation = facts.setdefault(row["organisation_id"], StepFacts())
        organisation.touch(row["last_at"])
        for stage, (planned_name, held_created_name, held_name) in BOOKING_AGGREGATES.items():
            planned_step, held_step = BOOKING_STEPS[stage]
            planned_at, held_created_at = row[planned_name], row[held_created_name]
            if planned_at is not None:
                organisation.note(planned_step, local_day(planned_at))
            if held_created_at is not None:
                held_at = row[held_name]
                organisation.note(held_step, local_day(held_at or held_created_at))
                organisation.touch(held_at)
            booked_at = [moment for moment in (planned_at, held_created_at) if moment is not None]
            if booked_at:
                organisation.note(planned_step, local_day(min(booked_at)), organisation.first_booked_on)


async def _add_history(facts: dict[int, StepFacts], organisation_ids: Collection[int] | None) -> None:
    rows = (
        await HistoryEntry.filter(_of(organisation_ids))
        .annotate(first_held_on=Min("held_on"))
        .group_by("organisation_id", "step")
        .values("organisation_id", "step", "first_held_on")
    )
    for row in rows:
        organisation = facts.setdefault(row["organisation_id"], StepFacts())
        held = BOOKING_STEPS[HISTORY_STAGES[HistoryStep(row["step"])]][1]
        first = row["first_held_on"]
        organisation.note(held, first if isinstance(first, date) else date.fromisoformat(str(first)))
        organisation.before_app.add(held)


async def step_facts(organisation_ids: Collection[int] | None = None) -> dict[int, StepFacts]:
    """The own steps of every organisation (or of these), computed from their invitations, bookings
    and history in three grouped queries; an organisation without any is left out."""
    facts: dict[int, StepFacts] = {}
    await _add_invitations(facts, organisation_ids)
    await _add_bookings(facts, organisation_ids)
    await _add_history(facts, organisation_ids)
    return facts


def _inherit(progress: dict[int, OrganisationProgress]) -> None:
    """Each successor holds the held steps of the organisations merged into it (along a chain of
    mergers too), from the days they were held."""
    for organisation in progress.values():
        seen = {organisation.id}
        successor = progress.get(organisation.successor_id or 0)
        while successor is not None and successor.id not in seen:
            seen.add(successor.id)
            for step, day in organisation.since.items():
                if step in HELD_STEPS:
                    successor.note(step, day)
            successor = progress.get(successor.successor_id or 0)


async def progress_with(facts: dict[int, StepFacts]) -> list[OrganisationProgress]:
    """Every organisation (merged ones too), by name, with its own steps from `facts` and the held
    steps of the organisations merged into it."""
    rows = (
        await Organisation.all()
        .order_by("name")
        .values(
            "id",
            "cbs_code",
            "name",
            "kind",
            "province__cbs_code",
            "province__name",
            "started_on",
            "ended_on",
            "successor_id",
        )
    )
    progress: dict[int, OrganisationProgress] = {}
    for row in rows:
        is_province = row["kind"] == OrganisationKind.PROVINCE
        own = facts.get(row["id"]) or StepFacts()
        progress[row["id"]] = OrganisationProgress(
            id=row["id"],
            cbs_code=row["cbs_code"],
            name=row["name"],
            kind=OrganisationKind(row["kind"]),
            province_code=row["cbs_code"] if is_province else (row["province__cbs_code"] or ""),
            province_name=row["name"] if is_province else (row["province__name"] or ""),
            started_on=row["started_on"],
            ended_on=row["ended_on"],
            successor_id=row["successor_id"],
            # Copies: inheriting adds to the successor's steps, never to the facts passed in.
            since=dict(own.since),
            first_booked_on=own.first_booked_on,
            before_app=own.before_app,
            last_activity_at=own.last_activity_at,
            last_invited_at=own.last_invited_at,
        )
    _inherit(progress)
    return list(progress.values())
