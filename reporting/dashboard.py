"""The figures of the tour dashboard: stages for the country and per province, progress per month
against the target. Pure functions over `organisation_progress()`: no queries here."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reporting.models import TourTarget
from reporting.stages import STAGE_ORDER, OrganisationProgress, TourStage

#: What coverage means without a target: the council-wide session took place.
DEFAULT_GOAL = TourStage.SESSION_HELD


@dataclass(frozen=True)
class StageCount:
    stage: TourStage
    #: Organisations at exactly this step, and at this step or further.
    count: int
    at_least: int
    total: int

    @property
    def percent(self) -> float:
        return 100 * self.count / self.total if self.total else 0.0

    @property
    def at_least_percent(self) -> float:
        return 100 * self.at_least / self.total if self.total else 0.0


@dataclass(frozen=True)
class AreaSummary:
    """The stages of an area: the whole country or one province (its municipalities and itself)."""

    code: str
    name: str
    total: int
    stages: tuple[StageCount, ...]
    #: Organisations at the goal step or further.
    covered: int

    @property
    def coverage(self) -> float:
        return 100 * self.covered / self.total if self.total else 0.0

    def count(self, stage: TourStage) -> StageCount:
        return self.stages[stage.rank]


@dataclass(frozen=True)
class MonthPoint:
    month: date
    #: Share (%) of all organisations at the goal step or further at the end of the month, None ahead.
    actual: float | None
    #: Where the target line says the tour should be at the end of the month; None without target.
    target: float | None


def summarise(
    code: str, name: str, organisations: Sequence[OrganisationProgress], goal: TourStage
) -> AreaSummary:
    exact = {stage: 0 for stage in STAGE_ORDER}
    for organisation in organisations:
        exact[organisation.stage] += 1
    total = len(organisations)
    stages = []
    further = total
    for stage in STAGE_ORDER:
        stages.append(StageCount(stage, exact[stage], further, total))
        further -= exact[stage]
    covered = sum(1 for o in organisations if o.is_at_least(goal))
    return AreaSummary(code, name, total, tuple(stages), covered)


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


def _first_reached(organisation: OrganisationProgress, goal: TourStage) -> date | None:
    days = [day for stage, day in organisation.reached_on.items() if stage.rank >= goal.rank]
    return min(days, default=None)


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
    """Per month, from the start of the target (or the first step reached) to the deadline (or this
    month): the share of organisations at the goal step or further."""
    reached = sorted(day for o in organisations if (day := _first_reached(o, goal)) is not None)
    if target is not None:
        first, last = target.starts_on, max(target.deadline, today)
    elif reached:
        first, last = min(reached[0], today), today
    else:
        return []
    total = len(organisations)
    points = []
    for month in _months(first, last):
        end = _month_end(month)
        actual = None
        if month <= today:
            count = bisect_right(reached, min(end, today))
            actual = round(100 * count / total, 1) if total else 0.0
        points.append(MonthPoint(month, actual, _target_at(target, end) if target else None))
    return points
