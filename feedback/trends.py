"""Feedback across sessions: trends per offering, per trainer and for the whole tour by month, and
leads (organisations whose participants want a follow-up).

The anonymity threshold holds for every aggregate: a group-month or an organisation's number of
interested participants is shown only from `FeedbackPolicy.threshold` responses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.functions import Count

from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback.models import Answer, QuestionKind, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from feedback.results import GROUPS, Group, format_mean
from server import clock
from server.errors import NotFound
from server.i18n import _
from server.templating import AMSTERDAM, local_time


@dataclass(frozen=True)
class TrendRow:
    group_key: str
    group_label: str
    month: date
    sessions: int
    responses: int
    #: Mean of all answers to scale questions; None when hidden (too few responses) or no scale answers.
    mean: float | None
    is_shown: bool

    @property
    def mean_text(self) -> str:
        return format_mean(self.mean)


def _month_of(moment: datetime) -> date:
    local = local_time(moment)
    return date(local.year, local.month, 1)


def _months_back(today: date, months: int) -> date:
    """The first day of the month `months - 1` months before this one (12: the last twelve months)."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


async def _trend_inputs(
    since: datetime, now: datetime
) -> tuple[list[dict[str, object]], dict[int, int], dict[int, tuple[int, int]]]:
    """Only sessions whose form has closed count: results show only after closing, so a trend must
    not let anyone compare a figure before and after one response."""
    sessions = await SessionFeedback.filter(opens_at__gte=since, closes_at__lte=now).values(
        "id", "opens_at", "booking_id", "booking__offering_id", "booking__offering__name"
    )
    ids = [row["id"] for row in sessions]
    if not ids:
        return [], {}, {}
    responses = dict(
        await Response.filter(session_id__in=ids)
        .annotate(n=Count("id"))
        .group_by("session_id")
        .values_list("session_id", "n")
    )
    scale_rows = await Answer.filter(
        response__session_id__in=ids, question__kind=QuestionKind.SCALE, number__isnull=False
    ).values_list("response__session_id", "number")
    scale: dict[int, tuple[int, int]] = {}
    for session_id, number in scale_rows:
        total, n = scale.get(session_id, (0, 0))
        scale[session_id] = (total + number, n + 1)
    return sessions, responses, scale


async def _groups_of(group: Group, sessions: list[dict[str, object]]) -> dict[int, list[tuple[str, str]]]:
    """Per session id the (key, label) of the groups it counts in."""
    if group == "tour":
        return {int(row["id"]): [("tour", _("Alle sessies"))] for row in sessions}  # type: ignore[call-overload]
    if group == "offering":
        return {
            int(row["id"]): [(str(row["booking__offering_id"]), str(row["booking__offering__name"]))]  # type: ignore[call-overload]
            for row in sessions
        }
    by_booking: dict[int, list[tuple[str, str]]] = defaultdict(list)
    accepted = await AssignmentRequest.filter(
        booking_id__in=[row["booking_id"] for row in sessions], status=RequestStatus.ACCEPTED
    ).values_list("booking_id", "trainer_id", "trainer__name")
    for booking_id, trainer_id, name in accepted:
        if (str(trainer_id), name) not in by_booking[booking_id]:
            by_booking[booking_id].append((str(trainer_id), name))
    return {int(row["id"]): by_booking.get(row["booking_id"], []) for row in sessions}  # type: ignore[call-overload, arg-type]


async def trends(
    policy: FeedbackPolicy, *, group: Group = "offering", months: int = 12, now: datetime | None = None
) -> list[TrendRow]:
    """Per group (offering, trainer, or the whole tour) and month of the last `months` months: the
    number of sessions and responses, and the mean of the scale answers, of the sessions whose
    form has closed by `now`.

    The threshold applies to each group-month: below it the row is there with its counts, but with
    `is_shown` False and no mean. A session given by two trainers counts for each.
    """
    if group not in GROUPS:
        raise NotFound()
    now = now or clock.now()
    since_day = _months_back(local_time(now).date(), max(months, 1))
    since = datetime(since_day.year, since_day.month, 1, tzinfo=AMSTERDAM)
    sessions, responses, scale = await _trend_inputs(since, now)
    groups = await _groups_of(group, sessions)

    cells: dict[tuple[str, date], list[int]] = {}
    labels: dict[str, str] = {}
    for row in sessions:
        session_id = int(row["id"])  # type: ignore[call-overload]
        month = _month_of(row["opens_at"])  # type: ignore[arg-type]
        total, n = scale.get(session_id, (0, 0))
        for key, label in groups[session_id]:
            labels[key] = label
            cell = cells.setdefault((key, month), [0, 0, 0, 0])
            cell[0] += 1
            cell[1] += responses.get(session_id, 0)
            cell[2] += total
            cell[3] += n

    rows = []
    for (key, month), (session_count, response_count, total, n) in cells.items():
        is_shown = response_count >= policy.threshold
        rows.append(
            TrendRow(
                group_key=key,
                group_label=labels[key],
                month=month,
                sessions=session_count,
                responses=response_count,
                mean=total / n if is_shown and n else None,
                is_shown=is_shown,
            )
        )
    rows.sort(key=lambda row: (row.group_label.casefold(), row.group_key, row.month))
    return rows


# ---------- Leads ----------


@dataclass(frozen=True)
class LeadSession:
    reference: str
    opens_at: datetime


@dataclass(frozen=True)
class Lead:
    """An organisation where at least one participant wants a follow-up training."""

    organisation_id: int
    organisation_name: str
    responses: int
    #: How many want a follow-up; None below the threshold (then: "at least one").
    interested: int | None
    sessions: list[LeadSession]

    @property
    def is_count_shown(self) -> bool:
        return self.interested is not None


async def leads(policy: FeedbackPolicy) -> list[Lead]:
    """Organisations with at least one response that chose the first option of a follow-up question.

    The number of interested participants is an aggregate, so it is shown only when the
    organisation has at least `policy.threshold` responses in all; otherwise `interested` is None.
    Four queries.
    """
    yes = await Answer.filter(question__marks_follow_up_interest=True, number=0).values_list(
        "response_id", "response__session_id"
    )
    if not yes:
        return []
    interested_by_session: dict[int, set[int]] = defaultdict(set)
    for response_id, session_id in yes:
        interested_by_session[session_id].add(response_id)
    sessions = await SessionFeedback.filter(id__in=list(interested_by_session)).values(
        "id", "opens_at", "booking__reference", "booking__organisation_id", "booking__organisation__name"
    )
    organisation_ids = {row["booking__organisation_id"] for row in sessions}
    totals = dict(
        await Response.filter(session__booking__organisation_id__in=list(organisation_ids))
        .annotate(n=Count("id"))
        .group_by("session__booking__organisation_id")
        .values_list("session__booking__organisation_id", "n")
    )

    names: dict[int, str] = {}
    interested: dict[int, int] = defaultdict(int)
    lead_sessions: dict[int, list[LeadSession]] = defaultdict(list)
    for row in sessions:
        organisation_id = row["booking__organisation_id"]
        names[organisation_id] = row["booking__organisation__name"]
        interested[organisation_id] += len(interested_by_session[row["id"]])
        lead_sessions[organisation_id].append(LeadSession(row["booking__reference"], row["opens_at"]))
    result = [
        Lead(
            organisation_id=organisation_id,
            organisation_name=names[organisation_id],
            responses=totals.get(organisation_id, 0),
            interested=(
                interested[organisation_id] if totals.get(organisation_id, 0) >= policy.threshold else None
            ),
            sessions=sorted(lead_sessions[organisation_id], key=lambda item: item.opens_at, reverse=True),
        )
        for organisation_id in names
    ]
    result.sort(key=lambda lead: lead.organisation_name.casefold())
    return result
