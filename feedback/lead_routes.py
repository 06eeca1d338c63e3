"""The coordinators' leads page: every lead with its status, owner and next date, each changed with
its own small form (post/redirect/get)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from feedback import leads
from server.access import requires
from server.errors import ValidationFailed
from server.forms import values_of
from server.i18n import _
from server.models import Role
from server.security import read_form
from server.templating import render

FIELDS = ("lead_id", "status", "owner_id", "next_on")


async def _page(
    request: Request,
    *,
    lead_id: int | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "leads": await leads.lead_views(),
        "coordinators": await leads.coordinators(),
        "status_labels": leads.STATUS_LABELS,
        "failed_id": lead_id,
        "errors": errors or {},
        "values": values or {},
        "saved": request.query_params.get("melding") == "opgeslagen",
    }
    return render(request, "feedback/leads/list.html", context, status_code=status_code)


@requires(Role.COORDINATOR)
async def lead_list(request: Request) -> Response:
    return await _page(request)


@requires(Role.COORDINATOR)
async def change_lead(request: Request) -> Response:
    values = values_of(await read_form(request), *FIELDS)
    raw = values["lead_id"]
    if not raw.isdigit() or len(raw) > 9:
        return await _page(request, errors={"lead_id": _("Kies een lead uit de lijst.")}, status_code=400)
    lead_id = int(raw)
    try:
        await leads.change_lead(lead_id, values, actor=request.state.user)
    except ValidationFailed as error:
        return await _page(request, lead_id=lead_id, errors=error.errors, values=values, status_code=400)
    except leads.LeadTransitionRefused as error:
        return await _page(
            request,
            lead_id=lead_id,
            errors={"status": error.message},
            values=values,
            status_code=error.status_code,
        )
    return RedirectResponse(f"/feedback/leads?melding=opgeslagen#lead-{lead_id}", status_code=303)


routes = [
    Route("/feedback/leads", lead_list, methods=["GET"]),
    Route("/feedback/leads", change_lead, methods=["POST"]),
]
