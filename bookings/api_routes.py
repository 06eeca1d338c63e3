"""API v1: offerings, bookings and the trainers' requests, through the same services as the pages."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from bookings.calendar import feed
from bookings.contacts import contacts_of
from bookings.contacts_models import ContactFunction
from bookings.models import Booking, BookingStatus, Offering
from bookings.queries import booking_for
from bookings.staffing_models import AssignmentRequest
from server.api import PAGING_PARAMS, ApiCall, Operation, Param, cursor, list_schema, page_of, page_size
from server.errors import ValidationFailed
from server.i18n import _
from server.models import ApiScope, Role
from server.organisations import organisation_for

DATE_TIME = {"type": "string", "format": "date-time", "nullable": True}
OFFERING = {
    "type": "object",
    "required": ["id", "name", "stage", "durationMinutes", "priceModel", "priceCents"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "stage": {"type": "string"},
        "durationMinutes": {"type": "integer"},
        "maxParticipants": {"type": "integer", "nullable": True},
        "priceModel": {"type": "string"},
        "priceCents": {"type": "integer", "description": "Prijs in eurocent, exclusief btw."},
    },
}
BOOKING = {
    "type": "object",
    "required": ["reference", "organisationCode", "offeringId", "status", "startsAt", "endsAt", "createdAt"],
    "properties": {
        "reference": {"type": "string", "example": "WB-AB12CD"},
        "organisationCode": {"type": "string"},
        "offeringId": {"type": "integer"},
        "offeringName": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in BookingStatus]},
        "startsAt": DATE_TIME,
        "endsAt": DATE_TIME,
        "expectedParticipants": {"type": "integer"},
        "partOfDay": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
    },
}
REQUEST = {
    "type": "object",
    "required": ["id", "bookingReference", "kind", "status", "startsAt", "endsAt"],
    "properties": {
        "id": {"type": "integer"},
        "bookingReference": {"type": "string"},
        "kind": {"type": "string"},
        "status": {"type": "string"},
        "startsAt": {"type": "string", "format": "date-time"},
        "endsAt": {"type": "string", "format": "date-time"},
        "expiresAt": DATE_TIME,
    },
}
VIEWERS = frozenset({Role.COORDINATOR, Role.FINANCE, Role.CLERK})
BOOKERS = frozenset({Role.COORDINATOR, Role.CLERK})


def offering_json(offering: Offering) -> dict[str, Any]:
    return {
        "id": offering.id,
        "name": offering.name,
        "description": offering.description,
        "stage": offering.stage.value,
        "durationMinutes": offering.duration_minutes,
        "maxParticipants": offering.max_participants,
        "priceModel": offering.price_model.value,
        "priceCents": offering.price_cents,
    }


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "reference": booking.reference,
        "organisationCode": booking.organisation.cbs_code,
        "offeringId": booking.offering.id,
        "offeringName": booking.offering.name,
        "status": booking.status.value,
        "startsAt": booking.starts_at,
        "endsAt": booking.ends_at,
        "expectedParticipants": booking.expected_participants,
        "partOfDay": booking.part_of_day.value,
        "createdAt": booking.created_at,
    }


def request_json(request: AssignmentRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "bookingReference": request.booking.reference,
        "kind": request.kind.value,
        "status": request.status.value,
        "startsAt": request.starts_at,
        "endsAt": request.ends_at,
        "expiresAt": request.expires_at,
    }


async def list_offerings(call: ApiCall) -> dict[str, Any]:
    offerings = await Offering.filter(is_active=True).order_by("id")
    return {"items": [offering_json(o) for o in offerings], "next": None}


async def list_bookings(call: ApiCall) -> dict[str, Any]:
    """Newest first; a clerk only their organisation's, like the organisation's booking page."""
    size = page_size(call)
    query = Booking.all().select_related("organisation", "offering").order_by("-id")
    if call.user.role is Role.CLERK:
        query = query.filter(organisation_id=call.user.organisation_id)  # type: ignore[attr-defined]
    if code := call.query.get("organisation"):
        organisation = await organisation_for(call.user, code)
        query = query.filter(organisation=organisation)
    if status := call.query.get("status"):
        if status not in BookingStatus.__members__.values():
            raise ValidationFailed({"status": _("Onbekende status.")})
        query = query.filter(status=status)
    if (before := cursor(call)) is not None:
        query = query.filter(id__lt=before)
    rows = await query.limit(size + 1)
    return page_of([booking_json(b) for b in rows], [b.id for b in rows], size)


async def read_booking(call: ApiCall) -> dict[str, Any]:
    return booking_json(await booking_for(call.user, call.path["reference"]))


async def list_requests(call: ApiCall) -> dict[str, Any]:
    """The trainer's own requests, newest first."""
    size = page_size(call)
    query = AssignmentRequest.filter(trainer=call.user).select_related("booking").order_by("-id")
    if (before := cursor(call)) is not None:
        query = query.filter(id__lt=before)
    rows = await query.limit(size + 1)
    return page_of([request_json(r) for r in rows], [r.id for r in rows], size)


operations = [
    Operation(
        "GET",
        "/offerings",
        "listOfferings",
        "Het actieve aanbod",
        "aanbod",
        ApiScope.READ,
        BOOKERS,
        list_offerings,
        list_schema(OFFERING),
    ),
    Operation(
        "GET",
        "/bookings",
        "listBookings",
        "Boekingen",
        "boekingen",
        ApiScope.READ,
        VIEWERS,
        list_bookings,
        list_schema(BOOKING),
        query=(
            *PAGING_PARAMS,
            Param("organisation", {"type": "string", "pattern": "^(GM|PV)[0-9]{2,4}$"}, "CBS-code."),
            Param(
                "status", {"type": "string", "enum": [s.value for s in BookingStatus]}, "Alleen deze status."
            ),
        ),
        description="Nieuwste eerst. Een griffier ziet alleen de boekingen van de eigen organisatie.",
    ),
    Operation(
        "GET",
        "/bookings/{reference}",
        "readBooking",
        "Eén boeking",
        "boekingen",
        ApiScope.READ,
        VIEWERS,
        read_booking,
        BOOKING,
    ),
    Operation(
        "GET",
        "/assignment-requests",
        "listAssignmentRequests",
        "De eigen verzoeken van een trainer",
        "verzoeken",
        ApiScope.READ,
        frozenset({Role.TRAINER}),
        list_requests,
        list_schema(REQUEST),
        query=PAGING_PARAMS,
    ),
]


CONTACT = {
    "type": "object",
    "required": ["id", "name", "function", "email", "phone"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "function": {"type": "string", "enum": [f.value for f in ContactFunction]},
        "email": {"type": "string"},
        "phone": {"type": "string"},
    },
}


async def list_contacts(call: ApiCall) -> dict[str, Any]:
    """The organisation's contacts, as on its page for coordinators."""
    organisation = await organisation_for(call.user, call.path["code"])
    contacts = await contacts_of(organisation)
    items = [
        {"id": c.id, "name": c.name, "function": c.function.value, "email": c.email, "phone": c.phone}
        for c in contacts
    ]
    return {"items": items, "next": None}


async def booking_calendar(call: ApiCall) -> Response:
    """The session as iCalendar (METHOD PUBLISH, the same event and UID as the calendar feeds)."""
    booking = await booking_for(call.user, call.path["reference"])
    return Response(feed([booking], name=booking.reference), media_type="text/calendar")


operations += [
    Operation(
        "GET",
        "/bookings/{reference}/calendar",
        "readBookingCalendar",
        "De sessie als iCalendar",
        "boekingen",
        ApiScope.READ,
        VIEWERS,
        booking_calendar,
        None,
        media_type="text/calendar",
        description="Leeg zolang de sessie geen datum heeft; dezelfde UID als in de uitnodigingen.",
    ),
    Operation(
        "GET",
        "/organisations/{code}/contacts",
        "listContacts",
        "Contactpersonen van een organisatie",
        "organisaties",
        ApiScope.READ,
        frozenset({Role.COORDINATOR}),
        list_contacts,
        list_schema(CONTACT),
    ),
]
