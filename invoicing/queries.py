"""Reading invoices: the finance list with filters and totals, one invoice, who may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q

from invoicing.document import DocumentKind
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from server.errors import NotFound
from server.models import Organisation, Role, User

PAGE_SIZE = 50
FILTER_STATUSES = ("draft", "issued", "sent", "paid", "overdue", "credited")


@dataclass(frozen=True)
class InvoiceFilters:
    status: str = ""
    year: int | None = None
    organisation: str = ""
    province: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str]) -> InvoiceFilters:
        status = query.get("status", "")
        year = query.get("jaar", "")
        return cls(
            status=status if status in FILTER_STATUSES else "",
            year=int(year) if year.isdigit() and len(year) == 4 else None,
            organisation=query.get("organisatie", "").strip()[:100],
            province=query.get("provincie", "")[:6],
        )


@dataclass(frozen=True)
class InvoiceList:
    invoices: list[Invoice]
    has_next: bool
    net_cents: int
    vat_cents: int
    gross_cents: int


async def invoice_list(filters: InvoiceFilters, page: int, today: date) -> InvoiceList:
    query = Invoice.all()
    if filters.status == "overdue":
        query = query.filter(status__in=(InvoiceStatus.ISSUED, InvoiceStatus.SENT), due_date__lt=today)
    elif filters.status:
        query = query.filter(status=filters.status)
    if filters.year:
        query = query.filter(Q(issue_date__year=filters.year) | Q(issue_date__isnull=True))
    if filters.organisation:
        query = query.filter(
            Q(organisation__name__icontains=filters.organisation)
            | Q(organisation__cbs_code=filters.organisation.upper())
        )
    if filters.province:
        query = query.filter(
            Q(organisation__province__cbs_code=filters.province) | Q(organisation__cbs_code=filters.province)
        )
    totals = await query.filter(kind=DocumentKind.INVOICE).values_list(
        "net_cents", "vat_cents", "gross_cents"
    )
    credits = await query.filter(kind=DocumentKind.CREDIT_NOTE).values_list(
        "net_cents", "vat_cents", "gross_cents"
    )
    sums = [sum(row[i] for row in totals) - sum(row[i] for row in credits) for i in range(3)]
    rows = (
        await query.select_related("organisation", "booking")
        .order_by("-issue_date", "-id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    return InvoiceList(rows[:PAGE_SIZE], len(rows) > PAGE_SIZE, *sums)


async def invoice_for(user: User, invoice_id: int) -> Invoice:
    """Finance and coordinators see every invoice; a clerk only issued ones of their organisation."""
    invoice = await Invoice.get_or_none(id=invoice_id).select_related(
        "organisation", "booking", "credited_invoice"
    )
    if invoice is None:
        raise NotFound()
    if user.role is Role.CLERK:
        if invoice.organisation_id != user.organisation_id or invoice.is_draft:  # type: ignore[attr-defined]
            raise NotFound()
    elif user.role not in (Role.FINANCE, Role.COORDINATOR):
        raise NotFound()
    return invoice


async def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    return await InvoiceLine.filter(invoice=invoice).order_by("position")


async def invoices_of(organisation: Organisation) -> list[Invoice]:
    """What a clerk sees: the issued invoices and credit notes of their organisation."""
    return (
        await Invoice.filter(organisation=organisation)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("-issue_date")
    )
