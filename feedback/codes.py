"""Participant codes: one single-use code per participant, and the open link as a marked fallback.

Rules:
- A session gets as many codes as its expected participants plus a margin when its feedback link is
  made; whoever may see the session (`results.session_for`) can issue more, up to `MAX_CODES`.
- A code admits one response. The same device may change its answers (its cookie); another device
  with a used code is refused. The code is not linked to the response (see models.ParticipantCode).
- Codes are 16 characters from a 26-letter alphabet (26**16 ≈ 4.4e22, 75 bits): even with 100,000
  unused codes alive at once, 1,000 guesses a second for a year (3.2e10) hit one with a chance of
  about 7e-8. The session's own code (12 characters for the open link) admits responses only while a
  coordinator has switched the open link on. Wrong codes are limited per client besides.

Errors: NotFound (session not visible), ValidationFailed (count), Forbidden (open link: not a coordinator).
"""

from __future__ import annotations

import secrets

from tortoise.transactions import in_transaction

from feedback import results
from feedback.models import ParticipantCode, SessionFeedback
from server.audit import in_dutch, record
from server.errors import Forbidden, ValidationFailed
from server.i18n import _, lazy_gettext
from server.models import Role, User
from server.unique_codes import ALPHABET, with_free_code

CODE_LENGTH = 16
OPEN_LINK_LENGTH = 12
MAX_CODES = 1000
MAX_PER_ISSUE = 200


def draw(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise(raw: str) -> str:
    """What a participant typed or scanned, without spaces and dashes, in capitals."""
    return "".join(ch for ch in raw if ch.isalnum()).upper()


def grouped(code: str) -> str:
    """A participant code as printed: ACDE-FGHJ-KLMN-PQRT."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def codes_for(expected_participants: int) -> int:
    """The codes a new session gets: the expected participants plus a fifth, at least five more."""
    return min(MAX_CODES, expected_participants + max(5, expected_participants // 5))


async def issue(session: SessionFeedback, count: int) -> list[str]:
    """Make `count` new codes for `session` (in the caller's transaction); a clash draws again."""

    async def make() -> list[str]:
        drawn = [draw() for _ in range(count)]
        async with in_transaction():
            await ParticipantCode.bulk_create([ParticipantCode(session=session, code=c) for c in drawn])
        return drawn

    return await with_free_code(make, "feedback_participant_code", "code")


async def unused(session: SessionFeedback) -> list[str]:
    return list(
        await ParticipantCode.filter(session=session, is_used=False)
        .order_by("id")
        .values_list("code", flat=True)
    )


async def counts(session: SessionFeedback) -> tuple[int, int]:
    """(issued, used) codes of `session`."""
    issued = await ParticipantCode.filter(session=session).count()
    used = await ParticipantCode.filter(session=session, is_used=True).count()
    return issued, used


async def issue_more(user: User, reference: str, raw_count: str) -> int:
    """More codes for the session of booking `reference`, for whoever may see it.

    Raises NotFound (not visible), ValidationFailed (count not 1..200, or over 1,000 in all).
    """
    session = await results.session_for(user, reference)
    count = int(raw_count) if raw_count.strip().isdigit() and len(raw_count.strip()) < 5 else 0
    if not 1 <= count <= MAX_PER_ISSUE:
        raise ValidationFailed({"count": _("Vul een aantal van 1 tot 200 in.")})
    async with in_transaction():
        locked = await SessionFeedback.select_for_update().get(id=session.id)
        if await ParticipantCode.filter(session=locked).count() + count > MAX_CODES:
            raise ValidationFailed({"count": _("Een sessie heeft ten hoogste 1000 deelnemerscodes.")})
        await issue(locked, count)
        await record(
            user,
            "feedback_codes_issued",
            locked,
            in_dutch(lazy_gettext("{count} deelnemerscodes uitgegeven voor sessie {reference}")).format(
                count=count, reference=reference
            ),
        )
    return count


async def set_open_link(user: User, reference: str, *, on: bool) -> SessionFeedback:
    """A coordinator switches the open link (the fallback without codes) on or off.

    Switching it on gives a session with a short (older) code a new 12-character one, so that the
    open link cannot be guessed. Raises Forbidden (not a coordinator), NotFound.
    """
    if user.role is not Role.COORDINATOR:
        raise Forbidden()
    session = await results.session_for(user, reference)
    async with in_transaction():
        locked = await SessionFeedback.select_for_update().get(id=session.id)
        locked.is_open_link = on
        fields = ["is_open_link"]

        async def save() -> SessionFeedback:
            if on and len(locked.code) < OPEN_LINK_LENGTH:
                locked.code = draw(OPEN_LINK_LENGTH)
                fields.append("code")
            async with in_transaction():
                await locked.save(update_fields=fields)
            return locked

        await with_free_code(save, "session_feedback", "code")
        summary = (
            _("Open link aangezet voor sessie {reference}")
            if on
            else _("Open link uitgezet voor sessie {reference}")
        )
        await record(user, "feedback_open_link_changed", locked, summary.format(reference=reference))
    session.code, session.is_open_link = locked.code, locked.is_open_link
    return session
