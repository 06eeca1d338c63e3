"""Realistic volume for the benchmarks: every municipality and province, their clerks, the team, 40
trainers, bookings over 2025-2027 in every status, staffing, feedback and invoices.

`await seed(volume)` fills a migrated, empty database (the ORM initialised by the caller) and returns
what the load test needs to find its way. Rows go in with `bulk_create` in batches, with primary keys
chosen here (so related rows can point at them without a read back); on PostgreSQL the id sequences
are moved past them afterwards.

Issued invoices carry small placeholder PDF and UBL bytes: rendering 1,700 real PDFs would take
minutes and the pages under test only list invoices. The drafts are real and issue normally.

`python -m bench.seed DATABASE_URL` seeds the full volume into that database (migrating it first).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from tortoise import Tortoise, timezone
from tortoise.models import Model
from tortoise.transactions import in_transaction

from bench import seed_documents
from bookings.day_rate_models import DayRate
from bookings.demo import CATALOGUE, OFFERING_SPECIALTIES, SPECIALTIES
from bookings.models import (
    Booking,
    BookingStatus,
    Offering,
    OfferingRole,
    PartOfDay,
    PreferredSlot,
    PriceModel,
    Stage,
    TourInvitation,
    TrainerKind,
)
from bookings.policy import BookingPolicy
from bookings.staffing_models import (
    AssignmentRequest,
    OfferingSpecialty,
    RequestStatus,
    Specialty,
    TrainerProfile,
)
from feedback.demo import load_feedback_demo
from invoicing.document import VatCategory
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from reporting.figures import rebuild_figures, refresh_figures
from server.db import apply_migrations, init_orm, is_postgres
from server.models import AuditEntry, Organisation, OrganisationKind, Role, User
from server.organisations import import_organisations
from server.settings import PROJECT_DIR
from server.templating import AMSTERDAM
from server.unique_codes import ALPHABET, LENGTH

DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
BATCH = 2000
FIRST_DAY = date(2025, 1, 6)
LAST_DAY = date(2027, 12, 17)
#: (kind, how many of the trainers)
TRAINER_MIX = ((TrainerKind.TRAINER, 0.5), (TrainerKind.MODERATOR, 0.2), (TrainerKind.EXPERT, 0.15))
TOWNS = ("Utrecht", "Amersfoort", "Zwolle", "Den Haag", "Haarlem", "Arnhem", "Eindhoven", "Groningen")


@dataclass(frozen=True)
class Volume:
    bookings: int = 5000
    responses: int = 50_000
    invoices: int = 2000
    #: Of the invoices, how many are drafts waiting to be issued (the newest).
    draft_invoices: int = 300
    trainers: int = 40
    coordinators: int = 4
    #: Delivered sessions in the last days whose feedback form is open now.
    open_feedback_sessions: int = 30


FULL = Volume()
TINY = Volume(
    bookings=150,
    responses=600,
    invoices=30,
    draft_invoices=5,
    trainers=8,
    coordinators=2,
    open_feedback_sessions=3,
)


@dataclass
class Seeded:
    """What the load test needs: who to sign in as and which objects to use."""

    clerk_email: str
    organisation_code: str
    coordinator_email: str
    finance_email: str
    trainer_email: str
    follow_up_offering_id: int
    open_feedback_codes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class Ids:
    """Primary keys handed out here, per table, after those already used."""

    def __init__(self) -> None:
        self._next: dict[type[Model], int] = {}

    async def start(self, model: type[Model]) -> None:
        last = await model.all().order_by("-id").first()
        self._next[model] = (last.pk if last else 0) + 1

    def take(self, model: type[Model]) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


async def insert(rows: list[Model]) -> None:
    if rows:
        await type(rows[0]).bulk_create(rows, batch_size=BATCH)


async def reset_sequences(models: list[type[Model]]) -> None:
    """On PostgreSQL, move each id sequence past the ids chosen here."""
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "postgres":
        return
    for model in models:
        table = model._meta.db_table
        await connection.execute_script(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 (model names)
            f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
        )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=AMSTERDAM)


def reference(number: int) -> str:
    letters = []
    for _position in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[digit])
    return "WB-" + "".join(reversed(letters))


def token_hash(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


async def _organisations() -> list[Organisation]:
    await import_organisations(DATA_DIR / "provincies.csv")
    await import_organisations(DATA_DIR / "gemeenten.csv")
    organisations = await Organisation.all().order_by("id")
    for number, organisation in enumerate(organisations, start=1):
        slug = "".join(c for c in organisation.name.lower() if c.isalnum())
        organisation.invoice_street = f"Raadhuisplein {number}"
        organisation.invoice_postcode = f"{1000 + number * 23 % 8999:04d} AB"
        organisation.invoice_city = organisation.name
        organisation.invoice_email = f"facturen@{slug}.example"
        organisation.oin = f"{number:020d}"
        organisation.requires_po_number = number % 5 == 0
    await Organisation.bulk_update(
        organisations,
        fields=[
            "invoice_street",
            "invoice_postcode",
            "invoice_city",
            "invoice_email",
            "oin",
            "requires_po_number",
        ],
        batch_size=BATCH,
    )
    return organisations


async def _people(volume: Volume, organisations: list[Organisation], ids: Ids) -> dict[str, list[User]]:
    await ids.start(User)
    users: dict[str, list[User]] = {"clerk": [], "coordinator": [], "finance": [], "trainer": []}
    for organisation in organisations:
        users["clerk"].append(
            User(
                id=ids.take(User),
                email=f"griffier.{organisation.cbs_code.lower()}@bench.example",
                name=f"Griffier {organisation.name}",
                role=Role.CLERK,
                organisation_id=organisation.id,
            )
        )
    for n in range(1, volume.coordinators + 1):
        users["coordinator"].append(
            User(
                id=ids.take(User),
                email=f"coordinator{n}@bench.example",
                name=f"Coördinator {n}",
                role=Role.COORDINATOR,
            )
        )
    users["finance"].append(
        User(id=ids.take(User), email="financien@bench.example", name="Financiën", role=Role.FINANCE)
    )
    for n in range(1, volume.trainers + 1):
        users["trainer"].append(
            User(id=ids.take(User), email=f"trainer{n}@bench.example", name=f"Trainer {n}", role=Role.TRAINER)
        )
    now = timezone.now()
    for group in users.values():
        for user in group:
            user.created_at = now
    await insert([user for group in users.values() for user in group])
    return users


def _trainer_kind(position: int, total: int) -> TrainerKind:
    share = position / total
    for kind, part in TRAINER_MIX:
        if share < part:
            return kind
        share -= part
    return TrainerKind.PEER


async def _catalogue_and_profiles(
    users: dict[str, list[User]], organisations: list[Organisation]
) -> tuple[list[Offering], dict[TrainerKind, list[User]], dict[int, TrainerProfile]]:
    specialties = [await Specialty.create(name=name) for name in SPECIALTIES]
    by_name = {s.name: s for s in specialties}
    offerings = []
    for entry in CATALOGUE:
        offering = await Offering.create(**{k: v for k, v in entry.items() if k != "roles"})
        for kind, low, high in entry["roles"]:  # type: ignore[attr-defined]
            await OfferingRole.create(offering=offering, kind=kind, min_count=low, max_count=high)
        for name in OFFERING_SPECIALTIES.get(offering.name, []):
            await OfferingSpecialty.create(offering=offering, specialty=by_name[name])
        offerings.append(offering)
    await load_feedback_demo()
    provinces = [o for o in organisations if o.kind is OrganisationKind.PROVINCE]
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    pools: dict[TrainerKind, list[User]] = {kind: [] for kind in TrainerKind}
    profiles: dict[int, TrainerProfile] = {}
    people = [(user, TrainerKind.COORDINATOR) for user in users["coordinator"]] + [
        (user, _trainer_kind(n, len(users["trainer"]))) for n, user in enumerate(users["trainer"])
    ]
    for n, (user, kind) in enumerate(people):
        profile = await TrainerProfile.create(
            user_id=user.id,
            kind=kind,
            home_town=TOWNS[n % len(TOWNS)],
            weekly_availability=[f"{day}_{part}" for day in weekdays for part in ("afternoon", "evening")],
            max_sessions_per_month=8,
        )
        await DayRate.create(trainer_id=user.id, valid_from=date(1900, 1, 1), day_rate_cents=65000)
        await profile.specialties.add(
            specialties[n % len(specialties)], specialties[(n + 2) % len(specialties)]
        )
        if n % 3 == 0:
            await profile.provinces.add(*provinces[n % 4 :: 4])
        pools[kind].append(user)
        profiles[user.id] = profile
    return offerings, pools, profiles


def _status_for(starts_at: datetime, now: datetime, rng: random.Random) -> BookingStatus:
    roll = rng.random()
    if starts_at < now - timedelta(days=14):
        return (
            BookingStatus.CANCELLED
            if roll < 0.08
            else BookingStatus.CLOSED
            if roll < 0.7
            else BookingStatus.DELIVERED
        )
    if starts_at < now:
        return BookingStatus.DELIVERED
    if starts_at < now + timedelta(days=60):
        return (
            BookingStatus.CANCELLED
            if roll < 0.05
            else BookingStatus.SCHEDULED
            if roll < 0.3
            else BookingStatus.CONFIRMED
        )
    return (
        BookingStatus.CANCELLED
        if roll < 0.05
        else BookingStatus.SCHEDULED
        if roll < 0.35
        else BookingStatus.REQUESTED
    )


@dataclass
class Plan:
    """One booking to make: who, what, when."""

    organisation: Organisation
    offering: Offering
    starts_at: datetime


def _plans(
    volume: Volume, organisations: list[Organisation], offerings: list[Offering], now: datetime
) -> list[Plan]:
    """Intakes first (one per organisation), then a council-wide session for most, the rest follow-ups."""
    rng = random.Random(7)
    intake = next(o for o in offerings if o.stage is Stage.INTAKE)
    council = next(o for o in offerings if o.stage is Stage.COUNCIL_SESSION)
    follow_ups = [o for o in offerings if o.stage is Stage.FOLLOW_UP]
    intakes = min(len(organisations), volume.bookings // 14)
    councils = min(len(organisations), volume.bookings // 16)
    span = (LAST_DAY - FIRST_DAY).days
    plans = []
    for n in range(volume.bookings):
        if n < intakes:
            organisation, offering = organisations[n], intake
        elif n < intakes + councils:
            organisation, offering = organisations[n - intakes], council
        else:
            organisation, offering = rng.choice(organisations), follow_ups[n % len(follow_ups)]
        if volume.bookings - volume.open_feedback_sessions <= n:
            day = (now - timedelta(days=2 + n % 11)).astimezone(AMSTERDAM).date()
        else:
            day = FIRST_DAY + timedelta(days=rng.randrange(span))
            while day.weekday() > 4:
                day += timedelta(days=1)
        hour, minute = (14, 0) if rng.random() < 0.4 else (19, 30)
        plans.append(Plan(organisation, offering, local(day, hour, minute)))
    return plans


async def _bookings(
    volume: Volume, plans: list[Plan], users: dict[str, list[User]], ids: Ids, now: datetime
) -> list[Booking]:
    await ids.start(Booking)
    await ids.start(PreferredSlot)
    rng = random.Random(11)
    clerk_of = {user.organisation_id: user for user in users["clerk"]}  # type: ignore[attr-defined]
    policy = BookingPolicy()
    bookings, slots = [], []
    for plan in plans:
        offering, organisation = plan.offering, plan.organisation
        status = _status_for(plan.starts_at, now, rng)
        participants = rng.randint(3, offering.max_participants or 40)
        dated = status is not BookingStatus.REQUESTED
        ends_at = plan.starts_at + timedelta(minutes=offering.duration_minutes)
        created_at = plan.starts_at - timedelta(days=rng.randint(25, 90))
        free_session = offering.stage is Stage.COUNCIL_SESSION
        booking_id = ids.take(Booking)
        booking = Booking(
            id=booking_id,
            reference=reference(booking_id * 7919 + 104729),
            organisation_id=organisation.id,
            offering_id=offering.id,
            status=status,
            requested_by_id=clerk_of[organisation.id].id,
            created_at=min(created_at, now),
            updated_at=min(created_at, now),
            local_situation="Raadsleden krijgen bedreigende berichten na een besluit over opvang.",
            themes=["bedreiging", "online"],
            expected_participants=participants,
            part_of_day=PartOfDay.AFTERNOON if plan.starts_at.hour < 17 else PartOfDay.EVENING,
            location_address=f"Raadhuis, {organisation.invoice_street}, {organisation.name}",
            contact_name=f"Griffier {organisation.name}",
            contact_phone="070 123 4567",
            price_model=offering.price_model,
            unit_price_cents=offering.price_cents,
            vat_treatment=offering.vat_treatment,
            po_number=f"PO-{organisation.cbs_code}-{booking_id}" if not offering.is_free else "",
            invoice_email=organisation.invoice_email if not offering.is_free else "",
            starts_at=plan.starts_at if dated else None,
            ends_at=ends_at if dated else None,
            council_term_start=policy.term_start(organisation.kind, plan.starts_at.date())
            if free_session
            else None,
            participants_count=participants
            if status in (BookingStatus.DELIVERED, BookingStatus.CLOSED)
            else None,
            delivered_at=ends_at if status in (BookingStatus.DELIVERED, BookingStatus.CLOSED) else None,
            closed_at=ends_at + timedelta(days=10) if status is BookingStatus.CLOSED else None,
            cancelled_at=plan.starts_at - timedelta(days=20) if status is BookingStatus.CANCELLED else None,
            cancellation_reason="De raadsvergadering is verplaatst."
            if status is BookingStatus.CANCELLED
            else "",
        )
        bookings.append(booking)
        for position in range(1, rng.randint(1, 3) + 1):
            slots.append(
                PreferredSlot(
                    id=ids.take(PreferredSlot),
                    booking_id=booking.id,
                    position=position,
                    starts_at=plan.starts_at + timedelta(days=7 * (position - 1)),
                )
            )
    await insert(bookings)
    await insert(slots)
    return bookings


async def _staffing(
    bookings: list[Booking],
    offerings: list[Offering],
    pools: dict[TrainerKind, list[User]],
    coordinator: User,
    ids: Ids,
    now: datetime,
) -> list[AssignmentRequest]:
    """Accepted requests for dated bookings, pending ones (open for a few days) for some scheduled ones."""
    await ids.start(AssignmentRequest)
    roles: dict[int, list[OfferingRole]] = {}
    for role in await OfferingRole.all():
        roles.setdefault(role.offering_id, []).append(role)  # type: ignore[attr-defined]
    turn = {kind: 0 for kind in TrainerKind}
    requests = []
    for booking in sorted(bookings, key=lambda b: b.starts_at or now):
        if booking.starts_at is None or booking.status is BookingStatus.CANCELLED:
            continue
        for role in roles[booking.offering_id]:  # type: ignore[attr-defined]
            pool = pools[role.kind]
            for _n in range(role.min_count):
                trainer = pool[turn[role.kind] % len(pool)]
                turn[role.kind] += 1
                pending = booking.status is BookingStatus.SCHEDULED and booking.id % 2 == 0
                request_id = ids.take(AssignmentRequest)
                requests.append(
                    AssignmentRequest(
                        id=request_id,
                        booking_id=booking.id,
                        trainer_id=trainer.id,
                        kind=role.kind,
                        status=RequestStatus.PENDING if pending else RequestStatus.ACCEPTED,
                        starts_at=booking.starts_at,
                        ends_at=booking.ends_at,
                        token_hash=token_hash(f"request-{request_id}") if pending else None,
                        asked_at=min(booking.created_at + timedelta(days=2), now),
                        expires_at=now + timedelta(hours=48) if pending else None,
                        answered_at=None if pending else min(booking.created_at + timedelta(days=3), now),
                        asked_by_id=coordinator.id,
                    )
                )
    await insert(requests)
    return requests


async def _tour_and_audit(
    bookings: list[Booking], organisations: list[Organisation], coordinator: User, ids: Ids
) -> None:
    first_booking: dict[int, Booking] = {}
    for booking in sorted(bookings, key=lambda b: b.created_at):
        first_booking.setdefault(booking.organisation_id, booking)  # type: ignore[attr-defined]
    await ids.start(TourInvitation)
    invitations = []
    for organisation in organisations:
        booked = first_booking.get(organisation.id)
        invitations.append(
            TourInvitation(
                id=ids.take(TourInvitation),
                organisation_id=organisation.id,
                invited_at=local(date(2024, 11, 4), 10),
                invited_by_id=coordinator.id,
                recipients=1,
                booked_at=booked.created_at if booked else None,
                booking_id=booked.id if booked else None,
            )
        )
    await insert(invitations)
    await ids.start(AuditEntry)
    steps = {
        BookingStatus.REQUESTED: ["booking_requested"],
        BookingStatus.SCHEDULED: ["booking_requested", "booking_scheduled"],
        BookingStatus.CONFIRMED: ["booking_requested", "booking_scheduled", "booking_confirmed"],
        BookingStatus.DELIVERED: [
            "booking_requested",
            "booking_scheduled",
            "booking_confirmed",
            "booking_delivered",
        ],
        BookingStatus.CLOSED: [
            "booking_requested",
            "booking_scheduled",
            "booking_confirmed",
            "booking_closed",
        ],
        BookingStatus.CANCELLED: ["booking_requested", "booking_cancelled"],
    }
    entries = []
    for booking in bookings:
        for n, action in enumerate(steps[booking.status]):
            entries.append(
                AuditEntry(
                    id=ids.take(AuditEntry),
                    created_at=booking.created_at + timedelta(days=n),
                    actor_id=None if n == 0 else coordinator.id,
                    actor_label="" if n == 0 else coordinator.name,
                    action=action,
                    object_type="booking",
                    object_id=str(booking.id),
                    summary=booking.reference,
                )
            )
    await insert(entries)


async def seed(volume: Volume = FULL, now: datetime | None = None) -> Seeded:
    """Fill a migrated, empty database with `volume` (dates around `now`)."""
    now = now or timezone.now()
    ids = Ids()
    async with in_transaction():
        organisations = await _organisations()
        users = await _people(volume, organisations, ids)
        offerings, pools, _profiles = await _catalogue_and_profiles(users, organisations)
        plans = _plans(volume, organisations, offerings, now)
        bookings = await _bookings(volume, plans, users, ids, now)
        coordinator = users["coordinator"][0]
        requests = await _staffing(bookings, offerings, pools, coordinator, ids, now)
        await _tour_and_audit(bookings, organisations, coordinator, ids)
        documents = await seed_documents.feedback_and_invoices(volume, bookings, offerings, now)
    await reset_sequences(
        [User, Booking, PreferredSlot, AssignmentRequest, TourInvitation, AuditEntry, *seed_documents.MODELS]
    )
    await rebuild_figures()  # bulk_create passes by the signals that keep the tour figures
    organisation = next((o for o in organisations if o.cbs_code == "GM0363"), organisations[-1])
    clerk = next(u for u in users["clerk"] if u.organisation_id == organisation.id)  # type: ignore[attr-defined]
    open_requests = Counter(r.trainer_id for r in requests if r.status is RequestStatus.PENDING)  # type: ignore[attr-defined]
    trainer = max(pools[TrainerKind.TRAINER], key=lambda user: open_requests[user.id])
    return Seeded(
        clerk_email=clerk.email,
        organisation_code=organisation.cbs_code,
        coordinator_email=coordinator.email,
        finance_email=users["finance"][0].email,
        trainer_email=trainer.email,
        follow_up_offering_id=next(o.id for o in offerings if o.price_model is PriceModel.PER_SESSION),
        open_feedback_codes=documents.open_codes,
        counts={
            "organisations": len(organisations),
            "users": sum(len(group) for group in users.values()),
            "bookings": len(bookings),
            "assignment_requests": len(requests),
            **documents.counts,
        },
    )


POOL_FIRST_MONTH = date(2028, 1, 1)
POOL_PER_MONTH = 5


async def add_open_requests(count: int, now: datetime | None = None) -> list[tuple[int, int]]:
    """`count` more scheduled bookings from 2028 on, each with one pending request to a trainer,
    for the "accept a request" write: (request id, trainer id) pairs.

    Each trainer gets at most five a month on separate days, under the monthly maximum, so every
    one of them can be accepted. Kept apart from `seed` so that the trainers' pages keep a
    realistic number of open requests while they are measured.
    """
    now = now or timezone.now()
    ids = Ids()
    for model in (Booking, AssignmentRequest):
        await ids.start(model)
    offerings = await Offering.all().prefetch_related("roles")
    organisations = await Organisation.filter(kind=OrganisationKind.MUNICIPALITY).order_by("id")
    profiles = await TrainerProfile.exclude(kind=TrainerKind.COORDINATOR).order_by("id")
    offering_for = {
        profile.kind: next(o for o in offerings if any(r.kind is profile.kind for r in o.roles))
        for profile in profiles
    }
    bookings, requests = [], []
    for n in range(count):
        profile = profiles[n % len(profiles)]
        turn = n // len(profiles)
        month, slot = divmod(turn, POOL_PER_MONTH)
        first = date(POOL_FIRST_MONTH.year + month // 12, month % 12 + 1, 1)
        day = first + timedelta(days=2 + 5 * slot)
        starts_at = local(day, 19, 30)
        offering = offering_for[profile.kind]
        organisation = organisations[n % len(organisations)]
        booking_id = ids.take(Booking)
        bookings.append(
            Booking(
                id=booking_id,
                reference=reference(booking_id * 7919 + 104729),
                organisation_id=organisation.id,
                offering_id=offering.id,
                status=BookingStatus.SCHEDULED,
                local_situation="Vervolg op de raadsbrede sessie.",
                expected_participants=min(10, offering.max_participants or 10),
                part_of_day=PartOfDay.EVENING,
                location_address=f"Raadhuis, {organisation.name}",
                contact_name=f"Griffier {organisation.name}",
                contact_phone="070 123 4567",
                price_model=offering.price_model,
                unit_price_cents=offering.price_cents,
                vat_treatment=offering.vat_treatment,
                invoice_email=organisation.invoice_email,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=offering.duration_minutes),
            )
        )
        request_id = ids.take(AssignmentRequest)
        requests.append(
            AssignmentRequest(
                id=request_id,
                booking_id=booking_id,
                trainer_id=profile.user_id,  # type: ignore[attr-defined]
                kind=profile.kind,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=offering.duration_minutes),
                token_hash=token_hash(f"pool-request-{request_id}"),
                asked_at=now,
                expires_at=now + timedelta(hours=72),
            )
        )
    await _avoid_taken_references(bookings)
    async with in_transaction():
        await insert(bookings)
        await insert(requests)
        await refresh_figures({booking.organisation_id for booking in bookings})  # type: ignore[attr-defined]
    await reset_sequences([Booking, AssignmentRequest])
    return [(r.id, r.trainer_id) for r in requests]  # type: ignore[attr-defined]


async def _avoid_taken_references(bookings: list[Booking]) -> None:
    """Give another reference to each new booking whose reference the app already handed out at
    random (to a booking submitted during a load test), so that adding more never collides."""
    candidates = [booking.reference for booking in bookings]
    taken = set(await Booking.filter(reference__in=candidates).values_list("reference", flat=True))
    numbers = random.Random(len(bookings))
    for booking in bookings:
        while booking.reference in taken:
            booking.reference = reference(numbers.randrange(len(ALPHABET) ** LENGTH))
        taken.add(booking.reference)


async def _main(database_url: str) -> None:
    started = time.perf_counter()
    await apply_migrations(database_url)
    await init_orm(database_url)
    try:
        seeded = await seed(FULL)
    finally:
        await Tortoise.close_connections()
    kind = "PostgreSQL" if is_postgres(database_url) else "SQLite"
    print(f"{kind}: {seeded.counts} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    asyncio.run(
        _main(sys.argv[1] if len(sys.argv) > 1 else f"sqlite://{Path('var/bench.sqlite3').resolve()}")
    )


#: The one line of the drafts `add_drafts` makes (bench/pdf.py renders the same as its baseline).
LINE = "Vervolgtraining Omgaan met agressie en intimidatie op 2 november 2026, per deelnemer"


async def add_drafts(count: int) -> list[int]:
    """`count` drafts of one line each, spread over the municipalities, with a purchase-order number."""
    municipalities = await Organisation.filter(kind=OrganisationKind.MUNICIPALITY).order_by("id")
    await Invoice.bulk_create(
        [
            Invoice(
                organisation=municipalities[n % len(municipalities)],
                order_reference=f"PO-BENCH-{n:05d}",
                delivery_date=date(2026, 11, 2),
            )
            for n in range(count)
        ]
    )
    ids = list(
        await Invoice.filter(status=InvoiceStatus.DRAFT, order_reference__startswith="PO-BENCH-")
        .exclude(id__in=await InvoiceLine.all().values_list("invoice_id", flat=True) or [0])
        .order_by("id")
        .values_list("id", flat=True)
    )
    await InvoiceLine.bulk_create(
        [
            InvoiceLine(
                invoice_id=invoice_id,
                position=1,
                description=LINE,
                quantity=14,
                unit_price_cents=18500,
                vat_category=VatCategory.STANDARD,
                vat_percent=21,
            )
            for invoice_id in ids
        ]
    )
    return ids  # type: ignore[return-value]
