"""The content of an issued invoice or credit note, frozen at issue.

Everything the PDF and the UBL file show comes from here: the seller's and buyer's details, the
lines, the VAT per rate and the totals, copied when the document is issued so that it never
changes afterwards. Amounts are integer cents; VAT is rounded per VAT category and rate (BR-CO-17).

Every text is cleaned when a document, party or line is made (`invoicing.text`): the PDF and the UBL
file are written from these objects only, so no control character or stray line break reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum

from invoicing.text import multi_line, single_line


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class VatCategory(StrEnum):
    """UNCL5305 codes used here: S (standard rate) and E (exempt, education)."""

    STANDARD = "S"
    EXEMPT = "E"


EXEMPTION_REASON_CODE = "VATEX-EU-132-1I"
EXEMPTION_REASON = "Vrijgesteld van btw op grond van art. 11 lid 1 onderdeel o Wet OB 1968"


def _clean_texts(instance: object, *names: str) -> None:
    """Replace each named text field of a frozen dataclass by its clean single line."""
    for name in names:
        object.__setattr__(instance, name, single_line(getattr(instance, name)))


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    postcode: str
    city: str
    country: str = "NL"
    email: str = ""

    def __post_init__(self) -> None:
        _clean_texts(self, *(f.name for f in fields(self) if isinstance(getattr(self, f.name), str)))


@dataclass(frozen=True)
class Seller(Party):
    kvk: str = ""  # 8 digits (scheme 0106)
    vat_id: str = ""  # NL...B..
    iban: str = ""


@dataclass(frozen=True)
class Buyer(Party):
    oin: str = ""  # 20 digits (scheme 0190)


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price_cents: int
    vat_category: VatCategory
    vat_percent: int
    unit_code: str = "C62"  # piece; HUR hour, DAY day

    def __post_init__(self) -> None:
        _clean_texts(self, "description")

    @property
    def net_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class VatBreakdown:
    category: VatCategory
    percent: int
    taxable_cents: int

    @property
    def vat_cents(self) -> int:
        """Rounded half up per category and rate, on the category's total (never per line)."""
        return (self.taxable_cents * self.percent + 50) // 100


@dataclass(frozen=True)
class InvoiceDocument:
    kind: DocumentKind
    number: str
    issue_date: date
    due_date: date
    delivery_date: date
    seller: Seller
    buyer: Buyer
    lines: tuple[Line, ...]
    order_reference: str = ""  # the buyer's purchase-order number (inkoopordernummer)
    note: str = ""
    credited_invoice_number: str = ""  # credit notes: the invoice they correct
    payment_reference: str = ""  # defaults to the number
    breakdown: tuple[VatBreakdown, ...] = field(init=False)

    def __post_init__(self) -> None:
        _clean_texts(self, "number", "order_reference", "credited_invoice_number", "payment_reference")
        object.__setattr__(self, "note", multi_line(self.note))
        groups: dict[tuple[VatCategory, int], int] = {}
        for line in self.lines:
            key = (line.vat_category, line.vat_percent)
            groups[key] = groups.get(key, 0) + line.net_cents
        breakdown = tuple(VatBreakdown(c, p, t) for (c, p), t in sorted(groups.items()))
        object.__setattr__(self, "breakdown", breakdown)

    @property
    def net_cents(self) -> int:
        return sum(line.net_cents for line in self.lines)

    @property
    def vat_cents(self) -> int:
        return sum(b.vat_cents for b in self.breakdown)

    @property
    def gross_cents(self) -> int:
        return self.net_cents + self.vat_cents

    @property
    def reference_for_payment(self) -> str:
        return self.payment_reference or self.number
