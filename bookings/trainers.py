"""Trainer profiles: what the team knows of each trainer for staffing, their weekly availability, their
blocked days, and the list of specialties.

Coordinators keep the profiles and the specialties list; a trainer keeps their own weekly availability
and blocked days. The day rate is for the team only: nothing here hands it to a clerk's page.

Errors: Forbidden (403: the actor may not do this), NotFound (404: no such person, profile or period,
or one this actor may not change), ValidationFailed (400: one message per field), ProfileConflict (409:
two coordinators created the same profile at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings import day_rates, staffing
from bookings.availability import WEEKDAYS
from bookings.fit import DAY_PARTS, KIND_LABELS
from bookings.models import Booking, PartOfDay, TrainerKind
from bookings.pricing import euros_for_form, parse_euros
from bookings.staffing_models import BlockedPeriod, Specialty, TrainerProfile
from server import clock
from server.audit import in_dutch, record
from server.errors import DomainError, Forbidden, NotFound, ValidationFailed
from server.i18n import _
from server.models import Organisation, OrganisationKind, Role, User
from server.templating import format_local_date

PROFILE_FIELDS = (
    "kind",
    "home_town",
    "max_sessions_per_month",
    "day_rate",
    "day_rate_from",
    "vat_registered",
)
BLOCKED_PERIOD_FIELDS = ("first_day", "last_day", "note")
#: Every weekly-availability key, in the order of the week: mon_afternoon, mon_evening, ..., sun_evening.
AVAILABILITY_KEYS = tuple(f"{day}_{part}" for day in WEEKDAYS for part in PartOfDay)
#: The kinds a person of each role can have: coordinators do the intakes, the others are trainers.
KINDS_BY_ROLE = {
    Role.COORDINATOR: (TrainerKind.COORDINATOR,),
    Role.TRAINER: tuple(kind for kind in TrainerKind if kind is not TrainerKind.COORDINATOR),
}
MAX_DAY_RATE_CENTS = day_rates.MAX_DAY_RATE_CENTS
MAX_BLOCKED_DAYS = 366


class ProfileConflict(DomainError):
    status_code = 409


@dataclass(frozen=True)
class TrainerRow:
    """One line of the trainers list; `profile` comes with its specialties and provinces."""

    user: User
    profile: TrainerProfile | None


def today() -> date:
    return clock.local_today()


def _require_coordinator(actor: User) -> None:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()


# ---------- Parsing ----------


def parse_availability(keys: list[str]) -> tuple[list[str], dict[str, str]]:
    """The chosen keys in the order of the week, or an error when one is not an afternoon or evening."""
    chosen = set(keys)
    if not chosen <= set(AVAILABILITY_KEYS):
        return [], {"availability": _("Kies alleen middagen en avonden uit het overzicht.")}
    return [key for key in AVAILABILITY_KEYS if key in chosen], {}


def parse_profile(values: dict[str, str], role: Role) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    try:
        kind = TrainerKind(values.get("kind", ""))
    except ValueError:
        errors["kind"] = _("Kies de soort.")
    else:
        if kind in KINDS_BY_ROLE.get(role, ()):
            parsed["kind"] = kind
        elif role is Role.COORDINATOR:
            errors["kind"] = _("Een coördinator kan alleen de soort coördinator hebben.")
        else:
            errors["kind"] = _("Alleen een coördinator kan de soort coördinator hebben.")
    home_town = " ".join(values.get("home_town", "").split())
    if len(home_town) > 100:
        errors["home_town"] = _("Een woonplaats is hoogstens 100 tekens lang.")
    parsed["home_town"] = home_town
    maximum = values.get("max_sessions_per_month", "").strip()
    if maximum.isdigit() and len(maximum) < 3 and 1 <= int(maximum) <= 31:
        parsed["max_sessions_per_month"] = int(maximum)
    else:
        errors["max_sessions_per_month"] = _("Vul een aantal sessies per maand in, van 1 tot en met 31.")
    cents = parse_euros(values.get("day_rate", ""), maximum_cents=MAX_DAY_RATE_CENTS)
    if cents is None:
        errors["day_rate"] = _("Vul een dagtarief in euro's in, bijvoorbeeld 650,00.")
    parsed["day_rate_cents"] = cents or 0
    parsed["day_rate_from"], from_errors = day_rates.parse_valid_from(values.get("day_rate_from", ""))
    errors.update(from_errors)
    parsed["is_vat_registered"] = bool(values.get("vat_registered", ""))
    return parsed, errors


def parse_blocked_period(
    first_day: str, last_day: str, note: str
) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    messages = {
        "first_day": _("Vul de eerste dag in als datum, bijvoorbeeld 2026-07-01."),
        "last_day": _("Vul de laatste dag in als datum, bijvoorbeeld 2026-07-14."),
    }
    for field, raw in (("first_day", first_day), ("last_day", last_day)):
        try:
            days[field] = date.fromisoformat(raw.strip())
        except ValueError:
            errors[field] = messages[field]
    if not errors:
        first, last = days["first_day"], days["last_day"]
        if last < first:
            errors["last_day"] = _("De laatste dag ligt vóór de eerste dag.")
        elif (last - first).days >= MAX_BLOCKED_DAYS:
            errors["last_day"] = _("Een geblokkeerde periode duurt hoogstens een jaar.")
        elif last < today():
            errors["last_day"] = _("Deze periode ligt helemaal in het verleden.")
    cleaned_note = " ".join(note.split())
    if len(cleaned_note) > 200:
        errors["note"] = _("Een notitie is hoogstens 200 tekens lang.")
    return {**days, "note": cleaned_note}, errors


# ---------- Reading ----------


async def staffable_user(user_id: int) -> User:
    """A trainer, or a coordinator (who can have a profile for intakes); NotFound for anyone else."""
    user = await User.get_or_none(id=user_id, role__in=tuple(KINDS_BY_ROLE))
    if user is None:
        raise NotFound(_("Deze persoon is geen trainer of coördinator."))
    return user


async def profile_of(user: User) -> TrainerProfile | None:
    """The user's profile with its specialties and provinces, or None."""
    profile = await TrainerProfile.get_or_none(user_id=user.id)
    if profile is not None:
        await profile.fetch_related("specialties", "provinces")
    return profile


async def current_blocked_periods(profile: TrainerProfile | None) -> list[BlockedPeriod]:
    """The periods that have not ended yet, earliest first."""
    if profile is None:
        return []
    return await BlockedPeriod.filter(profile_id=profile.id, last_day__gte=today()).order_by(
        "first_day", "id"
    )


async def provinces() -> list[Organisation]:
    return await Organisation.filter(kind=OrganisationKind.PROVINCE).order_by("name")


async def specialties() -> list[Specialty]:
    return await Specialty.all().order_by("name")


async def trainer_overview() -> list[TrainerRow]:
    """Every user with the trainer role (with or without a profile) and the coordinators with one."""
    profiles = {
        p.user_id: p  # type: ignore[attr-defined]
        for p in await TrainerProfile.all().prefetch_related("specialties", "provinces")
    }
    users = await User.filter(role__in=tuple(KINDS_BY_ROLE)).order_by("name", "id")
    return [
        TrainerRow(user, profiles.get(user.id))
        for user in users
        if user.role is Role.TRAINER or user.id in profiles
    ]


async def coordinators_without_profile() -> list[User]:
    with_profile = await TrainerProfile.all().values_list("user_id", flat=True)
    return await User.filter(role=Role.COORDINATOR, is_active=True).exclude(id__in=list(with_profile))


def profile_values(profile: TrainerProfile | None, day_rate_cents: int = 0) -> dict[str, str]:
    """A profile as the form shows it, with the day rate valid today; defaults for a new one."""
    if profile is None:
        return {
            "kind": "",
            "home_town": "",
            "max_sessions_per_month": "4",
            "day_rate": "",
            "day_rate_from": "",
        }
    return {
        "kind": profile.kind.value,
        "home_town": profile.home_town,
        "max_sessions_per_month": str(profile.max_sessions_per_month),
        "day_rate": euros_for_form(day_rate_cents),
        "day_rate_from": today().isoformat(),
        "vat_registered": "ja" if profile.is_vat_registered else "",
    }


# ---------- Changes ----------


async def save_profile(
    user_id: int,
    values: dict[str, str],
    specialty_ids: list[str],
    province_codes: list[str],
    availability: list[str],
    *,
    actor: User,
) -> TrainerProfile:
    """Create or change a trainer's profile (coordinators only).

    The person must be an active trainer, or an active coordinator with the kind coordinator.
    A changed day rate is added to the rate history from `day_rate_from` (`bookings.day_rates`: not
    before the current quarter). Raises Forbidden, NotFound (no such active trainer or coordinator),
    ValidationFailed (per field: kind, home_town, max_sessions_per_month, day_rate, day_rate_from,
    availability, specialties, provinces),
    ProfileConflict (someone created the profile at the same moment).
    """
    _require_coordinator(actor)
    user = await staffable_user(user_id)
    if not user.is_active:
        raise NotFound(_("Dit account is gedeactiveerd; het profiel kan niet worden gewijzigd."))
    parsed, errors = parse_profile(values, user.role)
    parsed["weekly_availability"], availability_errors = parse_availability(availability)
    errors.update(availability_errors)
    wanted_ids = {int(raw) for raw in specialty_ids if raw.isdigit() and len(raw) < 10}
    chosen_specialties = await Specialty.filter(id__in=wanted_ids) if wanted_ids else []
    if len(chosen_specialties) != len(set(specialty_ids)):
        errors["specialties"] = _("Kies alleen specialismen uit de lijst.")
    wanted_codes = set(province_codes)
    chosen_provinces = (
        await Organisation.filter(kind=OrganisationKind.PROVINCE, cbs_code__in=wanted_codes)
        if wanted_codes
        else []
    )
    if len(chosen_provinces) != len(wanted_codes):
        errors["provinces"] = _("Kies alleen provincies uit de lijst.")
    if errors:
        raise ValidationFailed(errors)
    try:
        async with in_transaction():
            rate_cents, rate_from = parsed.pop("day_rate_cents"), parsed.pop("day_rate_from")
            profile = await TrainerProfile.select_for_update().get_or_none(user_id=user.id)
            if profile is None:
                profile = await TrainerProfile.create(user=user, **parsed)
            else:
                profile.update_from_dict(parsed)
                await profile.save()
            await profile.specialties.clear()
            await profile.specialties.add(*chosen_specialties)
            await profile.provinces.clear()
            await profile.provinces.add(*chosen_provinces)
            await record(
                actor, "trainer_profile_saved", profile, f"{user.name}: {in_dutch(KIND_LABELS[profile.kind])}"
            )
            await day_rates.set_rate(user, rate_cents, rate_from, actor=actor)  # type: ignore[arg-type]
    except IntegrityError as error:
        message = _("Iemand anders legde dit profiel tegelijk vast. Laad de pagina en probeer het opnieuw.")
        raise ProfileConflict(message) from error
    return profile


async def save_availability(trainer: User, availability: list[str]) -> TrainerProfile:
    """The trainer sets their own weekly availability.

    Raises NotFound (the team has not made a profile yet), ValidationFailed (availability).
    """
    chosen, errors = parse_availability(availability)
    async with in_transaction():
        profile = await TrainerProfile.select_for_update().get_or_none(user_id=trainer.id)
        if profile is None:
            raise NotFound(_("Het team heeft nog geen trainersprofiel voor u aangemaakt."))
        if errors:
            raise ValidationFailed(errors)
        profile.weekly_availability = chosen
        await profile.save(update_fields=["weekly_availability", "updated_at"])
        day_parts = ", ".join(in_dutch(DAY_PARTS.get(key, key)) for key in chosen)
        await record(trainer, "availability_saved", profile, day_parts or "-")
    return profile


def _period_text(period: BlockedPeriod) -> str:
    """The blocked days in Dutch words, for the audit log: '3 december 2026 t/m 5 december 2026'."""
    return f"{format_local_date(period.first_day)} t/m {format_local_date(period.last_day)}"


class BlockingBookedDays(DomainError):
    """The period holds sessions the trainer is asked for or booked on; blocking needs a confirmation."""

    status_code = 409

    def __init__(self, sessions: list[Booking]) -> None:
        super().__init__(_("In deze periode staan sessies waarvoor de trainer gevraagd of ingepland is."))
        self.sessions = sessions


async def add_blocked_period(
    trainer: User, first_day: str, last_day: str, note: str, *, actor: User, confirmed: bool = False
) -> BlockedPeriod:
    """Block days (inclusive) for a trainer: the trainer for themself, or a coordinator for anyone.

    The period is given as ISO dates, ends on or after its first day, lasts at most a year, and has not
    ended yet. A period that holds the trainer's planned sessions is blocked only when `confirmed`
    (the sessions stay: the team finds a replacement). Raises Forbidden (someone else's period),
    NotFound (no profile), ValidationFailed (first_day, last_day, note), BlockingBookedDays.
    """
    if actor.id != trainer.id:
        _require_coordinator(actor)
    profile = await TrainerProfile.get_or_none(user_id=trainer.id)
    if profile is None:
        raise NotFound(_("Er is nog geen trainersprofiel; sla eerst het profiel op."))
    parsed, errors = parse_blocked_period(first_day, last_day, note)
    if errors:
        raise ValidationFailed(errors)
    if not confirmed:
        sessions = await staffing.sessions_between(trainer, parsed["first_day"], parsed["last_day"])  # type: ignore[arg-type]
        if sessions:
            raise BlockingBookedDays(sessions)
    async with in_transaction():
        period = await BlockedPeriod.create(profile=profile, **parsed)
        await record(actor, "blocked_period_added", period, f"{trainer.name}: {_period_text(period)}")
    return period


async def remove_blocked_period(period_id: int, *, actor: User) -> None:
    """Remove a blocked period: the trainer's own, or anyone's by a coordinator.

    Raises NotFound (no such period, or another trainer's).
    """
    async with in_transaction():
        period = await BlockedPeriod.get_or_none(id=period_id).prefetch_related("profile__user")
        if period is None or (actor.role is not Role.COORDINATOR and period.profile.user.id != actor.id):
            raise NotFound(_("Deze geblokkeerde periode bestaat niet (meer)."))
        summary = f"{period.profile.user.name}: {_period_text(period)}"
        await period.delete()
        await record(actor, "blocked_period_removed", period, summary)


async def add_specialty(name: str, *, actor: User) -> Specialty:
    """Add a specialty to the list (coordinators only); a name already on it, in any case, is refused.

    Raises Forbidden, ValidationFailed (name).
    """
    _require_coordinator(actor)
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 100:
        raise ValidationFailed({"name": _("Vul de naam van het specialisme in (hoogstens 100 tekens).")})
    duplicate = ValidationFailed({"name": _("Dit specialisme staat al in de lijst.")})
    existing = await Specialty.all().values_list("name", flat=True)
    if cleaned.casefold() in {str(other).casefold() for other in existing}:
        raise duplicate
    try:
        async with in_transaction():
            specialty = await Specialty.create(name=cleaned)
            await record(actor, "specialty_added", specialty, cleaned)
    except IntegrityError as error:
        raise duplicate from error
    return specialty
