"""Realistic volume for the benchmarks: every municipality and province, their clerks, the team, 40
trainers, bookings over 2025-2027 in every status, staffing, feedback and invoices.

`await seed(volume)` fills a migrated, empty database (the ORM initialised by the caller) and returns
what the load test needs to find its way. Rows go in with `bulk_create` in batches, with primary keys
chosen here (so related rows can point at them without a read back); on PostgreSQL the id sequences
are moved past them afterwards (bench/seed_rows.py).

Here are the organisations, users, catalogue and trainer profiles; the bookings with their staffing,
tour invitations and audit trail are in bench/seed_bookings.py, feedback and invoices in
bench/seed_documents.py. What the load tests add for their writes is in bench/seed_additions.py.

Issued invoices carry small placeholder PDF and UBL bytes: rendering 1,700 real PDFs would take
minutes and the pages under test only list invoices. The drafts are real and issue normally.

`python -m bench.seed DATABASE_URL` seeds the full volume into that database (migrating it first).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from tortoise import Tortoise, timezone
from tortoise.transactions import in_transaction

from bench import seed_bookings, seed_documents
from bench.seed_rows import BATCH, Ids, insert, reset_sequences
from bookings.day_rate_models import DayRate
from bookings.demo import CATALOGUE, OFFERING_SPECIALTIES, SPECIALTIES
from bookings.models import (
    Booking,
    Offering,
    OfferingRole,
    PreferredSlot,
    PriceModel,
    TourInvitation,
    TrainerKind,
)
from bookings.staffing_models import (
    AssignmentRequest,
    OfferingSpecialty,
    RequestStatus,
    Specialty,
    TrainerProfile,
)
from feedback.demo import load_feedback_demo
from reporting.figures import rebuild_figures
from server.db import apply_migrations, init_orm, is_postgres
from server.models import AuditEntry, Organisation, OrganisationKind, Role, User
from server.organisations import import_organisations
from server.settings import PROJECT_DIR

DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
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


async def seed(volume: Volume = FULL, now: datetime | None = None) -> Seeded:
    """Fill a migrated, empty database with `volume` (dates around `now`)."""
    now = now or timezone.now()
    ids = Ids()
    async with in_transaction():
        organisations = await _organisations()
        users = await _people(volume, organisations, ids)
        offerings, pools, _profiles = await _catalogue_and_profiles(users, organisations)
        plans = seed_bookings.make_plans(volume, organisations, offerings, now)
        bookings = await seed_bookings.insert_bookings(volume, plans, users, ids, now)
        coordinator = users["coordinator"][0]
        requests = await seed_bookings.insert_staffing(bookings, offerings, pools, coordinator, ids, now)
        await seed_bookings.insert_tour_and_audit(bookings, organisations, coordinator, ids)
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
