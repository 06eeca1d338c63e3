"""The tour's target, set by the coordinators: e.g. every organisation had its council-wide session
by the end of the council term.

Errors: Forbidden (not a coordinator), ValidationFailed (field messages).
"""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from reporting.models import TourTarget
from reporting.stages import STAGE_LABELS, STAGE_ORDER, TourStage
from server.audit import in_dutch, record
from server.errors import Forbidden, ValidationFailed
from server.i18n import _
from server.models import Role, User

#: The steps a target can name (not "not yet contacted").
TARGET_STAGES = STAGE_ORDER[1:]
MAX_MONTHS = 120


async def current_target() -> TourTarget | None:
    return await TourTarget.all().order_by("id").first()


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = _("Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2027-03-31.")
        return None


def _percent(value: str, errors: dict[str, str]) -> int | None:
    text = value.strip().rstrip("%").strip()
    if not text.isdigit() or not 1 <= int(text) <= 100:
        errors["percent"] = _("Vul een percentage in van 1 tot en met 100.")
        return None
    return int(text)


async def save_target(values: dict[str, str], *, actor: User) -> TourTarget:
    """Set the target: a step, a percentage of all organisations, from a start date to a deadline.

    The deadline lies after the start and at most ten years later (the chart shows every month).
    """
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    errors: dict[str, str] = {}
    stage = values.get("stage", "")
    if stage not in {s.value for s in TARGET_STAGES}:
        errors["stage"] = _("Kies de stap die de organisaties moeten bereiken.")
    percent = _percent(values.get("percent", ""), errors)
    starts_on = _day(values.get("starts_on", ""), "starts_on", errors)
    deadline = _day(values.get("deadline", ""), "deadline", errors)
    if starts_on and deadline:
        if deadline <= starts_on:
            errors["deadline"] = _("De einddatum moet na de startdatum liggen.")
        elif (deadline.year - starts_on.year) * 12 + deadline.month - starts_on.month > MAX_MONTHS:
            errors["deadline"] = _("De einddatum ligt te ver weg: kies een periode van hoogstens tien jaar.")
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        target = await TourTarget.select_for_update().order_by("id").first()
        if target is None:
            target = TourTarget()
        target.stage = stage
        target.percent = percent  # type: ignore[assignment]
        target.starts_on = starts_on  # type: ignore[assignment]
        target.deadline = deadline  # type: ignore[assignment]
        target.updated_by = actor
        await target.save()
        label = in_dutch(STAGE_LABELS[TourStage(stage)])
        summary = f"{percent}% {label} {starts_on:%d-%m-%Y} t/m {deadline:%d-%m-%Y}"
        await record(actor, "tour_target_set", target, summary)
    return target
