"""Feedback results: a session's numbers and open answers (trends and leads: feedback/trends.py).

Rules enforced here:
- **Who sees a session** (`session_for`): coordinators all; a clerk the sessions of their own
  organisation; a trainer the sessions they gave (an accepted assignment request). Anything else is
  `NotFound`, so that nobody learns which sessions exist.
- **The anonymity threshold** (`FeedbackPolicy.threshold`, default 5): below it only the number of
  responses is shown, for a session and for every aggregate (a group-month of the trends, the number
  of interested participants of an organisation).
- **Planting** (docs/developer.md, "Anonymity"): results only once the form has closed; clerks
  and trainers see open answers only from `FeedbackPolicy.open_answers_threshold` (default 10).
- **Open answers are audited**: every time they are shown or exported, `open_answers_viewed` writes
  an audit entry.

Errors: `NotFound` (404) from `session_for`; `TooFewResponses` (403) from exports below the threshold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from babel.numbers import format_decimal
from babel.support import LazyProxy
from tortoise.functions import Count

from bookings.models import Booking
from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback import charts
from feedback.models import Answer, Question, QuestionKind, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from server import clock
from server.audit import record
from server.errors import DomainError, NotFound
from server.i18n import DEFAULT_LANGUAGE, _, use_language
from server.models import Role, User
from server.templating import LOCALE

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
    #: Results exist only once the form has closed (no comparing results before and after one response).
    is_closed: bool = True
    #: Open answers held back: fewer responses than the viewer's open-answer threshold.
    open_answers_hidden: bool = False
    #: Responses that came in through the open link (the fallback without codes).
    via_open_link: int = 0

    @property
    def is_shown(self) -> bool:
        return self.is_closed and self.count >= self.threshold

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
    if await may_see(user, session):
        return session
    raise NotFound()


async def may_see(user: User, session: SessionFeedback) -> bool:
    """Whether `user` may see the results of `session` (see `session_for`)."""
    if user.role is Role.COORDINATOR:
        return True
    if not isinstance(session.booking, Booking):
        await session.fetch_related("booking")
    booking = session.booking
    if user.role is Role.CLERK:
        return booking.organisation_id == user.organisation_id  # type: ignore[attr-defined]
    return (
        user.role is Role.TRAINER
        and await AssignmentRequest.filter(
            booking_id=booking.id, trainer_id=user.id, status=RequestStatus.ACCEPTED
        ).exists()
    )


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


async def session_results(
    session: SessionFeedback,
    policy: FeedbackPolicy,
    *,
    viewer: User | None = None,
    now: datetime | None = None,
) -> SessionResults:
    """The count of responses and, once the form has closed and from the threshold on, per question
    its distribution, mean and open answers. Four queries, whatever the number of responses.

    Open answers go to coordinators (and `viewer=None`, the system) from the threshold, to clerks
    and trainers only from `policy.open_answers_threshold`: see "Anonymity" in docs/developer.md.
    """
    count = await Response.filter(session_id=session.id).count()
    is_closed = (now or clock.now()) >= session.closes_at
    if count < policy.threshold or not is_closed:
        return SessionResults(
            session_id=session.id, count=count, threshold=policy.threshold, is_closed=is_closed
        )
    open_threshold = (
        policy.threshold
        if viewer is None or viewer.role is Role.COORDINATOR
        else max(policy.threshold, policy.open_answers_threshold)
    )
    hide_open = count < open_threshold
    via_open_link = await Response.filter(session_id=session.id, via_open_link=True).count()

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
    for question_id, text in [] if hide_open else texts:
        if text and text.strip():
            open_answers[question_id].append(text)
    return SessionResults(
        session_id=session.id,
        count=count,
        threshold=policy.threshold,
        open_answers_hidden=hide_open,
        via_open_link=via_open_link,
        questions=[
            _question_result(question, counts[question.id], open_answers[question.id])
            for question in questions
        ],
    )


async def open_answers_viewed(user: User, session: SessionFeedback, how: LazyProxy | None = None) -> None:
    """Audit that `user` saw (or exported, as `how` says: a lazy text, stored in Dutch) the open answers
    of `session`."""
    if not isinstance(session.booking, Booking):
        await session.fetch_related("booking")
    reference = session.booking.reference
    with use_language(DEFAULT_LANGUAGE):  # the audit log stores the summary in Dutch
        summary = _("Open antwoorden van sessie {reference} {how}").format(
            reference=reference, how=how or _("bekeken")
        )
    await record(user, "feedback_open_answers_viewed", session, summary=summary)


async def view_results(
    user: User, reference: str, policy: FeedbackPolicy, *, how: LazyProxy | None = None
) -> tuple[SessionFeedback, SessionResults]:
    """The session of `reference` and its results, as `user` may see them (NotFound otherwise).

    When the results include open answers the view is audited: `how` says what was done with them
    (default: viewed on the page).
    """
    session = await session_for(user, reference)
    results = await session_results(session, policy, viewer=user)
    if results.has_open_answers:
        await open_answers_viewed(user, session, how)
    return session, results
