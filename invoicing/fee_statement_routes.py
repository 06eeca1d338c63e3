"""Fee statement pages: trainers see and submit their own, coordinators approve, finance exports."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from invoicing import fee_statement_files, fee_statements
from server import clock
from server.access import requires
from server.downloads import download
from server.errors import DomainError, NotFound, ValidationFailed
from server.forms import values_of
from server.i18n import _, lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

NOTICES = {
    "opgeslagen": lazy_gettext("De reiskosten zijn opgeslagen."),
    "ingediend": lazy_gettext("De declaratie is ingediend."),
    "goedgekeurd": lazy_gettext("De declaratie is goedgekeurd. Ze verandert niet meer."),
    "teruggestuurd": lazy_gettext("De declaratie is teruggestuurd naar de trainer."),
}
ALL = (Role.TRAINER, Role.COORDINATOR, Role.FINANCE)


def _statement_id(request: Request) -> int:
    raw = request.path_params["statement_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


async def _list_page(
    request: Request, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    user = request.state.user
    previous = (clock.local_today().replace(day=1) - timedelta(days=1)).replace(day=1)
    return render(
        request,
        "invoicing/fee_statements/list.html",
        {
            "statements": await fee_statements.statements_for(user),
            "labels": fee_statements.STATUS_LABELS,
            "trainers": await fee_statements.trainers() if user.role is Role.COORDINATOR else [],
            "default_month": f"{previous:%Y-%m}",
            "errors": errors or {},
        },
        status_code=status_code,
    )


@requires(*ALL)
async def statement_list(request: Request) -> Response:
    return await _list_page(request)


@requires(Role.TRAINER, Role.COORDINATOR)
async def open_statement(request: Request) -> Response:
    user = request.state.user
    values = values_of(await read_form(request), "month", "trainer")
    raw_trainer = values["trainer"] if user.role is Role.COORDINATOR else str(user.id)
    if not raw_trainer.isdigit() or len(raw_trainer) > 9:
        return await _list_page(request, {"trainer": _("Kies een trainer.")}, status_code=400)
    try:
        statement = await fee_statements.open_statement(int(raw_trainer), values["month"], actor=user)
    except ValidationFailed as error:
        return await _list_page(request, error.errors, status_code=400)
    return RedirectResponse(f"/declaraties/{statement.id}", status_code=303)


async def _detail(
    request: Request, *, errors: dict[str, str] | None = None, error: str = "", status_code: int = 200
) -> Response:
    view = await fee_statements.statement_view(_statement_id(request), actor=request.state.user)
    return render(
        request,
        "invoicing/fee_statements/detail.html",
        {
            "view": view,
            "hours_text": fee_statement_files.hours_text,
            "errors": errors or {},
            "error": error,
            "notice": NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=status_code,
    )


@requires(*ALL)
async def statement_detail(request: Request) -> Response:
    return await _detail(request)


async def _act(request: Request, action: str, notice: str) -> Response:
    form = await read_form(request)
    user, statement_id = request.state.user, _statement_id(request)
    try:
        if action == "travel":
            line_ids = [
                raw
                for raw in form.getlist("line")
                if isinstance(raw, str) and raw.isdigit() and len(raw) < 10
            ]
            travel = {
                int(line_id): tuple(values_of(form, f"travel-{line_id}", f"note-{line_id}").values())
                for line_id in line_ids[:200]
            }
            await fee_statements.save_travel(statement_id, travel, actor=user)  # type: ignore[arg-type]
        elif action == "submit":
            await fee_statements.submit_statement(statement_id, actor=user)
        elif action == "approve":
            await fee_statements.approve_statement(statement_id, actor=user)
        else:
            await fee_statements.return_statement(
                statement_id, values_of(form, "reason")["reason"], actor=user
            )
    except ValidationFailed as error:
        return await _detail(request, errors=error.errors, status_code=400)
    except DomainError as error:
        if error.status_code != 409:
            raise
        return await _detail(request, error=error.message, status_code=409)
    return RedirectResponse(f"/declaraties/{statement_id}?melding={notice}", status_code=303)


@requires(Role.TRAINER, Role.COORDINATOR)
async def save_travel(request: Request) -> Response:
    return await _act(request, "travel", "opgeslagen")


@requires(Role.TRAINER, Role.COORDINATOR)
async def submit(request: Request) -> Response:
    return await _act(request, "submit", "ingediend")


@requires(Role.COORDINATOR)
async def approve(request: Request) -> Response:
    return await _act(request, "approve", "goedgekeurd")


@requires(Role.COORDINATOR)
async def send_back(request: Request) -> Response:
    return await _act(request, "return", "teruggestuurd")


@requires(*ALL)
async def download_pdf(request: Request) -> Response:
    view = await fee_statements.statement_view(_statement_id(request), actor=request.state.user)
    content = await fee_statement_files.pdf_of(view)
    return download(content, "application/pdf", fee_statement_files.file_name(view, "pdf"))


@requires(*ALL)
async def download_csv(request: Request) -> Response:
    view = await fee_statements.statement_view(_statement_id(request), actor=request.state.user)
    return download(
        fee_statement_files.statement_csv(view),
        "text/csv; charset=utf-8",
        fee_statement_files.file_name(view, "csv"),
    )


@requires(Role.COORDINATOR, Role.FINANCE)
async def payment_export(request: Request) -> Response:
    try:
        month = fee_statements.parse_month(request.query_params.get("maand", ""))
    except ValidationFailed as error:
        return await _list_page(request, error.errors, status_code=400)
    content = fee_statement_files.payment_csv(await fee_statements.approved_in(month))
    return download(content, "text/csv; charset=utf-8", fee_statement_files.payment_file_name(month))


routes = [
    Route("/declaraties", statement_list, methods=["GET"]),
    Route("/declaraties", open_statement, methods=["POST"]),
    Route("/declaraties/betaling.csv", payment_export, methods=["GET"]),
    Route("/declaraties/{statement_id}", statement_detail, methods=["GET"]),
    Route("/declaraties/{statement_id}/reiskosten", save_travel, methods=["POST"]),
    Route("/declaraties/{statement_id}/indienen", submit, methods=["POST"]),
    Route("/declaraties/{statement_id}/goedkeuren", approve, methods=["POST"]),
    Route("/declaraties/{statement_id}/terugsturen", send_back, methods=["POST"]),
    Route("/declaraties/{statement_id}/declaratie.pdf", download_pdf, methods=["GET"]),
    Route("/declaraties/{statement_id}/declaratie.csv", download_csv, methods=["GET"]),
]
