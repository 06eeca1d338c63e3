"""API v1: what changes bookings and requests (book, cancel, accept, decline), through the same parser
and services as the pages, so the rules, the locks and the Dutch messages are the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bookings import assignment, lifecycle, service
from bookings.api_routes import BOOKERS, BOOKING, REQUEST, booking_json, request_json
from bookings.forms import MAX_SLOTS, THEMES, parse_booking_form
from bookings.models import PartOfDay
from bookings.queries import booking_for
from bookings.staffing_models import AssignmentRequest
from server.api import ApiCall, Operation
from server.clock import AMSTERDAM
from server.errors import ValidationFailed
from server.i18n import _, lazy_gettext
from server.models import ApiScope, Role
from server.organisations import organisation_for

#: The form's field -> the API's name for it, where they differ by more than the casing.
FIELD_NAMES = {"offering": "offering_id", **{f"date_{n}": f"preferred_starts_{n}" for n in range(1, 4)}}
TEXTS = (
    "local_situation",
    "location_address",
    "special_needs",
    "contact_name",
    "contact_phone",
    "contact_email",
    "po_number",
    "invoice_email",
)
BOOKING_REQUEST = {
    "type": "object",
    "required": [
        "organisationCode",
        "offeringId",
        "localSituation",
        "expectedParticipants",
        "partOfDay",
        "locationAddress",
        "contactName",
        "contactPhone",
        "preferredStarts",
    ],
    "properties": {
        "organisationCode": {"type": "string"},
        "offeringId": {"type": "integer"},
        "localSituation": {"type": "string"},
        "themes": {"type": "array", "items": {"type": "string", "enum": [value for value, _label in THEMES]}},
        "expectedParticipants": {"type": "integer", "minimum": 1},
        "partOfDay": {"type": "string", "enum": [p.value for p in PartOfDay]},
        "locationAddress": {"type": "string"},
        "specialNeeds": {"type": "string"},
        "contactName": {"type": "string"},
        "contactPhone": {"type": "string"},
        "contactEmail": {"type": "string"},
        "poNumber": {"type": "string"},
        "invoiceEmail": {"type": "string"},
        "preferredStarts": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SLOTS,
            "items": {"type": "string", "format": "date-time"},
            "description": "Voorkeursmomenten (begin) met tijdzone, 08:00-21:00 Nederlandse tijd.",
        },
    },
}
MOMENT_MESSAGE = lazy_gettext("Geef een moment met tijdzone, bijvoorbeeld 2027-03-15T19:30:00+01:00.")
CANCELLATION = {
    "type": "object",
    "properties": {"reason": {"type": "string", "description": "Verplicht voor een griffier."}},
}
DECLINE = {"type": "object", "properties": {"reason": {"type": "string"}}}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(_camel(name), "")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationFailed({name: _("Vul hier tekst in.")})
    return str(value)


def form_values(body: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The JSON body as the booking form's values, so that the form's parser judges it."""
    values = {name: _string(body, name) for name in (*TEXTS, "expected_participants", "part_of_day")}
    values["offering"] = _string(body, "offering_id")
    starts = body.get("preferredStarts", [])
    themes = body.get("themes", [])
    if not isinstance(starts, list) or len(starts) > MAX_SLOTS:
        raise ValidationFailed({"preferred_starts": _("Geef één tot drie voorkeursmomenten.")})
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        raise ValidationFailed({"themes": _("Kies thema's uit de lijst.")})
    for n, raw in enumerate(starts, start=1):
        try:
            moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ValidationFailed({f"preferred_starts_{n}": MOMENT_MESSAGE})
        local = moment.astimezone(AMSTERDAM)
        values[f"date_{n}"], values[f"time_{n}"] = local.date().isoformat(), local.strftime("%H:%M")
    return values, themes


def _api_names(errors: dict[str, str]) -> dict[str, str]:
    return {
        FIELD_NAMES.get(name, name.replace("time_", "preferred_starts_")): m for name, m in errors.items()
    }


async def create_booking(call: ApiCall) -> dict[str, Any]:
    """A booking request, judged by the form's parser and `service.create_booking`."""
    values, themes = form_values(call.body)
    organisation = await organisation_for(call.user, _string(call.body, "organisation_code"))
    draft, errors = parse_booking_form(values, themes)
    if draft is None:
        raise ValidationFailed(_api_names(errors))
    try:
        booking = await service.create_booking(
            organisation, draft, actor=call.user, settings=call.request.app.state.settings
        )
    except ValidationFailed as error:
        raise ValidationFailed(_api_names(error.errors)) from None
    return booking_json(await booking_for(call.user, booking.reference))


async def cancel_booking(call: ApiCall) -> dict[str, Any]:
    """Cancel as on the booking's page (a clerk gives a reason; the same fee rules)."""
    booking = await booking_for(call.user, call.path["reference"])
    await lifecycle.cancel_booking(
        booking.id, _string(call.body, "reason"), actor=call.user, settings=call.request.app.state.settings
    )
    return booking_json(await booking_for(call.user, booking.reference))


RESCHEDULE = {
    "type": "object",
    "required": ["startsAt"],
    "properties": {
        "startsAt": {
            "type": "string",
            "format": "date-time",
            "description": "Het nieuwe begin, met tijdzone.",
        },
        "allowHoliday": {"type": "boolean", "description": "Alleen coördinatoren: ook op een feestdag."},
    },
}


async def reschedule_booking(call: ApiCall) -> dict[str, Any]:
    """Move the session as on the booking's page (the clerk's lead time, no public holidays)."""
    booking = await booking_for(call.user, call.path["reference"])
    raw = call.body.get("startsAt")
    try:
        starts_at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        starts_at = None
    if starts_at is None or starts_at.tzinfo is None:
        raise ValidationFailed({"starts_at": MOMENT_MESSAGE})
    booking = await booking_for(call.user, call.path["reference"])
    await lifecycle.reschedule_booking(
        booking.id,
        starts_at.astimezone(AMSTERDAM),
        actor=call.user,
        settings=call.request.app.state.settings,
        allow_holiday=call.body.get("allowHoliday") is True and call.user.role is Role.COORDINATOR,
    )
    return booking_json(await booking_for(call.user, booking.reference))


async def _answer(call: ApiCall, accept: bool) -> dict[str, Any]:
    """The trainer's answer from the portal, with its lock on the trainer's profile."""
    answered = await assignment.answer_by_id(
        call.path["requestId"],
        accept,
        "" if accept else _string(call.body, "reason"),
        trainer=call.user,
        settings=call.request.app.state.settings,
    )
    return request_json(await AssignmentRequest.get(id=answered.id).select_related("booking"))


async def accept_request(call: ApiCall) -> dict[str, Any]:
    return await _answer(call, accept=True)


async def decline_request(call: ApiCall) -> dict[str, Any]:
    return await _answer(call, accept=False)


TRAINER = frozenset({Role.TRAINER})
operations = [
    Operation(
        "POST",
        "/bookings",
        "createBooking",
        "Een boekingsaanvraag doen",
        "boekingen",
        ApiScope.BOOK,
        BOOKERS,
        create_booking,
        BOOKING,
        status=201,
        request_body=BOOKING_REQUEST,
        creates=True,
        description="Dezelfde regels en meldingen als het boekingsformulier. Stuur een Idempotency-Key mee "
        "om een herhaling veilig te maken.",
    ),
    Operation(
        "POST",
        "/bookings/{reference}/cancellation",
        "cancelBooking",
        "Een boeking annuleren",
        "boekingen",
        ApiScope.BOOK,
        BOOKERS,
        cancel_booking,
        BOOKING,
        request_body=CANCELLATION,
    ),
    Operation(
        "PATCH",
        "/bookings/{reference}",
        "rescheduleBooking",
        "Een geplande of bevestigde sessie verzetten",
        "boekingen",
        ApiScope.BOOK,
        BOOKERS,
        reschedule_booking,
        BOOKING,
        request_body=RESCHEDULE,
        description="Dezelfde regels als op de pagina: een griffier houdt de minimale termijn aan; "
        "de trainers bevestigen opnieuw en iedereen krijgt een bijgewerkte agenda-uitnodiging.",
    ),
    Operation(
        "POST",
        "/assignment-requests/{requestId:int}/acceptance",
        "acceptAssignmentRequest",
        "Een verzoek accepteren",
        "verzoeken",
        ApiScope.ANSWER_REQUESTS,
        TRAINER,
        accept_request,
        REQUEST,
        description="Met dezelfde vergrendeling als het portaal: nooit twee sessies tegelijk.",
    ),
    Operation(
        "POST",
        "/assignment-requests/{requestId:int}/refusal",
        "declineAssignmentRequest",
        "Een verzoek afwijzen",
        "verzoeken",
        ApiScope.ANSWER_REQUESTS,
        TRAINER,
        decline_request,
        REQUEST,
        request_body=DECLINE,
    ),
]
