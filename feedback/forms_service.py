"""Managing feedback forms: their names, their versions and the offerings using them; reading them.

A form that already has responses is not changed, so its results stay interpretable: a coordinator
makes a new version of it instead (`new_version`), and the offerings using it move to that version.
Its questions are changed in feedback.form_questions, under the same rule.

Errors: Forbidden (not a coordinator), NotFound (no such form or offering), ValidationFailed (per
field), FormLocked (the form has responses or is an old version).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from bookings.models import Offering, Stage
from feedback.models import FeedbackForm, OfferingForm, Question, Response
from server.audit import record
from server.errors import DomainError, Forbidden, NotFound, ValidationFailed
from server.forms import single_line_errors
from server.i18n import _
from server.models import Role, User

MAX_NAME = 200


class FormLocked(DomainError):
    """409: the form has responses (or a newer version exists), so it cannot be changed."""

    status_code = 409


# --- Reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormSummary:
    form: FeedbackForm
    question_count: int
    has_responses: bool
    offerings: list[Offering]


@dataclass(frozen=True)
class FormDetail:
    form: FeedbackForm
    questions: list[Question]
    has_responses: bool
    offerings: list[Offering]
    #: All offerings, for linking one to this form, with the name and version of the form each uses.
    offering_choices: list[tuple[Offering, str]]
    newest: FeedbackForm | None

    @property
    def is_locked(self) -> bool:
        return self.has_responses or not self.form.is_current


async def has_responses(form: FeedbackForm) -> bool:
    """Whether any participant answered this version of the form."""
    return await Response.filter(session__form_id=form.id).exists()


def _stage_order(offering: Offering) -> tuple[int, str]:
    return list(Stage).index(offering.stage), offering.name


async def _offerings_by_form() -> dict[int, list[Offering]]:
    links = await OfferingForm.all().select_related("offering")
    by_form: dict[int, list[Offering]] = {}
    for link in links:
        by_form.setdefault(link.form_id, []).append(link.offering)  # type: ignore[attr-defined]
    for offerings in by_form.values():
        offerings.sort(key=_stage_order)
    return by_form


async def form_overview() -> list[FormSummary]:
    """Every form version, current ones first, with its number of questions and the offerings using it."""
    forms = await FeedbackForm.all().order_by("-is_current", "name", "-version")
    by_form = await _offerings_by_form()
    answered = set(await Response.all().distinct().values_list("session__form_id", flat=True))
    counts: dict[int, int] = {}
    for form_id in await Question.all().values_list("form_id", flat=True):
        counts[form_id] = counts.get(form_id, 0) + 1  # type: ignore[index]
    return [
        FormSummary(form, counts.get(form.id, 0), form.id in answered, by_form.get(form.id, []))
        for form in forms
    ]


async def form_detail(form_id: int) -> FormDetail:
    """One form with its questions in order, the offerings using it and what linking needs."""
    form = await FeedbackForm.get_or_none(id=form_id)
    if form is None:
        raise NotFound()
    links = await OfferingForm.all().select_related("form")
    form_of = {link.offering_id: link.form for link in links}  # type: ignore[attr-defined]
    offerings = sorted(await Offering.all(), key=_stage_order)
    choices = []
    for offering in (o for o in offerings if o.stage.collects_feedback):
        linked = form_of.get(offering.id)
        label = (
            _("%(name)s, versie %(version)s") % {"name": linked.name, "version": linked.version}
            if linked
            else ""
        )
        choices.append((offering, label))
    newest = None if form.is_current else await _newest_after(form)
    return FormDetail(
        form=form,
        questions=list(await Question.filter(form=form).order_by("position")),
        has_responses=await has_responses(form),
        offerings=[o for o in offerings if form_of.get(o.id) is not None and form_of[o.id].id == form.id],
        offering_choices=choices,
        newest=newest,
    )


async def _newest_after(form: FeedbackForm) -> FeedbackForm | None:
    current: FeedbackForm | None = form
    while current is not None and not current.is_current:
        current = await FeedbackForm.filter(previous_id=current.id).order_by("-version").first()
    return current


# --- Changing a form -------------------------------------------------------------------------------


def require_coordinator(actor: User) -> None:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()


def parse_name(name: str) -> str:
    """The name on one line: a pasted line break or control character is refused at the field,
    not silently joined."""
    if errors := single_line_errors({"name": name.strip()}, "name"):
        raise ValidationFailed(errors)
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise ValidationFailed({"name": _("Vul een naam in (maximaal 200 tekens).")})
    return cleaned


async def changeable_form(form_id: int) -> FeedbackForm:
    """The form, locked for this transaction; refuses an old version or one with responses."""
    form = await FeedbackForm.select_for_update().get_or_none(id=form_id)
    if form is None:
        raise NotFound()
    if not form.is_current:
        raise FormLocked(_("Dit is een oude versie van het formulier; wijzig de nieuwste versie."))
    if await has_responses(form):
        raise FormLocked(
            _(
                "Dit formulier is al ingevuld en kan daarom niet meer veranderen: anders kloppen de "
                "resultaten niet meer. Maak een nieuwe versie en wijzig die."
            )
        )
    return form


async def create_form(name: str, *, actor: User) -> FeedbackForm:
    """A new, empty form (version 1). Raises Forbidden, ValidationFailed (name)."""
    require_coordinator(actor)
    cleaned = parse_name(name)
    async with in_transaction():
        if await FeedbackForm.filter(name=cleaned, is_current=True).exists():
            raise ValidationFailed({"name": _("Er is al een formulier met deze naam.")})
        form = await FeedbackForm.create(name=cleaned)
        await record(actor, "feedback_form_created", form, form.name)
    return form


async def rename_form(form_id: int, name: str, *, actor: User) -> FeedbackForm:
    """Rename a form without responses. Raises Forbidden, NotFound, FormLocked, ValidationFailed."""
    require_coordinator(actor)
    cleaned = parse_name(name)
    async with in_transaction():
        form = await changeable_form(form_id)
        if await FeedbackForm.filter(name=cleaned, is_current=True).exclude(id=form.id).exists():
            raise ValidationFailed({"name": _("Er is al een formulier met deze naam.")})
        old = form.name
        form.name = cleaned
        await form.save(update_fields=["name"])
        await record(actor, "feedback_form_renamed", form, f"{old} → {form.name}")
    return form


async def new_version(form_id: int, *, actor: User) -> FeedbackForm:
    """Copy the newest version of a form into version + 1 with the same questions.

    The old version stops being current and the offerings using it move to the new one, so new
    sessions get the new version while old results keep the questions they were answered with.
    Raises Forbidden, NotFound, FormLocked (not the newest version).
    """
    require_coordinator(actor)
    async with in_transaction():
        old = await FeedbackForm.select_for_update().get_or_none(id=form_id)
        if old is None:
            raise NotFound()
        if not old.is_current:
            raise FormLocked(_("Er is al een nieuwere versie van dit formulier."))
        old.is_current = False
        await old.save(update_fields=["is_current"])
        new = await FeedbackForm.create(name=old.name, version=old.version + 1, previous=old, is_current=True)
        for question in await Question.filter(form=old).order_by("position"):
            await Question.create(
                form=new,
                position=question.position,
                kind=question.kind,
                text=question.text,
                is_required=question.is_required,
                options=list(question.options or []),
                marks_follow_up_interest=question.marks_follow_up_interest,
            )
        moved = await OfferingForm.filter(form=old).update(form=new)
        await record(
            actor,
            "feedback_form_new_version",
            new,
            f"{new.name} versie {new.version} ({moved} aanbod verplaatst)",
        )
    return new


async def set_offering_form(offering_id: int, form_id: int, *, actor: User) -> OfferingForm:
    """Let an offering use this form (its newest version); each offering uses one form.

    Raises Forbidden, NotFound (form), FormLocked (old version), ValidationFailed (offering_id: none,
    or an intake, which collects no feedback).
    """
    require_coordinator(actor)
    async with in_transaction():
        form = await FeedbackForm.get_or_none(id=form_id)
        if form is None:
            raise NotFound()
        if not form.is_current:
            raise FormLocked(_("Dit is een oude versie van het formulier; koppel de nieuwste versie."))
        offering = await Offering.get_or_none(id=offering_id)
        if offering is None:
            raise ValidationFailed({"offering_id": _("Kies een aanbod.")})
        if not offering.stage.collects_feedback:
            raise ValidationFailed(
                {"offering_id": _("Een intake heeft geen feedbackformulier; kies een sessie of training.")}
            )
        link = await OfferingForm.select_for_update().get_or_none(offering=offering)
        if link is None:
            link = await OfferingForm.create(offering=offering, form=form)
        else:
            link.form = form
            await link.save()
        await record(
            actor, "feedback_form_linked", offering, f"{offering.name} → {form.name} versie {form.version}"
        )
    return link
