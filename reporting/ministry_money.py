"""The money in the ministry's report: the costs of the free sessions and the revenue of a period."""

from __future__ import annotations

from tortoise.functions import Count, Sum

from invoicing import costs
from invoicing.document import DocumentKind
from invoicing.models import Invoice, InvoiceStatus
from reporting.ministry_figures import FreeSessionCosts, Revenue
from reporting.ministry_period import Period


async def free_session_costs(period: Period, cache: dict[int, costs.CostOverview]) -> FreeSessionCosts:
    """The costs of the period's free sessions (`invoicing.costs`), one cost overview per year in `cache`."""
    if period.year not in cache:
        cache[period.year] = await costs.free_session_costs(period.year)
    overview = cache[period.year]
    line = overview.total if period.quarter is None else overview.quarters[period.quarter - 1]
    return FreeSessionCosts(
        sessions=line.sessions,
        minutes=line.minutes,
        cost_cents=line.cost_cents,
        trainers_without_rate=overview.trainers_without_rate,
    )


async def revenue(period: Period) -> Revenue:
    """The issued invoices minus the credit notes with an issue date in the period."""
    rows = (
        await Invoice.filter(issue_date__gte=period.first_day, issue_date__lte=period.last_day)
        .exclude(status=InvoiceStatus.DRAFT)
        .annotate(n=Count("id"), net=Sum("net_cents"), vat=Sum("vat_cents"), gross=Sum("gross_cents"))
        .group_by("kind")
        .values_list("kind", "n", "net", "vat", "gross")
    )
    sums = {
        DocumentKind(kind): (n, int(net or 0), int(vat or 0), int(gross or 0))
        for kind, n, net, vat, gross in rows
    }
    invoices = sums.get(DocumentKind.INVOICE, (0, 0, 0, 0))
    credits = sums.get(DocumentKind.CREDIT_NOTE, (0, 0, 0, 0))
    return Revenue(
        invoices=invoices[0],
        credit_notes=credits[0],
        invoiced_net_cents=invoices[1],
        credited_net_cents=credits[1],
        net_cents=invoices[1] - credits[1],
        vat_cents=invoices[2] - credits[2],
        gross_cents=invoices[3] - credits[3],
    )
