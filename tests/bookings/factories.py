"""Factories for bookings test data: an offering and a booking with sensible defaults."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta

from bookings.availability import WEEKDAYS
from bookings.models import (
    Audience,
    Booking,
    BookingStatus,
    Offering,
    PartOfDay,
    PriceModel,
    Stage,
    TrainerKind,
    VatTreatment,
)
from bookings.staffing_models import AssignmentRequest, RequestStatus, Specialty, TrainerProfile
from server.models import Organisation, Role, User
from tests.factories import make_organisation, make_user

_numbers = itertools.count(1)


async def make_offering(**overrides: object) -> Offering:
    values: dict[str, object] = {
        "name": "Raadsbrede sessie",
        "stage": Stage.COUNCIL_SESSION,
        "audience": Audience.WHOLE_COUNCIL,
        "duration_minutes": 150,
        "price_model": PriceModel.FREE,
        "price_cents": 0,
        "vat_treatment": VatTreatment.EXEMPT_EDUCATION,
    }
    values.update(overrides)
    return await Offering.create(**values)


async def make_booking(**overrides: object) -> Booking:
    """A booking with an organisation and offering of its own unless given (as objects or `_id`s).

    Prices are copied from the offering; a `starts_at` without `ends_at` ends after the offering's
    duration; pass `status` for anything but a request. Offering and organisation come fetched.
    """
    values: dict[str, object] = {
        "reference": f"WB-{next(_numbers):06d}",
        "expected_participants": 25,
        "part_of_day": PartOfDay.EVENING,
        "location_address": "Raadhuis, Markt 1, 3701 AB Zeist",
        "contact_name": "Petra de Griffier",
        "contact_phone": "06 12 34 56 78",
        "status": BookingStatus.REQUESTED,
    }
    values.update(overrides)
    if "organisation" not in values and "organisation_id" not in values:
        values["organisation"] = await make_organisation()
    if "offering_id" in values:
        values["offering"] = await Offering.get(id=values.pop("offering_id"))
    elif "offering" not in values:
        values["offering"] = await make_offering()
    offering = values["offering"]
    assert isinstance(offering, Offering)
    values.setdefault("price_model", offering.price_model)
    values.setdefault("unit_price_cents", offering.price_cents)
    values.setdefault("vat_treatment", offering.vat_treatment)
    starts_at = values.get("starts_at")
    if isinstance(starts_at, datetime) and "ends_at" not in values:
        values["ends_at"] = starts_at + timedelta(minutes=offering.duration_minutes)
    booking = await Booking.create(**values)
    await booking.fetch_related("offering", "organisation")
    return booking


#: Every weekly-availability key: available every afternoon and evening.
ALL = tuple(f"{day}_{part}" for day in WEEKDAYS for part in PartOfDay)


async def make_trainer(
    kind: TrainerKind = TrainerKind.TRAINER,
    *,
    provinces: Iterable[Organisation] = (),
    specialties: Iterable[str] = (),
    availability: Iterable[str] = ALL,
    max_per_month: int = 4,
    **user_overrides: object,
) -> User:
    """A user with a trainer profile of this kind: the coordinator role for the coordinator kind (the
    intake), else the trainer role. Specialties are names, created when new."""
    role = Role.COORDINATOR if kind is TrainerKind.COORDINATOR else Role.TRAINER
    user = await make_user(role, **user_overrides)
    profile = await TrainerProfile.create(
        user=user, kind=kind, weekly_availability=list(availability), max_sessions_per_month=max_per_month
    )
    if provinces:
        await profile.provinces.add(*provinces)
    names = list(specialties)
    if names:
        await profile.specialties.add(*[(await Specialty.get_or_create(name=name))[0] for name in names])
    return user


async def make_request(
    booking: Booking,
    trainer: User,
    kind: TrainerKind,
    status: RequestStatus = RequestStatus.PENDING,
    **overrides: object,
) -> AssignmentRequest:
    """A request to `trainer` for a role in `booking`, at the booking's time unless given."""
    values: dict[str, object] = {
        "booking": booking,
        "trainer": trainer,
        "kind": kind,
        "status": status,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
    }
    values.update(overrides)
    return await AssignmentRequest.create(**values)
