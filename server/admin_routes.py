"""Coordinators' pages: users (with their personal data's export and erasure), the audit log, the
mail outbox and the periodic jobs' last runs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server import privacy, scheduler, users
from server.access import requires
from server.audit_names import object_names
from server.downloads import download
from server.errors import NotFound, ValidationFailed
from server.forms import page_number, parse_email, values_of
from server.i18n import _, lazy_gettext
from server.mail import OutboxMessage, OutboxStatus, resend
from server.models import AuditEntry, Role, User
from server.security import read_form
from server.templating import render

PAGE_SIZE = 50
USER_NOTICES = {
    "uitgenodigd": lazy_gettext("De uitnodiging is verstuurd."),
    "gedeactiveerd": lazy_gettext("Het account is gedeactiveerd; de gebruiker is overal uitgelogd."),
    "geactiveerd": lazy_gettext("Het account is weer actief."),
    "rol": lazy_gettext("De rol is gewijzigd; de gebruiker moet opnieuw inloggen."),
    "tweede-stap": lazy_gettext(
        "De tweede stap is gewist; de gebruiker stelt die bij de volgende keer inloggen opnieuw in."
    ),
    "gewist": lazy_gettext(
        "De persoonsgegevens zijn gewist. Het account is gedeactiveerd en heet nu "
        "'Verwijderde gebruiker'; facturen en de geschiedenis van sessies blijven bewaard."
    ),
}


async def _user_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    role_filter = request.query_params.get("rol", "")
    listed = User.all().select_related("organisation").order_by("name")
    if role_filter in Role.__members__.values():
        listed = listed.filter(role=role_filter)
    return render(
        request,
        "admin/users.html",
        {
            "users": await listed,
            "roles": users.ROLE_LABELS,
            "role_filter": role_filter,
            "values": values or {"email": "", "name": "", "role": "", "organisation": ""},
            "errors": errors or {},
            "notice": USER_NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def user_list(request: Request) -> Response:
    return await _user_page(request)


@requires(Role.COORDINATOR)
async def invite(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, "email", "name", "role", "organisation")
    try:
        await users.invite_user(
            values["email"],
            values["name"],
            values["role"],
            values["organisation"],
            actor=request.state.user,
            base_url=request.app.state.settings.base_url,
        )
    except ValidationFailed as error:
        return await _user_page(request, values=values, errors=error.errors, status_code=400)
    return RedirectResponse("/beheer/gebruikers?melding=uitgenodigd", status_code=303)


def _user_id(request: Request) -> int:
    raw = request.path_params["user_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound()
    return int(raw)


@requires(Role.COORDINATOR)
async def deactivate(request: Request) -> Response:
    await read_form(request)
    await users.set_active(_user_id(request), False, actor=request.state.user)
    return RedirectResponse("/beheer/gebruikers?melding=gedeactiveerd", status_code=303)


@requires(Role.COORDINATOR)
async def activate(request: Request) -> Response:
    await read_form(request)
    await users.set_active(_user_id(request), True, actor=request.state.user)
    return RedirectResponse("/beheer/gebruikers?melding=geactiveerd", status_code=303)


@requires(Role.COORDINATOR)
async def change_role(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, "role", "organisation")
    try:
        await users.change_role(
            _user_id(request), values["role"], values["organisation"], actor=request.state.user
        )
    except ValidationFailed as error:
        return await _user_page(request, errors={"change_role": error.message}, status_code=400)
    return RedirectResponse("/beheer/gebruikers?melding=rol", status_code=303)


@requires(Role.COORDINATOR)
async def reset_second_factor(request: Request) -> Response:
    await read_form(request)
    await users.reset_second_factor(_user_id(request), actor=request.state.user)
    return RedirectResponse("/beheer/gebruikers?melding=tweede-stap", status_code=303)


@requires(Role.COORDINATOR)
async def export_personal_data(request: Request) -> Response:
    user, content = await privacy.export_person(
        _user_id(request), request.app.state.personal_data, actor=request.state.user
    )
    return download(content, "application/json", f"persoonsgegevens-gebruiker-{user.id}.json")


async def _erasure_page(
    request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    register = request.app.state.personal_data
    subject, reasons = await privacy.erasure_preview(_user_id(request), register, actor=request.state.user)
    return render(
        request,
        "admin/erase.html",
        {
            "subject": subject,
            "role_label": users.ROLE_LABELS[subject.role],
            "reasons": reasons,
            "rules": register.retention_rules(),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def erasure_form(request: Request) -> Response:
    return await _erasure_page(request)


@requires(Role.COORDINATOR)
async def erase_personal_data(request: Request) -> Response:
    form = await read_form(request)
    if form.get("confirm") != "on":
        errors = {"confirm": _("Bevestig dat u de gegevens van deze persoon wilt wissen.")}
        return await _erasure_page(request, errors=errors, status_code=400)
    try:
        await privacy.erase_person(
            _user_id(request), request.app.state.personal_data, actor=request.state.user
        )
    except privacy.ErasureRefused:
        return await _erasure_page(request, status_code=409)
    return RedirectResponse("/beheer/gebruikers?melding=gewist", status_code=303)


ADDRESS_NOTICES = {"gewist": lazy_gettext("De gegevens bij dit e-mailadres zijn gewist.")}


async def _address_page(
    request: Request,
    *,
    email: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/address.html",
        {
            "email": email,
            "errors": errors or {},
            "rules": request.app.state.personal_data.retention_rules(),
            "notice": ADDRESS_NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=status_code,
    )


def _address_errors(email: str) -> dict[str, str]:
    if parse_email(email) is None:
        return {"email": _("Vul één e-mailadres in, bijvoorbeeld naam@example.org.")}
    return {}


@requires(Role.COORDINATOR)
async def address_form(request: Request) -> Response:
    """Export and erasure for people without an account (contacts, participants' contact
    requests, booking addresses), found by e-mail address; the address travels in POST bodies
    only, so it stays out of URLs and access logs."""
    return await _address_page(request)


@requires(Role.COORDINATOR)
async def export_address_data(request: Request) -> Response:
    form = await read_form(request)
    email = values_of(form, "email")["email"]
    errors = _address_errors(email)
    if errors:
        return await _address_page(request, email=email, errors=errors, status_code=400)
    try:
        content = await privacy.export_address(
            email, request.app.state.personal_data, actor=request.state.user
        )
    except privacy.AddressHasAccount as error:
        return await _address_page(request, email=email, errors={"email": error.message}, status_code=409)
    return download(content, "application/json", "persoonsgegevens-adres.json")


@requires(Role.COORDINATOR)
async def erase_address_data(request: Request) -> Response:
    form = await read_form(request)
    email = values_of(form, "email")["email"]
    errors = _address_errors(email)
    if form.get("confirm") != "on":
        errors["confirm"] = _("Bevestig dat u de gegevens bij dit e-mailadres wilt wissen.")
    if errors:
        return await _address_page(request, email=email, errors=errors, status_code=400)
    try:
        await privacy.erase_address(email, request.app.state.personal_data, actor=request.state.user)
    except privacy.AddressHasAccount as error:
        return await _address_page(request, email=email, errors={"email": error.message}, status_code=409)
    return RedirectResponse("/beheer/adressen?melding=gewist", status_code=303)


@requires(Role.COORDINATOR)
async def audit_log(request: Request) -> Response:
    page = page_number(request)
    action = request.query_params.get("actie", "").strip()
    entries = AuditEntry.all()
    if action:
        entries = entries.filter(action=action)
    rows = await entries.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    actions = await AuditEntry.all().distinct().order_by("action").values_list("action", flat=True)
    return render(
        request,
        "admin/audit.html",
        {
            "entries": rows[:PAGE_SIZE],
            "object_names": await object_names(rows[:PAGE_SIZE]),
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "action": action,
            "actions": actions,
        },
    )


@requires(Role.COORDINATOR)
async def outbox(request: Request) -> Response:
    page = page_number(request)
    status = request.query_params.get("status", "")
    messages = OutboxMessage.all()
    if status in OutboxStatus.__members__.values():
        messages = messages.filter(status=status)
    rows = await messages.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    return render(
        request,
        "admin/outbox.html",
        {
            "messages": rows[:PAGE_SIZE],
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "status": status,
            "resent": request.query_params.get("melding") == "opnieuw",
        },
    )


@requires(Role.COORDINATOR)
async def job_runs(request: Request) -> Response:
    """Each periodic job's last run in the cluster: when, on which server, with what outcome."""
    labels: dict[str, str] = request.app.state.job_labels
    runs = {run.job: run for run in await scheduler.last_runs()}
    jobs = [(labels.get(name, name), name, runs.get(name)) for name in labels]
    jobs += [(name, name, run) for name, run in runs.items() if name not in labels]
    return render(request, "admin/jobs.html", {"jobs": jobs})


@requires(Role.COORDINATOR)
async def resend_mail(request: Request) -> Response:
    await read_form(request)
    raw = request.path_params["message_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound()
    await resend(int(raw), actor=request.state.user)
    return RedirectResponse("/beheer/mail?melding=opnieuw", status_code=303)


routes = [
    Route("/beheer/gebruikers", user_list, methods=["GET"]),
    Route("/beheer/gebruikers", invite, methods=["POST"]),
    Route("/beheer/gebruikers/{user_id}/deactiveren", deactivate, methods=["POST"]),
    Route("/beheer/gebruikers/{user_id}/activeren", activate, methods=["POST"]),
    Route("/beheer/gebruikers/{user_id}/rol", change_role, methods=["POST"]),
    Route("/beheer/gebruikers/{user_id}/tweede-stap", reset_second_factor, methods=["POST"]),
    Route("/beheer/gebruikers/{user_id}/gegevens", export_personal_data, methods=["GET"]),
    Route("/beheer/gebruikers/{user_id}/wissen", erasure_form, methods=["GET"]),
    Route("/beheer/gebruikers/{user_id}/wissen", erase_personal_data, methods=["POST"]),
    Route("/beheer/adressen", address_form, methods=["GET"]),
    Route("/beheer/adressen/gegevens", export_address_data, methods=["POST"]),
    Route("/beheer/adressen/wissen", erase_address_data, methods=["POST"]),
    Route("/beheer/audit", audit_log, methods=["GET"]),
    Route("/beheer/mail", outbox, methods=["GET"]),
    Route("/beheer/mail/{message_id}/opnieuw", resend_mail, methods=["POST"]),
    Route("/beheer/taken", job_runs, methods=["GET"]),
]
