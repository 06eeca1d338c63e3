"""The coordinators' tour dashboard, the tour's target and the organisations-by-stage table."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reporting import targets
from reporting.charts import band_labels, month_label
from reporting.overview import TableFilters, organisation_csv, organisation_table, tour_overview
from reporting.stages import STAGE_ORDER
from server import clock
from server.access import requires
from server.downloads import download
from server.errors import ValidationFailed
from server.forms import values_of
from server.models import Role
from server.security import read_form
from server.templating import render

TARGET_FIELDS = ("stage", "percent", "starts_on", "deadline")


def _target_values(target: object | None) -> dict[str, str]:
    if target is None:
        return dict.fromkeys(TARGET_FIELDS, "")
    return {name: str(getattr(target, name)) for name in TARGET_FIELDS}


async def _dashboard(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    raw_weeks = request.query_params.get("weken", "")
    weeks = int(raw_weeks) if raw_weeks.isdigit() and len(raw_weeks) < 4 else 0
    overview = await tour_overview(
        clock.now(), weeks or request.app.state.settings.invitation_follow_up_weeks
    )
    return render(
        request,
        "reporting/dashboard.html",
        {
            "overview": overview,
            "stages": STAGE_ORDER,
            "target_stages": targets.TARGET_STAGES,
            "bands": band_labels(),
            "month_label": month_label,
            "values": values or _target_values(overview.target),
            "errors": errors or {},
            "notice": request.query_params.get("melding") == "doel",
        },
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def dashboard(request: Request) -> Response:
    return await _dashboard(request)


@requires(Role.COORDINATOR)
async def save_target(request: Request) -> Response:
    values = values_of(await read_form(request), *TARGET_FIELDS)
    try:
        await targets.save_target(values, actor=request.state.user)
    except ValidationFailed as error:
        return await _dashboard(request, values=values, errors=error.errors, status_code=400)
    return RedirectResponse("/coordinatie?melding=doel#doel", status_code=303)


@requires(Role.COORDINATOR)
async def organisations(request: Request) -> Response:
    table = await organisation_table(TableFilters.from_query(dict(request.query_params)), clock.now())
    return render(request, "reporting/organisations.html", {"table": table, "stages": STAGE_ORDER})


@requires(Role.COORDINATOR)
async def organisations_csv(request: Request) -> Response:
    table = await organisation_table(TableFilters.from_query(dict(request.query_params)), clock.now())
    name = f"organisaties-per-stap-{table.summary.code.lower()}.csv"
    return download(organisation_csv(table), "text/csv; charset=utf-8", name)


routes = [
    Route("/coordinatie", dashboard, methods=["GET"]),
    Route("/coordinatie/doel", save_target, methods=["POST"]),
    Route("/coordinatie/organisaties", organisations, methods=["GET"]),
    Route("/coordinatie/organisaties.csv", organisations_csv, methods=["GET"]),
]
