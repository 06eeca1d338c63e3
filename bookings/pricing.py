"""Prices of offerings and bookings in integer cents, with VAT per the offering's treatment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bookings.models import Booking, PriceModel, VatTreatment


@dataclass(frozen=True)
class Price:
    unit_cents: int
    quantity: int
    vat_percent: int

    @property
    def net_cents(self) -> int:
        return self.unit_cents * self.quantity

    @property
    def vat_cents(self) -> int:
        """VAT on the total, rounded half up to a whole cent (as the invoice will)."""
        return (self.net_cents * self.vat_percent + 50) // 100

    @property
    def gross_cents(self) -> int:
        return self.net_cents + self.vat_cents

    @property
    def is_free(self) -> bool:
        return self.net_cents == 0


def price_of(price_model: PriceModel, unit_cents: int, vat: VatTreatment, participants: int) -> Price:
    """The price of one session: a fixed price, or the unit price times the participants."""
    if price_model is PriceModel.FREE:
        return Price(unit_cents=0, quantity=1, vat_percent=0)
    quantity = max(participants, 1) if price_model is PriceModel.PER_PARTICIPANT else 1
    return Price(unit_cents=unit_cents, quantity=quantity, vat_percent=vat.rate_percent)


def parse_euros(raw: str, *, maximum_cents: int) -> int | None:
    """An amount as typed ('1.250,50', '650,00', '650.5', '650') in cents; '' is 0; None when it is
    no amount, negative, has more than two decimals or exceeds the maximum."""
    cleaned = raw.strip().replace("€", "").replace(" ", "")
    if not cleaned:
        return 0
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount * 100 > maximum_cents:
        return None  # checked before quantize, which refuses a number as large as 1e309
    if amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def euros_for_form(cents: int) -> str:
    """Cents as a form shows them: 65000 -> '650,00'; 0 -> ''."""
    return f"{Decimal(cents) / 100:.2f}".replace(".", ",") if cents else ""


def booking_price(booking: Booking) -> Price:
    return price_of(
        booking.price_model,
        booking.unit_price_cents,
        booking.vat_treatment,
        booking.participants_count or booking.expected_participants,
    )
