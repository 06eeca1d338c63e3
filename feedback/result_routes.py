"""Feedback result pages: a session's results (with CSV and PDF), and the coordinators' overview of
trends, leads and the period export."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from feedback import codes, contacts, export, opening, report, results, trends
from feedback.policy import FeedbackPolicy
from server.access import requires
from server.downloads import download
from server.errors import NotFound
from server.i18n import _, lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

SESSION_VIEWERS = (Role.COORDINATOR, Role.CLERK, Role.TRAINER)
GROUP_LABELS = {
    "offering": lazy_gettext("Per aanbod"),
    "trainer": lazy_gettext("Per trainer"),
    "tour": lazy_gettext("Hele tour"),
}
GROUP_COLUMNS = {
    "offering": lazy_gettext("Aanbod"),
    "trainer": lazy_gettext("Trainer"),
    "tour": lazy_gettext("Groep"),
}


def _policy(request: Request) -> FeedbackPolicy:
    return FeedbackPolicy.from_settings(request.app.state.settings)


@requires(*SESSION_VIEWERS)
async def session_page(request: Request) -> Response:
    session, outcome = await results.view_results(
        request.state.user, request.path_params["reference"], _policy(request)
    )
    issued, used = await codes.counts(session)
    return render(
        request,
        "feedback/results/session.html",
        {
            "session": session,
            "booking": session.booking,
            "results": outcome,
            "may_open_booking": request.state.user.role is not Role.TRAINER,
            "is_coordinator": request.state.user.role is Role.COORDINATOR,
            "codes_issued": issued,
            "codes_used": used,
            "open_link": opening.feedback_url(request.app.state.settings, session),
            "open_answers_threshold": _policy(request).open_answers_threshold,
        },
    )


@requires(*SESSION_VIEWERS)
async def issue_codes(request: Request) -> Response:
    form = await read_form(request)
    reference = request.path_params["reference"]
    await codes.issue_more(request.state.user, reference, str(form.get("count", "")))
    return RedirectResponse(f"/feedback/sessies/{reference}#codes-title", status_code=303)


@requires(Role.COORDINATOR)
async def open_link(request: Request) -> Response:
    form = await read_form(request)
    reference = request.path_params["reference"]
    await codes.set_open_link(request.state.user, reference, on=form.get("aan") == "1")
    return RedirectResponse(f"/feedback/sessies/{reference}#codes-title", status_code=303)


@requires(*SESSION_VIEWERS)
async def session_csv(request: Request) -> Response:
    session = await results.session_for(request.state.user, request.path_params["reference"])
    content = await export.session_csv(session, _policy(request), actor=request.state.user)
    return download(content, "text/csv; charset=utf-8", export.session_csv_filename(session))


@requires(*SESSION_VIEWERS)
async def session_pdf(request: Request) -> Response:
    session, outcome = await results.view_results(
        request.state.user,
        request.path_params["reference"],
        _policy(request),
        how=lazy_gettext("als PDF gedownload"),
    )
    content = await report.session_report_pdf(session, outcome)
    return download(content, "application/pdf", report.report_filename(session))


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


def _period(values: dict[str, str]) -> tuple[date | None, date | None, dict[str, str]]:
    first, last = _day(values.get("van", "")), _day(values.get("tot", ""))
    errors: dict[str, str] = {}
    if first is None:
        errors["van"] = _("Vul een begindatum in, bijvoorbeeld 2026-01-01.")
    if last is None:
        errors["tot"] = _("Vul een einddatum in, bijvoorbeeld 2026-12-31.")
    elif first is not None and last < first:
        errors["tot"] = _("De einddatum ligt voor de begindatum.")
    return first, last, errors


async def _overview(
    request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    policy = _policy(request)
    group = request.query_params.get("groep", "offering")
    if group not in results.GROUPS:
        group = "offering"
    context: dict[str, Any] = {
        "group": group,
        "groups": list(GROUP_LABELS.items()),
        "group_label": GROUP_LABELS[group],
        "group_column": GROUP_COLUMNS[group],
        "trends": await trends.trends(policy, group=group),  # type: ignore[arg-type]
        "leads": await trends.leads(policy),
        "contact_requests": await contacts.open_contact_requests(),
        "contact_done": request.query_params.get("melding") == "contact",
        "threshold": policy.threshold,
        "values": {key: request.query_params.get(key, "") for key in ("van", "tot")},
        "errors": errors or {},
    }
    return render(request, "feedback/results/overview.html", context, status_code=status_code)


@requires(Role.COORDINATOR)
async def overview(request: Request) -> Response:
    return await _overview(request)


@requires(Role.COORDINATOR)
async def period_csv(request: Request) -> Response:
    first, last, errors = _period(dict(request.query_params))
    if errors or first is None or last is None:
        return await _overview(request, errors=errors, status_code=400)
    content = await export.period_csv(_policy(request), first, last, actor=request.state.user)
    return download(content, "text/csv; charset=utf-8", export.period_csv_filename(first, last))


@requires(Role.COORDINATOR)
async def contact_done(request: Request) -> Response:
    await read_form(request)
    raw = request.path_params["contact_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    await contacts.mark_done(int(raw), actor=request.state.user)
    return RedirectResponse("/feedback?melding=contact#contact", status_code=303)


routes = [
    Route("/feedback", overview, methods=["GET"]),
    Route("/feedback/contact/{contact_id}/afgehandeld", contact_done, methods=["POST"]),
    Route("/feedback/export.csv", period_csv, methods=["GET"]),
    Route("/feedback/sessies/{reference}", session_page, methods=["GET"]),
    Route("/feedback/sessies/{reference}/codes", issue_codes, methods=["POST"]),
    Route("/feedback/sessies/{reference}/open-link", open_link, methods=["POST"]),
    Route("/feedback/sessies/{reference}/resultaten.csv", session_csv, methods=["GET"]),
    Route("/feedback/sessies/{reference}/rapport.pdf", session_pdf, methods=["GET"]),
]
