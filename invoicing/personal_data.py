"""The personal data of invoicing: who issued an invoice. Invoices themselves stay seven years."""

from __future__ import annotations

from invoicing.fee_statement_models import FeeStatement, FeeStatementLine
from invoicing.models import Invoice, InvoiceBatch, InvoiceCounter, InvoiceLine, Payment, SellerSettings
from server.i18n import lazy_gettext
from server.models import User
from server.privacy import Entry, NoPersonalData, PersonalData, Rows, keep_link


async def _issued_invoices(user: User) -> Rows:
    return await Invoice.filter(issued_by_id=user.id).values("number", "kind", "issue_date", "issued_at")


async def _batches(user: User) -> Rows:
    return await InvoiceBatch.filter(started_by_id=user.id).values("started_at", "issue_date", "total")


async def _recorded_payments(user: User) -> Rows:
    return await Payment.filter(recorded_by_id=user.id).values(
        "invoice__number", "amount_cents", "paid_on", "recorded_at"
    )


async def _fee_statements(user: User) -> Rows:
    return await FeeStatement.filter(trainer_id=user.id).values(
        "month", "status", "fee_cents", "travel_cents", "vat_cents", "total_cents", "approved_at"
    )


async def _anonymise_fee_statements(user: User) -> int:
    """The amounts stay seven years; the copied name and the stored PDF (which shows it) go."""
    return await FeeStatement.filter(trainer_id=user.id).update(trainer_name="", pdf=None)


ENTRIES: list[Entry] = [
    PersonalData(
        InvoiceBatch,
        "facturen in één keer uitgereikt",
        ("started_by",),
        _batches,
        keep_link,
        lazy_gettext("Zoals de facturen zelf; wie de reeks startte wordt bij wissen anoniem."),
    ),
    PersonalData(
        Payment,
        "vastgelegde betalingen",
        ("recorded_by",),
        _recorded_payments,
        keep_link,
        lazy_gettext(
            "Zeven jaar (fiscale bewaarplicht), met de factuur; wie de betaling vastlegde wordt bij "
            "wissen anoniem. De bankafschriftregel noemt de betalende organisatie."
        ),
        reviewed=("reference",),
    ),
    NoPersonalData(
        FeeStatementLine,
        lazy_gettext("Sessies, uren en bedragen van een declaratie; bewaard met de declaratie."),
        reviewed=("description", "travel_note"),
    ),
    PersonalData(
        FeeStatement,
        "declaraties",
        ("trainer", "trainer_name", "submitted_by", "approved_by"),
        _fee_statements,
        _anonymise_fee_statements,
        lazy_gettext(
            "Zeven jaar (fiscale bewaarplicht) voor de bedragen; bij wissen gaan de naam en de pdf eruit "
            "en wordt de trainer anoniem."
        ),
    ),
    NoPersonalData(
        SellerSettings,
        lazy_gettext("De gegevens van het team als verkoper."),
        reviewed=("legal_name", "street", "postcode", "city", "invoice_email"),
    ),
    NoPersonalData(InvoiceCounter, lazy_gettext("De teller van de factuurnummers.")),
    NoPersonalData(InvoiceLine, lazy_gettext("Regels van een factuur; bewaard met de factuur.")),
    PersonalData(
        Invoice,
        "facturen",
        ("issued_by",),
        _issued_invoices,
        keep_link,
        lazy_gettext(
            "Zeven jaar (fiscale bewaarplicht); een factuur verandert na uitreiken niet, ook niet bij "
            "wissen. Wie de factuur uitreikte wordt bij wissen anoniem."
        ),
    ),
]
