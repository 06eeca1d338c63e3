"""The rules a booking request must meet, checked all in one pass and told before the form is filled in.

One place for each rule, used by making a booking (bookings/service.py), by changing a request
(bookings/request_changes.py) and by the form pages, which show in advance what the check will say:
- preferred dates lie at least the lead time ahead (3 weeks for sessions, 1 week for an intake); the
  first possible day is the day of that moment, or the next one when it is past the latest start
  time, and never a public holiday;
- no preferred date on a Dutch public holiday;
- no more participants than the offering takes; a paid training needs an invoice e-mail address;
- one free council-wide session per organisation per council term (the term of the first preferred
  date), plus one more for each exception a coordinator granted.

`review_request` runs the form parser and every rule on what was typed, so a clerk sees every problem
at once; the service checks again inside its transaction (the free session under a lock), so the
review is a courtesy, never the guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bookings.forms import LATEST, BookingDraft, parse_booking_form, preferred_slots
from bookings.models import Booking, BookingStatus, FreeSessionException, Offering, PriceModel, Stage
from bookings.policy import BookingPolicy
from bookings.public_holidays import first_day_without_holiday, holiday_at, holiday_name, holidays_between
from server.clock import AMSTERDAM
from server.i18n import _, lazy_gettext
from server.models import Organisation
from server.templating import format_local_datetime

FREE_SESSION_TAKEN = lazy_gettext(
    "Uw organisatie heeft in deze raadsperiode al een gratis raadsbrede sessie. "
    "Wilt u er nog een? Neem contact op met het team; een vervolgtraining kan altijd."
)


@dataclass(frozen=True)
class FirstPossible:
    """The earliest start the lead time allows: its day, and the time from which that day is open
    (None when the whole day is)."""

    day: date
    from_time: str | None


def earliest_start(offering: Offering, policy: BookingPolicy, now: datetime) -> datetime:
    """No preferred date may start before this moment."""
    return now + policy.lead_time(offering.stage)


def first_possible(offering: Offering, policy: BookingPolicy, now: datetime) -> FirstPossible:
    """The first day a preferred date may fall on, as the lead-time and holiday checks see it."""
    earliest = earliest_start(offering, policy, now).astimezone(AMSTERDAM)
    day, from_time = earliest.date(), earliest.strftime("%H:%M")
    if earliest.time() > LATEST:
        day, from_time = day + timedelta(days=1), None
    if holiday_name(day):
        day, from_time = first_day_without_holiday(day), None
    if from_time is not None and from_time <= "08:00":
        from_time = None
    return FirstPossible(day, from_time)


def first_possible_text(first: FirstPossible) -> str:
    values = {
        "day": format_local_datetime(datetime.combine(first.day, time(12), AMSTERDAM), "EEEE d MMMM y"),
        "time": first.from_time,
    }
    if first.from_time:
        return _("De eerste mogelijke datum is %(day)s, vanaf %(time)s.") % values
    return _("De eerste mogelijke datum is %(day)s.") % values


def check_preferred(
    offering: Offering, preferred: dict[int, datetime], policy: BookingPolicy, now: datetime
) -> dict[str, str]:
    """The lead-time and public-holiday rules for each preferred date, keyed by its form field."""
    errors: dict[str, str] = {}
    earliest = earliest_start(offering, policy, now)
    for position, starts_at in preferred.items():
        holiday = holiday_at(starts_at)
        if holiday:
            errors[f"date_{position}"] = _(
                "Op %(day)s is het een feestdag (%(holiday)s); dan geven wij geen sessies. Kies een "
                "andere datum."
            ) % {"day": format_local_datetime(starts_at, "d MMMM yyyy"), "holiday": holiday}
        elif starts_at < earliest:
            days = policy.lead_time(offering.stage).days
            errors[f"date_{position}"] = (
                _(
                    "Kies een datum die minstens %(days)s dagen vooruit ligt; wij hebben die tijd nodig "
                    "om trainers te vinden en de sessie voor te bereiden."
                )
                % {"days": days}
                + " "
                + first_possible_text(first_possible(offering, policy, now))
            )
    return errors


def check_answers(
    offering: Offering,
    preferred: dict[int, datetime],
    participants: int,
    invoice_email: str,
    policy: BookingPolicy,
    now: datetime,
) -> dict[str, str]:
    """Every rule on the answers that needs no database: dates, the number of participants and, for
    a paid training, the invoice address. `participants` 0 and an empty `invoice_email` mean not
    (validly) given; the form parser names those."""
    errors = check_preferred(offering, preferred, policy, now)
    if offering.max_participants and participants > offering.max_participants:
        errors["expected_participants"] = _("Dit aanbod is voor hoogstens %(max)s deelnemers.") % {
            "max": offering.max_participants
        }
    if offering.price_model is not PriceModel.FREE and not invoice_email:
        errors["invoice_email"] = _("Vul het e-mailadres in waar de factuur heen moet.")
    return errors


def is_free_session(offering: Offering) -> bool:
    """The one-per-term rule is about free council-wide sessions only."""
    return offering.stage is Stage.COUNCIL_SESSION and offering.is_free


def free_session_term(
    organisation: Organisation, offering: Offering, preferred: dict[int, datetime], policy: BookingPolicy
) -> date | None:
    """The council term a free council-wide session with these preferred dates counts in."""
    if not is_free_session(offering) or not preferred:
        return None
    return policy.term_start(organisation.kind, preferred[min(preferred)].date())


async def free_sessions_in_term(
    organisation: Organisation, term_start: date, *, other_than: int | None = None
) -> list[Booking]:
    """The organisation's free council-wide sessions (not cancelled) counted in this term, oldest
    first. `other_than`: a booking not to count (the one being changed)."""
    booked = Booking.filter(
        organisation=organisation,
        offering__stage=Stage.COUNCIL_SESSION,
        price_model=PriceModel.FREE,
        council_term_start=term_start,
    ).exclude(status=BookingStatus.CANCELLED)
    if other_than is not None:
        booked = booked.exclude(id=other_than)
    return await booked.order_by("created_at", "id")


async def free_session_taken(
    organisation: Organisation, term_start: date, *, other_than: int | None = None
) -> Booking | None:
    """The organisation's free council-wide session in this term, when no granted exception allows
    another; None when one more may be booked."""
    booked = await free_sessions_in_term(organisation, term_start, other_than=other_than)
    if not booked:
        return None
    exceptions = await FreeSessionException.filter(organisation=organisation, term_start=term_start).count()
    return booked[0] if len(booked) >= 1 + exceptions else None


def participants_of(values: dict[str, str]) -> int:
    raw = values.get("expected_participants", "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 5 else 0


async def review_request(
    organisation: Organisation,
    offering: Offering,
    values: dict[str, str],
    themes: list[str],
    *,
    policy: BookingPolicy,
    now: datetime,
    booking: Booking | None = None,
) -> tuple[BookingDraft | None, dict[str, str]]:
    """The draft and every problem with it at once: the shape of each field (bookings/forms.py) and
    each booking rule on the fields that could be read. `booking`: the request being changed (it does
    not count against its own free session)."""
    draft, errors = parse_booking_form(values, themes)
    preferred = draft.preferred if draft else preferred_slots(values)[0]
    invoice_email = draft.invoice_email if draft else values.get("invoice_email", "").strip()
    rule_errors = check_answers(offering, preferred, participants_of(values), invoice_email, policy, now)
    term_start = free_session_term(organisation, offering, preferred, policy)
    if term_start is not None and await free_session_taken(
        organisation, term_start, other_than=booking.id if booking else None
    ):
        rule_errors["offering"] = FREE_SESSION_TAKEN
    errors = {**rule_errors, **errors}
    return (draft if not errors else None), errors


#: How far ahead the form lists the public holidays, from the first possible day.
HOLIDAYS_SHOWN = timedelta(weeks=26)


@dataclass(frozen=True)
class RequestFacts:
    """What the form tells before anything is typed, from the same rules the check applies."""

    first: FirstPossible
    first_text: str
    holidays: list[tuple[date, str]]
    #: The free council-wide session this term already used (None: one may be booked).
    free_session: Booking | None
    #: When the free session is used: the next term's first day, from which one may be booked again.
    next_term: date | None


async def request_facts(
    organisation: Organisation,
    offering: Offering,
    policy: BookingPolicy,
    now: datetime,
    *,
    booking: Booking | None = None,
) -> RequestFacts:
    """The rules known in advance for this organisation and offering; `booking`: the request being
    changed, which does not count against itself."""
    first = first_possible(offering, policy, now)
    free_session = None
    next_term = None
    if is_free_session(offering):
        today = now.astimezone(AMSTERDAM).date()
        free_session = await free_session_taken(
            organisation,
            policy.term_start(organisation.kind, today),
            other_than=booking.id if booking else None,
        )
        if free_session is not None:
            next_term = policy.next_term_start(organisation.kind, today)
    return RequestFacts(
        first=first,
        first_text=first_possible_text(first),
        holidays=holidays_between(first.day, first.day + HOLIDAYS_SHOWN),
        free_session=free_session,
        next_term=next_term,
    )
