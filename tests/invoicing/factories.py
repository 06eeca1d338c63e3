"""Factories for invoicing tests: an organisation with complete billing details, a delivered training."""

from __future__ import annotations

from datetime import date, timedelta

from bookings.models import Booking, BookingStatus, PriceModel, Stage, VatTreatment
from invoicing.models import SellerSettings
from server import clock
from server.models import Organisation
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation

TODAY = date(2026, 11, 24)


async def billed_organisation(**overrides: object) -> Organisation:
    values: dict[str, object] = {
        "name": "Zeist",
        "invoice_street": "Slotlaan 1",
        "invoice_postcode": "3701 GG",
        "invoice_city": "Zeist",
        "invoice_email": "facturen@zeist.nl",
        "oin": "00000001234567890000",
    }
    values.update(overrides)
    return await make_organisation(**values)


async def delivered_training(organisation: Organisation | None = None, **overrides: object) -> Booking:
    offering = await make_offering(
        name="Omgaan met online haat",
        stage=Stage.FOLLOW_UP,
        price_model=PriceModel.PER_PARTICIPANT,
        price_cents=18500,
        vat_treatment=VatTreatment.STANDARD,
    )
    values: dict[str, object] = {
        "organisation": organisation or await billed_organisation(),
        "offering": offering,
        "status": BookingStatus.DELIVERED,
        "starts_at": clock.now() - timedelta(days=3),
        "participants_count": 12,
        "po_number": "4500012345",
    }
    values.update(overrides)
    return await make_booking(**values)


async def complete_seller_settings() -> SellerSettings:
    """The team's details, complete enough to issue invoices."""
    return await SellerSettings.create(
        id=1,
        legal_name="Ondersteuningsteam Weerbaar Bestuur",
        street="Lange Voorhout 1",
        postcode="2514 EA",
        city="Den Haag",
        kvk="12345678",
        vat_id="NL123456782B01",
        iban="NL91ABNA0417164300",
        invoice_email="facturen@weerbaar.example",
    )
