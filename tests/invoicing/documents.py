"""Invoice documents built in memory (no database), for the PDF and UBL tests and bench/pdf.py."""

from __future__ import annotations

from datetime import date

from invoicing.document import Buyer, DocumentKind, InvoiceDocument, Line, Seller, VatCategory

SELLER = Seller(
    name="Ondersteuningsteam Weerbaar Bestuur",
    street="Postbus 20011",
    postcode="2500 EA",
    city="Den Haag",
    email="facturen@weerbaarbestuur.nl",
    kvk="12345678",
    vat_id="NL123456782B01",
    iban="NL91ABNA0417164300",
)
BUYER = Buyer(
    name="Gemeente Utrecht",
    street="Stadsplateau 1",
    postcode="3521 AZ",
    city="Utrecht",
    oin="00000001234567890000",  # as in ../shared/einvoice/example-invoice.xml
)


def make_document(*lines: Line, **overrides: object) -> InvoiceDocument:
    """An invoice from the team to Utrecht: one training at 21 % unless `lines` are given."""
    values: dict[str, object] = {
        "kind": DocumentKind.INVOICE,
        "number": "2026-000123",
        "issue_date": date(2026, 11, 23),
        "due_date": date(2026, 12, 23),
        "delivery_date": date(2026, 11, 12),
        "seller": SELLER,
        "buyer": BUYER,
        "lines": lines or (Line("Training Digitale Toegankelijkheid", 10, 100_00, VatCategory.STANDARD, 21),),
        "order_reference": "4500012345",
        "note": "Training Digitale Toegankelijkheid op 12 november 2026",
    }
    values.update(overrides)
    return InvoiceDocument(**values)  # type: ignore[arg-type]
