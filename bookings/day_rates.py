"""Trainers' day rates as a history: each rate holds from its first day until the next one starts.

- The rate of a session is the one valid on the session's day (Amsterdam time); before a trainer's
  first rate, or from a rate of 0, the trainer has no rate.
- A new rate cannot start before the current quarter: a reported quarter never changes. A new rate
  on the first day of an existing one replaces that one (only possible from this quarter on).

Errors: Forbidden (403), NotFound (404: not a trainer or coordinator), ValidationFailed (400:
day_rate, day_rate_from).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from tortoise.transactions import in_transaction

from bookings.day_rate_models import DayRate
from bookings.pricing import parse_euros
from server import clock
from server.audit import record
from server.errors import Forbidden, NotFound, ValidationFailed
from server.i18n import _
from server.models import Role, User
from server.templating import format_local_date, format_money

MAX_DAY_RATE_CENTS = 10_000_00
#: Who may set day rates: coordinators (also in the profile form) and finance.
RATE_KEEPERS = (Role.COORDINATOR, Role.FINANCE)


def quarter_start(day: date) -> date:
    """The first day of `day`'s quarter."""
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


class RateTable:
    """The rate histories of some trainers, to look up the rate on a day without further queries."""

    def __init__(self, rows: Iterable[tuple[int, date, int]]) -> None:
        self._days: dict[int, list[date]] = defaultdict(list)
        self._rates: dict[int, list[int]] = defaultdict(list)
        for trainer_id, valid_from, cents in sorted(rows, key=lambda row: (row[0], row[1])):
            self._days[trainer_id].append(valid_from)
            self._rates[trainer_id].append(cents)

    def rate_on(self, trainer_id: int, day: date) -> int:
        """The trainer's day rate in cents on `day`; 0 when none holds."""
        index = bisect_right(self._days.get(trainer_id, []), day)
        return self._rates[trainer_id][index - 1] if index else 0


async def rate_table(trainer_ids: Iterable[int]) -> RateTable:
    """The histories of `trainer_ids`, in one query (also for none, so pages run a fixed number)."""
    ids = sorted(set(trainer_ids)) or [0]
    rows = await DayRate.filter(trainer_id__in=ids).values_list("trainer_id", "valid_from", "day_rate_cents")
    return RateTable(rows)


async def rate_on(trainer_id: int, day: date) -> int:
    return (await rate_table([trainer_id])).rate_on(trainer_id, day)


async def history_of(trainer_id: int) -> list[DayRate]:
    """The trainer's rates, latest first, with who set them."""
    return await DayRate.filter(trainer_id=trainer_id).order_by("-valid_from").prefetch_related("set_by")


def parse_valid_from(raw: str) -> tuple[date | None, dict[str, str]]:
    """The first day of a new rate: an ISO date, empty for today, not before the current quarter."""
    today = clock.local_today()
    if not raw.strip():
        return today, {}
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None, {"day_rate_from": _("Vul de ingangsdatum in als datum, bijvoorbeeld 2026-07-01.")}
    if day < quarter_start(today):
        message = _(
            "Een dagtarief kan niet ingaan vóór het huidige kwartaal (%(day)s): de cijfers van een "
            "afgesloten kwartaal veranderen niet."
        ) % {"day": quarter_start(today).isoformat()}
        return None, {"day_rate_from": message}
    return day, {}


async def set_rate(trainer: User, cents: int, valid_from: date, *, actor: User) -> DayRate | None:
    """Record `cents` as the trainer's rate from `valid_from`; nothing when that rate already holds then.

    Runs inside the caller's transaction. The caller parsed `valid_from` (`parse_valid_from`); this
    refuses a day before the current quarter again (ValidationFailed), so no path changes a past quarter.
    """
    if valid_from < quarter_start(clock.local_today()):
        raise ValidationFailed(
            {"day_rate_from": _("Een dagtarief kan niet ingaan vóór het huidige kwartaal.")}
        )
    if await rate_on(trainer.id, valid_from) == cents:
        return None
    rate, created = await DayRate.get_or_create(
        trainer_id=trainer.id,
        valid_from=valid_from,
        defaults={"day_rate_cents": cents, "set_by": actor, "set_at": clock.now()},
    )
    if not created:
        rate.day_rate_cents, rate.set_by, rate.set_at = cents, actor, clock.now()
        await rate.save()
    summary = f"{trainer.name}: {format_money(cents)} vanaf {format_local_date(valid_from)}"
    await record(actor, "day_rate_set", rate, summary)
    return rate


async def rated_person(user_id: int) -> User:
    """A trainer or coordinator, the people who can have a day rate; NotFound for anyone else."""
    person = await User.get_or_none(id=user_id, role__in=(Role.TRAINER, Role.COORDINATOR))
    if person is None:
        raise NotFound(_("Deze persoon is geen trainer of coördinator."))
    return person


async def add_rate(user_id: int, amount: str, valid_from: str, *, actor: User) -> DayRate | None:
    """A new day rate for a trainer from a day (coordinators and finance), not before this quarter.

    Raises Forbidden, NotFound, ValidationFailed (day_rate, day_rate_from).
    """
    if actor.role not in RATE_KEEPERS:
        raise Forbidden()
    person = await rated_person(user_id)
    cents = parse_euros(amount, maximum_cents=MAX_DAY_RATE_CENTS)
    day, errors = parse_valid_from(valid_from)
    if cents is None:
        errors["day_rate"] = _("Vul een dagtarief in euro's in, bijvoorbeeld 650,00.")
    if errors or day is None:
        raise ValidationFailed(errors)
    async with in_transaction():
        return await set_rate(person, cents, day, actor=actor)
