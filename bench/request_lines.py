"""The request lines of the single-URL load test's writes (`bench.load --single-url`), one per
request, written to the tab-separated files bench/requests.lua sends: booking requests by the
clerks, feedback with fresh participant codes, acceptances and issues of pools made for the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from tortoise import timezone

from bench import seed_additions
from bench.mix import booking_request
from feedback.models import ParticipantCode, Question, QuestionKind

if TYPE_CHECKING:
    from bench.load import Actors

#: Requests listed per write, and before them the ones its warm-up may take: enough that no line is
#: sent twice within the run at well over the target (a repeated acceptance or issue is an error).
REQUEST_LINES = 6000
WARM_UP_LINES = 1000

Line = tuple[str, str, str, dict[str, str] | list[tuple[str, str]]]


def write_lines(path: Path, lines: list[Line]) -> Path:
    with path.open("w") as handle:
        for method, target, cookie, body in lines:
            handle.write(f"{method}\t{target}\t{cookie}\t{urlencode(body)}\n")
    return path


def booking_lines(actors: Actors) -> list[Line]:
    assert actors.seeded
    offering = actors.seeded.follow_up_offering_id
    codes = sorted(actors.clerk_cookies)
    today = timezone.now().date()
    lines: list[Line] = []
    for n in range(WARM_UP_LINES + REQUEST_LINES):
        code = codes[n % len(codes)]
        cookie = actors.clerk_cookies[code]
        body = booking_request(n, actors.token(cookie), today, po_prefix="PO-BENCH")
        lines.append(("POST", f"/organisaties/{code}/boeken/{offering}", cookie, body))
    return lines


async def feedback_lines(actors: Actors) -> list[Line]:
    assert actors.seeded
    # One fresh participant code per line: a code admits one response (feedback/codes.py).
    sessions = (
        await ParticipantCode.filter(code__in=actors.seeded.open_feedback_codes[1:], is_used=False)
        .order_by("id")
        .limit(WARM_UP_LINES + REQUEST_LINES)
        .values("code", form_id="session__form_id")
    )
    questions: dict[int, list[Question]] = {}
    for question in await Question.filter(form_id__in={s["form_id"] for s in sessions}):
        questions.setdefault(question.form_id, []).append(question)  # type: ignore[attr-defined]
    lines: list[Line] = []
    for n in range(min(len(sessions), WARM_UP_LINES + REQUEST_LINES)):
        session = sessions[n]
        body = [("csrf_token", actors.csrf_token)]
        body.extend(feedback_answers(questions[session["form_id"]], n))
        lines.append(("POST", f"/f/{session['code']}", actors.cookie(), body))
    return lines


def feedback_answers(questions: list[Question], n: int) -> list[tuple[str, str]]:
    """The n-th participant's answer to each question: valid for its kind, varied with n."""
    answers = []
    for question in questions:
        if question.kind is QuestionKind.TEXT:
            answers.append((f"q{question.id}", f"Nuttige middag, deelnemer {n}."))
        elif question.kind is QuestionKind.GRADE:
            answers.append((f"q{question.id}", str(6 + n % 5)))
        elif question.kind is QuestionKind.SCALE:
            answers.append((f"q{question.id}", str(1 + n % 5)))
        else:
            answers.append((f"q{question.id}", str(n % len(question.options))))
    return answers


async def accept_lines(actors: Actors) -> list[Line]:
    """One line per pending request, made for the run (one pool: no two of them conflict)."""
    pool = await seed_additions.add_open_requests(WARM_UP_LINES + REQUEST_LINES)
    lines: list[Line] = []
    for request_id, trainer_id in pool:
        cookie = actors.trainer_cookies[trainer_id]
        body = {"csrf_token": actors.token(cookie), "action": "accept", "reason": ""}
        lines.append(("POST", f"/trainer/verzoeken/{request_id}", cookie, body))
    return lines


async def issue_lines(actors: Actors) -> list[Line]:
    """One line per draft, made for the run (the seeded 300 would be issued within a second)."""
    drafts = await seed_additions.add_drafts(WARM_UP_LINES + REQUEST_LINES)
    cookie = actors.cookies["finance"]
    body = {"csrf_token": actors.token(cookie)}
    return [("POST", f"/financien/facturen/{i}/uitgeven", cookie, body) for i in drafts]
