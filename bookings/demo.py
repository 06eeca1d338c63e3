"""Demo catalogue and bookings: the intake, the free council-wide session, paid follow-up trainings,
and a few bookings in different states. Loaded by `weerbaar demo` after the foundation's demo data."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from tortoise.transactions import in_transaction

from bookings.availability import WEEKDAYS
from bookings.contacts_demo import load_demo_contacts
from bookings.day_rate_models import DayRate
from bookings.models import (
    Audience,
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
    VatTreatment,
)
from bookings.public_holidays import first_day_without_holiday
from bookings.staffing_models import (
    AssignmentRequest,
    OfferingSpecialty,
    RequestStatus,
    Specialty,
    TrainerProfile,
)
from server import clock
from server.audit import record
from server.models import Organisation, Role, User
from server.templating import AMSTERDAM

CATALOGUE = [
    {
        "name": "Kennismaking en intake",
        "description": "Een gesprek met de burgemeester of commissaris van de Koning en de griffier over "
        "wat er lokaal speelt, wat er al geregeld is en wat de raad nodig heeft.",
        "stage": Stage.INTAKE,
        "audience": Audience.GROUP,
        "duration_minutes": 90,
        "max_participants": 6,
        "price_model": PriceModel.FREE,
        "price_cents": 0,
        "vat_treatment": VatTreatment.EXEMPT_EDUCATION,
        "roles": [(TrainerKind.COORDINATOR, 1, 1)],
    },
    {
        "name": "Omgaan met agressie en intimidatie",
        "description": "Een middag of avond voor de hele raad of Staten: wat doet bedreiging met u, hoe "
        "reageert u, wat kunt u van elkaar en van de organisatie verwachten? Afgestemd op uw situatie, "
        "begeleid door een moderator en gespecialiseerde trainers.",
        "stage": Stage.COUNCIL_SESSION,
        "audience": Audience.WHOLE_COUNCIL,
        "duration_minutes": 180,
        "max_participants": 60,
        "price_model": PriceModel.FREE,
        "price_cents": 0,
        "vat_treatment": VatTreatment.EXEMPT_EDUCATION,
        "roles": [(TrainerKind.MODERATOR, 1, 1), (TrainerKind.TRAINER, 1, 2)],
    },
    {
        "name": "Persoonlijke weerbaarheid",
        "description": "Individuele training: grenzen stellen, de-escaleren en herstellen na een incident.",
        "stage": Stage.FOLLOW_UP,
        "audience": Audience.INDIVIDUALS,
        "duration_minutes": 120,
        "max_participants": 12,
        "price_model": PriceModel.PER_PARTICIPANT,
        "price_cents": 39500,
        "vat_treatment": VatTreatment.EXEMPT_EDUCATION,
        "roles": [(TrainerKind.TRAINER, 1, 1)],
    },
    {
        "name": "Omgaan met online haat",
        "description": "Voor de hele raad: herkennen, documenteren, melden en niet alleen blijven staan.",
        "stage": Stage.FOLLOW_UP,
        "audience": Audience.WHOLE_COUNCIL,
        "duration_minutes": 150,
        "max_participants": 50,
        "price_model": PriceModel.PER_SESSION,
        "price_cents": 245000,
        "vat_treatment": VatTreatment.STANDARD,
        "roles": [(TrainerKind.TRAINER, 1, 2), (TrainerKind.EXPERT, 0, 1)],
    },
    {
        "name": "Veilig thuis en op straat",
        "description": "Voor een groep: praktische veiligheid rond huis, gezin en onderweg, met een "
        "veiligheidsexpert.",
        "stage": Stage.FOLLOW_UP,
        "audience": Audience.GROUP,
        "duration_minutes": 120,
        "max_participants": 20,
        "price_model": PriceModel.PER_PARTICIPANT,
        "price_cents": 18500,
        "vat_treatment": VatTreatment.EXEMPT_EDUCATION,
        "roles": [(TrainerKind.EXPERT, 1, 1)],
    },
    {
        "name": "Voorzitten onder druk",
        "description": "Voor voorzitters: een vergadering leiden als de sfeer grimmig wordt, met oefeningen.",
        "stage": Stage.FOLLOW_UP,
        "audience": Audience.INDIVIDUALS,
        "duration_minutes": 180,
        "max_participants": 4,
        "price_model": PriceModel.PER_SESSION,
        "price_cents": 115000,
        "vat_treatment": VatTreatment.STANDARD,
        "roles": [(TrainerKind.TRAINER, 1, 1), (TrainerKind.PEER, 0, 1)],
    },
]


SPECIALTIES = [
    "Moderatie",
    "Agressie en intimidatie",
    "Online haat",
    "Persoonlijke veiligheid",
    "Groepsweerbaarheid",
    "Voorzitten onder druk",
]
#: (email, name, kind, specialties, province codes (empty: nationwide), home town, evenings only)
TRAINERS = [
    (
        "trainer@weerbaar.example",
        "Tamara Trainer",
        TrainerKind.TRAINER,
        ["Agressie en intimidatie", "Online haat"],
        [],
        "Utrecht",
        False,
    ),
    (
        "moderator@weerbaar.example",
        "Mohamed Moderator",
        TrainerKind.MODERATOR,
        ["Moderatie"],
        [],
        "Amersfoort",
        False,
    ),
    (
        "expert@weerbaar.example",
        "Eva de Expert",
        TrainerKind.EXPERT,
        ["Persoonlijke veiligheid"],
        ["PV26", "PV27", "PV28"],
        "Den Haag",
        False,
    ),
    (
        "trainer2@weerbaar.example",
        "Tom Timmermans",
        TrainerKind.TRAINER,
        ["Groepsweerbaarheid", "Voorzitten onder druk"],
        ["PV27", "PV28"],
        "Haarlem",
        True,
    ),
    (
        "peer@weerbaar.example",
        "Petra Post",
        TrainerKind.PEER,
        ["Agressie en intimidatie"],
        [],
        "Zwolle",
        True,
    ),
    ("coordinator@weerbaar.example", "", TrainerKind.COORDINATOR, [], [], "Den Haag", False),
]
#: Offering name -> the specialties it calls for.
OFFERING_SPECIALTIES = {
    "Omgaan met agressie en intimidatie": ["Agressie en intimidatie", "Moderatie"],
    "Persoonlijke weerbaarheid": ["Persoonlijke veiligheid", "Groepsweerbaarheid"],
    "Omgaan met online haat": ["Online haat"],
    "Veilig thuis en op straat": ["Persoonlijke veiligheid"],
    "Voorzitten onder druk": ["Voorzitten onder druk"],
}


async def _load_trainers() -> dict[str, User]:
    specialties = {name: await Specialty.create(name=name) for name in SPECIALTIES}
    provinces = {o.cbs_code: o for o in await Organisation.filter(kind="province")}
    users = {}
    for email, name, kind, skills, province_codes, town, evenings_only in TRAINERS:
        user = await User.get_or_none(email=email)
        if user is None:
            user = await User.create(email=email, name=name, role=Role.TRAINER)
        parts = ("evening",) if evenings_only else ("afternoon", "evening")
        profile = await TrainerProfile.create(
            user=user,
            kind=kind,
            home_town=town,
            max_sessions_per_month=6,
            weekly_availability=[f"{day}_{part}" for day in WEEKDAYS[:5] for part in parts],
        )
        await DayRate.create(trainer=user, valid_from=date(1900, 1, 1), day_rate_cents=65000)
        await profile.specialties.add(*(specialties[s] for s in skills))
        if province_codes:
            await profile.provinces.add(*(provinces[c] for c in province_codes if c in provinces))
        users[email] = user
    for offering in await Offering.all():
        for name in OFFERING_SPECIALTIES.get(offering.name, []):
            await OfferingSpecialty.create(offering=offering, specialty=specialties[name])
    return users


def _at(days_ahead: int, hour: int, now: datetime) -> datetime:
    """That hour on the day `days_ahead` from now, or on the first later day that is no public holiday."""
    day = first_day_without_holiday((now.astimezone(AMSTERDAM) + timedelta(days=days_ahead)).date())
    return datetime.combine(day, time(hour, 0), tzinfo=AMSTERDAM)


async def load_bookings_demo(now: datetime | None = None) -> None:
    """The catalogue, trainers with profiles, tour invitations and three bookings (delivered intake,
    requested free session, confirmed paid training with its trainer); dates relative to `now`.
    Does nothing when offerings exist."""
    if await Offering.exists():
        return
    now = now or clock.now()
    async with in_transaction():
        offerings = {}
        for entry in CATALOGUE:
            values = {k: v for k, v in entry.items() if k != "roles"}
            offering = await Offering.create(**values)
            for kind, low, high in entry["roles"]:  # type: ignore[attr-defined]
                await OfferingRole.create(offering=offering, kind=kind, min_count=low, max_count=high)
            offerings[offering.stage, offering.name] = offering
        coordinator = await User.get(email="coordinator@weerbaar.example")
        amsterdam = await Organisation.get(cbs_code="GM0363")
        utrecht = await Organisation.get(cbs_code="GM0344")
        amsterdam_clerk = await User.get(email="griffier.amsterdam@weerbaar.example")
        utrecht_clerk = await User.get(email="griffier.utrecht@weerbaar.example")
        await load_demo_contacts()
        for organisation in (amsterdam, utrecht):
            await TourInvitation.create(
                organisation=organisation, invited_by=coordinator, recipients=1, booked_at=now
            )
        common = {
            "part_of_day": PartOfDay.EVENING,
            "special_needs": "",
            "themes": ["bedreiging", "online"],
        }
        intake = offerings[Stage.INTAKE, "Kennismaking en intake"]
        delivered = await Booking.create(
            reference="WB-DEMO01",
            organisation=amsterdam,
            offering=intake,
            requested_by=amsterdam_clerk,
            status=BookingStatus.DELIVERED,
            local_situation="Raadsleden krijgen na debatten over opvang "
            "bedreigende berichten; twee raadsleden overwegen te stoppen.",
            expected_participants=3,
            location_address="Stadhuis, Amstel 1, Amsterdam",
            contact_name="Gijs Griffier",
            contact_phone="+31 20 123 4567",
            price_model=intake.price_model,
            unit_price_cents=0,
            vat_treatment=intake.vat_treatment,
            starts_at=_at(-10, 14, now),
            ends_at=_at(-10, 14, now) + timedelta(minutes=90),
            participants_count=3,
            delivered_at=_at(-10, 16, now),
            **{**common, "part_of_day": PartOfDay.AFTERNOON},
        )
        session = offerings[Stage.COUNCIL_SESSION, "Omgaan met agressie en intimidatie"]
        requested = await Booking.create(
            reference="WB-DEMO02",
            organisation=amsterdam,
            offering=session,
            requested_by=amsterdam_clerk,
            local_situation="Na de intake: de hele raad wil oefenen met reageren op intimidatie.",
            expected_participants=45,
            location_address="Stadhuis, Amstel 1, Amsterdam",
            contact_name="Gijs Griffier",
            contact_phone="+31 20 123 4567",
            price_model=session.price_model,
            unit_price_cents=0,
            vat_treatment=session.vat_treatment,
            council_term_start=datetime(2026, 4, 1).date(),
            **common,
        )
        await PreferredSlot.create(booking=requested, position=1, starts_at=_at(35, 19, now))
        await PreferredSlot.create(booking=requested, position=2, starts_at=_at(42, 19, now))
        training = offerings[Stage.FOLLOW_UP, "Omgaan met online haat"]
        confirmed = await Booking.create(
            reference="WB-DEMO03",
            organisation=utrecht,
            offering=training,
            requested_by=utrecht_clerk,
            status=BookingStatus.CONFIRMED,
            local_situation="Veel online haat na een besluit over windmolens.",
            expected_participants=39,
            location_address="Stadskantoor, Stadsplateau 1, Utrecht",
            contact_name="Grietje van Dijk",
            contact_phone="+31 30 286 0000",
            price_model=training.price_model,
            unit_price_cents=training.price_cents,
            vat_treatment=training.vat_treatment,
            po_number="PO-2026-118",
            invoice_email="facturen@utrecht.example",
            starts_at=_at(42, 19, now),
            ends_at=_at(42, 19, now) + timedelta(minutes=150),
            **common,
        )
        trainers = await _load_trainers()
        for booking, trainer, kind in (
            (delivered, trainers["coordinator@weerbaar.example"], TrainerKind.COORDINATOR),
            (confirmed, trainers["trainer@weerbaar.example"], TrainerKind.TRAINER),
        ):
            await AssignmentRequest.create(
                booking=booking,
                trainer=trainer,
                kind=kind,
                status=RequestStatus.ACCEPTED,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                answered_at=now,
                asked_by=coordinator,
            )
        for booking, actions in (
            (delivered, ["booking_requested", "booking_scheduled", "booking_confirmed", "booking_delivered"]),
            (requested, ["booking_requested"]),
            (confirmed, ["booking_requested", "booking_scheduled", "booking_confirmed"]),
        ):
            for action in actions:
                await record(coordinator if action != "booking_requested" else None, action, booking, "demo")
