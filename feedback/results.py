"""Feedback results: a session's numbers and open answers, trends over time, and leads.

Rules enforced here:
- **Who sees a session** (`session_for`): coordinators all; a clerk the sessions of their own
  organisation; a trainer the sessions they gave (an accepted assignment request). Anything else is
  `NotFound`, so that nobody learns which sessions exist.
- **The anonymity threshold** (`FeedbackPolicy.threshold`, default 5): below it only the number of
  responses is shown, for a session and for every aggregate (a group-month of the trends, the number
  of interested participants of an organisation).
- **Open answers are audited**: every time they are shown or exported, `open_answers_viewed` writes
  an audit entry.

Errors: `NotFound` (404) from `session_for`; `TooFewResponses` (403) from exports below the threshold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from babel.numbers import format_decimal
from tortoise import timezone
from tortoise.functions import Count

from bookings.models import Booking
from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback import charts
from feedback.models import Answer, Question, QuestionKind, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from server.audit import record
from server.errors import DomainError, NotFound
from server.i18n import _
from server.models import Role, User
from server.templating import AMSTERDAM, LOCALE, local_time

Group = Literal["offering", "trainer", "tour"]
GROUPS: tuple[Group, ...] = ("offering", "trainer", "tour")
SCALE_VALUES = range(1, 6)
GRADE_VALUES = range(1, 11)
REFERENCE_MAX_LENGTH = 12


class TooFewResponses(DomainError):
    """Fewer responses than the anonymity threshold: no results, no export, no report."""

    status_code = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "Deze sessie heeft te weinig reacties. Om de anonimiteit van de deelnemers te "
                "beschermen zijn de resultaten pas te zien vanaf het minimum aantal reacties."
            )
        )


def format_mean(value: float | None) -> str:
    """A mean in Dutch notation with one decimal: 3.45 -> '3,5'; None -> ''."""
    return "" if value is None else format_decimal(value, format="0.0", locale=LOCALE)


# ---------- One session ----------


@dataclass(frozen=True)
class QuestionResult:
    id: int
    position: int
    kind: QuestionKind
    text: str
    #: (label, count) in the order of the scale or of the options; every value present, also with 0.
    distribution: list[tuple[str, int]]
    mean: float | None
    open_answers: list[str]

    @property
    def is_text(self) -> bool:
        return self.kind is QuestionKind.TEXT

    @property
    def answer_count(self) -> int:
        """Answers given; for multiple choice the number of chosen options."""
        return len(self.open_answers) if self.is_text else sum(count for _label, count in self.distribution)

    @property
    def mean_text(self) -> str:
        return format_mean(self.mean)

    @property
    def chart(self) -> str:
        """The SVG bar chart; safe to output unescaped (built from escaped parts, see charts.py)."""
        return charts.bar_chart(f"vraag-{self.id}", self.text, self.distribution)


@dataclass(frozen=True)
class SessionResults:
    session_id: int
    count: int
    threshold: int
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def is_shown(self) -> bool:
        return self.count >= self.threshold

    @property
    def has_open_answers(self) -> bool:
        return any(question.open_answers for question in self.questions)


async def session_for(user: User, reference: str) -> SessionFeedback:
    """The feedback session of booking `reference`, with booking, organisation, offering and form.

    Raises NotFound unless the user is a coordinator, a clerk of the booking's organisation, or a
    trainer with an accepted request on the booking (the trainer gave the session).
    """
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise NotFound()
    session = await SessionFeedback.get_or_none(booking__reference=reference).select_related(
        "booking__organisation", "booking__offering", "form"
    )
    if session is None:
        raise NotFound()
    booking = session.booking
    if user.role is Role.COORDINATOR:
        return session
    if user.role is Role.CLERK and booking.organisation_id == user.organisation_id:  # type: ignore[attr-defined]
        return session
    if (
        user.role is Role.TRAINER
        and await AssignmentRequest.filter(
            booking_id=booking.id, trainer_id=user.id, status=RequestStatus.ACCEPTED
        ).exists()
    ):
        return session
    raise NotFound()


def _labels(question: Question) -> list[tuple[int, str]]:
    """The possible values of a question with their labels, in display order."""
    kind = QuestionKind(question.kind)
    if kind.is_numeric:
        values = list(SCALE_VALUES if kind is QuestionKind.SCALE else GRADE_VALUES)
        labels = {value: str(value) for value in values}
        ends = [str(option) for option in question.options or []]
        if len(ends) == 2:  # the two end labels of a scale: "1 (Niet nuttig)" ... "5 (Heel nuttig)"
            labels[values[0]] = f"{values[0]} ({ends[0]})"
            labels[values[-1]] = f"{values[-1]} ({ends[1]})"
        return list(labels.items())
    return [(index, str(option)) for index, option in enumerate(question.options or [])]


def _question_result(question: Question, counts: dict[int, int], texts: list[str]) -> QuestionResult:
    kind = QuestionKind(question.kind)
    distribution: list[tuple[str, int]] = []
    mean: float | None = None
    if kind is not QuestionKind.TEXT:
        labels = _labels(question)
        distribution = [(label, counts.get(value, 0)) for value, label in labels]
        if kind.is_numeric:
            answered = sum(counts.get(value, 0) for value, _label in labels)
            total = sum(value * counts.get(value, 0) for value, _label in labels)
            mean = total / answered if answered else None
    return QuestionResult(
        id=question.id,
        position=question.position,
        kind=kind,
        text=question.text,
        distribution=distribution,
        mean=mean,
        open_answers=texts if kind is QuestionKind.TEXT else [],
    )


async def session_results(session: SessionFeedback, policy: FeedbackPolicy) -> SessionResults:
    """The count of responses and, from the threshold on, per question its distribution, mean and
    open answers. Four queries, whatever the number of responses or questions."""
    count = await Response.filter(session_id=session.id).count()
    if count < policy.threshold:
        return SessionResults(session_id=session.id, count=count, threshold=policy.threshold)

    questions = await Question.filter(form_id=session.form_id).order_by("position", "id")  # type: ignore[attr-defined]
    counted = (
        await Answer.filter(response__session_id=session.id, number__isnull=False)
        .annotate(n=Count("id"))
        .group_by("question_id", "number")
        .values_list("question_id", "number", "n")
    )
    texts = (
        await Answer.filter(
            response__session_id=session.id, question__kind=QuestionKind.TEXT, text__isnull=False
        )
        .order_by("response__submitted_at", "id")
        .values_list("question_id", "text")
    )

    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, number, n in counted:
        counts[question_id][number] = n
    open_answers: dict[int, list[str]] = defaultdict(list)
    for question_id, text in texts:
        if text and text.strip():
            open_answers[question_id].append(text)
    return SessionResults(
        session_id=session.id,
        count=count,
        threshold=policy.threshold,
        questions=[
            _question_result(question, counts[question.id], open_answers[question.id])
            for question in questions
        ],
    )


async def open_answers_viewed(user: User, session: SessionFeedback, how: str | None = None) -> None:
    """Audit that `user` saw (or exported, as `how` says) the open answers of `session`."""
    if not isinstance(session.booking, Booking):
        await session.fetch_related("booking")
    reference = session.booking.reference
    how = how or _("bekeken")
    await record(
        user,
        "feedback_open_answers_viewed",
        session,
        summary=_("Open antwoorden van sessie {reference} {how}").format(reference=reference, how=how),
    )


# ---------- Trends ----------


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
    since: datetime,
) -> tuple[list[dict[str, object]], dict[int, int], dict[int, tuple[int, int]]]:
    sessions = await SessionFeedback.filter(opens_at__gte=since).values(
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
    number of sessions and responses, and the mean of the scale answers.

    The threshold applies to each group-month: below it the row is there with its counts, but with
    `is_shown` False and no mean. A session given by two trainers counts for each.
    """
    if group not in GROUPS:
        raise NotFound()
    since_day = _months_back(local_time(now or timezone.now()).date(), max(months, 1))
    since = datetime(since_day.year, since_day.month, 1, tzinfo=AMSTERDAM)
    sessions, responses, scale = await _trend_inputs(since)
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


async def view_results(
    user: User, reference: str, policy: FeedbackPolicy, *, how: str | None = None
) -> tuple[SessionFeedback, SessionResults]:
    """The session of `reference` and its results, as `user` may see them (NotFound otherwise).

    When the results include open answers the view is audited: `how` says what was done with them
    (default: viewed on the page).
    """
    session = await session_for(user, reference)
    results = await session_results(session, policy)
    if results.has_open_answers:
        await open_answers_viewed(user, session, how or _("bekeken"))
    return session, results
