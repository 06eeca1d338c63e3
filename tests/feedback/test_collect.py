"""Collecting feedback: the window, one response per device, validation, anonymity, the clerk's mail,
and (on PostgreSQL) many participants submitting at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest

from bookings.models import Booking, BookingStatus
from feedback import codes, collect, opening
from feedback.collect import FeedbackClosed
from feedback.models import (
    Answer,
    ContactRequest,
    FeedbackForm,
    OfferingForm,
    Question,
    QuestionKind,
    Response,
    SessionFeedback,
)
from feedback.policy import FeedbackPolicy
from server import clock
from server.errors import ValidationFailed
from server.mail import OutboxMessage
from server.models import Role
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering
from tests.factories import CSRF_TOKEN, make_user, with_csrf
from tests.orm_alike import assert_read_alike

HOSTILE = "<script>alert(1)</script>"


async def make_form() -> FeedbackForm:
    """A form with a question of every kind: scale, grade and single choice required, the rest not."""
    form = await FeedbackForm.create(name="Raadsbrede sessie")
    rows = [
        (QuestionKind.SCALE, "Hoe nuttig vond u deze sessie?", True, ["helemaal niet nuttig", "heel nuttig"]),
        (QuestionKind.GRADE, "Welk cijfer geeft u de trainers?", True, []),
        (QuestionKind.SINGLE, "Zou u deze sessie aanraden?", True, ["Ja", "Nee"]),
        (QuestionKind.MULTIPLE, "Wat vond u het nuttigst?", False, ["Theorie", "Oefeningen", "Casussen"]),
        (QuestionKind.TEXT, "Wat gaat u anders doen?", False, []),
    ]
    for position, (kind, text, is_required, options) in enumerate(rows, start=1):
        await Question.create(
            form=form, position=position, kind=kind, text=text, is_required=is_required, options=options
        )
    return form


async def make_session(
    starts_at: datetime | None = None, status: BookingStatus = BookingStatus.DELIVERED
) -> SessionFeedback:
    """A session whose offering has the form of every kind; it started an hour ago unless given.

    Its open link is on, so that these tests (the window, one response per device, validation) can
    use the session's code; participant codes are tested in test_codes.py."""
    offering = await make_offering()
    await OfferingForm.create(offering=offering, form=await make_form())
    booking = await make_booking(
        offering=offering, starts_at=starts_at or clock.now() - timedelta(hours=1), status=status
    )
    session = await opening.open_feedback(booking, FeedbackPolicy())
    assert session is not None
    session.is_open_link = True
    await session.save(update_fields=["is_open_link"])
    return session


async def fields(session: SessionFeedback) -> dict[str, str]:
    """The field name per kind: {"scale": "q12", ...}."""
    questions = await Question.filter(form_id=session.form_id)  # type: ignore[attr-defined]
    return {str(q.kind): f"q{q.id}" for q in questions}


async def answers(session: SessionFeedback, **overrides: list[str]) -> dict[str, list[str]]:
    """A complete, valid set of answers; `overrides` by kind (scale=["2"], text=[...])."""
    by_kind = await fields(session)
    values = {"scale": ["4"], "grade": ["8"], "single": ["0"], "multiple": ["1"], "text": ["Beter opletten."]}
    values.update(overrides)
    return {by_kind[kind]: value for kind, value in values.items()}


async def stored(session: SessionFeedback) -> dict[str, list[int | str]]:
    """What the session's responses hold, per kind, in question and answer order."""
    by_id = {q.id: str(q.kind) for q in await Question.filter(form_id=session.form_id)}  # type: ignore[attr-defined]
    result: dict[str, list[int | str]] = {}
    for answer in await Answer.filter(response__session=session).order_by("question_id", "number", "id"):
        value = answer.text if answer.text is not None else answer.number
        assert value is not None
        result.setdefault(by_id[answer.question_id], []).append(value)  # type: ignore[attr-defined]
    return result


# The window


async def test_the_form_opens_at_the_start_of_the_session(settings: Settings) -> None:
    session = await make_session(starts_at=clock.now() + timedelta(days=2), status=BookingStatus.CONFIRMED)
    opened = await collect.form_for_code(session.code.lower())
    assert opened.state == "not_yet"
    with pytest.raises(FeedbackClosed):
        await collect.submit(session.code, None, await answers(session), settings=settings)
    assert await Response.all().count() == 0


async def test_the_form_reads_its_session_and_questions_as_the_orm_reads_them() -> None:
    """The participant's pages read in plain SQL (server/sql.py): every column converted alike (the
    options of a choice are a list, a kind an enum), the questions in order, the names shown."""
    session = await make_session()
    opened = await collect.form_for_code(session.code)
    assert_read_alike(opened.session, await SessionFeedback.get(id=session.id))
    stored = await Question.filter(form_id=session.form_id).order_by("position", "id")
    assert len(opened.questions) == len(stored) > 1
    for found, expected in zip(opened.questions, stored, strict=True):
        assert_read_alike(found, expected)
    booking = await Booking.get(id=session.booking_id).select_related("organisation", "offering")
    assert (opened.found.offering_name, opened.found.organisation_name, opened.found.starts_at) == (
        booking.offering.name,
        booking.organisation.name,
        booking.starts_at,
    )
    assert opened.found.participant_code is None  # through the open link


async def test_the_form_is_open_for_the_window_then_closes(settings: Settings) -> None:
    session = await make_session()
    assert session.closes_at - session.opens_at == FeedbackPolicy().window
    assert (await collect.form_for_code(session.code)).state == "open"
    await collect.submit(session.code, None, await answers(session), settings=settings)
    assert await Response.filter(session=session).count() == 1

    after = session.closes_at + timedelta(seconds=1)
    assert (await collect.form_for_code(session.code, after)).state == "closed"
    with pytest.raises(FeedbackClosed) as raised:
        await collect.submit(session.code, None, await answers(session), settings=settings, now=after)
    assert raised.value.status_code == 410
    assert await Response.filter(session=session).count() == 1


async def test_a_closed_form_refuses_a_submission_with_410(client: httpx.AsyncClient) -> None:
    session = await make_session(starts_at=clock.now() - timedelta(days=20))
    page = await client.get(f"/f/{session.code}")
    assert page.status_code == 200
    assert "gesloten" in page.text and '<form class="form"' not in page.text
    with_csrf(client)
    posted = await client.post(
        f"/f/{session.code}", data={"csrf_token": CSRF_TOKEN, **await answers(session)}
    )
    assert posted.status_code == 410
    assert await Response.all().count() == 0


async def test_a_form_not_yet_open_says_when_it_opens(client: httpx.AsyncClient) -> None:
    session = await make_session(starts_at=clock.now() + timedelta(days=2), status=BookingStatus.CONFIRMED)
    page = await client.get(f"/f/{session.code}")
    assert page.status_code == 200
    assert "gaat open bij het begin van de sessie" in page.text
    assert "Versturen" not in page.text


async def test_an_unknown_code_is_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get("/f/ZZZZZZ")).status_code == 404


async def test_the_code_page_sends_to_the_form_and_explains_a_bad_code(client: httpx.AsyncClient) -> None:
    empty = await client.get("/f")
    assert empty.status_code == 200 and "Uw code" in empty.text
    assert 'aria-invalid="true"' not in empty.text
    redirect = await client.get("/f", params={"code": " k7mx3p "})
    assert redirect.status_code == 303 and redirect.headers["location"] == "/f/K7MX3P"
    bad = await client.get("/f", params={"code": "K7 MX<3P"})
    assert bad.status_code == 200
    assert 'aria-invalid="true"' in bad.text and "alleen letters en cijfers" in bad.text
    assert "K7 MX&lt;3P" in bad.text


# One response per device


async def test_a_second_submit_from_the_same_device_replaces_the_answers(settings: Settings) -> None:
    session = await make_session()
    token = (await collect.submit(session.code, None, await answers(session), settings=settings)).token
    again = await collect.submit(
        session.code, token, await answers(session, scale=["2"], multiple=["0", "2"]), settings=settings
    )
    assert again.token == token
    assert await Response.filter(session=session).count() == 1
    assert (await stored(session))["scale"] == [2]
    assert (await stored(session))["multiple"] == [0, 2]
    assert await collect.previous_answers(session, token) == await answers(
        session, scale=["2"], multiple=["0", "2"]
    )

    other = await collect.submit(session.code, None, await answers(session), settings=settings)
    assert other.token != token
    assert await Response.filter(session=session).count() == 2
    assert (await stored(session))["scale"] == [2, 4]


async def test_a_token_of_another_session_starts_a_new_response(settings: Settings) -> None:
    first, second = await make_session(), await make_session()
    token = (await collect.submit(first.code, None, await answers(first), settings=settings)).token
    other = await collect.submit(second.code, token, await answers(second), settings=settings)
    assert other.token != token
    assert await Response.filter(session=first).count() == 1
    assert await Response.filter(session=second).count() == 1


async def test_the_form_shows_this_devices_answers_to_change_them(client: httpx.AsyncClient) -> None:
    session = await make_session()
    with_csrf(client)
    data = {"csrf_token": CSRF_TOKEN, **await answers(session, multiple=["0", "2"])}
    posted = await client.post(f"/f/{session.code}", data=data)
    assert posted.status_code == 303 and posted.headers["location"] == f"/f/{session.code}/bedankt"
    # The device keeps its token until the form closes, counted on the browser's own clock.
    until_closed = int((session.closes_at - clock.now()).total_seconds())
    cookie = posted.headers["set-cookie"]
    assert f"Max-Age={until_closed};" in cookie and "expires" not in cookie.lower()
    thanks = await client.get(posted.headers["location"])
    assert thanks.status_code == 200 and "Dank u wel" in thanks.text and "070 - 37 38 314" in thanks.text

    page = await client.get(f"/f/{session.code}")
    assert "Wijzigingen opslaan" in page.text
    by_kind = await fields(session)
    assert f'name="{by_kind["scale"]}" value="4" checked' in page.text
    assert f'name="{by_kind["multiple"]}" value="0" checked' in page.text
    assert f'name="{by_kind["multiple"]}" value="1">' in page.text
    assert f'name="{by_kind["multiple"]}" value="2" checked' in page.text

    await client.post(f"/f/{session.code}", data={**data, by_kind["scale"]: "1"})
    assert await Response.all().count() == 1
    assert (await stored(session))["scale"] == [1]


# Validation


async def test_missing_and_invalid_answers_are_refused_per_question(settings: Settings) -> None:
    session = await make_session()
    by_kind = await fields(session)
    given = await answers(session, grade=["11"], single=["5"], multiple=["0", "x"])
    del given[by_kind["scale"]]
    with pytest.raises(ValidationFailed) as raised:
        await collect.submit(session.code, None, given, settings=settings)
    assert set(raised.value.errors) == {by_kind[kind] for kind in ("scale", "grade", "single", "multiple")}
    assert raised.value.errors[by_kind["scale"]] == "Beantwoord deze vraag."
    assert await Response.all().count() == 0 and await Answer.all().count() == 0


async def test_optional_questions_may_stay_empty(settings: Settings) -> None:
    session = await make_session()
    by_kind = await fields(session)
    given = await answers(session, text=["   "])
    del given[by_kind["multiple"]]
    await collect.submit(session.code, None, given, settings=settings)
    assert set(await stored(session)) == {"scale", "grade", "single"}


async def test_two_answers_to_a_single_choice_question_are_refused(settings: Settings) -> None:
    session = await make_session()
    with pytest.raises(ValidationFailed) as raised:
        await collect.submit(session.code, None, await answers(session, single=["0", "1"]), settings=settings)
    assert list(raised.value.errors) == [(await fields(session))["single"]]


async def test_multiple_choice_stores_one_row_per_chosen_option(settings: Settings) -> None:
    session = await make_session()
    await collect.submit(
        session.code, None, await answers(session, multiple=["2", "0", "2"]), settings=settings
    )
    assert (await stored(session))["multiple"] == [0, 2]


async def test_the_error_page_marks_each_question_and_keeps_the_answers(client: httpx.AsyncClient) -> None:
    session = await make_session()
    by_kind = await fields(session)
    with_csrf(client)
    data = {"csrf_token": CSRF_TOKEN, **await answers(session, grade=["0"], text=[HOSTILE])}
    del data[by_kind["scale"]]
    page = await client.post(f"/f/{session.code}", data=data)
    assert page.status_code == 400
    for kind in ("scale", "grade"):
        field = by_kind[kind]
        assert f'href="#field-{field}"' in page.text
        assert f'id="field-{field}-error"' in page.text
        assert f'aria-describedby="field-{field}-error"' in page.text
    assert f'id="field-{by_kind["single"]}-error"' not in page.text
    assert 'aria-invalid="true"' in page.text
    assert f'name="{by_kind["single"]}" value="0" checked' in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and HOSTILE not in page.text
    assert "Fout:" in page.text.split("</title>")[0]
    assert await Response.all().count() == 0


# Hostile text


async def test_hostile_text_is_stored_as_text_and_escaped_when_shown(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    session = await make_session()
    with_csrf(client)
    await client.post(
        f"/f/{session.code}", data={"csrf_token": CSRF_TOKEN, **await answers(session, text=[HOSTILE])}
    )
    assert (await stored(session))["text"] == [HOSTILE]
    page = await client.get(f"/f/{session.code}")
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page.text
    assert HOSTILE not in page.text


# Contact and anonymity


async def test_a_contact_address_is_stored_apart_from_the_answers(settings: Settings) -> None:
    session = await make_session()
    given = {**await answers(session), "contact": ["on"], "contact_email": [" Raadslid@Example.org "]}
    await collect.submit(session.code, None, given, settings=settings)
    contact = await ContactRequest.get(session=session)
    assert contact.email == "raadslid@example.org"
    assert set(ContactRequest._meta.db_fields) == {"id", "session_id", "email", "created_at", "done_at"}
    assert not any("email" in name or "contact" in name for name in Response._meta.fields_map)
    assert not any("email" in name or "contact" in name for name in Answer._meta.fields_map)
    assert await Response.all().count() == 1


async def test_contact_needs_a_valid_address_and_stores_nothing_otherwise(settings: Settings) -> None:
    session = await make_session()
    for email in ("", "geen-adres"):
        given = {**await answers(session), "contact": ["on"], "contact_email": [email]}
        with pytest.raises(ValidationFailed) as raised:
            await collect.submit(session.code, None, given, settings=settings)
        assert list(raised.value.errors) == ["contact_email"]
    # An address without the box ticked is not kept.
    given = {**await answers(session), "contact_email": ["raadslid@example.org"]}
    await collect.submit(session.code, None, given, settings=settings)
    assert await ContactRequest.all().count() == 0
    assert await Response.all().count() == 1


async def test_nothing_identifying_is_stored_with_a_response(client: httpx.AsyncClient) -> None:
    for model in (Response, Answer):
        for name in model._meta.fields_map:
            assert not any(part in name.lower() for part in ("ip", "agent", "user", "address", "email"))
    session = await make_session()
    with_csrf(client)
    await client.post(
        f"/f/{session.code}",
        data={"csrf_token": CSRF_TOKEN, **await answers(session)},
        headers={"User-Agent": "Telefoon-van-Jan/1.0", "X-Forwarded-For": "203.0.113.7"},
    )
    rows = await Response.all().values()
    assert len(rows) == 1
    assert set(rows[0]) == {"id", "session_id", "token_hash", "via_open_link", "submitted_at", "updated_at"}
    assert len(rows[0]["token_hash"]) == 64 and rows[0]["token_hash"] not in client.cookies.values()
    for row in await Answer.all().values():
        assert set(row) == {"id", "response_id", "question_id", "number", "text"}
        assert "Telefoon-van-Jan" not in str(row) and "203.0.113.7" not in str(row)


# The clerk's mail


async def test_started_sessions_get_their_link_and_the_clerk_one_mail(settings: Settings) -> None:
    offering = await make_offering(name="Omgaan met agressie en intimidatie")
    await OfferingForm.create(offering=offering, form=await make_form())
    booking = await make_booking(
        offering=offering, starts_at=clock.now() - timedelta(minutes=5), status=BookingStatus.CONFIRMED
    )
    clerk = await make_user(Role.CLERK, organisation=booking.organisation, name="Gijs Griffier")
    await make_user(Role.CLERK, organisation=booking.organisation, is_active=False)
    await make_user(Role.CLERK)  # another organisation's clerk
    later = await make_booking(
        offering=offering,
        organisation=booking.organisation,
        starts_at=clock.now() + timedelta(days=3),
        status=BookingStatus.CONFIRMED,
    )

    assert await opening.open_started_sessions(settings) == 1
    assert await opening.open_started_sessions(settings) == 0
    session = await SessionFeedback.get(booking=booking)
    assert session.clerk_mailed_at is not None
    assert not await SessionFeedback.exists(booking=later)
    mails = await OutboxMessage.all()
    assert [mail.to_address for mail in mails] == [clerk.email]
    mail = mails[0]
    assert "Omgaan met agressie en intimidatie" in mail.subject
    issued = await codes.unused(session)
    assert len(issued) == codes.codes_for(booking.expected_participants)
    for body in (mail.body_text, mail.body_html):
        assert all(f"http://testserver/f/{code}" in body for code in issued) and "Gijs Griffier" in body
        assert f"/f/{session.code}" not in body  # the session's own code admits nobody
        assert "anoniem" in body and "5 antwoorden" in body
    assert not mail.body_text.startswith("Onderwerp")


async def test_runs_at_the_same_time_make_one_link_and_one_mail(settings: Settings, db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("concurrent runs need PostgreSQL's row locks")
    offering = await make_offering()
    await OfferingForm.create(offering=offering, form=await make_form())
    booking = await make_booking(
        offering=offering, starts_at=clock.now() - timedelta(minutes=5), status=BookingStatus.CONFIRMED
    )
    await make_user(Role.CLERK, organisation=booking.organisation)
    results = await asyncio.gather(*(opening.open_started_sessions(settings) for _ in range(5)))
    assert sorted(results) == [0, 0, 0, 0, 1]
    assert await SessionFeedback.filter(booking=booking).count() == 1
    assert await OutboxMessage.all().count() == 1


async def test_cancelled_sessions_and_offerings_without_a_form_get_no_link(settings: Settings) -> None:
    offering = await make_offering()
    await OfferingForm.create(offering=offering, form=await make_form())
    started = clock.now() - timedelta(minutes=5)
    await make_booking(offering=offering, starts_at=started, status=BookingStatus.CANCELLED)
    await make_booking(starts_at=started, status=BookingStatus.CONFIRMED)  # offering without a form
    assert await opening.open_started_sessions(settings) == 0
    assert await SessionFeedback.all().count() == 0
    assert await Booking.all().count() == 2


# Many at once


async def test_a_feedback_link_whose_code_is_taken_draws_another(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = await make_session()
    codes = iter([taken.code, taken.code, "KLMNPQ"])
    monkeypatch.setattr(opening, "new_code", lambda: next(codes))

    second = await make_session()

    assert second.code == "KLMNPQ"
    assert await SessionFeedback.all().count() == 2
