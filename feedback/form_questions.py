"""The questions of a feedback form: parsing what a coordinator typed, adding, changing, removing
and reordering them. Only a form without responses changes (feedback.forms_service.changeable_form).

Errors: Forbidden (not a coordinator), NotFound (no such form or question), ValidationFailed (per
field), FormLocked (the form has responses or is an old version).
"""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from feedback.forms_service import changeable_form, require_coordinator
from feedback.models import FeedbackForm, Question, QuestionKind
from server.audit import record
from server.errors import NotFound, ValidationFailed
from server.forms import single_line_errors
from server.i18n import _
from server.models import User

QUESTION_FIELDS = ("kind", "text", "options", "is_required", "marks_follow_up_interest")
MAX_TEXT = 500
MAX_OPTION = 200
MIN_CHOICES, MAX_CHOICES = 2, 12
#: "1 = helemaal niet", "5: heel erg" and "helemaal niet" all give the label "helemaal niet".
_SCALE_PREFIX = re.compile(r"^\s*[15]\s*[=:.-]\s*")


def question_values(question: Question) -> dict[str, str]:
    """A question as the edit form shows it."""
    options = list(question.options or [])
    if question.kind is QuestionKind.SCALE and len(options) == 2:
        lines = [f"1 = {options[0]}", f"5 = {options[1]}"]
    else:
        lines = options
    return {
        "kind": question.kind.value,
        "text": question.text,
        "options": "\n".join(lines),
        "is_required": "on" if question.is_required else "",
        "marks_follow_up_interest": "on" if question.marks_follow_up_interest else "",
    }


def parse_question(values: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """The question's fields from the form, and one Dutch message per wrong field."""
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    try:
        kind = QuestionKind(values.get("kind", ""))
    except ValueError:
        kind = None
        errors["kind"] = _("Kies een soort vraag.")
    parsed["kind"] = kind
    text = " ".join(values.get("text", "").split())
    if not text or len(text) > MAX_TEXT:
        errors["text"] = _("Vul de vraag in (maximaal 500 tekens).")
    errors.update(single_line_errors({"text": values.get("text", "").strip()}, "text"))
    parsed["text"] = text
    lines = [line.strip() for line in values.get("options", "").splitlines() if line.strip()]
    options: list[str] = []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        options = [" ".join(line.split()) for line in lines]
        if not MIN_CHOICES <= len(options) <= MAX_CHOICES:
            errors["options"] = _("Vul 2 tot 12 keuzes in, elk op een eigen regel.")
        elif any(len(option) > MAX_OPTION for option in options):
            errors["options"] = _("Een keuze is te lang: houd elke keuze onder 200 tekens.")
        elif len({option.casefold() for option in options}) != len(options):
            errors["options"] = _("Elke keuze mag maar één keer voorkomen.")
    elif kind is QuestionKind.SCALE:
        options = [" ".join(_SCALE_PREFIX.sub("", line).split()) for line in lines]
        if len(options) != 2 or not all(options) or any(len(label) > MAX_OPTION for label in options):
            errors["options"] = _(
                "Vul de twee uitersten van de schaal in, elk op een eigen regel, bijvoorbeeld "
                "‘1 = helemaal niet nuttig’ en ‘5 = heel nuttig’."
            )
    parsed["options"] = options
    parsed["is_required"] = values.get("is_required") == "on"
    follow_up = values.get("marks_follow_up_interest") == "on"
    if follow_up and kind is not QuestionKind.SINGLE:
        errors["marks_follow_up_interest"] = _(
            "Alleen een vraag met één keuze kan belangstelling voor een vervolgtraining aangeven."
        )
    parsed["marks_follow_up_interest"] = follow_up and kind is QuestionKind.SINGLE
    return parsed, errors


async def _check_follow_up_unique(
    form: FeedbackForm, parsed: dict[str, object], question_id: int | None
) -> None:
    if not parsed["marks_follow_up_interest"]:
        return
    others = Question.filter(form=form, marks_follow_up_interest=True)
    if question_id is not None:
        others = others.exclude(id=question_id)
    if await others.exists():
        raise ValidationFailed(
            {
                "marks_follow_up_interest": _(
                    "Een andere vraag in dit formulier geeft al belangstelling voor een vervolgtraining aan."
                )
            }
        )


async def _question_of(question_id: int, form_id: int | None) -> Question:
    question = await Question.get_or_none(id=question_id)
    if question is None or (form_id is not None and question.form_id != form_id):  # type: ignore[attr-defined]
        raise NotFound()
    return question


async def add_question(form_id: int, values: dict[str, str], *, actor: User) -> Question:
    """Add a question at the end of a form without responses.

    Raises Forbidden, NotFound, FormLocked, ValidationFailed (kind, text, options, follow-up mark).
    """
    require_coordinator(actor)
    parsed, errors = parse_question(values)
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        form = await changeable_form(form_id)
        await _check_follow_up_unique(form, parsed, None)
        position = await Question.filter(form=form).count() + 1
        question = await Question.create(form=form, position=position, **parsed)
        await record(actor, "feedback_question_added", form, f"{form.name}: {question.text}")
    return question


async def update_question(
    question_id: int, values: dict[str, str], *, actor: User, form_id: int | None = None
) -> Question:
    """Change a question of a form without responses (given `form_id`, it must be that form's).

    Raises Forbidden, NotFound, FormLocked, ValidationFailed.
    """
    require_coordinator(actor)
    parsed, errors = parse_question(values)
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        question = await _question_of(question_id, form_id)
        form = await changeable_form(question.form_id)  # type: ignore[attr-defined]
        await _check_follow_up_unique(form, parsed, question.id)
        question.update_from_dict(parsed)
        await question.save()
        await record(actor, "feedback_question_changed", form, f"{form.name}: {question.text}")
    return question


async def remove_question(question_id: int, *, actor: User, form_id: int | None = None) -> FeedbackForm:
    """Remove a question; the ones after it move up so positions stay 1..n.

    Raises Forbidden, NotFound, FormLocked.
    """
    require_coordinator(actor)
    async with in_transaction():
        question = await _question_of(question_id, form_id)
        form = await changeable_form(question.form_id)  # type: ignore[attr-defined]
        question = await _question_of(question_id, form.id)  # its position, read under the lock
        await question.delete()
        # One by one, in order, so the unique (form, position) never sees two rows at one position.
        for later in await Question.filter(form=form, position__gt=question.position).order_by("position"):
            later.position -= 1
            await later.save(update_fields=["position"])
        await record(actor, "feedback_question_removed", form, f"{form.name}: {question.text}")
    return form


async def move_question(
    question_id: int, direction: str, *, actor: User, form_id: int | None = None
) -> Question:
    """Swap a question with the one above ("up") or below ("down"); at either end nothing changes.

    Raises Forbidden, NotFound, FormLocked, ValidationFailed (direction).
    """
    require_coordinator(actor)
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": _("Kies omhoog of omlaag.")})
    async with in_transaction():
        question = await _question_of(question_id, form_id)
        form = await changeable_form(question.form_id)  # type: ignore[attr-defined]
        # Read again under the form's lock: a reorder that ran meanwhile moved it (two at once
        # would otherwise both pass through position 0 and break the unique position: a 500).
        question = await _question_of(question_id, form.id)
        target = question.position - 1 if direction == "up" else question.position + 1
        other = await Question.get_or_none(form=form, position=target)
        if other is None:
            return question
        # Through position 0, which no question has, to respect the unique (form, position).
        old = question.position
        question.position = 0
        await question.save(update_fields=["position"])
        other.position = old
        await other.save(update_fields=["position"])
        question.position = target
        await question.save(update_fields=["position"])
        await record(actor, "feedback_question_moved", form, f"{form.name}: {question.text} → {target}")
    return question
