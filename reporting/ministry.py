"""The figures of the ministry's report for a quarter or a year.

Rules:
- **Periods** are calendar quarters or years in Europe/Amsterdam time: a session that starts on
  31 March at 23:30 in Amsterdam belongs to the first quarter. Invoices count by their issue date.
- **A session is held** when its booking is delivered or closed and starts in the period; cancelled
  and not yet given bookings never count. A session held before the app (`HistoryEntry`) counts in
  the period of its day, with its participants; it has no trainer hours and no feedback.
- **Organisations per step**: the invited organisations and those that held an intake, a
  council-wide session or a follow-up training by the end of the period (today for a running one),
  each step counted on its own (`reporting.stages`), among the organisations that existed on that
  day: before a merger the merged ones, from its day their successor, which holds their steps.
- **Provinces**: a municipality counts in its province's row; the provinces' own sessions (with the
  Provinciale Staten) have a row of their own. A province's number of municipalities is of the
  period's last day.
- **Feedback** of the held sessions whose form has closed (no comparing before and after one
  response): a mean (of a stage, of the whole period, of one question) is
  shown only from the anonymity threshold (`FeedbackPolicy.threshold`) of responses on; below it only
  the number of responses.
- **Trainer hours** are the lengths of the accepted assignments of the held sessions (two trainers
  for 2.5 hours make 5 hours). The costs of the free sessions are `invoicing.costs`' figures.
- **Revenue** is the issued invoices minus the credit notes with an issue date in the period.
- The previous period (the quarter or year before) is computed the same way, for comparison.
- A fixed number of grouped queries per period, whatever the number of sessions or organisations.

Read only, so no errors of its own (a period that cannot be read is refused by
`reporting.ministry_period`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from babel.support import LazyProxy
from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from bookings.models import Booking, Stage
from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback.models import Answer, QuestionKind, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from invoicing import costs
from reporting.dashboard import steps_on
from reporting.figures import organisation_progress
from reporting.ministry_figures import (
    STAGE_LABELS,
    Comparison,
    FreeSessionCosts,
    MinistryReport,
    ProvinceRow,
    QuestionScore,
    Revenue,
    StageFigures,
)
from reporting.ministry_money import free_session_costs, revenue
from reporting.ministry_period import Period
from reporting.models import HistoryEntry, HistoryStep
from reporting.stages import HELD, HISTORY_STAGES, local_day
from server import clock
from server.i18n import _, lazy_gettext
from server.models import Organisation, OrganisationKind

NUMERIC_KINDS = (QuestionKind.SCALE, QuestionKind.GRADE)


@dataclass
class _Tally:
    sessions: int = 0
    organisations: set[int] = field(default_factory=set)
    participants: int = 0
    without_count: int = 0
    before_app: int = 0
    minutes: int = 0
    trainers: set[int] = field(default_factory=set)
    responses: int = 0
    #: Per question kind: (sum, count) of the numeric answers.
    numbers: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def freeze(self, label: str, threshold: int) -> StageFigures:
        shown = self.responses >= threshold

        def mean(kind: QuestionKind) -> float | None:
            total, count = self.numbers.get(kind, (0, 0))
            return total / count if shown and count else None

        return StageFigures(
            label=label,
            sessions=self.sessions,
            organisations=len(self.organisations),
            participants=self.participants,
            sessions_without_count=self.without_count,
            sessions_before_app=self.before_app,
            trainer_minutes=self.minutes,
            trainers=len(self.trainers),
            responses=self.responses,
            is_feedback_shown=shown,
            scale_mean=mean(QuestionKind.SCALE),
            grade_mean=mean(QuestionKind.GRADE),
        )


@dataclass(frozen=True)
class _Session:
    stage: Stage
    organisation_id: int
    #: The province row it counts in: the province's id, or 0 for the provinces themselves.
    province_key: int | None
    participants: int | None
    is_before_app: bool = False


async def _held_sessions(period: Period) -> dict[int, _Session]:
    rows = await Booking.filter(
        status__in=HELD, starts_at__gte=period.starts_at, starts_at__lt=period.ends_at
    ).values_list(
        "id",
        "offering__stage",
        "organisation_id",
        "organisation__kind",
        "organisation__province_id",
        "participants_count",
    )
    return {
        booking_id: _Session(
            stage=Stage(stage),
            organisation_id=organisation_id,
            province_key=0 if kind == OrganisationKind.PROVINCE else province_id,
            participants=participants,
        )
        for booking_id, stage, organisation_id, kind, province_id, participants in rows
    }


async def _sessions_before_app(period: Period) -> list[_Session]:
    rows = await HistoryEntry.filter(held_on__gte=period.first_day, held_on__lte=period.last_day).values_list(
        "step", "organisation_id", "organisation__kind", "organisation__province_id", "participants"
    )
    return [
        _Session(
            stage=HISTORY_STAGES[HistoryStep(step)],
            organisation_id=organisation_id,
            province_key=0 if kind == OrganisationKind.PROVINCE else province_id,
            participants=participants,
            is_before_app=True,
        )
        for step, organisation_id, kind, province_id, participants in rows
    ]


def _tallies(sessions: list[_Session]) -> dict[Stage, _Tally]:
    tallies = {stage: _Tally() for stage in Stage}
    for session in sessions:
        tally = tallies[session.stage]
        tally.sessions += 1
        tally.before_app += session.is_before_app
        tally.organisations.add(session.organisation_id)
        if session.participants is None:
            tally.without_count += 1
        else:
            tally.participants += session.participants
    return tallies


async def _add_assignments(
    period: Period, sessions: dict[int, _Session], tallies: dict[Stage, _Tally]
) -> None:
    rows = await AssignmentRequest.filter(
        status=RequestStatus.ACCEPTED,
        booking__status__in=HELD,
        booking__starts_at__gte=period.starts_at,
        booking__starts_at__lt=period.ends_at,
    ).values_list("booking_id", "trainer_id", "starts_at", "ends_at")
    for booking_id, trainer_id, starts_at, ends_at in rows:
        session = sessions.get(booking_id)
        if session is None:
            continue
        tally = tallies[session.stage]
        tally.minutes += max(0, int((ends_at - starts_at).total_seconds() // 60))
        tally.trainers.add(trainer_id)


#: Per (stage, question kind, question text): [sum, count] of the answers.
QuestionSums = dict[tuple[Stage, str, str], list[int]]


async def _add_feedback(
    period: Period, sessions: dict[int, _Session], tallies: dict[Stage, _Tally], now: datetime
) -> QuestionSums:
    """Responses and numeric answers of the held sessions' feedback, into the stage tallies; only
    of forms that have closed by `now`, so a figure cannot be compared before and after one
    response (as with a session's own results)."""
    feedback = dict(
        await SessionFeedback.filter(
            booking__status__in=HELD,
            booking__starts_at__gte=period.starts_at,
            booking__starts_at__lt=period.ends_at,
            closes_at__lte=now,
        ).values_list("id", "booking_id")
    )
    by_question: QuestionSums = defaultdict(lambda: [0, 0])
    if not feedback:
        return by_question
    responses = (
        await Response.filter(session_id__in=list(feedback))
        .annotate(n=Count("id"))
        .group_by("session_id")
        .values_list("session_id", "n")
    )
    for session_id, count in responses:
        tallies[sessions[feedback[session_id]].stage].responses += count
    answers = (
        await Answer.filter(
            response__session_id__in=list(feedback), question__kind__in=NUMERIC_KINDS, number__isnull=False
        )
        .annotate(total=Sum("number"), n=Count("id"))
        .group_by("response__session_id", "question__kind", "question__text")
        .values_list("response__session_id", "question__kind", "question__text", "total", "n")
    )
    for session_id, kind, text, total, count in answers:
        stage = sessions[feedback[session_id]].stage
        numbers = tallies[stage].numbers[kind]
        numbers[0] += int(total)
        numbers[1] += count
        question = by_question[(stage, kind, text)]
        question[0] += int(total)
        question[1] += count
    return by_question


def _questions(by_question: QuestionSums, threshold: int) -> tuple[QuestionScore, ...]:
    stage_order = list(Stage)
    scores = []
    for (stage, kind, text), (total, count) in sorted(
        by_question.items(),
        key=lambda item: (stage_order.index(item[0][0]), NUMERIC_KINDS.index(item[0][1]), item[0][2]),
    ):
        shown = count >= threshold
        scores.append(
            QuestionScore(
                stage_label=str(STAGE_LABELS[stage]),
                text=text,
                scale_text="1–5" if kind == QuestionKind.SCALE else "1–10",
                answers=count,
                is_shown=shown,
                mean=total / count if shown else None,
            )
        )
    return tuple(scores)


def _existing(period: Period) -> Q:
    """The organisations that existed on the period's last day (see server.mergers)."""
    day = period.last_day
    return (Q(started_on__isnull=True) | Q(started_on__lte=day)) & (
        Q(ended_on__isnull=True) | Q(ended_on__gt=day)
    )


async def _provinces(period: Period, sessions: list[_Session]) -> tuple[ProvinceRow, ...]:
    provinces = (
        await Organisation.filter(_existing(period), kind=OrganisationKind.PROVINCE)
        .order_by("name")
        .values_list("id", "name")
    )
    municipalities = dict(
        await Organisation.filter(_existing(period), kind=OrganisationKind.MUNICIPALITY)
        .annotate(n=Count("id"))
        .group_by("province_id")
        .values_list("province_id", "n")
    )
    groups: dict[int | None, list[_Session]] = defaultdict(list)
    for session in sessions:
        groups[session.province_key].append(session)
    labelled: list[tuple[int | None, str, int]] = [
        (province_id, name, municipalities.get(province_id, 0)) for province_id, name in provinces
    ]
    if None in groups or None in municipalities:
        labelled.append((None, _("Gemeenten zonder provincie"), municipalities.get(None, 0)))
    labelled.append((0, _("Provincies zelf (Provinciale Staten)"), len(provinces)))
    return tuple(_province_row(label, total, groups.get(key, [])) for key, label, total in labelled)


def _province_row(label: str, total: int, group: list[_Session]) -> ProvinceRow:
    return ProvinceRow(
        label=label,
        sessions_by_stage=tuple(sum(1 for session in group if session.stage is stage) for stage in Stage),
        sessions=len(group),
        organisations=len({session.organisation_id for session in group}),
        organisations_total=total,
        participants=sum(session.participants or 0 for session in group),
    )


@dataclass(frozen=True)
class _Figures:
    stages: tuple[StageFigures, ...]
    total: StageFigures
    provinces: tuple[ProvinceRow, ...]
    questions: tuple[QuestionScore, ...]
    free_sessions: FreeSessionCosts
    revenue: Revenue


async def _figures(
    period: Period,
    threshold: int,
    cost_cache: dict[int, costs.CostOverview],
    now: datetime,
    *,
    per_province: bool = True,
) -> _Figures:
    """The period's figures; without `per_province` (the comparison needs only totals) the province
    table is left empty, which saves its queries."""
    sessions = await _held_sessions(period)
    all_sessions = [*sessions.values(), *await _sessions_before_app(period)]
    tallies = _tallies(all_sessions)
    await _add_assignments(period, sessions, tallies)
    by_question = await _add_feedback(period, sessions, tallies, now)
    total = _Tally()
    for tally in tallies.values():
        total.sessions += tally.sessions
        total.organisations |= tally.organisations
        total.participants += tally.participants
        total.without_count += tally.without_count
        total.before_app += tally.before_app
        total.minutes += tally.minutes
        total.trainers |= tally.trainers
        total.responses += tally.responses
        for kind, (sum_, count) in tally.numbers.items():
            total.numbers[kind][0] += sum_
            total.numbers[kind][1] += count
    return _Figures(
        stages=tuple(tallies[stage].freeze(str(STAGE_LABELS[stage]), threshold) for stage in Stage),
        total=total.freeze(_("Totaal"), threshold),
        provinces=await _provinces(period, all_sessions) if per_province else (),
        questions=_questions(by_question, threshold),
        free_sessions=await free_session_costs(period, cost_cache),
        revenue=await revenue(period),
    )


COMPARED: tuple[tuple[LazyProxy, str, Callable[[_Figures], int]], ...] = (
    (lazy_gettext("Gehouden sessies"), "count", lambda f: f.total.sessions),
    (lazy_gettext("Bereikte organisaties"), "count", lambda f: f.total.organisations),
    (lazy_gettext("Deelnemers"), "count", lambda f: f.total.participants),
    (lazy_gettext("Feedbackreacties"), "count", lambda f: f.total.responses),
    (lazy_gettext("Trainersuren"), "minutes", lambda f: f.total.trainer_minutes),
    (lazy_gettext("Kosten gratis sessies"), "cents", lambda f: f.free_sessions.cost_cents),
    (lazy_gettext("Omzet excl. btw"), "cents", lambda f: f.revenue.net_cents),
)


async def ministry_report(
    period: Period, policy: FeedbackPolicy, *, now: datetime | None = None
) -> MinistryReport:
    """The report of `period`, with the previous period's main figures for comparison.

    Feedback means respect `policy.threshold`. Read only; about twenty queries in all.
    """
    generated_at = now or clock.now()
    cost_cache: dict[int, costs.CostOverview] = {}
    figures = await _figures(period, policy.threshold, cost_cache, generated_at)
    before = await _figures(period.previous, policy.threshold, cost_cache, generated_at, per_province=False)
    steps_day = min(period.last_day, local_day(generated_at))
    return MinistryReport(
        period=period,
        previous_period=period.previous,
        threshold=policy.threshold,
        generated_at=generated_at,
        stages=figures.stages,
        total=figures.total,
        provinces=figures.provinces,
        questions=figures.questions,
        free_sessions=figures.free_sessions,
        revenue=figures.revenue,
        comparison=tuple(
            Comparison(str(label), value(figures), value(before), unit) for label, unit, value in COMPARED
        ),
        steps_day=steps_day,
        steps=steps_on(await organisation_progress(), steps_day),
    )
