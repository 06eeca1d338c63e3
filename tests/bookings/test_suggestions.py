"""Staffing suggestions: who fits a booking's roles and in which order, why the others do not, and the
grid of days the booking form offers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bookings.models import Booking, Offering, OfferingRole, Stage, TrainerKind
from bookings.policy import BookingPolicy
from bookings.staffing_models import BlockedPeriod, OfferingSpecialty, RequestStatus, Specialty
from bookings.suggestions import DayOption, RoleSuggestions, best_candidate, open_days, suggest
from server.models import Organisation, Role, User
from server.templating import AMSTERDAM
from tests.bookings.factories import ALL, make_booking, make_offering, make_request, make_trainer
from tests.factories import make_organisation, make_province, make_user

POLICY = BookingPolicy()
NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
#: Thursday 12 March 2026, 19:30 in Amsterdam; 150 minutes, so until 22:00.
STARTS_AT = datetime(2026, 3, 12, 19, 30, tzinfo=AMSTERDAM)
WITHOUT_THURSDAY_EVENING = tuple(key for key in ALL if key != "thu_evening")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)  # type: ignore[misc]


async def make_staffed_offering(
    roles: dict[TrainerKind, tuple[int, int]], *, specialties: tuple[str, ...] = (), **overrides: object
) -> Offering:
    offering = await make_offering(duration_minutes=150, **overrides)
    for kind, (min_count, max_count) in roles.items():
        await OfferingRole.create(offering=offering, kind=kind, min_count=min_count, max_count=max_count)
    for name in specialties:
        specialty, _created = await Specialty.get_or_create(name=name)
        await OfferingSpecialty.create(offering=offering, specialty=specialty)
    return offering


async def ask_elsewhere(
    trainer: User, kind: TrainerKind, starts_at: datetime, status: RequestStatus, minutes: int = 150
) -> None:
    """A request of the trainer's for another booking (one shared booking: the times are the request's)."""
    other = await Booking.filter(reference="WB-ELDERS").first() or await make_booking(reference="WB-ELDERS")
    await make_request(
        other, trainer, kind, status, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes)
    )


@dataclass
class Case:
    booking: Booking
    utrecht: Organisation
    users: dict[str, User]


async def staffing_case() -> Case:
    """A Thursday-evening session in Zeist (province of Utrecht) and trainers covering every rule."""
    utrecht = await make_province(name="Utrecht")
    groningen = await make_province(name="Groningen")
    zeist = await make_organisation(name="Gemeente Zeist", province=utrecht)
    offering = await make_staffed_offering(
        {TrainerKind.TRAINER: (1, 2), TrainerKind.MODERATOR: (1, 1)},
        specialties=("online haat", "weerbaarheid"),
    )
    booking = await make_booking(organisation=zeist, offering=offering, starts_at=STARTS_AT)
    trainer = TrainerKind.TRAINER
    users: dict[str, User] = {}

    async def add(name: str, kind: TrainerKind = trainer, **values: object) -> User:
        users[name] = await make_trainer(kind, name=name, **values)  # type: ignore[arg-type]
        return users[name]

    await add("Anna Aalbers", provinces=[utrecht], specialties=["online haat", "weerbaarheid"])
    await add("Bram Bos", specialties=["online haat"])  # nationwide
    cees = await add("Cees Claassen", provinces=[utrecht], specialties=["online haat", "moderatie"])
    await ask_elsewhere(cees, trainer, local(2026, 1, 15, 19, 30), RequestStatus.ACCEPTED)
    daan = await add("Daan Dekker", provinces=[utrecht], specialties=["online haat"])
    await ask_elsewhere(daan, trainer, local(2026, 3, 3, 19, 30), RequestStatus.ACCEPTED)
    eva = await add("Eva Evers", provinces=[utrecht], specialties=["online haat"])
    # Starts exactly when the travel buffer after the session ends: no overlap.
    await ask_elsewhere(eva, trainer, local(2026, 3, 13, 0, 0), RequestStatus.PENDING)
    mark = await add("Mark Mol", provinces=[utrecht])
    await make_request(booking, mark, trainer, RequestStatus.CANCELLED)
    # Longer than 90 days before now: does not count as recent.
    await ask_elsewhere(mark, trainer, local(2025, 11, 1, 19, 30), RequestStatus.ACCEPTED)

    await add("Frits Fokkema", provinces=[groningen], availability=WITHOUT_THURSDAY_EVENING)
    gerda = await add("Gerda Groen", provinces=[utrecht], max_per_month=1, specialties=["online haat"])
    profile = await gerda.trainer_profile  # type: ignore[attr-defined]
    await BlockedPeriod.create(profile=profile, first_day=date(2026, 3, 10), last_day=date(2026, 3, 12))
    await ask_elsewhere(gerda, trainer, local(2026, 3, 2, 14, 0), RequestStatus.PENDING)
    hans = await add("Hans Hoek", provinces=[utrecht])
    # Ends at 18:00, within the two hours before the session's 19:30.
    await ask_elsewhere(hans, trainer, local(2026, 3, 12, 16, 0), RequestStatus.ACCEPTED, minutes=120)
    ivo = await add("Ivo Jansen", provinces=[groningen])
    await make_request(booking, ivo, trainer, RequestStatus.DECLINED)
    jan = await add("Jan Kok", provinces=[utrecht])
    await make_request(booking, jan, trainer, RequestStatus.PENDING)
    karin = await add("Karin Lam")
    await make_request(booking, karin, trainer, RequestStatus.EXPIRED)
    lotte = await add("Lotte Meijer")
    await make_request(booking, lotte, trainer, RequestStatus.WITHDRAWN)
    await add("Nina Noord", is_active=False)

    await add("Olaf Oost", TrainerKind.MODERATOR, provinces=[utrecht])
    await add("Piet Post", TrainerKind.MODERATOR, availability=WITHOUT_THURSDAY_EVENING)
    await add("Ria Rood", TrainerKind.EXPERT)
    return Case(booking=booking, utrecht=utrecht, users=users)


def names(people: list) -> list[str]:  # type: ignore[type-arg]
    return [person.trainer.name for person in people]


def role(suggestions: list[RoleSuggestions], kind: TrainerKind) -> RoleSuggestions:
    [found] = [item for item in suggestions if item.kind is kind]
    return found


async def test_candidates_come_best_first() -> None:
    case = await staffing_case()
    trainers = role(await suggest(case.booking, POLICY, now=NOW), TrainerKind.TRAINER)
    # Specialties first, then fewest recent sessions, then fewest that month, then name.
    assert names(trainers.candidates) == [
        "Anna Aalbers",
        "Bram Bos",
        "Daan Dekker",
        "Eva Evers",
        "Cees Claassen",
        "Mark Mol",
    ]
    assert [(c.matching_specialties, c.recent_sessions) for c in trainers.candidates] == [
        (2, 0),
        (1, 0),
        (1, 0),
        (1, 0),
        (1, 1),
        (0, 0),
    ]
    anna, bram, daan, _eva, cees, mark = trainers.candidates
    assert anna.reasons == [
        "heeft specialisme online haat",
        "heeft specialisme weerbaarheid",
        "werkt in Utrecht",
        "beschikbaar op donderdagavond",
        "geen overlap (incl. 2 uur reistijd)",
        "0 van max. 4 sessies in maart 2026",
        "0 sessies in de afgelopen 90 dagen",
    ]
    assert anna.trainer == case.users["Anna Aalbers"]
    assert anna.profile.user_id == anna.trainer.id  # type: ignore[attr-defined]
    assert "werkt landelijk" in bram.reasons
    assert "1 van max. 4 sessies in maart 2026" in daan.reasons
    assert "1 sessie in de afgelopen 90 dagen" in cees.reasons
    assert mark.reasons[0] == "werkt in Utrecht"


async def test_every_reason_why_a_trainer_does_not_fit() -> None:
    case = await staffing_case()
    trainers = role(await suggest(case.booking, POLICY, now=NOW), TrainerKind.TRAINER)
    assert {item.trainer.name: item.reasons for item in trainers.excluded} == {
        "Frits Fokkema": ["werkt niet in Utrecht", "niet beschikbaar op donderdagavond"],
        "Gerda Groen": ["heeft 12 maart 2026 geblokkeerd", "heeft al 1 van max. 1 sessies in maart 2026"],
        "Hans Hoek": ["heeft dan al een sessie (incl. 2 uur reistijd)"],
        "Ivo Jansen": ["heeft deze sessie afgewezen", "werkt niet in Utrecht"],
        "Jan Kok": ["is al gevraagd voor deze boeking"],
        "Karin Lam": ["reageerde niet op een eerder verzoek"],
        "Lotte Meijer": ["heeft zich teruggetrokken"],
    }
    assert names(trainers.excluded) == sorted(names(trainers.excluded))


async def test_one_list_per_role_with_only_that_kind() -> None:
    case = await staffing_case()
    suggestions = await suggest(case.booking, POLICY, now=NOW)
    assert [(item.kind, item.min_count, item.max_count) for item in suggestions] == [
        (TrainerKind.MODERATOR, 1, 1),
        (TrainerKind.TRAINER, 1, 2),
    ]
    moderators = role(suggestions, TrainerKind.MODERATOR)
    assert names(moderators.candidates) == ["Olaf Oost"]
    assert {item.trainer.name: item.reasons for item in moderators.excluded} == {
        "Piet Post": ["niet beschikbaar op donderdagavond"]
    }
    listed = {name for item in suggestions for name in names(item.candidates) + names(item.excluded)}
    assert "Nina Noord" not in listed  # inactive
    assert "Ria Rood" not in listed  # an expert: the offering needs none


async def test_the_best_candidate_of_a_role() -> None:
    case = await staffing_case()
    best = await best_candidate(case.booking, TrainerKind.TRAINER, POLICY, now=NOW)
    assert best is not None
    assert best.trainer.name == "Anna Aalbers"
    await make_request(case.booking, best.trainer, TrainerKind.TRAINER)
    following = await best_candidate(case.booking, TrainerKind.TRAINER, POLICY, now=NOW)
    assert following is not None
    assert following.trainer.name == "Bram Bos"
    assert await best_candidate(case.booking, TrainerKind.EXPERT, POLICY, now=NOW) is None


async def test_another_start_time_can_be_tried_and_a_time_is_needed() -> None:
    case = await staffing_case()
    friday_afternoon = local(2026, 3, 13, 14, 0)
    trainers = role(
        await suggest(case.booking, POLICY, starts_at=friday_afternoon, now=NOW), TrainerKind.TRAINER
    )
    assert "Frits Fokkema" in names(trainers.excluded)  # Groningen, still
    assert "Hans Hoek" in names(trainers.candidates)  # his Thursday session is far away
    assert "beschikbaar op vrijdagmiddag" in trainers.candidates[0].reasons

    undated = await make_booking(offering=case.booking.offering, organisation=case.booking.organisation)
    with pytest.raises(ValueError):
        await suggest(undated, POLICY, now=NOW)
    with pytest.raises(ValueError):
        await best_candidate(undated, TrainerKind.TRAINER, POLICY, now=NOW)


async def test_intakes_are_staffed_by_coordinators_with_a_coordinator_profile() -> None:
    utrecht = await make_province(name="Utrecht")
    intake = await make_staffed_offering({TrainerKind.COORDINATOR: (1, 1)}, stage=Stage.INTAKE)
    booking = await make_booking(
        offering=intake, organisation=await make_organisation(province=utrecht), starts_at=STARTS_AT
    )
    await make_trainer(TrainerKind.COORDINATOR, name="Carla Coördinator", provinces=[utrecht])
    busy = await make_trainer(TrainerKind.COORDINATOR, name="Bert Bezet")
    await ask_elsewhere(busy, TrainerKind.COORDINATOR, STARTS_AT, RequestStatus.ACCEPTED)
    await make_user(Role.COORDINATOR, name="Zonder Profiel")
    await make_trainer(TrainerKind.TRAINER, name="Theo Trainer")
    wrong_role = await make_trainer(TrainerKind.TRAINER, name="Tessa Trainer")
    profile = await wrong_role.trainer_profile  # type: ignore[attr-defined]
    profile.kind = TrainerKind.COORDINATOR
    await profile.save()

    [coordinators] = await suggest(booking, POLICY, now=NOW)
    assert coordinators.kind is TrainerKind.COORDINATOR
    assert names(coordinators.candidates) == ["Carla Coördinator"]
    assert [(item.trainer.name, item.reasons) for item in coordinators.excluded] == [
        ("Bert Bezet", ["heeft dan al een sessie (incl. 2 uur reistijd)"])
    ]
    best = await best_candidate(booking, TrainerKind.COORDINATOR, POLICY, now=NOW)
    assert best is not None
    assert best.trainer.role is Role.COORDINATOR


async def test_a_province_books_in_its_own_province() -> None:
    utrecht = await make_province(name="Utrecht")
    groningen = await make_province(name="Groningen")
    offering = await make_staffed_offering({TrainerKind.TRAINER: (1, 1)})
    booking = await make_booking(organisation=utrecht, offering=offering, starts_at=STARTS_AT)
    await make_trainer(name="Uta Utrecht", provinces=[utrecht])
    await make_trainer(name="Lars Landelijk")
    await make_trainer(name="Gijs Groningen", provinces=[groningen])
    await make_trainer(name="Tom Twee", provinces=[groningen, utrecht])

    [trainers] = await suggest(booking, POLICY, now=NOW)
    assert names(trainers.candidates) == ["Lars Landelijk", "Tom Twee", "Uta Utrecht"]
    assert [(item.trainer.name, item.reasons) for item in trainers.excluded] == [
        ("Gijs Groningen", ["werkt niet in Utrecht"])
    ]


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The SQL statements Tortoise runs meanwhile (it logs each at DEBUG, on SQLite and PostgreSQL)."""
    statements: list[str] = []

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage().lstrip().upper()
            if message.startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                statements.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Counter(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def add_team(count: int, province: Organisation, booking: Booking) -> None:
    """Trainers and moderators with specialties, provinces, a holiday and a request each."""
    for number in range(count):
        user = await make_trainer(
            TrainerKind.TRAINER if number % 2 else TrainerKind.MODERATOR,
            provinces=[province] if number % 3 else [],
            specialties=["online haat", f"specialisme {number % 4}"],
        )
        profile = await user.trainer_profile  # type: ignore[attr-defined]
        await BlockedPeriod.create(profile=profile, first_day=date(2026, 3, 1), last_day=date(2026, 3, 31))
        await ask_elsewhere(user, profile.kind, STARTS_AT - timedelta(days=number), RequestStatus.ACCEPTED)
        if number % 5 == 0:
            await make_request(booking, user, profile.kind, RequestStatus.DECLINED)


async def test_the_number_of_queries_does_not_grow_with_the_team() -> None:
    utrecht = await make_province(name="Utrecht")
    offering = await make_staffed_offering(
        {TrainerKind.TRAINER: (1, 2), TrainerKind.MODERATOR: (1, 1)}, specialties=("online haat",)
    )
    organisation = await make_organisation(province=utrecht)
    created = await make_booking(offering=offering, organisation=organisation, starts_at=STARTS_AT)

    async def count_queries(team: int) -> tuple[int, int]:
        booking = await Booking.get(id=created.id)  # nothing related fetched yet
        with counted_queries() as suggesting:
            suggestions = await suggest(booking, POLICY, now=NOW)
        assert sum(len(item.candidates) + len(item.excluded) for item in suggestions) == team
        with counted_queries() as grid:
            await open_days(offering, organisation, POLICY, first_day=date(2026, 3, 9), days=28)
        return len(suggesting), len(grid)

    await add_team(5, utrecht, created)
    few = await count_queries(5)
    await add_team(20, utrecht, created)
    assert await count_queries(25) == few
    assert few[0] <= 13  # booking context 6, profiles and their relations 6, requests 1


async def test_open_days_over_a_week() -> None:
    utrecht = await make_province(name="Utrecht")
    groningen = await make_province(name="Groningen")
    zeist = await make_organisation(province=utrecht)
    offering = await make_staffed_offering({TrainerKind.MODERATOR: (1, 1), TrainerKind.TRAINER: (1, 2)})
    weekdays = tuple(key for key in ALL if not key.startswith(("sat", "sun")))
    moderator = await make_trainer(
        TrainerKind.MODERATOR, provinces=[utrecht], availability=tuple(k for k in ALL if k != "tue_evening")
    )
    first = await make_trainer(provinces=[utrecht], availability=weekdays)
    second = await make_trainer(availability=weekdays)
    await make_trainer(provinces=[groningen])  # free all week, but elsewhere
    await make_trainer(is_active=False)
    # Wednesday: the moderator until 17:30, so not in the afternoon; the evening (19:30 minus two hours
    # of travel) is just free.
    await ask_elsewhere(
        moderator, TrainerKind.MODERATOR, local(2026, 3, 11, 15, 0), RequestStatus.PENDING, 150
    )
    # Friday: the first trainer on holiday, the second busy in the evening (afternoon 14:00-16:30 plus
    # travel ends 18:30, before 19:00).
    profile = await first.trainer_profile  # type: ignore[attr-defined]
    await BlockedPeriod.create(profile=profile, first_day=date(2026, 3, 13), last_day=date(2026, 3, 13))
    await ask_elsewhere(second, TrainerKind.TRAINER, local(2026, 3, 13, 19, 0), RequestStatus.ACCEPTED)
    # A declined request does not hold time.
    await ask_elsewhere(second, TrainerKind.TRAINER, local(2026, 3, 9, 19, 30), RequestStatus.DECLINED)

    grid = await open_days(offering, zeist, POLICY, first_day=date(2026, 3, 9), days=7)
    assert grid == [
        DayOption(day=date(2026, 3, 9), afternoon=True, evening=True),
        DayOption(day=date(2026, 3, 10), afternoon=True, evening=False),
        DayOption(day=date(2026, 3, 11), afternoon=False, evening=True),
        DayOption(day=date(2026, 3, 12), afternoon=True, evening=True),
        DayOption(day=date(2026, 3, 13), afternoon=True, evening=False),
        DayOption(day=date(2026, 3, 14), afternoon=False, evening=False),
        DayOption(day=date(2026, 3, 15), afternoon=False, evening=False),
    ]


async def test_open_days_respect_the_monthly_maximum_per_month() -> None:
    utrecht = await make_province(name="Utrecht")
    offering = await make_staffed_offering({TrainerKind.TRAINER: (1, 1)})
    trainer = await make_trainer(provinces=[utrecht], max_per_month=1)
    await ask_elsewhere(trainer, TrainerKind.TRAINER, local(2026, 3, 2, 14, 0), RequestStatus.ACCEPTED)

    grid = await open_days(offering, utrecht, POLICY, first_day=date(2026, 3, 30), days=3)
    assert [(option.day.day, option.afternoon, option.evening) for option in grid] == [
        (30, False, False),
        (31, False, False),
        (1, True, True),
    ]


async def test_an_offering_without_roles_is_open_every_day() -> None:
    offering = await make_offering()
    grid = await open_days(offering, await make_organisation(), POLICY, first_day=date(2026, 3, 9), days=3)
    assert [(option.afternoon, option.evening) for option in grid] == [(True, True)] * 3
