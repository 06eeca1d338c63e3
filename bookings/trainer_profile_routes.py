"""Trainer profile pages: coordinators keep the trainers' profiles and the specialties list; a trainer
keeps their own weekly availability and blocked days. Day rates appear on the coordinators' pages only."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import day_rates, trainers
from server.access import requires
from server.errors import NotFound, ValidationFailed
from server.forms import values_of
from server.i18n import lazy_gettext
from server.models import Role, User
from server.security import read_form
from server.templating import render

#: Notices after a redirect (`?melding=`), each shown in the part of the page it is about.
PROFILE_NOTICES = {"opgeslagen": lazy_gettext("Het profiel is opgeslagen.")}
OWN_NOTICES = {"opgeslagen": lazy_gettext("Uw beschikbaarheid is opgeslagen.")}
SPECIALTY_NOTICES = {"specialisme": lazy_gettext("Het specialisme is toegevoegd.")}
BLOCKED_NOTICES = {
    "geblokkeerd": lazy_gettext("De geblokkeerde periode is toegevoegd."),
    "vrijgegeven": lazy_gettext("De geblokkeerde periode is verwijderd."),
}
#: Where a coordinator returns to after removing a blocked period: a trainer's profile page.
PROFILE_PATH = re.compile(r"/trainers/\d{1,9}")


def _id_param(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


def _notice(request: Request, notices: dict[str, str]) -> str | None:
    return notices.get(request.query_params.get("melding", ""))


def _block_warning(
    request: Request, error: trainers.BlockingBookedDays, values: dict[str, str], person: User, action: str
) -> Response:
    """The sessions in the period to block, with a form that blocks anyway (`bevestigd`)."""
    own = person.id == request.state.user.id
    return render(
        request,
        "bookings/trainers/block_warning.html",
        {
            "sessions": error.sessions,
            "values": values,
            "first_day": date.fromisoformat(values["first_day"].strip()),  # valid: checked before
            "last_day": date.fromisoformat(values["last_day"].strip()),
            "person": person,
            "own": own,
            "action": action,
            "back": "/trainer/beschikbaarheid#geblokkeerd" if own else f"/trainers/{person.id}#geblokkeerd",
        },
    )


def _strings(values: list[Any]) -> list[str]:
    return [value for value in values if isinstance(value, str)]


# ---------- Coordinators: the list and the specialties ----------


async def _list_page(
    request: Request,
    *,
    specialty_errors: dict[str, str] | None = None,
    specialty_name: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "bookings/trainers/list.html",
        {
            "rows": await trainers.trainer_overview(),
            "coordinators_without_profile": await trainers.coordinators_without_profile(),
            "specialties": await trainers.specialties(),
            "province_count": len(await trainers.provinces()),
            "weekdays": trainers.WEEKDAYS,
            "specialty_errors": specialty_errors or {},
            "specialty_name": specialty_name,
            "specialty_notice": _notice(request, SPECIALTY_NOTICES),
        },
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def trainer_list(request: Request) -> Response:
    return await _list_page(request)


@requires(Role.COORDINATOR)
async def add_specialty(request: Request) -> Response:
    form = await read_form(request)
    name = values_of(form, "name")["name"]
    try:
        await trainers.add_specialty(name, actor=request.state.user)
    except ValidationFailed as error:
        return await _list_page(request, specialty_errors=error.errors, specialty_name=name, status_code=400)
    return RedirectResponse("/trainers?melding=specialisme#specialismen", status_code=303)


# ---------- Coordinators: one trainer's profile ----------


async def _profile_page(
    request: Request,
    person: User,
    *,
    values: dict[str, str] | None = None,
    chosen: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    blocked_values: dict[str, str] | None = None,
    blocked_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    profile = await trainers.profile_of(person)
    history = await day_rates.history_of(person.id)
    if chosen is None:
        chosen = {
            "specialties": [str(s.id) for s in profile.specialties] if profile else [],
            "provinces": [p.cbs_code for p in profile.provinces] if profile else [],
            "availability": list(profile.weekly_availability) if profile else [],
        }
    return render(
        request,
        "bookings/trainers/profile_form.html",
        {
            "person": person,
            "profile": profile,
            "kinds": trainers.KINDS_BY_ROLE[person.role],
            "specialties": await trainers.specialties(),
            "provinces": await trainers.provinces(),
            "weekdays": trainers.WEEKDAYS,
            "values": values
            if values is not None
            else trainers.profile_values(profile, await day_rates.rate_on(person.id, trainers.today())),
            "rate_history": history,
            "chosen": chosen,
            "errors": errors or {},
            "periods": await trainers.current_blocked_periods(profile),
            "blocked_values": blocked_values or dict.fromkeys(trainers.BLOCKED_PERIOD_FIELDS, ""),
            "blocked_errors": blocked_errors or {},
            "notice": _notice(request, PROFILE_NOTICES),
            "blocked_notice": _notice(request, BLOCKED_NOTICES),
        },
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def profile_form(request: Request) -> Response:
    person = await trainers.staffable_user(_id_param(request, "user_id"))
    return await _profile_page(request, person)


@requires(Role.COORDINATOR)
async def save_profile(request: Request) -> Response:
    user_id = _id_param(request, "user_id")
    form = await read_form(request)
    person = await trainers.staffable_user(user_id)
    values = values_of(form, *trainers.PROFILE_FIELDS)
    chosen = {
        name: _strings(form.getlist(name))[:100] for name in ("specialties", "provinces", "availability")
    }
    try:
        await trainers.save_profile(
            person.id,
            values,
            chosen["specialties"],
            chosen["provinces"],
            chosen["availability"],
            actor=request.state.user,
        )
    except ValidationFailed as error:
        return await _profile_page(
            request, person, values=values, chosen=chosen, errors=error.errors, status_code=400
        )
    return RedirectResponse(f"/trainers/{person.id}?melding=opgeslagen", status_code=303)


@requires(Role.COORDINATOR)
async def add_blocked_period(request: Request) -> Response:
    user_id = _id_param(request, "user_id")
    form = await read_form(request)
    person = await trainers.staffable_user(user_id)
    values = values_of(form, *trainers.BLOCKED_PERIOD_FIELDS)
    confirmed = values_of(form, "bevestigd")["bevestigd"] == "1"
    try:
        await trainers.add_blocked_period(person, **values, actor=request.state.user, confirmed=confirmed)
    except ValidationFailed as error:
        return await _profile_page(
            request, person, blocked_values=values, blocked_errors=error.errors, status_code=400
        )
    except trainers.BlockingBookedDays as error:
        return _block_warning(request, error, values, person, f"/trainers/{person.id}/geblokkeerd")
    return RedirectResponse(f"/trainers/{person.id}?melding=geblokkeerd#geblokkeerd", status_code=303)


@requires(Role.COORDINATOR, Role.TRAINER)
async def remove_blocked_period(request: Request) -> Response:
    """The trainer's own period, or anyone's for a coordinator (the service refuses others with 404)."""
    period_id = _id_param(request, "period_id")
    form = await read_form(request)
    user: User = request.state.user
    await trainers.remove_blocked_period(period_id, actor=user)
    if user.role is Role.TRAINER:
        target = "/trainer/beschikbaarheid"
    else:
        back = values_of(form, "volgende")["volgende"]
        target = back if PROFILE_PATH.fullmatch(back) else "/trainers"
    return RedirectResponse(f"{target}?melding=vrijgegeven#geblokkeerd", status_code=303)


# ---------- Trainers: their own availability ----------


async def _own_page(
    request: Request,
    *,
    availability: list[str] | None = None,
    errors: dict[str, str] | None = None,
    blocked_values: dict[str, str] | None = None,
    blocked_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    profile = await trainers.profile_of(request.state.user)
    if availability is None:
        availability = list(profile.weekly_availability) if profile else []
    return render(
        request,
        "bookings/trainers/own_availability.html",
        {
            "profile": profile,
            "weekdays": trainers.WEEKDAYS,
            "availability": availability,
            "errors": errors or {},
            "periods": await trainers.current_blocked_periods(profile),
            "blocked_values": blocked_values or dict.fromkeys(trainers.BLOCKED_PERIOD_FIELDS, ""),
            "blocked_errors": blocked_errors or {},
            "notice": _notice(request, OWN_NOTICES),
            "blocked_notice": _notice(request, BLOCKED_NOTICES),
        },
        status_code=status_code,
    )


@requires(Role.TRAINER)
async def own_availability(request: Request) -> Response:
    return await _own_page(request)


@requires(Role.TRAINER)
async def save_own_availability(request: Request) -> Response:
    form = await read_form(request)
    availability = _strings(form.getlist("availability"))[:100]
    try:
        await trainers.save_availability(request.state.user, availability)
    except ValidationFailed as error:
        return await _own_page(request, availability=availability, errors=error.errors, status_code=400)
    return RedirectResponse("/trainer/beschikbaarheid?melding=opgeslagen", status_code=303)


@requires(Role.TRAINER)
async def add_own_blocked_period(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, *trainers.BLOCKED_PERIOD_FIELDS)
    confirmed = values_of(form, "bevestigd")["bevestigd"] == "1"
    user = request.state.user
    try:
        await trainers.add_blocked_period(user, **values, actor=user, confirmed=confirmed)
    except ValidationFailed as error:
        return await _own_page(request, blocked_values=values, blocked_errors=error.errors, status_code=400)
    except trainers.BlockingBookedDays as error:
        return _block_warning(request, error, values, user, "/trainer/geblokkeerd")
    return RedirectResponse("/trainer/beschikbaarheid?melding=geblokkeerd#geblokkeerd", status_code=303)


#: Fixed paths before "/trainers/{user_id}", which would otherwise take them.
routes = [
    Route("/trainers", trainer_list, methods=["GET"]),
    Route("/trainers/specialismen", add_specialty, methods=["POST"]),
    Route("/trainers/geblokkeerd/{period_id}/verwijderen", remove_blocked_period, methods=["POST"]),
    Route("/trainers/{user_id}", profile_form, methods=["GET"]),
    Route("/trainers/{user_id}", save_profile, methods=["POST"]),
    Route("/trainers/{user_id}/geblokkeerd", add_blocked_period, methods=["POST"]),
    Route("/trainer/beschikbaarheid", own_availability, methods=["GET"]),
    Route("/trainer/beschikbaarheid", save_own_availability, methods=["POST"]),
    Route("/trainer/geblokkeerd", add_own_blocked_period, methods=["POST"]),
]
