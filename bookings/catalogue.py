"""The catalogue: offerings that coordinators manage and clerks book.

Errors: Forbidden (not a coordinator), ValidationFailed (per field).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from bookings.models import Audience, Offering, OfferingRole, PriceModel, Stage, TrainerKind, VatTreatment
from bookings.pricing import euros_for_form, parse_euros
from server.audit import record
from server.errors import Forbidden, NotFound, ValidationFailed
from server.forms import single_line_errors
from server.i18n import _
from server.models import Role, User

MAX_PRICE_CENTS = 100_000_000
OFFERING_FIELDS = (
    "name",
    "description",
    "stage",
    "audience",
    "duration_minutes",
    "max_participants",
    "price_model",
    "price",
    "vat_treatment",
    "is_active",
)


@dataclass(frozen=True)
class RoleNeed:
    kind: TrainerKind
    min_count: int
    max_count: int


def parse_offering(values: dict[str, str]) -> tuple[dict[str, object], list[RoleNeed], dict[str, str]]:
    errors: dict[str, str] = {}
    name = values.get("name", "").strip()
    if not name or len(name) > 200:
        errors["name"] = _("Vul een naam in (maximaal 200 tekens).")
    errors.update(single_line_errors({"name": name}, "name"))
    choices = {
        "stage": Stage,
        "audience": Audience,
        "price_model": PriceModel,
        "vat_treatment": VatTreatment,
    }
    parsed: dict[str, object] = {"name": name, "description": values.get("description", "").strip()[:10_000]}
    for field, enum in choices.items():
        try:
            parsed[field] = enum(values.get(field, ""))
        except ValueError:
            errors[field] = _("Maak een keuze.")
    duration = values.get("duration_minutes", "").strip()
    if not duration.isdigit() or not 15 <= int(duration) <= 24 * 60:
        errors["duration_minutes"] = _("Vul de duur in minuten in (15 tot 1440).")
    else:
        parsed["duration_minutes"] = int(duration)
    maximum = values.get("max_participants", "").strip()
    if maximum and (not maximum.isdigit() or int(maximum) < 1):
        errors["max_participants"] = _("Vul een getal vanaf 1 in, of laat leeg voor geen maximum.")
    parsed["max_participants"] = int(maximum) if maximum.isdigit() else None
    cents = parse_euros(values.get("price", ""), maximum_cents=MAX_PRICE_CENTS)
    if cents is None:
        errors["price"] = _("Vul een bedrag in euro's in, bijvoorbeeld 1250,00.")
    elif parsed.get("price_model") is PriceModel.FREE and cents:
        errors["price"] = _("Een gratis aanbod heeft geen prijs.")
    elif parsed.get("price_model") in (PriceModel.PER_SESSION, PriceModel.PER_PARTICIPANT) and not cents:
        errors["price"] = _("Vul de prijs in.")
    parsed["price_cents"] = cents or 0
    parsed["is_active"] = values.get("is_active") == "on"
    roles = []
    for kind in TrainerKind:
        low, high = values.get(f"role_{kind}_min", "").strip(), values.get(f"role_{kind}_max", "").strip()
        if not low and not high:
            continue
        if not low.isdigit() or not high.isdigit() or int(low) > int(high) or int(high) > 10 or int(high) < 1:
            errors[f"role_{kind}_min"] = _("Vul een minimum en maximum in, zoals 1 en 2.")
            continue
        roles.append(RoleNeed(kind, int(low), int(high)))
    return parsed, roles, errors


async def save_offering(offering_id: int | None, values: dict[str, str], *, actor: User) -> Offering:
    """Create or change an offering and the trainer roles it needs."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    parsed, roles, errors = parse_offering(values)
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        if offering_id is None:
            offering = await Offering.create(**parsed)
        else:
            offering = await Offering.select_for_update().get_or_none(id=offering_id)
            if offering is None:
                raise NotFound()
            offering.update_from_dict(parsed)
            await offering.save()
            await OfferingRole.filter(offering=offering).delete()
        for need in roles:
            await OfferingRole.create(
                offering=offering, kind=need.kind, min_count=need.min_count, max_count=need.max_count
            )
        await record(actor, "offering_saved", offering, offering.name)
    return offering


async def offering_values(offering: Offering) -> dict[str, str]:
    """An offering as the form shows it."""
    values = {
        "name": offering.name,
        "description": offering.description,
        "stage": offering.stage.value,
        "audience": offering.audience.value,
        "duration_minutes": str(offering.duration_minutes),
        "max_participants": str(offering.max_participants or ""),
        "price_model": offering.price_model.value,
        "price": euros_for_form(offering.price_cents) or "0",
        "vat_treatment": offering.vat_treatment.value,
        "is_active": "on" if offering.is_active else "",
    }
    for role in await OfferingRole.filter(offering=offering):
        values[f"role_{role.kind}_min"] = str(role.min_count)
        values[f"role_{role.kind}_max"] = str(role.max_count)
    return values
