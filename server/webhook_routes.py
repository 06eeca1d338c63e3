"""Webhook pages: a clerk manages their organisation's webhooks, a coordinator the team's global ones
and sees all. The rules (who sees which, which addresses) are in server.webhook_subscriptions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server import webhook_subscriptions as service
from server.access import requires
from server.errors import DomainError, NotFound, ValidationFailed
from server.forms import values_of
from server.i18n import lazy_gettext
from server.models import Role, User
from server.security import read_form
from server.templating import render
from server.webhook_addresses import AddressRefused
from server.webhook_models import EVENT_TYPES, WebhookSubscription

EVENT_LABELS = {
    "booking.requested": lazy_gettext("Boeking aangevraagd"),
    "booking.scheduled": lazy_gettext("Boeking ingepland"),
    "booking.confirmed": lazy_gettext("Boeking bevestigd"),
    "booking.rescheduled": lazy_gettext("Boeking verzet"),
    "booking.cancelled": lazy_gettext("Boeking geannuleerd"),
    "invoice.issued": lazy_gettext("Factuur uitgegeven"),
    "feedback.closed": lazy_gettext("Feedback gesloten"),
}
NOTICES = {
    "gewijzigd": lazy_gettext("De webhook is gewijzigd."),
    "aangezet": lazy_gettext("De webhook staat aan."),
    "uitgezet": lazy_gettext("De webhook staat uit; er gaan geen berichten meer naartoe."),
    "verwijderd": lazy_gettext("De webhook is verwijderd."),
    "opnieuw": lazy_gettext("Het bericht staat opnieuw in de wachtrij."),
}


def _rules(request: Request) -> service.AddressRules:
    settings = request.app.state.settings
    return service.AddressRules(
        allow_private=settings.webhooks_allow_private, require_https=settings.is_production
    )


def _list_path(user: User) -> str:
    return "/organisatie/webhooks" if user.role is Role.CLERK else "/beheer/webhooks"


def _form_of(form: object) -> tuple[service.SubscriptionForm, dict[str, object]]:
    values = values_of(form, "url", "description")  # type: ignore[arg-type]
    events = tuple(e for e in form.getlist("events") if isinstance(e, str))  # type: ignore[attr-defined]
    return service.SubscriptionForm(values["url"], values["description"], events), {
        **values,
        "events": events,
    }


def _errors_of(error: DomainError) -> dict[str, str]:
    if isinstance(error, ValidationFailed):
        return error.errors
    return {error.field or "url": error.message}


def _subscription_id(request: Request) -> int:
    raw = request.path_params["subscription_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


async def _list_page(
    request: Request, values: dict[str, object] | None = None, errors: dict[str, str] | None = None
) -> Response:
    user: User = request.state.user
    return render(
        request,
        "webhooks/list.html",
        {
            "subscriptions": await service.subscriptions_for(user),
            "event_types": [(t, EVENT_LABELS[t]) for t in EVENT_TYPES],
            "values": values or {"url": "", "description": "", "events": ()},
            "errors": errors or {},
            "list_path": _list_path(user),
            "notice": NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=400 if errors else 200,
    )


async def _detail_page(
    request: Request,
    subscription: WebhookSubscription,
    *,
    secret: str = "",
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    response = render(
        request,
        "webhooks/detail.html",
        {
            "subscription": subscription,
            "secret": secret,
            "log": await service.delivery_log(subscription),
            "event_types": [(t, EVENT_LABELS[t]) for t in EVENT_TYPES],
            "event_labels": EVENT_LABELS,
            "values": values
            or {
                "url": subscription.url,
                "description": subscription.description,
                "events": tuple(subscription.event_types),
            },
            "errors": errors or {},
            "list_path": _list_path(request.state.user),
            "notice": NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=400 if errors else 200,
    )
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


async def _list(request: Request) -> Response:
    return await _list_page(request)


async def _create(request: Request) -> Response:
    """A clerk's webhook is for their organisation, a coordinator's for all: the secret is shown once."""
    form, values = _form_of(await read_form(request))
    try:
        subscription, secret = await service.create_subscription(
            form, actor=request.state.user, rules=_rules(request)
        )
    except (ValidationFailed, AddressRefused) as error:
        return await _list_page(request, values, _errors_of(error))
    subscription = await service.subscription_for(subscription.id, request.state.user)
    return await _detail_page(request, subscription, secret=secret)


@requires(Role.CLERK, Role.COORDINATOR)
async def detail(request: Request) -> Response:
    subscription = await service.subscription_for(_subscription_id(request), request.state.user)
    return await _detail_page(request, subscription)


@requires(Role.CLERK, Role.COORDINATOR)
async def update(request: Request) -> Response:
    subscription_id = _subscription_id(request)
    form, values = _form_of(await read_form(request))
    try:
        await service.update_subscription(
            subscription_id, form, actor=request.state.user, rules=_rules(request)
        )
    except (ValidationFailed, AddressRefused) as error:
        subscription = await service.subscription_for(subscription_id, request.state.user)
        return await _detail_page(request, subscription, values=values, errors=_errors_of(error))
    return RedirectResponse(f"/webhooks/{subscription_id}?melding=gewijzigd", status_code=303)


async def _switch(request: Request, active: bool) -> Response:
    await read_form(request)
    subscription_id = _subscription_id(request)
    await service.set_active(subscription_id, active, actor=request.state.user)
    notice = "aangezet" if active else "uitgezet"
    return RedirectResponse(f"/webhooks/{subscription_id}?melding={notice}", status_code=303)


@requires(Role.CLERK, Role.COORDINATOR)
async def enable(request: Request) -> Response:
    return await _switch(request, True)


@requires(Role.CLERK, Role.COORDINATOR)
async def disable(request: Request) -> Response:
    return await _switch(request, False)


@requires(Role.CLERK, Role.COORDINATOR)
async def rotate(request: Request) -> Response:
    await read_form(request)
    subscription, secret = await service.rotate_secret(_subscription_id(request), actor=request.state.user)
    subscription = await service.subscription_for(subscription.id, request.state.user)
    return await _detail_page(request, subscription, secret=secret)


@requires(Role.CLERK, Role.COORDINATOR)
async def delete(request: Request) -> Response:
    await read_form(request)
    await service.delete_subscription(_subscription_id(request), actor=request.state.user)
    return RedirectResponse(f"{_list_path(request.state.user)}?melding=verwijderd", status_code=303)


@requires(Role.CLERK, Role.COORDINATOR)
async def resend(request: Request) -> Response:
    await read_form(request)
    subscription_id = _subscription_id(request)
    raw = request.path_params["delivery_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound()
    await service.resend_delivery(subscription_id, int(raw), actor=request.state.user)
    return RedirectResponse(f"/webhooks/{subscription_id}?melding=opnieuw", status_code=303)


organisation_list = requires(Role.CLERK)(_list)
organisation_create = requires(Role.CLERK)(_create)
team_list = requires(Role.COORDINATOR)(_list)
team_create = requires(Role.COORDINATOR)(_create)

routes = [
    Route("/organisatie/webhooks", organisation_list, methods=["GET"]),
    Route("/organisatie/webhooks", organisation_create, methods=["POST"]),
    Route("/beheer/webhooks", team_list, methods=["GET"]),
    Route("/beheer/webhooks", team_create, methods=["POST"]),
    Route("/webhooks/{subscription_id}", detail, methods=["GET"]),
    Route("/webhooks/{subscription_id}", update, methods=["POST"]),
    Route("/webhooks/{subscription_id}/aanzetten", enable, methods=["POST"]),
    Route("/webhooks/{subscription_id}/uitzetten", disable, methods=["POST"]),
    Route("/webhooks/{subscription_id}/nieuw-geheim", rotate, methods=["POST"]),
    Route("/webhooks/{subscription_id}/berichten/{delivery_id}/opnieuw", resend, methods=["POST"]),
    Route("/webhooks/{subscription_id}/verwijderen", delete, methods=["POST"]),
]
