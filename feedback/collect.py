"""Collecting feedback: a session's form window, and participants' anonymous answers.

Rules:
- A session gets its link when it starts (feedback/opening.py).
- The form is open from the session's start until the window closes (default 14 days).
- A response needs a single-use participant code (feedback/codes.py), or the session's own code
  while a coordinator has switched on the open link (the fallback: one response per device).
- Nothing identifying is stored with a response. A random token in a cookie (stored hashed) lets a
  participant change their answers while the form is open; another device with a used code is refused.
- Someone signed in who may see the session's results cannot respond to it (planting).
- Limits are per client, never per session: wrong codes, and responses through the open link.
- An e-mail address for contact is stored apart.
- A request to be contacted, or a wish for a follow-up, makes a lead (feedback/leads.py).

Errors: NotFound (unknown code), FeedbackClosed (410), CodeUsed (409), ResultsViewerRefused (403),
ValidationFailed (per question), RateLimited (429).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from bookings.models import Booking
from feedback import codes, leads, results
from feedback.models import (
    Answer,
    ContactRequest,
    ParticipantCode,
    Question,
    QuestionKind,
    Response,
    SessionFeedback,
)
from feedback.policy import FeedbackPolicy
from server import clock, ratelimit, sql
from server.errors import DomainError, NotFound, RateLimited, ValidationFailed
from server.forms import parse_email
from server.i18n import _
from server.models import User
from server.sessions import hash_secret
from server.settings import Settings

TEXT_LIMIT = 4000


class FeedbackClosed(DomainError):
    status_code = 410


class CodeUsed(DomainError):
    status_code = 409


class ResultsViewerRefused(DomainError):
    """Someone who may see the session's results tried to respond to it (planting)."""

    status_code = 403


@dataclass(frozen=True)
class Resolved:
    """A code's session, its participant code (none through the open link), and what the pages show."""

    session: SessionFeedback
    participant_code: ParticipantCode | None
    offering_name: str
    organisation_name: str
    starts_at: datetime | None


@dataclass(frozen=True)
class OpenForm:
    found: Resolved
    questions: list[Question]
    state: str  # "open", "not_yet" or "closed"

    @property
    def session(self) -> SessionFeedback:
        return self.found.session

    @property
    def is_code_used(self) -> bool:
        code = self.found.participant_code
        return code is not None and code.is_used


@dataclass(frozen=True)
class Submitted:
    """The participant's token for their cookie, which lives until the form closes."""

    token: str
    closes_at: datetime


def _state(session: SessionFeedback, now: datetime) -> str:
    return "not_yet" if now < session.opens_at else "closed" if now >= session.closes_at else "open"


#: A form's questions in plain SQL (server/sql.py), as every participant's page reads them.
QUESTIONS_SQL = (
    'SELECT {question} FROM "feedback_question" q WHERE q."form_id" = $1 ORDER BY q."position", q."id"'
)


async def _questions(session: SessionFeedback) -> list[Question]:
    statement = QUESTIONS_SQL.format(question=sql.columns(Question, "q", ""))
    rows = await sql.fetch(Question, statement, session.form_id)  # type: ignore[attr-defined]
    return [sql.instance(Question, row, "") for row in rows]


#: The session of a participant code, or of its own code while the open link is on, with the names
#: and date that the form and the thank-you page show: one statement instead of two querysets with
#: three joins, since every participant's page asks it (server/sql.py).
SESSION_SQL = (
    'SELECT {session}, b."starts_at" AS "starts_at", o."name" AS "organisation_name", '
    'f."name" AS "offering_name"{code_columns} FROM {source} '
    'JOIN "booking" b ON b."id" = s."booking_id" '
    'JOIN "organisation" o ON o."id" = b."organisation_id" '
    'JOIN "offering" f ON f."id" = b."offering_id" '
    "WHERE {where}"
)


def _session_sql(*, participant_code: bool) -> str:
    if participant_code:
        return SESSION_SQL.format(
            session=sql.columns(SessionFeedback, "s", "s_"),
            code_columns=", " + sql.columns(ParticipantCode, "p", "p_"),
            source='"feedback_participant_code" p JOIN "session_feedback" s ON s."id" = p."session_id"',
            where='p."code" = $1',
        )
    return SESSION_SQL.format(
        session=sql.columns(SessionFeedback, "s", "s_"),
        code_columns="",
        source='"session_feedback" s',
        where='s."code" = $1 AND s."is_open_link"',
    )


async def _resolve(code: str, client: str, policy: FeedbackPolicy) -> Resolved:
    """The session a participant code (or, while the open link is on, a session code) belongs to.

    A client that gave `policy.wrong_code_limit` wrong codes in the window gets RateLimited for
    every code, right or wrong, so that guessing stops; a wrong code counts one and raises NotFound.
    """
    key = f"feedback-code:{client}"
    if await ratelimit.is_exceeded(key, policy.wrong_code_limit, policy.rate_window):
        raise RateLimited(
            _("Er zijn te veel verkeerde codes ingevuld. Probeer het over tien minuten opnieuw.")
        )
    normalised = codes.normalise(code)
    rows: list[dict[str, Any]] = []
    if len(normalised) == codes.CODE_LENGTH:
        rows = await sql.fetch(SessionFeedback, _session_sql(participant_code=True), normalised)
    elif 0 < len(normalised) <= codes.OPEN_LINK_LENGTH:
        rows = await sql.fetch(SessionFeedback, _session_sql(participant_code=False), normalised)
    if not rows:
        await ratelimit.count_hit(key)
        raise NotFound(_("Deze code bestaat niet. Controleer de code op uw kaartje."))
    row = rows[0]
    return Resolved(
        sql.instance(SessionFeedback, row, "s_"),
        sql.instance(ParticipantCode, row, "p_") if "p_id" in row else None,
        row["offering_name"],
        row["organisation_name"],
        sql.value(Booking, "starts_at", row["starts_at"]),
    )


async def form_for_code(
    code: str, now: datetime | None = None, *, client: str = "", policy: FeedbackPolicy | None = None
) -> OpenForm:
    found = await _resolve(code, client, policy or FeedbackPolicy())
    session = found.session
    return OpenForm(found, await _questions(session), _state(session, now or clock.now()))


def parse_answers(
    questions: list[Question], form: dict[str, list[str]]
) -> tuple[dict[int, list[str]], dict[str, str]]:
    """The posted answers per question id, checked against each question's kind; errors per field."""
    answers: dict[int, list[str]] = {}
    errors: dict[str, str] = {}
    for question in questions:
        field = f"q{question.id}"
        given = [v.strip() for v in form.get(field, []) if v.strip()]
        if not given:
            if question.is_required:
                errors[field] = _("Beantwoord deze vraag.")
            continue
        kind = question.kind
        if kind is QuestionKind.TEXT:
            if len(given[0]) > TEXT_LIMIT:
                errors[field] = _("Uw antwoord is te lang (maximaal %(limit)s tekens).") % {
                    "limit": TEXT_LIMIT
                }
            answers[question.id] = given[:1]
            continue
        allowed = {
            QuestionKind.SCALE: range(1, 6),
            QuestionKind.GRADE: range(1, 11),
        }.get(kind, range(len(question.options)))
        values = [v for v in given if v.isdigit() and int(v) in allowed]
        if len(values) != len(given) or (kind is not QuestionKind.MULTIPLE and len(values) > 1):
            errors[field] = _("Kies een van de mogelijkheden.")
            continue
        answers[question.id] = sorted(set(values), key=int)
    return answers, errors


def _validated_email(raw: str) -> str:
    if not raw.strip():
        return ""
    email = parse_email(raw)
    if email is None:
        raise ValidationFailed({"contact_email": _("Vul één geldig e-mailadres in, of laat het veld leeg.")})
    return email


async def submit(
    code: str,
    token: str | None,
    form: dict[str, list[str]],
    *,
    settings: Settings,
    client: str = "",
    viewer: User | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Store (or replace) one participant's answers; returns the token for their cookie.

    A new response uses up its participant code (CodeUsed when it was used already); the device's
    cookie token replaces its own response instead. Through the open link a client may send
    `policy.open_link_limit` responses per window. `viewer`, the signed-in user if any, is refused
    when they may see the session's results: their answers would let them single out others'.
    """
    now = now or clock.now()
    policy = FeedbackPolicy.from_settings(settings)
    found = await _resolve(code, client, policy)
    session, participant_code = found.session, found.participant_code
    if _state(session, now) != "open":
        raise FeedbackClosed(_("Dit formulier is nu niet open."))
    if viewer is not None and await results.may_see(viewer, session):
        raise ResultsViewerRefused(
            _(
                "U bent aangemeld als iemand die de resultaten van deze sessie kan zien. Om de "
                "anonimiteit van de deelnemers te beschermen telt uw antwoord niet mee."
            )
        )
    questions = await _questions(session)
    answers, errors = parse_answers(questions, form)
    wants_contact = "contact" in form and form["contact"][:1] == ["on"]
    email = _validated_email((form.get("contact_email") or [""])[0]) if wants_contact else ""
    if wants_contact and not email:
        errors["contact_email"] = _("Vul het e-mailadres in waarop wij contact met u kunnen opnemen.")
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        response = (
            await Response.select_for_update().get_or_none(token_hash=hash_secret(token), session=session)
            if token
            else None
        )
        if response is None:
            await _admit(session, participant_code, client, policy)
            token = secrets.token_urlsafe(32)
            response = await Response.create(
                session=session, token_hash=hash_secret(token), via_open_link=participant_code is None
            )
        else:
            await Answer.filter(response=response).delete()
            await response.save(update_fields=["updated_at"])
        rows = []
        for question in questions:
            for value in answers.get(question.id, []):
                is_text = question.kind is QuestionKind.TEXT
                rows.append(
                    Answer(
                        response=response,
                        question=question,
                        text=value if is_text else None,
                        number=None if is_text else int(value),
                    )
                )
        if rows:
            await Answer.bulk_create(rows)
        contact = await ContactRequest.create(session=session, email=email) if email else None
        wants_follow_up = any(q.marks_follow_up_interest and answers.get(q.id) == ["0"] for q in questions)
        await leads.note_signals(
            session, contact_request=contact, wants_follow_up=wants_follow_up, settings=settings
        )
    assert token
    return Submitted(token, session.closes_at)


async def _admit(
    session: SessionFeedback, participant_code: ParticipantCode | None, client: str, policy: FeedbackPolicy
) -> None:
    """Use up the participant code (exactly one of simultaneous submissions with it wins: the
    conditional update locks the row), or count a response through the open link for the client."""
    if participant_code is not None:
        if not await ParticipantCode.filter(id=participant_code.id, is_used=False).update(is_used=True):
            raise CodeUsed(
                _(
                    "Deze code is al gebruikt. Elke code geldt voor één reactie; vraag zo nodig "
                    "een nieuwe code aan de organisator."
                )
            )
        return
    # Counted in the answer's own transaction: one commit per submission instead of two.
    if not await ratelimit.allow(f"feedback-open:{client}", policy.open_link_limit, policy.rate_window):
        raise RateLimited(
            _("Er komen nu erg veel antwoorden binnen. Probeer het over een paar minuten opnieuw.")
        )


async def previous_answers(session: SessionFeedback, token: str | None) -> dict[str, list[str]]:
    """What this device answered before, as form values, so the participant can change it."""
    if not token:
        return {}
    response = await Response.get_or_none(token_hash=hash_secret(token), session_id=session.id)
    if response is None:
        return {}
    values: dict[str, list[str]] = {}
    for answer in await Answer.filter(response=response).order_by("id"):
        field = f"q{answer.question_id}"  # type: ignore[attr-defined]
        values.setdefault(field, []).append(answer.text if answer.text is not None else str(answer.number))
    return values
