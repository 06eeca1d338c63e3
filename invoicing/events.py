"""The webhook event of an issued invoice or credit note (server.webhooks), recorded in the issuing
transaction: number, kind, dates and amounts, no names or addresses."""

from __future__ import annotations

from invoicing.models import Invoice
from server.webhooks import record_event


async def announce_issued(invoice: Invoice) -> None:
    await record_event(
        "invoice.issued",
        invoice.number or "",
        {
            "number": invoice.number,
            "kind": str(invoice.kind),
            "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
            "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
            "net_cents": invoice.net_cents,
            "vat_cents": invoice.vat_cents,
            "gross_cents": invoice.gross_cents,
            "currency": "EUR",
        },
        invoice.organisation_id,  # type: ignore[attr-defined]
        path=f"/financien/facturen/{invoice.id}",
    )
