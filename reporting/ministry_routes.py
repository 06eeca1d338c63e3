"""The ministry's report per quarter and per year (page, PDF and CSV), for coordinators and finance
(who account for the revenue)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback.policy import FeedbackPolicy
from reporting import ministry_exports
from reporting.ministry import ministry_report
from reporting.ministry_period import Period, period_from_choice
from server import clock
from server.access import requires
from server.downloads import download
from server.errors import ValidationFailed
from server.i18n import lazy_gettext
from server.models import Role
from server.templating import local_time, render

READERS = (Role.COORDINATOR, Role.FINANCE)
YEARS_BACK = 5
QUARTERS = [
    ("", lazy_gettext("Heel jaar")),
    ("1", lazy_gettext("1e kwartaal (januari t/m maart)")),
    ("2", lazy_gettext("2e kwartaal (april t/m juni)")),
    ("3", lazy_gettext("3e kwartaal (juli t/m september)")),
    ("4", lazy_gettext("4e kwartaal (oktober t/m december)")),
]


def _policy(request: Request) -> FeedbackPolicy:
    return FeedbackPolicy.from_settings(request.app.state.settings)


@requires(*READERS)
async def report_page(request: Request) -> Response:
    """Without a choice: the last quarter that has ended."""
    this_year = local_time(clock.now()).year
    params = request.query_params
    chosen = {"jaar": params.get("jaar", ""), "kwartaal": params.get("kwartaal", "")}
    errors: dict[str, str] = {}
    period: Period | None = None
    if "jaar" in params or "kwartaal" in params:
        try:
            period = period_from_choice(chosen["jaar"], chosen["kwartaal"])
        except ValidationFailed as error:
            errors = error.errors
    else:
        period = Period.last_complete_quarter(clock.local_today())
        chosen = {"jaar": str(period.year), "kwartaal": str(period.quarter)}
    years = sorted({*range(this_year - YEARS_BACK, this_year + 1), *([period.year] if period else [])})
    return render(
        request,
        "reporting/ministry.html",
        {
            "report": await ministry_report(period, _policy(request)) if period else None,
            "years": [(str(year), str(year)) for year in reversed(years)],
            "quarters": QUARTERS,
            "chosen": chosen,
            "errors": errors,
        },
        status_code=400 if errors else 200,
    )


@requires(*READERS)
async def report_pdf(request: Request) -> Response:
    period = Period.parse(request.path_params["period"])
    content = await ministry_exports.report_pdf(period, _policy(request), actor=request.state.user)
    return download(content, "application/pdf", ministry_exports.filename(period, "pdf"))


@requires(*READERS)
async def report_csv(request: Request) -> Response:
    period = Period.parse(request.path_params["period"])
    content = await ministry_exports.report_csv(period, _policy(request), actor=request.state.user)
    return download(content, "text/csv; charset=utf-8", ministry_exports.filename(period, "csv"))


routes = [
    Route("/coordinatie/rapportage", report_page, methods=["GET"]),
    Route("/coordinatie/rapportage/{period}.pdf", report_pdf, methods=["GET"]),
    Route("/coordinatie/rapportage/{period}.csv", report_csv, methods=["GET"]),
]
