"""Parsing the booking forms: text in, typed values or a message per field out.

Only the shape of the input is checked here (dates are dates, numbers are numbers); the booking
rules (lead time, one free session per term, own organisation) are the service's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from babel.support import LazyProxy

from bookings.models import PartOfDay
from server.forms import EMAIL_MESSAGE, PHONE_MESSAGE, parse_email, parse_phone, single_line_errors
from server.i18n import _, lazy_gettext
from server.templating import AMSTERDAM

THEMES: list[tuple[str, LazyProxy]] = [
    ("bedreiging", lazy_gettext("Bedreiging en intimidatie")),
    ("online", lazy_gettext("Online haat en bedreiging")),
    ("vergadering", lazy_gettext("Agressie tijdens vergaderingen")),
    ("thuis", lazy_gettext("Veiligheid thuis en op straat")),
    ("demonstraties", lazy_gettext("Demonstraties en protesten")),
    ("media", lazy_gettext("Sociale media en pers")),
    ("weerbaarheid", lazy_gettext("Persoonlijke weerbaarheid")),
]
PARTS_OF_DAY: list[tuple[str, LazyProxy]] = [
    (PartOfDay.AFTERNOON, lazy_gettext("middag")),
    (PartOfDay.EVENING, lazy_gettext("avond")),
]
MAX_SLOTS = 3
TEXT_LIMIT = 4000
EARLIEST = time(8, 0)
LATEST = time(21, 0)

#: The text fields of the booking form, in the order they appear.
BOOKING_FIELDS = (
    "offering",
    "local_situation",
    "expected_participants",
    "part_of_day",
    "location_address",
    "special_needs",
    "contact_name",
    "contact_phone",
    "contact_email",
    "po_number",
    "invoice_email",
    *(f"{kind}_{n}" for n in range(1, MAX_SLOTS + 1) for kind in ("date", "time")),
)


#: Fields of the booking form that are one line (they reach mails, calendars and the invoice).
SINGLE_LINE_FIELDS = ("contact_name", "contact_phone", "contact_email", "po_number", "invoice_email")


@dataclass(frozen=True)
class BookingDraft:
    offering_id: int
    local_situation: str
    themes: list[str]
    expected_participants: int
    part_of_day: PartOfDay
    location_address: str
    special_needs: str
    contact_name: str
    contact_phone: str
    po_number: str
    invoice_email: str
    #: Form position (1-3) -> start; positions left empty on the form are missing.
    preferred: dict[int, datetime]
    #: Given only when the contact on the day wants the calendar invitations too.
    contact_email: str = ""


def local_datetime(day: str, clock: str) -> datetime:
    """A date and time as typed (Europe/Amsterdam) to an aware datetime; ValueError when malformed."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=AMSTERDAM)


def _text(
    values: dict[str, str],
    name: str,
    errors: dict[str, str],
    *,
    required: str | None = None,
    limit: int = TEXT_LIMIT,
) -> str:
    value = values.get(name, "").strip()
    if required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = _("Dit is te lang (maximaal %(limit)s tekens).") % {"limit": limit}
    return value


def preferred_slots(values: dict[str, str]) -> tuple[dict[int, datetime], dict[str, str]]:
    """The filled-in preferred dates by their position on the form (1-3), and what is wrong with them."""
    errors: dict[str, str] = {}
    slots: dict[int, datetime] = {}
    for n in range(1, MAX_SLOTS + 1):
        day, clock = values.get(f"date_{n}", "").strip(), values.get(f"time_{n}", "").strip()
        if not day and not clock:
            continue
        try:
            starts_at = local_datetime(day, clock)
        except ValueError:
            errors[f"date_{n}"] = _("Vul een datum en een begintijd in, bijvoorbeeld 2027-03-15 en 19:30.")
            continue
        if not EARLIEST <= starts_at.time() <= LATEST:
            errors[f"time_{n}"] = _("Kies een begintijd tussen 08:00 en 21:00.")
            continue
        if starts_at in slots.values():
            errors[f"date_{n}"] = _("U heeft deze datum en tijd al gekozen.")
            continue
        slots[n] = starts_at
    if not slots and not errors:
        errors["date_1"] = _("Vul ten minste één voorkeursdatum met begintijd in.")
    return slots, errors


def parse_booking_form(
    values: dict[str, str], themes: list[str]
) -> tuple[BookingDraft | None, dict[str, str]]:
    errors: dict[str, str] = {}
    offering = values.get("offering", "")
    if not offering.isdigit():
        errors["offering"] = _("Kies wat u wilt boeken.")
    participants_raw = values.get("expected_participants", "").strip()
    participants = int(participants_raw) if participants_raw.isdigit() and len(participants_raw) < 5 else 0
    if participants < 1:
        errors["expected_participants"] = _("Vul het verwachte aantal deelnemers in (een getal vanaf 1).")
    part_of_day = values.get("part_of_day", "")
    if part_of_day not in PartOfDay.__members__.values():
        errors["part_of_day"] = _("Kies middag of avond.")
    known_themes = {value for value, _label in THEMES}
    if any(theme not in known_themes for theme in themes):
        errors["themes"] = _("Kies thema's uit de lijst.")
    draft_values: dict[str, Any] = {
        "local_situation": _text(
            values, "local_situation", errors, required=_("Beschrijf kort wat er bij u speelt.")
        ),
        "location_address": _text(
            values, "location_address", errors, limit=500, required=_("Vul het adres van de locatie in.")
        ),
        "special_needs": _text(values, "special_needs", errors),
        "contact_name": _text(
            values,
            "contact_name",
            errors,
            limit=200,
            required=_("Vul de naam van de contactpersoon op de dag in."),
        ),
        "contact_phone": _text(
            values,
            "contact_phone",
            errors,
            limit=40,
            required=_("Vul het telefoonnummer van de contactpersoon in."),
        ),
        "contact_email": _text(values, "contact_email", errors, limit=254).lower(),
        "po_number": _text(values, "po_number", errors, limit=100),
        "invoice_email": _text(values, "invoice_email", errors, limit=254).lower(),
    }
    for name in ("invoice_email", "contact_email"):
        if draft_values[name] and name not in errors:
            draft_values[name] = parse_email(draft_values[name]) or ""
            if not draft_values[name]:
                errors[name] = EMAIL_MESSAGE
    if draft_values["contact_phone"] and "contact_phone" not in errors:
        draft_values["contact_phone"] = parse_phone(draft_values["contact_phone"]) or ""
        if not draft_values["contact_phone"]:
            errors["contact_phone"] = PHONE_MESSAGE
    errors.update(single_line_errors(values, *SINGLE_LINE_FIELDS))
    preferred, slot_errors = preferred_slots(values)
    errors.update(slot_errors)
    if errors:
        return None, errors
    return (
        BookingDraft(
            offering_id=int(offering),
            themes=sorted(set(themes)),
            expected_participants=participants,
            part_of_day=PartOfDay(part_of_day),
            preferred=preferred,
            **draft_values,
        ),
        {},
    )


def parse_start(day: str, clock: str, field: str = "date") -> tuple[datetime | None, dict[str, str]]:
    """One date and start time from a scheduling or rescheduling form."""
    try:
        return local_datetime(day.strip(), clock.strip()), {}
    except ValueError:
        return None, {field: _("Vul een datum en een begintijd in, bijvoorbeeld 2027-03-15 en 19:30.")}
