"""What the coordinators' dashboard and the organisations-by-stage table show, in a fixed number
of queries (four for the stages, one for the target, about fifteen for the lists, one for the mail
counts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from tortoise.functions import Count

from reporting import actions
from reporting.charts import progress_chart, stage_chart, tile_map
from reporting.dashboard import (
    DEFAULT_GOAL,
    AreaSummary,
    MonthPoint,
    monthly_progress,
    province_summaries,
    summarise,
)
from reporting.figures import organisation_progress
from reporting.mergers import bookings_to_move
from reporting.models import TourTarget
from reporting.stages import (
    STEPS,
    OrganisationProgress,
    TourStage,
    existing_on,
    local_day,
)
from reporting.targets import current_target
from server.i18n import _
from server.mail import OutboxMessage, OutboxStatus
from server.spreadsheet import to_csv
from server.templating import AMSTERDAM

MAX_FOLLOW_UP_WEEKS = 52


@dataclass(frozen=True)
class TourOverview:
    country: AreaSummary
    provinces: list[AreaSummary]
    goal: TourStage
    target: TourTarget | None
    progress: list[MonthPoint]
    progress_svg: str
    stages_svg: str
    map_svg: str
    actions: list[actions.ActionList]
    follow_up_weeks: int
    mail_failed: int = 0
    mail_queued: int = 0


async def _mail_counts() -> tuple[int, int]:
    """The outbox's failed and queued mail, in one query."""
    rows = (
        await OutboxMessage.filter(status__in=(OutboxStatus.FAILED, OutboxStatus.QUEUED))
        .group_by("status")
        .annotate(count=Count("id"))
        .values("status", "count")
    )
    counts = {row["status"]: row["count"] for row in rows}
    return counts.get(OutboxStatus.FAILED, 0), counts.get(OutboxStatus.QUEUED, 0)


async def tour_overview(now: datetime, follow_up_weeks: int) -> TourOverview:
    """The whole dashboard; `follow_up_weeks` is when an unanswered invitation needs action."""
    follow_up_weeks = min(max(follow_up_weeks, 1), MAX_FOLLOW_UP_WEEKS)
    overview = await _overview(await organisation_progress(), await current_target(), now, follow_up_weeks)
    failed, queued = await _mail_counts()
    return replace(overview, mail_failed=failed, mail_queued=queued)


async def _overview(
    organisations: list[OrganisationProgress], target: TourTarget | None, now: datetime, follow_up_weeks: int
) -> TourOverview:
    today = now.astimezone(AMSTERDAM).date()
    goal = TourStage(target.stage) if target else DEFAULT_GOAL
    present = existing_on(organisations, today)
    country = summarise("NL", _("Nederland"), present, goal)
    provinces = province_summaries(present, goal)
    progress = monthly_progress(organisations, goal, target, today)
    goal_text = _("Aandeel organisaties met ‘{stage}’").format(stage=goal.label)
    map_title = _("Dekking per provincie: {text}").format(text=goal_text.lower())
    lists = [
        actions.stale_invitations(present, now, follow_up_weeks),
        await actions.waiting_for_scheduling(),
        await actions.roles_without_trainer(now),
        await actions.unconfirmed_soon(now),
        await actions.feedback_closing(now),
        await actions.overdue_invoices(today),
        await actions.open_leads(today),
    ]
    to_move = await bookings_to_move()
    if to_move.total:
        lists.append(to_move)
    return TourOverview(
        country=country,
        provinces=provinces,
        goal=goal,
        target=target,
        progress=progress,
        progress_svg=progress_chart("voortgang", goal_text, progress),
        stages_svg=stage_chart("stappen", _("Organisaties per stap, heel Nederland"), country),
        map_svg=tile_map("kaart", map_title, provinces),
        actions=lists,
        follow_up_weeks=follow_up_weeks,
    )


SORTS = ("naam", "fase", "activiteit")


@dataclass(frozen=True)
class TableFilters:
    province: str = ""
    stage: str = ""
    search: str = ""
    sort: str = "naam"
    descending: bool = False

    @classmethod
    def from_query(cls, query: dict[str, str]) -> TableFilters:
        stage = query.get("fase", "")
        sort = query.get("sorteer", "naam")
        province = query.get("provincie", "").strip().upper()[:6]
        return cls(
            province=province if province.isascii() and province.isalnum() else "",
            stage=stage if stage in TourStage.__members__.values() else "",
            search=query.get("zoek", "").strip()[:100],
            sort=sort if sort in SORTS else "naam",
            descending=query.get("volgorde", "") == "af",
        )


@dataclass(frozen=True)
class OrganisationTable:
    rows: list[OrganisationProgress]
    summary: AreaSummary
    provinces: list[tuple[str, str]]
    filters: TableFilters
    goal: TourStage


def _sort_key(sort: str) -> Callable[[OrganisationProgress], object]:
    if sort == "fase":
        return lambda o: (o.stage.rank, len(o.since))
    if sort == "activiteit":
        return lambda o: o.last_activity_at.timestamp() if o.last_activity_at else 0.0
    return lambda o: o.name.casefold()


async def organisation_table(filters: TableFilters, now: datetime) -> OrganisationTable:
    """Each organisation (of a province) that exists today, with its steps, filtered on one step
    and sorted; the area's summary."""
    organisations = existing_on(await organisation_progress(), local_day(now))
    target = await current_target()
    goal = TourStage(target.stage) if target else DEFAULT_GOAL
    provinces = sorted(
        {(o.province_code, o.province_name) for o in organisations if o.province_code}, key=lambda p: p[1]
    )
    area = [o for o in organisations if not filters.province or o.province_code == filters.province]
    name = dict(provinces).get(filters.province, _("Nederland"))
    summary = summarise(filters.province or "NL", name, area, goal)
    rows = [
        o
        for o in area
        if (not filters.stage or o.has(TourStage(filters.stage)))
        and (
            not filters.search
            or filters.search.casefold() in o.name.casefold()
            or filters.search.upper() == o.cbs_code
        )
    ]
    # By name first: the sort is stable, so organisations at the same step stay in name order.
    rows.sort(key=lambda o: o.name.casefold())
    rows.sort(key=_sort_key(filters.sort), reverse=filters.descending)
    return OrganisationTable(rows, summary, provinces, filters, goal)


def organisation_csv(table: OrganisationTable) -> bytes:
    """The table as a spreadsheet: each organisation, its furthest step, and for each step the day
    since which it is true (empty when it is not)."""
    steps = STEPS
    header = [_("CBS-code"), _("Organisatie"), _("Provincie"), _("Verste stap"), _("Laatste activiteit")]
    rows: list[list[object]] = [header + [step.label for step in steps]]
    for organisation in table.rows:
        activity = organisation.last_activity_at
        rows.append(
            [
                organisation.cbs_code,
                organisation.name,
                organisation.province_name,
                organisation.stage.label,
                activity.astimezone(AMSTERDAM).date().isoformat() if activity else "",
            ]
            + [since.isoformat() if (since := organisation.since.get(step)) else "" for step in steps]
        )
    return to_csv(rows)
