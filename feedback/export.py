"""CSV exports of feedback: one session, or every session of a period.

- One row per response. The moment of submission is given as a day only: a time could tell who
  answered last.
- Opened by Dutch Excel with a double click: UTF-8 with a byte order mark, semicolon-separated.
- Cells that start with = + - @ (or a tab or carriage return, or those after spaces) get a leading
  single quote, so a spreadsheet never reads a participant's text as a formula.
- The anonymity threshold holds: a session below it or still open is refused (`TooFewResponses`),
  and a period export leaves such sessions out; clerks and trainers get open answers only from the
  open-answer threshold.
- Exporting open answers is audited (`feedback_open_answers_viewed`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from tortoise.functions import Count

from feedback.models import Answer, Question, QuestionKind, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from feedback.results import TooFewResponses, open_answers_viewed
from server import clock
from server.audit import record
from server.i18n import DEFAULT_LANGUAGE, _, lazy_gettext, use_language
from server.models import Role, User
from server.spreadsheet import to_csv
from server.templating import AMSTERDAM, format_local_date

MULTIPLE_SEPARATOR = "; "

#: Per response id, per question id: the (number, text) of each answer row.
Answers = dict[int, dict[int, list[tuple[int | None, str | None]]]]


def _day(moment: datetime) -> str:
    return format_local_date(moment, "yyyy-MM-dd")


def _cell(question: Question, answers: list[tuple[int | None, str | None]]) -> str:
    """The answers of one response to one question as text (options by name, several joined)."""
    kind = QuestionKind(question.kind)
    if kind is QuestionKind.TEXT:
        return "\n".join(text for _number, text in answers if text)
    numbers = sorted(number for number, _text in answers if number is not None)
    if kind.is_numeric:
        return str(numbers[0]) if numbers else ""
    options = list(question.options or [])
    names = [str(options[number]) if 0 <= number < len(options) else str(number) for number in numbers]
    return MULTIPLE_SEPARATOR.join(names)


async def _responses_with_answers(
    session_ids: list[int],
) -> tuple[list[tuple[int, int, datetime]], Answers]:
    """The responses (id, session id, submitted_at) and per response per question its answers."""
    responses = await (
        Response.filter(session_id__in=session_ids)
        .order_by("session_id", "submitted_at", "id")
        .values_list("id", "session_id", "submitted_at")
    )
    rows = await Answer.filter(response__session_id__in=session_ids).values_list(
        "response_id", "question_id", "number", "text"
    )
    answers: Answers = defaultdict(lambda: defaultdict(list))
    for response_id, question_id, number, text in rows:
        answers[response_id][question_id].append((number, text))
    return responses, answers


def _has_text(questions: Iterable[Question], answers: Answers) -> set[int]:
    """The response ids with a non-empty open answer."""
    text_ids = {question.id for question in questions if question.kind == QuestionKind.TEXT}
    return {
        response_id
        for response_id, by_question in answers.items()
        if any(text for question_id in text_ids for _number, text in by_question.get(question_id, []))
    }


async def session_csv(
    session: SessionFeedback, policy: FeedbackPolicy, *, actor: User, now: datetime | None = None
) -> bytes:
    """One session's responses as CSV: the day of submission and one column per question.

    Raises TooFewResponses below the threshold or while the form is open. Open answers are left
    out for clerks and trainers below the open-answer threshold (as on the results page). Audits
    the export when it holds open answers.
    """
    if (now or clock.now()) < session.closes_at:
        raise TooFewResponses(_("De resultaten zijn pas te zien als het formulier gesloten is."))
    count = await Response.filter(session_id=session.id).count()
    if count < policy.threshold:
        raise TooFewResponses()
    questions = await Question.filter(form_id=session.form_id).order_by("position", "id")  # type: ignore[attr-defined]
    if actor.role is not Role.COORDINATOR and count < policy.open_answers_threshold:
        questions = [question for question in questions if question.kind is not QuestionKind.TEXT]
    responses, answers = await _responses_with_answers([session.id])
    rows: list[list[object]] = [[_("Ingevuld op"), *(question.text for question in questions)]]
    for response_id, _session_id, submitted_at in responses:
        by_question = answers.get(response_id, {})
        rows.append(
            [
                _day(submitted_at),
                *(_cell(question, by_question.get(question.id, [])) for question in questions),
            ]
        )
    if _has_text(questions, answers):
        await open_answers_viewed(actor, session, how=lazy_gettext("als CSV geëxporteerd"))
    return to_csv(rows)


def session_csv_filename(session: SessionFeedback) -> str:
    return f"feedback-{session.booking.reference}.csv"


def period_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[start, end) in Amsterdam time for the days first_day to last_day inclusive."""
    start = datetime.combine(first_day, time(0), tzinfo=AMSTERDAM)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=AMSTERDAM)
    return start, end


async def period_csv(policy: FeedbackPolicy, first_day: date, last_day: date, *, actor: User) -> bytes:
    """The responses of every session held from first_day to last_day (inclusive) as CSV, with the
    booking reference, organisation, offering and session date; one column per question text (the
    same text in two form versions shares a column).

    Sessions below the threshold are left out. Audits the export when it holds open answers.
    """
    start, end = period_bounds(first_day, last_day)
    sessions = (
        await SessionFeedback.filter(opens_at__gte=start, opens_at__lt=end, closes_at__lte=clock.now())
        .select_related("booking__organisation", "booking__offering")
        .order_by("opens_at", "id")
    )
    counts = dict(
        await Response.filter(session_id__in=[session.id for session in sessions])
        .annotate(n=Count("id"))
        .group_by("session_id")
        .values_list("session_id", "n")
    )
    sessions = [session for session in sessions if counts.get(session.id, 0) >= policy.threshold]
    by_id = {session.id: session for session in sessions}
    form_ids = {session.form_id for session in sessions}  # type: ignore[attr-defined]
    questions = await Question.filter(form_id__in=list(form_ids)).order_by("form_id", "position", "id")
    questions_of: dict[int, list[Question]] = defaultdict(list)
    columns: list[str] = []
    for question in questions:
        questions_of[question.form_id].append(question)  # type: ignore[attr-defined]
        if question.text not in columns:
            columns.append(question.text)

    responses, answers = await _responses_with_answers(list(by_id))
    header = [_("Referentie"), _("Organisatie"), _("Aanbod"), _("Sessiedatum"), _("Ingevuld op"), *columns]
    rows: list[list[object]] = [header]
    for response_id, session_id, submitted_at in responses:
        session = by_id[session_id]
        by_question = answers.get(response_id, {})
        cells = dict.fromkeys(columns, "")
        for question in questions_of[session.form_id]:  # type: ignore[attr-defined]
            cells[question.text] = _cell(question, by_question.get(question.id, []))
        rows.append(
            [
                session.booking.reference,
                session.booking.organisation.name,
                session.booking.offering.name,
                _day(session.opens_at),
                _day(submitted_at),
                *cells.values(),
            ]
        )
    with_text = _has_text(questions, answers)
    if with_text:
        references = sorted(
            {by_id[session_id].booking.reference for rid, session_id, _at in responses if rid in with_text}
        )
        with use_language(DEFAULT_LANGUAGE):  # the audit log stores the summary in Dutch
            summary = _(
                "Open antwoorden van {first} tot en met {last} als CSV geëxporteerd: {references}"
            ).format(first=first_day.isoformat(), last=last_day.isoformat(), references=", ".join(references))
        await record(actor, "feedback_open_answers_viewed", None, summary=summary)
    return to_csv(rows)


def period_csv_filename(first_day: date, last_day: date) -> str:
    return f"feedback-{first_day.isoformat()}-{last_day.isoformat()}.csv"
