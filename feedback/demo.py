"""Demo feedback forms: one for the council-wide session, a shorter one for the follow-up trainings,
linked to the offerings of those stages (the intake has no form). Loaded by `weerbaar demo` after the
bookings' demo data."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from bookings.models import Offering, Stage
from feedback.models import FeedbackForm, OfferingForm, Question, QuestionKind
from server.audit import record

COUNCIL_SESSION_FORM = "Raadsbrede sessie"
TRAINING_FORM = "Training"

#: (kind, text, is_required, options, marks_follow_up_interest)
COUNCIL_SESSION_QUESTIONS: list[tuple[QuestionKind, str, bool, list[str], bool]] = [
    (
        QuestionKind.SCALE,
        "Hoe nuttig vond u deze sessie?",
        True,
        ["helemaal niet nuttig", "heel nuttig"],
        False,
    ),
    (
        QuestionKind.SCALE,
        "Hoe goed sloot de sessie aan bij de situatie in uw raad?",
        True,
        ["helemaal niet", "heel goed"],
        False,
    ),
    (QuestionKind.GRADE, "Welk cijfer geeft u de trainers?", True, [], False),
    (
        QuestionKind.SCALE,
        "Voelt u zich nu beter voorbereid op agressie en intimidatie?",
        True,
        ["helemaal niet", "veel beter"],
        False,
    ),
    (
        QuestionKind.SINGLE,
        "Zou u deze sessie aanraden aan andere raden?",
        True,
        ["Ja", "Nee"],
        False,
    ),
    (QuestionKind.TEXT, "Wat gaat u anders doen?", True, [], False),
    (
        QuestionKind.SINGLE,
        "Heeft u belangstelling voor een vervolgtraining?",
        True,
        ["Ja", "Misschien", "Nee"],
        True,
    ),
    (QuestionKind.TEXT, "Heeft u nog andere opmerkingen of tips voor ons?", False, [], False),
]

TRAINING_QUESTIONS: list[tuple[QuestionKind, str, bool, list[str], bool]] = [
    (
        QuestionKind.SCALE,
        "Hoe nuttig vond u deze training?",
        True,
        ["helemaal niet nuttig", "heel nuttig"],
        False,
    ),
    (QuestionKind.GRADE, "Welk cijfer geeft u de trainers?", True, [], False),
    (
        QuestionKind.SCALE,
        "Kunt u wat u leerde toepassen in uw werk?",
        True,
        ["helemaal niet", "heel goed"],
        False,
    ),
    (QuestionKind.TEXT, "Wat gaat u anders doen?", True, [], False),
    (QuestionKind.TEXT, "Heeft u nog andere opmerkingen of tips voor ons?", False, [], False),
]


async def _make_form(
    name: str, questions: list[tuple[QuestionKind, str, bool, list[str], bool]]
) -> FeedbackForm:
    form = await FeedbackForm.create(name=name)
    for position, (kind, text, is_required, options, follow_up) in enumerate(questions, start=1):
        await Question.create(
            form=form,
            position=position,
            kind=kind,
            text=text,
            is_required=is_required,
            options=options,
            marks_follow_up_interest=follow_up,
        )
    await record(None, "feedback_form_created", form, f"{form.name} (demo)")
    return form


async def load_feedback_demo() -> None:
    """The two demo forms, each offering of the council-wide session and follow-up stages linked to
    its form. Does nothing when a form exists."""
    if await FeedbackForm.exists():
        return
    async with in_transaction():
        session_form = await _make_form(COUNCIL_SESSION_FORM, COUNCIL_SESSION_QUESTIONS)
        training_form = await _make_form(TRAINING_FORM, TRAINING_QUESTIONS)
        form_for = {Stage.COUNCIL_SESSION: session_form, Stage.FOLLOW_UP: training_form}
        for offering in await Offering.all():
            form = form_for.get(offering.stage)
            if form is not None and not await OfferingForm.exists(offering=offering):
                await OfferingForm.create(offering=offering, form=form)
