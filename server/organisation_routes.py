"""Organisation pages: a clerk's own organisation, the list for coordinators and finance."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.expressions import Q

from server import organisations, users
from server.access import requires
from server.errors import DomainError, ValidationFailed
from server.forms import values_of
from server.i18n import lazy_gettext
from server.models import Organisation, Role
from server.security import read_form
from server.templating import render

BILLING_FIELDS = (
    "invoice_street",
    "invoice_postcode",
    "invoice_city",
    "invoice_email",
    "oin",
    "requires_po_number",
)
NOTICES = {
    "factuurgegevens": lazy_gettext("De factuurgegevens zijn opgeslagen."),
    "uitgenodigd": lazy_gettext("De uitnodiging is verstuurd."),
    "contactpersoon": lazy_gettext("De contactpersoon is opgeslagen."),
    "contactpersoon-verwijderd": lazy_gettext("De contactpersoon is verwijderd."),
}


@requires(Role.CLERK)
async def own_organisation(request: Request) -> Response:
    organisation = await Organisation.get(id=request.state.user.organisation_id)
    return RedirectResponse(f"/organisaties/{organisation.cbs_code}", status_code=303)


@requires(Role.COORDINATOR, Role.FINANCE)
async def organisation_list(request: Request) -> Response:
    province_code = request.query_params.get("provincie", "")
    query = request.query_params.get("zoek", "").strip()
    listed = Organisation.all().select_related("province").order_by("name")
    if province_code:
        listed = listed.filter(Q(province__cbs_code=province_code) | Q(cbs_code=province_code))
    if query:
        listed = listed.filter(name__icontains=query)
    return render(
        request,
        "organisations/list.html",
        {
            "organisations": await listed,
            "provinces": await organisations.province_choices(),
            "province_code": province_code,
            "query": query,
        },
    )


async def _detail(
    request: Request,
    organisation: Organisation,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    invite_errors: dict[str, str] | None = None,
    invite_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    billing = values or {name: getattr(organisation, name) for name in BILLING_FIELDS}
    user = request.state.user
    sections = [await part(user, organisation) for part in request.app.state.organisation_sections]
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "clerks": await users.colleagues_of(organisation),
            "billing": billing,
            "errors": errors or {},
            "invite_values": invite_values or {"email": "", "name": ""},
            "invite_errors": invite_errors or {},
            "notice": NOTICES.get(request.query_params.get("melding", "")),
            "sections": [section for section in sections if section],
        },
        status_code=status_code,
    )


async def _organisation(request: Request) -> Organisation:
    """The organisation of the path, with its province (its page names it)."""
    return await organisations.organisation_for(
        request.state.user, request.path_params["code"], with_province=True
    )


@requires(Role.CLERK, Role.COORDINATOR, Role.FINANCE)
async def organisation_detail(request: Request) -> Response:
    organisation = await _organisation(request)
    return await _detail(request, organisation)


@requires(Role.CLERK, Role.COORDINATOR, Role.FINANCE)
async def update_billing(request: Request) -> Response:
    organisation = await _organisation(request)
    form = await read_form(request)
    values = values_of(form, *BILLING_FIELDS)
    try:
        await organisations.update_billing(organisation, values, actor=request.state.user)
    except ValidationFailed as error:
        values["requires_po_number"] = values["requires_po_number"] == "on"  # type: ignore[assignment]
        return await _detail(request, organisation, errors=error.errors, values=values, status_code=400)
    return RedirectResponse(f"/organisaties/{organisation.cbs_code}?melding=factuurgegevens", status_code=303)


@requires(Role.CLERK, Role.COORDINATOR)
async def invite_clerk(request: Request) -> Response:
    organisation = await _organisation(request)
    form = await read_form(request)
    values = values_of(form, "email", "name")
    try:
        await users.invite_user(
            values["email"],
            values["name"],
            Role.CLERK,
            organisation.cbs_code,
            actor=request.state.user,
            base_url=request.app.state.settings.base_url,
        )
    except ValidationFailed as error:
        return await _detail(
            request, organisation, invite_errors=error.errors, invite_values=values, status_code=400
        )
    except DomainError as error:
        if error.status_code != 400:
            raise
        return await _detail(
            request,
            organisation,
            invite_errors={"email": error.message},
            invite_values=values,
            status_code=400,
        )
    return RedirectResponse(f"/organisaties/{organisation.cbs_code}?melding=uitgenodigd", status_code=303)


routes = [
    Route("/organisatie", own_organisation, methods=["GET"]),
    Route("/organisaties", organisation_list, methods=["GET"]),
    Route("/organisaties/{code}", organisation_detail, methods=["GET"]),
    Route("/organisaties/{code}/factuurgegevens", update_billing, methods=["POST"]),
    Route("/organisaties/{code}/griffiers", invite_clerk, methods=["POST"]),
]
