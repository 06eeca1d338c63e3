"""Reading invoices: the finance list with filters and totals, one invoice, who may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Sum
from tortoise.models import Model

from bookings.models import Booking
from bookings.queries import organisation_search
from invoicing.document import DocumentKind
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from server.errors import NotFound
from server.models import Organisation, Role, User

PAGE_SIZE = 50
FILTER_STATUSES = ("draft", "issued", "sent", "paid", "overdue", "credited")
#: What the list shows, as plain values: not the stored PDF, UBL and frozen content, which are large.
LIST_COLUMNS = ("id", "number", "kind", "status", "issue_date", "due_date", "gross_cents")
LIST_RELATED = {"organisation_name": "organisation__name", "booking_reference": "booking__reference"}
LIST_ORDER = ("-issue_date", "-id")


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
    #: LIST_COLUMNS and LIST_RELATED per invoice, and is_draft.
    invoices: list[dict[str, Any]]
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
        # A date range, not `issue_date__year`: that becomes EXTRACT(YEAR ...), which SQLite does not
        # know, and a range can use an index on the issue date.
        in_year = Q(issue_date__gte=date(filters.year, 1, 1), issue_date__lt=date(filters.year + 1, 1, 1))
        query = query.filter(in_year | Q(issue_date__isnull=True))
    if filters.organisation:
        query = query.filter(organisation_search(filters.organisation, "organisation__"))
    if filters.province:
        query = query.filter(
            Q(organisation__province__cbs_code=filters.province) | Q(organisation__cbs_code=filters.province)
        )
    sums = dict.fromkeys(("net", "vat", "gross"), 0)
    for row in (
        await query.annotate(net=Sum("net_cents"), vat=Sum("vat_cents"), gross=Sum("gross_cents"))
        .group_by("kind")
        .values("kind", "net", "vat", "gross")
    ):
        sign = -1 if row["kind"] == DocumentKind.CREDIT_NOTE else 1
        for key in sums:
            sums[key] += sign * int(row[key] or 0)
    # The page's invoices are chosen first, without joins; only those are joined to their organisation
    # and booking (joining every invoice before sorting took most of the query's time).
    chosen = query.order_by(*LIST_ORDER).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1).values("id")
    rows = (
        await Invoice.filter(id__in=Subquery(chosen))
        .order_by(*LIST_ORDER)
        .values(*LIST_COLUMNS, **LIST_RELATED)
    )
    for row in rows:
        row["is_draft"] = row["status"] is InvoiceStatus.DRAFT
    return InvoiceList(rows[:PAGE_SIZE], len(rows) > PAGE_SIZE, sums["net"], sums["vat"], sums["gross"])


def _columns(model: type[Model], prefix: str = "", *, leave_out: tuple[str, ...] = ()) -> list[str]:
    """The model's columns without its foreign key ids (the detail reads the related objects instead)."""
    fields = model._meta.fields_map
    return [
        prefix + name
        for name in model._meta.fields_db_projection
        if name not in leave_out and getattr(fields[name], "reference", None) is None
    ]


#: The detail page: everything but the stored documents (the downloads read those).
DETAIL_COLUMNS = (
    *_columns(Invoice, leave_out=("pdf", "ubl", "content")),
    *_columns(Organisation, "organisation__"),
    *_columns(Booking, "booking__"),
    "credited_invoice__id",
    "credited_invoice__number",
    "linked_booking__id",
    "linked_booking__reference",
    "booking_id",  # Invoice.is_free_standing
    "after_credit_note__id",
    "after_credit_note__number",
)


async def invoice_for(user: User, invoice_id: int, *, with_documents: bool = False) -> Invoice:
    """Finance and coordinators see every invoice; a clerk only issued ones of their organisation.

    The stored PDF, UBL and frozen content are read only `with_documents`."""
    query = Invoice.get_or_none(id=invoice_id)
    if with_documents:
        invoice = await query.select_related(
            "organisation", "booking", "credited_invoice", "linked_booking", "after_credit_note"
        )
    else:
        invoice = await query.only(*DETAIL_COLUMNS)
    if invoice is None:
        raise NotFound()
    if user.role is Role.CLERK:
        if invoice.organisation.id != user.organisation_id or invoice.is_draft:  # type: ignore[attr-defined]
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
        .only("id", "number", "kind", "status", "issue_date", "due_date", "gross_cents")
        .order_by("-issue_date")
    )
