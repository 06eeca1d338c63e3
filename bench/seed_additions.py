"""What the load tests add to a seeded database for their writes, kept apart from `bench.seed.seed`:
open requests to accept (a booking from 2028 on with one pending request each) and drafts to issue.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from tortoise import timezone
from tortoise.transactions import in_transaction

from bench.seed_rows import Ids, insert, local, reference, reset_sequences, token_hash
from bookings.models import Booking, BookingStatus, Offering, PartOfDay, TrainerKind
from bookings.staffing_models import AssignmentRequest, TrainerProfile
from invoicing.document import VatCategory
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from reporting.figures import refresh_figures
from server.models import Organisation, OrganisationKind
from server.unique_codes import ALPHABET, LENGTH

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
