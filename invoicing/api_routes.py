"""API v1: invoices and credit notes for finance, coordinators and the buyer's clerk (issued ones only),
with the stored PDF and UBL, through the same queries as the finance pages."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from invoicing import documents, queries
from invoicing.models import Invoice, InvoiceStatus
from invoicing.numbering import file_name
from server.api import PAGING_PARAMS, ApiCall, Operation, cursor, list_schema, page_of, page_size
from server.downloads import download
from server.errors import NotFound
from server.i18n import _
from server.models import ApiScope, Role

INVOICE = {
    "type": "object",
    "required": ["id", "number", "kind", "status", "organisationCode", "issueDate", "dueDate", "grossCents"],
    "properties": {
        "id": {"type": "integer"},
        "number": {"type": "string", "nullable": True},
        "kind": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in InvoiceStatus]},
        "organisationCode": {"type": "string"},
        "issueDate": {"type": "string", "format": "date", "nullable": True},
        "dueDate": {"type": "string", "format": "date", "nullable": True},
        "netCents": {"type": "integer"},
        "vatCents": {"type": "integer"},
        "grossCents": {"type": "integer", "description": "Totaal in eurocent, inclusief btw."},
    },
}
HOLDERS = frozenset({Role.FINANCE, Role.COORDINATOR, Role.CLERK})


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "kind": invoice.kind.value,
        "status": invoice.status.value,
        "organisationCode": invoice.organisation.cbs_code,
        "issueDate": invoice.issue_date,
        "dueDate": invoice.due_date,
        "netCents": invoice.net_cents,
        "vatCents": invoice.vat_cents,
        "grossCents": invoice.gross_cents,
    }


async def list_invoices(call: ApiCall) -> dict[str, Any]:
    """Newest first; a clerk only the issued invoices of their organisation."""
    size = page_size(call)
    query = Invoice.all().select_related("organisation").order_by("-id")
    if call.user.role is Role.CLERK:
        query = query.filter(organisation_id=call.user.organisation_id).exclude(status=InvoiceStatus.DRAFT)  # type: ignore[attr-defined]
    if (before := cursor(call)) is not None:
        query = query.filter(id__lt=before)
    rows = await query.limit(size + 1)
    return page_of([invoice_json(i) for i in rows], [i.id for i in rows], size)


async def read_invoice(call: ApiCall) -> dict[str, Any]:
    invoice = await queries.invoice_for(call.user, call.path["invoiceId"], with_documents=True)
    return invoice_json(invoice)


async def _file(call: ApiCall, kind: str) -> Response:
    invoice = await queries.invoice_for(call.user, call.path["invoiceId"], with_documents=True)
    if invoice.status is InvoiceStatus.DRAFT:
        raise NotFound(_("Een concept heeft nog geen documenten."))
    invoice = await documents.with_documents(invoice)
    content, media_type = (
        (invoice.pdf, "application/pdf") if kind == "pdf" else (invoice.ubl, "application/xml")
    )
    return download(bytes(content), media_type, file_name(invoice.number or "", kind))


async def invoice_pdf(call: ApiCall) -> Response:
    return await _file(call, "pdf")


async def invoice_ubl(call: ApiCall) -> Response:
    return await _file(call, "xml")


operations = [
    Operation(
        "GET",
        "/invoices",
        "listInvoices",
        "Facturen en creditnota's",
        "facturen",
        ApiScope.INVOICES,
        HOLDERS,
        list_invoices,
        list_schema(INVOICE),
        query=PAGING_PARAMS,
        description="Nieuwste eerst. Een griffier ziet alleen uitgegeven facturen van de eigen organisatie.",
    ),
    Operation(
        "GET",
        "/invoices/{invoiceId:int}",
        "readInvoice",
        "Eén factuur",
        "facturen",
        ApiScope.INVOICES,
        HOLDERS,
        read_invoice,
        INVOICE,
    ),
    Operation(
        "GET",
        "/invoices/{invoiceId:int}/pdf",
        "downloadInvoicePdf",
        "De factuur als PDF/A-3",
        "facturen",
        ApiScope.INVOICES,
        HOLDERS,
        invoice_pdf,
        None,
        media_type="application/pdf",
    ),
    Operation(
        "GET",
        "/invoices/{invoiceId:int}/ubl",
        "downloadInvoiceUbl",
        "De e-factuur (UBL, Peppol BIS 3.0)",
        "facturen",
        ApiScope.INVOICES,
        HOLDERS,
        invoice_ubl,
        None,
        media_type="application/xml",
    ),
]
