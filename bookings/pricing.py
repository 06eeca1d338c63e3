"""Prices of offerings and bookings in integer cents, with VAT per the offering's treatment."""

from __future__ import annotations

from dataclasses import dataclass

from bookings.models import PriceModel, VatTreatment


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
