"""Demo invoices: the team's details, and issued invoices at 21 % and VAT-exempt, a paid one, a
partially paid one, an overdue one, a credit note, a partial credit note with its re-invoice, a draft
and an issued free-standing invoice (travel costs and materials for a booking), so a new user sees
every case. Loaded after the bookings demo."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bookings.models import Booking, BookingStatus, Offering, PartOfDay
from invoicing import credits, drafts, free, issuing, payments
from invoicing.credits import CreditPart
from invoicing.document import VatCategory
from invoicing.fee_statement_demo import load_fee_statement_demo
from invoicing.models import Invoice, InvoiceLine, SellerSettings
from server import clock
from server.models import Organisation
from server.templating import AMSTERDAM, format_local_date

SELLER = {
    "legal_name": "Ondersteuningsteam Weerbaar Bestuur",
    "street": "Lange Voorhout 1",
    "postcode": "2514 EA",
    "city": "Den Haag",
    "kvk": "12345678",
    "vat_id": "NL123456782B01",
    "iban": "NL91ABNA0417164300",
    "invoice_email": "facturen@weerbaar.example",
}


async def _delivered(code: str, offering_name: str, days_ago: int, participants: int, number: int) -> Booking:
    organisation = await Organisation.get(cbs_code=code)
    offering = await Offering.get(name=offering_name)
    day = clock.local_today() - timedelta(days=days_ago)
    starts_at = datetime.combine(day, time(19, 30), tzinfo=AMSTERDAM)
    return await Booking.create(
        reference=f"WB-FACT{number:02d}",
        organisation=organisation,
        offering=offering,
        status=BookingStatus.DELIVERED,
        local_situation="Demo",
        expected_participants=participants,
        participants_count=participants,
        part_of_day=PartOfDay.EVENING,
        location_address="Raadhuis",
        contact_name="Griffie",
        contact_phone="000",
        price_model=offering.price_model,
        unit_price_cents=offering.price_cents,
        vat_treatment=offering.vat_treatment,
        po_number=f"PO-2026-{number:03d}",
        invoice_email=organisation.invoice_email or "facturen@example.org",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=offering.duration_minutes),
        delivered_at=starts_at,
    )


async def load_invoicing_demo() -> None:
    """Does nothing when the team's details exist."""
    if await SellerSettings.exists():
        return
    await SellerSettings.create(id=1, **SELLER)
    await Organisation.filter(cbs_code="GM0344").update(
        invoice_street="Stadsplateau 1",
        invoice_postcode="3521 AZ",
        invoice_city="Utrecht",
        invoice_email="facturen@utrecht.example",
        oin="00000001002220647000",
    )
    today = clock.local_today()
    cases = [
        ("GM0363", "Omgaan met online haat", 75, 38, "paid"),  # 21 %, paid
        ("GM0344", "Persoonlijke weerbaarheid", 60, 9, "overdue"),  # exempt, past its due date
        ("GM0344", "Voorzitten onder druk", 20, 2, "credited"),  # 21 %, credited
        ("GM0363", "Veilig thuis en op straat", 5, 14, "issued"),  # exempt, open
        ("GM0344", "Omgaan met online haat", 3, 30, "draft"),  # 21 %, waiting to be issued
        ("GM0363", "Voorzitten onder druk", 25, 12, "partly paid"),  # 21 %, a part paid
        ("GM0344", "Omgaan met online haat", 15, 16, "travel credited"),  # partial credit, re-invoiced
    ]
    for number, (code, offering, days_ago, participants, outcome) in enumerate(cases, start=1):
        booking = await _delivered(code, offering, days_ago, participants, number)
        if number == 1:
            await _free_standing(booking, 10)
        draft = await drafts.create_draft_for_booking(booking.id)
        if outcome == "draft":
            continue
        if outcome == "travel credited":
            await InvoiceLine.create(
                invoice=draft,
                position=2,
                description="Reiskosten",
                quantity=1,
                unit_price_cents=9500,
                vat_category=VatCategory.STANDARD,
                vat_percent=21,
            )
        issue_day = today - timedelta(days=days_ago - 2)
        issued = await issuing.issue_invoice(draft.id, actor=None, today=issue_day)
        if outcome == "paid":
            await payments.record_payment(
                issued.id,
                None,
                today - timedelta(days=40),
                "NL12RABO0123456789 Gemeente Zaanstad",
                actor=None,
            )
        elif outcome == "partly paid":
            await payments.record_payment(
                issued.id,
                issued.gross_cents // 2,
                issue_day + timedelta(days=5),
                "Termijn 1 van 2",
                actor=None,
            )
        elif outcome == "credited":
            await credits.credit_invoice(
                issued.id,
                None,
                reason="Training gaat niet door",
                actor=None,
                today=today - timedelta(days=10),
            )
        elif outcome == "travel credited":
            await _credit_travel_and_invoice_again(issued, today)

    await load_fee_statement_demo()


async def _free_standing(booking: Booking, days_ago: int) -> None:
    """Travel costs and workbooks billed on their own, for a demo booking (made by the system, as the
    demo has no users yet)."""
    organisation = await Organisation.get(id=booking.organisation_id)  # type: ignore[attr-defined]
    values = {
        "organisation": organisation.cbs_code,
        "booking": booking.reference,
        "note": f"Reiskosten en werkboeken bij de training van {format_local_date(booking.starts_at)}",
        "description": "Reiskosten trainers, 2 x 96 km",
        "quantity": "192",
        "unit_price": "0,23",
        "vat": "S21",
    }
    draft = await free.create_free_draft(values, actor=None)
    await InvoiceLine.create(
        invoice=draft,
        position=2,
        description="Werkboek Weerbaar Bestuur",
        quantity=38,
        unit_price_cents=12_50,
        vat_category=VatCategory.EXEMPT,
        vat_percent=0,
    )
    await issuing.issue_invoice(draft.id, actor=None, today=clock.local_today() - timedelta(days=days_ago))


async def _credit_travel_and_invoice_again(invoice: Invoice, today: date) -> None:
    """The travel costs were too high: credited, then invoiced again with the right amount."""
    travel = await InvoiceLine.get(invoice=invoice, description="Reiskosten")
    credit_day = today - timedelta(days=5)
    note = await credits.credit_invoice(
        invoice.id,
        [CreditPart(travel.id)],
        reason="Reiskosten te hoog berekend",
        actor=None,
        today=credit_day,
    )
    again = await credits.invoice_again(note.id, actor=None)
    await InvoiceLine.filter(invoice=again).update(unit_price_cents=4750)
    await issuing.issue_invoice(again.id, actor=None, today=credit_day)
