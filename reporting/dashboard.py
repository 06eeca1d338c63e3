"""The figures of the tour dashboard: each step counted on its own for the country and per
province, and progress per month against the target. Pure functions over `organisation_progress()`:
no queries here. Whoever calls them passes the organisations that exist on the day looked at
(`reporting.stages.existing_on`); the progress per month picks them per month itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reporting.models import TourTarget
from reporting.stages import STAGE_ORDER, OrganisationProgress, TourStage

#: What coverage means without a target: the council-wide session took place.
DEFAULT_GOAL = TourStage.SESSION_HELD
#: The steps that stay true once reached, so they can be counted on any past day.
DATED_STEPS = (TourStage.INVITED, TourStage.INTAKE_HELD, TourStage.SESSION_HELD, TourStage.FOLLOW_UP_HELD)


@dataclass(frozen=True)
class StageCount:
    stage: TourStage
    #: Organisations for which this step is true (each step counted on its own).
    count: int
    total: int

    @property
    def percent(self) -> float:
        return 100 * self.count / self.total if self.total else 0.0


@dataclass(frozen=True)
class AreaSummary:
    """The steps of an area: the whole country or one province (its municipalities and itself)."""

    code: str
    name: str
    total: int
    stages: tuple[StageCount, ...]
    #: Organisations that met the goal.
    covered: int

    @property
    def coverage(self) -> float:
        return 100 * self.covered / self.total if self.total else 0.0

    def count(self, stage: TourStage) -> StageCount:
        return self.stages[stage.rank]


@dataclass(frozen=True)
class MonthPoint:
    month: date
    #: Share (%) of the organisations of that day that met the goal by the end of the month, None ahead.
    actual: float | None
    #: Where the target line says the tour should be at the end of the month; None without target.
    target: float | None


def summarise(
    code: str, name: str, organisations: Sequence[OrganisationProgress], goal: TourStage
) -> AreaSummary:
    total = len(organisations)
    # One pass over the organisations: each true step counts once, no step is "not yet contacted".
    counts = Counter(step for o in organisations for step in o.since)
    counts[TourStage.NOT_CONTACTED] = sum(1 for o in organisations if not o.since)
    stages = tuple(StageCount(stage, counts[stage], total) for stage in STAGE_ORDER)
    covered = sum(1 for o in organisations if o.has_reached(goal))
    return AreaSummary(code, name, total, stages, covered)


def steps_on(organisations: Sequence[OrganisationProgress], day: date) -> tuple[StageCount, ...]:
    """The dated steps as they stood at the end of `day`, among the organisations of that day."""
    present = [o for o in organisations if o.exists_on(day)]
    return tuple(
        StageCount(step, sum(1 for o in present if o.has_reached(step, day)), len(present))
        for step in DATED_STEPS
    )


def by_province(organisations: Sequence[OrganisationProgress]) -> dict[str, list[OrganisationProgress]]:
    """Organisations per province code (a province counts in its own area), in the given order."""
    areas: dict[str, list[OrganisationProgress]] = {}
    for organisation in organisations:
        areas.setdefault(organisation.province_code, []).append(organisation)
    return areas


def province_summaries(organisations: Sequence[OrganisationProgress], goal: TourStage) -> list[AreaSummary]:
    """One summary per province, by name; organisations without a province are left out."""
    summaries = [
        summarise(code, members[0].province_name, members, goal)
        for code, members in by_province(organisations).items()
        if code
    ]
    return sorted(summaries, key=lambda summary: summary.name)


def _month_end(month: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _months(first: date, last: date) -> list[date]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _target_at(target: TourTarget, day: date) -> float:
    """The straight line from 0 % at the start to the target's percentage at the deadline."""
    if day <= target.starts_on:
        return 0.0
    if day >= target.deadline:
        return float(target.percent)
    elapsed = (day - target.starts_on).days / (target.deadline - target.starts_on).days
    return round(target.percent * elapsed, 1)


def monthly_progress(
    organisations: Sequence[OrganisationProgress],
    goal: TourStage,
    target: TourTarget | None,
    today: date,
) -> list[MonthPoint]:
    """Per month, from the start of the target (or the first time the goal was met) to the deadline
    (or this month): the share of the organisations existing at the month's end that met the goal."""
    reached = [(o, day) for o in organisations if (day := o.reached_on(goal)) is not None]
    if target is not None:
        first, last = target.starts_on, max(target.deadline, today)
    elif reached:
        first, last = min(min(day for _o, day in reached), today), today
    else:
        return []
    # Only organisations made or ended by a merger exist on some days and not on others.
    dated = [o for o in organisations if o.started_on is not None or o.ended_on is not None]
    always = len(organisations) - len(dated)
    points = []
    for month in _months(first, last):
        end = _month_end(month)
        actual = None
        if month <= today:
            day = min(end, today)
            total = always + sum(1 for o in dated if o.exists_on(day))
            count = sum(1 for o, reached_on in reached if reached_on <= day and o.exists_on(day))
            actual = round(100 * count / total, 1) if total else 0.0
        points.append(MonthPoint(month, actual, _target_at(target, end) if target else None))
    return points
