"""Issue 20: responses that belong to participants (single-use codes, the open link as a fallback,
limits per client) and no isolation by planting. The attacks are tests here: they must fail."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from bookings.models import TrainerKind
from bookings.staffing_models import RequestStatus
from feedback import codes, collect, export, results
from feedback.collect import CodeUsed, ResultsViewerRefused
from feedback.models import Answer, ParticipantCode, Response, SessionFeedback
from feedback.policy import FeedbackPolicy
from server import clock
from server.clock import Clock
from server.errors import Forbidden, NotFound, RateLimited, ValidationFailed
from server.models import AuditEntry, Role
from server.settings import Settings
from tests.bookings.factories import make_request, make_trainer
from tests.factories import make_user, post, sign_in
from tests.feedback.test_collect import answers, make_session

SECRET = "Mijn burgemeester maakte mij bang."


async def closed_session() -> SessionFeedback:
    """A session with participant codes and its open link off (as a new session is)."""
    session = await make_session()
    session.is_open_link = False
    await session.save(update_fields=["is_open_link"])
    await session.fetch_related("booking__organisation", "booking__offering")
    return session


async def test_codes_are_too_long_to_guess_at_1000_a_second_for_a_year() -> None:
    session = await closed_session()
    issued = await codes.unused(session)
    assert len(issued) == codes.codes_for(session.booking.expected_participants)
    assert all(len(code) == codes.CODE_LENGTH and set(code) <= set(codes.ALPHABET) for code in issued)
    guesses_per_year = 1000 * 3600 * 24 * 365
    live_codes = 100_000  # far more unused codes than all open sessions together hold
    assert guesses_per_year * live_codes / len(codes.ALPHABET) ** codes.CODE_LENGTH < 1e-6
    # The open link's code, only valid while a coordinator has it on: one link, guessed in a year.
    assert guesses_per_year / len(codes.ALPHABET) ** codes.OPEN_LINK_LENGTH < 1e-6


# Stuffing


async def test_stuffing_with_one_code_and_no_cookies_stores_one_response(settings: Settings) -> None:
    """The attack of issue 20: a client dropping cookies submitted 650 responses in 15 s."""
    session = await closed_session()
    code = (await codes.unused(session))[0]
    given = await answers(session, grade=["1"])
    await collect.submit(code, None, given, settings=settings, client="198.51.100.1")
    refused = 0
    for _ in range(20):
        with pytest.raises(CodeUsed) as raised:
            await collect.submit(code, None, given, settings=settings, client="198.51.100.1")
        refused += raised.value.status_code == 409
    assert refused == 20
    # The session's own code admits nobody while the open link is off.
    with pytest.raises(NotFound):
        await collect.submit(session.code, None, given, settings=settings, client="198.51.100.1")
    assert await Response.filter(session=session).count() == 1
    # So the trainer's grade and the ministry figures (both read these rows) hold one 1, not 21.
    assert await Answer.filter(response__session=session, number=1, question__kind="grade").count() == 1


async def test_one_participants_second_submission_is_refused_or_replaces_their_own(
    settings: Settings,
) -> None:
    session = await closed_session()
    code = (await codes.unused(session))[0]
    token = (await collect.submit(code, None, await answers(session), settings=settings)).token
    # The same device (its cookie) changes its answers.
    await collect.submit(code, token, await answers(session, scale=["1"]), settings=settings)
    # Another device with the same code is refused.
    with pytest.raises(CodeUsed):
        await collect.submit(code, None, await answers(session), settings=settings)
    assert await Response.filter(session=session).count() == 1
    assert await Answer.filter(response__session=session, question__kind="scale").values_list(
        "number", flat=True
    ) == [1]
    assert await ParticipantCode.filter(session=session, is_used=True).count() == 1


async def test_one_code_sent_at_once_from_many_devices_stores_one(settings: Settings, db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("concurrency is tested on PostgreSQL")
    session = await closed_session()
    code = (await codes.unused(session))[0]
    given = await answers(session)
    outcomes = await asyncio.gather(
        *(collect.submit(code, None, given, settings=settings) for _ in range(30)), return_exceptions=True
    )
    assert sum(isinstance(o, collect.Submitted) for o in outcomes) == 1
    assert all(isinstance(o, (collect.Submitted, CodeUsed)) for o in outcomes), outcomes
    assert await Response.filter(session=session).count() == 1


async def test_300_participants_submitting_at_once_are_all_stored_none_refused(
    settings: Settings, db_kind: str
) -> None:
    """A group of 300 on one network (one client address) within seconds: nobody is refused."""
    if db_kind != "postgres":
        pytest.skip("concurrency is tested on PostgreSQL")
    session = await closed_session()
    await ParticipantCode.filter(session=session).delete()
    issued = await codes.issue(session, 300)
    given = await answers(session, multiple=["0", "2"])
    outcomes = await asyncio.gather(
        *(collect.submit(code, None, given, settings=settings, client="192.0.2.1") for code in issued),
        return_exceptions=True,
    )
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert not errors, errors[:3]
    assert await Response.filter(session=session).count() == 300
    assert await Answer.filter(response__session=session).count() == 300 * 6
    assert await ParticipantCode.filter(session=session, is_used=False).count() == 0


# Limits per client


async def test_wrong_codes_are_limited_per_client_not_for_everyone(settings: Settings) -> None:
    session = await closed_session()
    good = (await codes.unused(session))[0]
    policy = FeedbackPolicy.from_settings(settings)
    for n in range(policy.wrong_code_limit):
        with pytest.raises(NotFound):
            await collect.form_for_code(f"ACDEFGHJKLMNPQ{n:02d}", client="203.0.113.9", policy=policy)
    with pytest.raises(RateLimited):  # from now on even a right code: guessing learns nothing
        await collect.form_for_code(good, client="203.0.113.9", policy=policy)
    with pytest.raises(RateLimited):
        await collect.submit(good, None, await answers(session), settings=settings, client="203.0.113.9")
    # Another client (a participant elsewhere) is not affected.
    await collect.submit(good, None, await answers(session), settings=settings, client="192.0.2.44")
    assert await Response.filter(session=session).count() == 1


async def test_the_open_link_is_a_coordinators_fallback_limited_per_client(settings: Settings) -> None:
    session = await closed_session()
    coordinator = await make_user(Role.COORDINATOR)
    clerk = await make_user(Role.CLERK, organisation=session.booking.organisation)
    reference = session.booking.reference
    with pytest.raises(Forbidden):
        await codes.set_open_link(clerk, reference, on=True)
    opened = await codes.set_open_link(coordinator, reference, on=True)
    assert opened.is_open_link and len(opened.code) == codes.OPEN_LINK_LENGTH  # redrawn: long enough
    assert await AuditEntry.filter(action="feedback_open_link_changed").count() == 1

    limit, room = FeedbackPolicy.from_settings(settings).open_link_limit, "192.0.2.7"
    given = await answers(session)
    await asyncio.gather(
        *(collect.submit(opened.code, None, given, settings=settings, client=room) for _ in range(limit))
    )
    with pytest.raises(RateLimited):
        await collect.submit(opened.code, None, given, settings=settings, client=room)
    await collect.submit(opened.code, None, given, settings=settings, client="192.0.2.8")
    assert await Response.filter(session=session, via_open_link=True).count() == limit + 1

    await codes.set_open_link(coordinator, reference, on=False)
    with pytest.raises(NotFound):
        await collect.submit(opened.code, None, given, settings=settings, client="192.0.2.9")


async def test_whoever_may_see_the_session_issues_more_codes(settings: Settings) -> None:
    session = await closed_session()
    clerk = await make_user(Role.CLERK, organisation=session.booking.organisation)
    before = len(await codes.unused(session))
    assert await codes.issue_more(clerk, session.booking.reference, "10") == 10
    assert len(await codes.unused(session)) == before + 10
    assert await AuditEntry.filter(action="feedback_codes_issued").count() == 1
    for wrong in ("0", "201", "tien", "99999"):
        with pytest.raises(ValidationFailed):
            await codes.issue_more(clerk, session.booking.reference, wrong)
    with pytest.raises(NotFound):
        await codes.issue_more(await make_user(Role.CLERK), session.booking.reference, "5")


# Planting


async def _real_participant(session: SessionFeedback, settings: Settings) -> None:
    code = (await codes.unused(session))[-1]
    await collect.submit(code, None, await answers(session, text=[SECRET]), settings=settings)


async def test_planting_from_the_viewers_own_session_is_refused_and_shows_nothing(
    client: httpx.AsyncClient, settings: Settings, fixed_clock: Clock
) -> None:
    """The attack of issue 20: the clerk submits 4 dummies next to 1 real response."""
    session = await closed_session()
    clerk = await make_user(Role.CLERK, organisation=session.booking.organisation)
    await sign_in(client, clerk)
    await _real_participant(session, settings)
    planted = []
    for code in (await codes.unused(session))[:4]:
        response = await post(client, f"/f/{code}", {k: v[0] for k, v in (await answers(session)).items()})
        planted.append(response.status_code)
    assert planted == [403] * 4
    assert await Response.filter(session=session).count() == 1
    fixed_clock.set(session.closes_at + timedelta(minutes=1))
    await sign_in(client, clerk)  # the earlier sign-in has expired by now
    page = await client.get(f"/feedback/sessies/{session.booking.reference}")
    assert page.status_code == 200 and SECRET not in page.text
    csv = await client.get(f"/feedback/sessies/{session.booking.reference}/resultaten.csv")
    assert csv.status_code == 403 and SECRET not in csv.text


@pytest.mark.parametrize("role", ["clerk", "trainer"])
async def test_planting_from_a_private_window_does_not_isolate_an_open_answer(
    settings: Settings, fixed_clock: Clock, role: str
) -> None:
    """The same viewer, not signed in: 4 dummies count, but open answers need 10 for them."""
    session = await closed_session()
    if role == "clerk":
        viewer = await make_user(Role.CLERK, organisation=session.booking.organisation)
    else:
        viewer = await make_trainer()
        await make_request(session.booking, viewer, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    await _real_participant(session, settings)
    for code in (await codes.unused(session))[:4]:
        await collect.submit(code, None, await answers(session, text=["x"]), settings=settings, viewer=None)
    policy = FeedbackPolicy.from_settings(settings)
    reference = session.booking.reference

    # While the form is open: only the count, no results (no before/after comparing).
    _session, shown = await results.view_results(viewer, reference, policy)
    assert shown.count == 5 and not shown.is_shown and not shown.questions

    fixed_clock.set(session.closes_at + timedelta(minutes=1))
    _session, shown = await results.view_results(viewer, reference, policy)
    assert shown.is_shown and shown.open_answers_hidden
    assert not any(SECRET in text for question in shown.questions for text in question.open_answers)
    content = await export.session_csv(session, policy, actor=viewer)
    assert SECRET not in content.decode("utf-8-sig")

    # A coordinator, who does not hold the slips of a session, sees the open answers from 5.
    coordinator = await make_user(Role.COORDINATOR)
    _session, shown = await results.view_results(coordinator, reference, policy)
    assert any(SECRET in text for question in shown.questions for text in question.open_answers)


async def test_a_results_viewer_cannot_respond_but_others_signed_in_can(settings: Settings) -> None:
    session = await closed_session()
    given = await answers(session)
    issued = await codes.unused(session)
    for viewer in (
        await make_user(Role.COORDINATOR),
        await make_user(Role.CLERK, organisation=session.booking.organisation),
    ):
        with pytest.raises(ResultsViewerRefused):
            await collect.submit(issued[0], None, given, settings=settings, viewer=viewer)
    assert not await ParticipantCode.filter(code=issued[0], is_used=True).exists()  # not used up
    other_clerk = await make_user(Role.CLERK)
    await collect.submit(issued[0], None, given, settings=settings, viewer=other_clerk)
    assert await Response.filter(session=session).count() == 1


async def test_results_wait_until_the_form_has_closed(settings: Settings) -> None:
    session = await closed_session()
    for code in (await codes.unused(session))[:6]:
        await collect.submit(code, None, await answers(session), settings=settings)
    policy = FeedbackPolicy.from_settings(settings)
    assert not (await results.session_results(session, policy)).is_shown
    later = session.closes_at + timedelta(seconds=1)
    assert (await results.session_results(session, policy, now=later)).is_shown
    assert clock.now() < session.closes_at
