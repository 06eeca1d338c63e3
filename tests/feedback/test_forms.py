"""Managing feedback forms: validation per kind of question, order, roles, the lock on forms with
responses and their new versions, the demo forms, and the pages."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import httpx
import pytest

from bookings.models import Offering, Stage
from feedback import form_questions, forms_service
from feedback.demo import load_feedback_demo
from feedback.forms_service import FormLocked
from feedback.models import FeedbackForm, OfferingForm, Question, QuestionKind, Response, SessionFeedback
from server import clock
from server.errors import Forbidden, NotFound, ValidationFailed
from server.models import AuditEntry, Role, User
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_user, post, sign_in

_codes = itertools.count(1)


def question(**overrides: str) -> dict[str, str]:
    values = {
        "kind": "single",
        "text": "Zou u deze sessie aanraden aan andere raden?",
        "options": "Ja\nNee",
        "is_required": "on",
        "marks_follow_up_interest": "",
    }
    values.update(overrides)
    return values


async def coordinator() -> User:
    return await make_user(Role.COORDINATOR)


async def form_with(actor: User, *texts: str) -> FeedbackForm:
    form = await forms_service.create_form("Raadsbrede sessie", actor=actor)
    for text in texts:
        await form_questions.add_question(form.id, question(text=text), actor=actor)
    return form


async def texts_of(form: FeedbackForm) -> list[tuple[int, str]]:
    return [(q.position, q.text) for q in await Question.filter(form=form).order_by("position")]


async def answer(form: FeedbackForm) -> Response:
    """A participant's response to a session that used `form`."""
    now = clock.now()
    session = await SessionFeedback.create(
        booking=await make_booking(),
        form=form,
        code=f"T{next(_codes):07d}",
        opens_at=now,
        closes_at=now + timedelta(days=14),
    )
    return await Response.create(session=session, token_hash=f"{next(_codes):064d}")


# --- Validation ---------------------------------------------------------------------------------------


async def test_each_kind_is_stored_with_its_options() -> None:
    actor = await coordinator()
    form = await forms_service.create_form("  Raadsbrede   sessie ", actor=actor)
    assert form.name == "Raadsbrede sessie"
    scale = await form_questions.add_question(
        form.id,
        question(kind="scale", text="Hoe nuttig?", options="1 = helemaal niet nuttig\r\n5 = heel nuttig\n"),
        actor=actor,
    )
    grade = await form_questions.add_question(
        form.id, question(kind="grade", text="Cijfer voor de trainers", options="blijft niet"), actor=actor
    )
    multiple = await form_questions.add_question(
        form.id,
        question(kind="multiple", text="Welke thema's?", options="Online\n\nThuis\nIn de raad"),
        actor=actor,
    )
    text = await form_questions.add_question(
        form.id, question(kind="text", text="Opmerkingen", is_required=""), actor=actor
    )
    assert scale.options == ["helemaal niet nuttig", "heel nuttig"]
    assert form_questions.question_values(scale)["options"] == "1 = helemaal niet nuttig\n5 = heel nuttig"
    assert grade.options == [] and grade.kind is QuestionKind.GRADE
    assert multiple.options == ["Online", "Thuis", "In de raad"]
    assert text.is_required is False and text.options == []
    assert [q.position for q in (scale, grade, multiple, text)] == [1, 2, 3, 4]
    assert await AuditEntry.filter(action="feedback_question_added").count() == 4


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "slider"}, "kind"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"options": "Ja"}, "options"),
        ({"options": "\n".join(f"Keuze {n}" for n in range(13))}, "options"),
        ({"options": "Ja\nja"}, "options"),
        ({"kind": "multiple", "options": ""}, "options"),
        ({"kind": "scale", "options": "1 = slecht"}, "options"),
        ({"kind": "scale", "options": "1 = slecht\n3 = matig\n5 = goed"}, "options"),
        ({"kind": "multiple", "marks_follow_up_interest": "on"}, "marks_follow_up_interest"),
        ({"kind": "text", "options": "", "marks_follow_up_interest": "on"}, "marks_follow_up_interest"),
    ],
)
async def test_a_wrong_question_is_refused_per_field(overrides: dict[str, str], field: str) -> None:
    actor = await coordinator()
    form = await forms_service.create_form("Training", actor=actor)
    with pytest.raises(ValidationFailed) as refused:
        await form_questions.add_question(form.id, question(**overrides), actor=actor)
    assert field in refused.value.errors
    assert not await Question.exists()


async def test_the_text_may_be_500_characters_and_12_choices() -> None:
    actor = await coordinator()
    form = await forms_service.create_form("Training", actor=actor)
    options = "\n".join(f"Keuze {n}" for n in range(12))
    saved = await form_questions.add_question(form.id, question(text="x" * 500, options=options), actor=actor)
    assert len(saved.text) == 500 and len(saved.options) == 12


async def test_only_one_question_marks_follow_up_interest() -> None:
    actor = await coordinator()
    form = await forms_service.create_form("Raadsbrede sessie", actor=actor)
    first = await form_questions.add_question(
        form.id, question(options="Ja\nMisschien\nNee", marks_follow_up_interest="on"), actor=actor
    )
    assert first.marks_follow_up_interest is True
    with pytest.raises(ValidationFailed) as refused:
        await form_questions.add_question(form.id, question(marks_follow_up_interest="on"), actor=actor)
    assert "marks_follow_up_interest" in refused.value.errors
    changed = await form_questions.update_question(
        first.id, question(text="Vervolg?", options="Ja\nNee", marks_follow_up_interest="on"), actor=actor
    )
    assert changed.text == "Vervolg?" and changed.options == ["Ja", "Nee"]


async def test_form_names_are_checked() -> None:
    actor = await coordinator()
    with pytest.raises(ValidationFailed):
        await forms_service.create_form(" ", actor=actor)
    await forms_service.create_form("Training", actor=actor)
    with pytest.raises(ValidationFailed):
        await forms_service.create_form("Training", actor=actor)
    other = await forms_service.create_form("Raadsbrede sessie", actor=actor)
    renamed = await forms_service.rename_form(other.id, "Raadsbrede sessie 2027", actor=actor)
    assert renamed.name == "Raadsbrede sessie 2027"
    with pytest.raises(ValidationFailed):
        await forms_service.rename_form(other.id, "Training", actor=actor)


# --- Order --------------------------------------------------------------------------------------------


async def test_concurrent_reorders_serialise_instead_of_failing(db_kind: str) -> None:
    """Issue 20: two simultaneous moves gave a 500 (both went through position 0)."""
    if db_kind != "postgres":
        pytest.skip("concurrency is tested on PostgreSQL")
    actor = await coordinator()
    form = await form_with(actor, "A", "B", "C", "D")
    _a, b, c, _d = await Question.filter(form=form).order_by("position")
    moves = [form_questions.move_question(b.id, "down", actor=actor) for _ in range(3)]
    moves += [form_questions.move_question(c.id, "up", actor=actor) for _ in range(3)]
    moves += [form_questions.remove_question(_d.id, actor=actor)]
    outcomes = await asyncio.gather(*moves, return_exceptions=True)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    positions = [position for position, _text in await texts_of(form)]
    assert positions == [1, 2, 3]


async def test_moving_and_removing_keep_positions_without_gaps() -> None:
    actor = await coordinator()
    form = await form_with(actor, "A", "B", "C", "D")
    a, b, c, d = await Question.filter(form=form).order_by("position")
    await form_questions.move_question(c.id, "up", actor=actor)
    assert await texts_of(form) == [(1, "A"), (2, "C"), (3, "B"), (4, "D")]
    await form_questions.move_question(a.id, "down", actor=actor)
    assert await texts_of(form) == [(1, "C"), (2, "A"), (3, "B"), (4, "D")]
    await form_questions.move_question(c.id, "up", actor=actor)
    await form_questions.move_question(d.id, "down", actor=actor)
    assert await texts_of(form) == [(1, "C"), (2, "A"), (3, "B"), (4, "D")]
    await form_questions.remove_question(a.id, actor=actor)
    assert await texts_of(form) == [(1, "C"), (2, "B"), (3, "D")]
    added = await form_questions.add_question(form.id, question(text="E"), actor=actor)
    assert added.position == 4
    await form_questions.remove_question(c.id, actor=actor)
    assert await texts_of(form) == [(1, "B"), (2, "D"), (3, "E")]
    with pytest.raises(ValidationFailed):
        await form_questions.move_question(b.id, "sideways", actor=actor)


async def test_a_question_of_another_form_is_not_found() -> None:
    actor = await coordinator()
    form = await form_with(actor, "A")
    other = await forms_service.create_form("Training", actor=actor)
    (only,) = await Question.filter(form=form)
    with pytest.raises(NotFound):
        await form_questions.remove_question(only.id, actor=actor, form_id=other.id)
    with pytest.raises(NotFound):
        await form_questions.move_question(only.id + 1000, "up", actor=actor)


# --- Roles --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLERK, Role.TRAINER, Role.FINANCE])
async def test_only_coordinators_manage_forms(role: Role) -> None:
    actor = await coordinator()
    form = await form_with(actor, "A")
    (only,) = await Question.filter(form=form)
    offering = await make_offering()
    someone = await make_user(role)
    attempts = [
        forms_service.create_form("Nieuw", actor=someone),
        forms_service.rename_form(form.id, "Nieuw", actor=someone),
        form_questions.add_question(form.id, question(), actor=someone),
        form_questions.update_question(only.id, question(), actor=someone),
        form_questions.remove_question(only.id, actor=someone),
        form_questions.move_question(only.id, "down", actor=someone),
        forms_service.new_version(form.id, actor=someone),
        forms_service.set_offering_form(offering.id, form.id, actor=someone),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            await attempt
    assert await texts_of(form) == [(1, "A")]
    assert await FeedbackForm.all().count() == 1


# --- Offerings ----------------------------------------------------------------------------------------


async def test_each_offering_uses_one_form_and_a_form_serves_several() -> None:
    actor = await coordinator()
    session_form = await form_with(actor, "A")
    training_form = await forms_service.create_form("Training", actor=actor)
    one, two = await make_offering(), await make_offering(name="Online haat", stage=Stage.FOLLOW_UP)
    await forms_service.set_offering_form(one.id, session_form.id, actor=actor)
    await forms_service.set_offering_form(two.id, session_form.id, actor=actor)
    assert await OfferingForm.filter(form=session_form).count() == 2
    await forms_service.set_offering_form(two.id, training_form.id, actor=actor)
    assert await OfferingForm.filter(offering=two).values_list("form_id", flat=True) == [training_form.id]
    with pytest.raises(ValidationFailed):
        await forms_service.set_offering_form(0, training_form.id, actor=actor)
    intake = await make_offering(name="Intake", stage=Stage.INTAKE)
    with pytest.raises(ValidationFailed, match="intake"):
        await forms_service.set_offering_form(intake.id, training_form.id, actor=actor)
    assert not await OfferingForm.filter(offering=intake).exists()
    detail = await forms_service.form_detail(session_form.id)
    assert [o.name for o in detail.offerings] == [one.name]
    assert intake not in [offering for offering, _label in detail.offering_choices]
    overview = {s.form.name: s for s in await forms_service.form_overview()}
    assert [o.id for o in overview["Training"].offerings] == [two.id]
    assert overview["Raadsbrede sessie"].question_count == 1


# --- Lock and new version -----------------------------------------------------------------------------


async def test_a_form_with_responses_cannot_change() -> None:
    actor = await coordinator()
    form = await form_with(actor, "A", "B")
    a, b = await Question.filter(form=form).order_by("position")
    assert await forms_service.has_responses(form) is False
    await answer(form)
    assert await forms_service.has_responses(form) is True
    attempts = [
        form_questions.add_question(form.id, question(text="C"), actor=actor),
        form_questions.update_question(a.id, question(text="Anders"), actor=actor),
        form_questions.remove_question(b.id, actor=actor),
        form_questions.move_question(b.id, "up", actor=actor),
        forms_service.rename_form(form.id, "Andere naam", actor=actor),
    ]
    for attempt in attempts:
        with pytest.raises(FormLocked) as refused:
            await attempt
        assert "nieuwe versie" in refused.value.message
    assert await texts_of(form) == [(1, "A"), (2, "B")]
    assert (await FeedbackForm.get(id=form.id)).name == "Raadsbrede sessie"


async def test_a_new_version_copies_the_questions_and_takes_over_the_offerings() -> None:
    actor = await coordinator()
    old = await form_with(actor, "A", "B")
    await form_questions.add_question(
        old.id,
        question(text="Vervolg?", options="Ja\nMisschien\nNee", marks_follow_up_interest="on"),
        actor=actor,
    )
    one, two = await make_offering(), await make_offering(name="Online haat", stage=Stage.FOLLOW_UP)
    untouched = await make_offering(name="Online veiligheid", stage=Stage.FOLLOW_UP)
    other_form = await forms_service.create_form("Training", actor=actor)
    for offering in (one, two):
        await forms_service.set_offering_form(offering.id, old.id, actor=actor)
    await forms_service.set_offering_form(untouched.id, other_form.id, actor=actor)
    await answer(old)

    new = await forms_service.new_version(old.id, actor=actor)

    await old.refresh_from_db()
    assert old.is_current is False
    assert (new.name, new.version, new.previous_id, new.is_current) == ("Raadsbrede sessie", 2, old.id, True)  # type: ignore[attr-defined]
    assert await texts_of(new) == await texts_of(old)
    copied = await Question.get(form=new, position=3)
    assert copied.options == ["Ja", "Misschien", "Nee"] and copied.marks_follow_up_interest is True
    assert set(await OfferingForm.filter(form=new).values_list("offering_id", flat=True)) == {one.id, two.id}
    assert await OfferingForm.filter(form=old).count() == 0
    assert await OfferingForm.filter(offering=untouched, form=other_form).exists()
    assert await AuditEntry.filter(action="feedback_form_new_version").exists()

    # The new version has no responses: it can change; the old one stays as it was.
    await form_questions.add_question(new.id, question(text="C"), actor=actor)
    assert [t for _, t in await texts_of(new)] == ["A", "B", "Vervolg?", "C"]
    assert len(await texts_of(old)) == 3
    with pytest.raises(FormLocked):
        await forms_service.new_version(old.id, actor=actor)
    (a_old,) = await Question.filter(form=old, position=1)
    with pytest.raises(FormLocked):
        await form_questions.update_question(a_old.id, question(), actor=actor)
    with pytest.raises(FormLocked):
        await forms_service.set_offering_form(one.id, old.id, actor=actor)
    detail = await forms_service.form_detail(old.id)
    assert detail.is_locked and detail.newest is not None and detail.newest.id == new.id


# --- Demo ---------------------------------------------------------------------------------------------


async def test_the_demo_forms_are_valid_and_linked_by_stage() -> None:
    session = await make_offering()
    training = await make_offering(name="Online haat", stage=Stage.FOLLOW_UP)
    intake = await make_offering(name="Intake", stage=Stage.INTAKE)
    await load_feedback_demo()
    await load_feedback_demo()
    forms = {f.name: f for f in await FeedbackForm.all()}
    assert set(forms) == {"Raadsbrede sessie", "Training"}
    questions = await Question.filter(form=forms["Raadsbrede sessie"]).order_by("position")
    assert 7 <= len(questions) <= 9
    assert [q.marks_follow_up_interest for q in questions].count(True) == 1
    for q in questions + list(await Question.filter(form=forms["Training"])):
        values = form_questions.question_values(q)
        parsed, errors = form_questions.parse_question(values)
        assert not errors, (q.text, errors)
        assert parsed["options"] == q.options
    links = {link.offering_id: link.form_id for link in await OfferingForm.all()}  # type: ignore[attr-defined]
    assert links == {session.id: forms["Raadsbrede sessie"].id, training.id: forms["Training"].id}
    assert intake.id not in links
    assert await Offering.all().count() == 3


# --- Pages --------------------------------------------------------------------------------------------


async def test_a_coordinator_creates_a_form_and_adds_a_question(client: httpx.AsyncClient) -> None:
    await sign_in(client, await coordinator())
    page = await client.get("/feedbackformulieren")
    assert page.status_code == 200 and "Nieuw formulier" in page.text

    created = await post(client, "/feedbackformulieren", {"name": "Raadsbrede sessie"})
    form = await FeedbackForm.get(name="Raadsbrede sessie")
    assert created.status_code == 303
    assert created.headers["location"] == f"/feedbackformulieren/{form.id}?melding=aangemaakt"

    added = await post(
        client,
        f"/feedbackformulieren/{form.id}/vragen",
        question(kind="scale", text="Hoe nuttig vond u deze sessie?", options="1 = niet\n5 = heel"),
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/feedbackformulieren/{form.id}?melding=toegevoegd#vragen"
    stored = await Question.get(form=form)
    assert stored.options == ["niet", "heel"] and stored.position == 1

    shown = await client.get(added.headers["location"])
    assert "Hoe nuttig vond u deze sessie?" in shown.text
    assert "De vraag is toegevoegd." in shown.text
    assert "1 = niet; 5 = heel" in shown.text


async def test_a_wrong_question_shows_errors_next_to_the_fields(client: httpx.AsyncClient) -> None:
    actor = await coordinator()
    await sign_in(client, actor)
    form = await form_with(actor, "A")
    refused = await post(client, f"/feedbackformulieren/{form.id}/vragen", question(options="Alleen ja"))
    assert refused.status_code == 400
    assert 'href="#field-nieuw-options"' in refused.text
    assert 'id="field-nieuw-options-error"' in refused.text
    assert "Alleen ja" in refused.text

    (only,) = await Question.filter(form=form)
    refused = await post(client, f"/feedbackformulieren/{form.id}/vragen/{only.id}", question(text=""))
    assert refused.status_code == 400
    assert f'href="#field-q{only.id}-text"' in refused.text
    assert '<details class="role-change" open>' in refused.text


async def test_question_actions_over_http(client: httpx.AsyncClient) -> None:
    actor = await coordinator()
    await sign_in(client, actor)
    form = await form_with(actor, "A", "B", "C")
    a, b, c = await Question.filter(form=form).order_by("position")
    base = f"/feedbackformulieren/{form.id}/vragen"
    assert (await post(client, f"{base}/{c.id}/omhoog")).status_code == 303
    assert (await post(client, f"{base}/{a.id}/omlaag")).status_code == 303
    assert await texts_of(form) == [(1, "C"), (2, "A"), (3, "B")]
    assert (await post(client, f"{base}/{a.id}", question(text="Aangepast"))).status_code == 303
    assert (await post(client, f"{base}/{b.id}/verwijderen")).status_code == 303
    assert await texts_of(form) == [(1, "C"), (2, "Aangepast")]
    renamed = await post(client, f"/feedbackformulieren/{form.id}/naam", {"name": "Sessie"})
    assert renamed.headers["location"] == f"/feedbackformulieren/{form.id}?melding=hernoemd"
    offering = await make_offering()
    linked = await post(client, f"/feedbackformulieren/{form.id}/aanbod", {"offering_id": str(offering.id)})
    assert linked.status_code == 303
    assert await OfferingForm.filter(offering=offering, form=form).exists()
    page = await client.get(f"/feedbackformulieren/{form.id}")
    assert offering.name in page.text
    assert (await client.get("/feedbackformulieren/999999")).status_code == 404
    assert (await client.get("/feedbackformulieren/abc")).status_code == 404


async def test_a_locked_form_offers_a_new_version(client: httpx.AsyncClient) -> None:
    actor = await coordinator()
    await sign_in(client, actor)
    form = await form_with(actor, "A")
    offering = await make_offering()
    await forms_service.set_offering_form(offering.id, form.id, actor=actor)
    await answer(form)

    page = await client.get(f"/feedbackformulieren/{form.id}")
    assert "Dit formulier is al ingevuld" in page.text
    assert f'action="/feedbackformulieren/{form.id}/nieuwe-versie"' in page.text
    assert f'action="/feedbackformulieren/{form.id}/vragen"' not in page.text

    refused = await post(client, f"/feedbackformulieren/{form.id}/vragen", question(text="B"))
    assert refused.status_code == 409
    assert "nieuwe versie" in refused.text
    assert await Question.filter(form=form).count() == 1

    made = await post(client, f"/feedbackformulieren/{form.id}/nieuwe-versie")
    new = await FeedbackForm.get(version=2)
    assert made.headers["location"] == f"/feedbackformulieren/{new.id}?melding=nieuwe-versie"
    assert await OfferingForm.filter(offering=offering, form=new).exists()
    listing = await client.get("/feedbackformulieren")
    assert "oude versie" in listing.text and "nieuwste" in listing.text


async def test_a_clerk_may_not_manage_forms(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.CLERK))
    assert (await client.get("/feedbackformulieren")).status_code == 403
    assert (await post(client, "/feedbackformulieren", {"name": "Van een griffier"})).status_code == 403
    assert not await FeedbackForm.exists()


async def test_anonymous_visitors_are_sent_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/feedbackformulieren")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/inloggen")
