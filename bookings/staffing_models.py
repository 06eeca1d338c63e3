"""Staffing models: trainer profiles, specialties, availability, and the requests that ask a trainer
to take a role in a booking (which become the trainer's assignments once accepted)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from bookings.models import Booking, TrainerKind
from server.models import Organisation, User
from server.timestamps import ClockDatetimeField


class Specialty(Model):
    """A subject a trainer is good at (moderation, online hate), on a list coordinators keep."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)

    class Meta:
        table = "specialty"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrainerProfile(Model):
    """What the team knows of a trainer for staffing.

    weekly_availability holds keys like mon_afternoon and fri_evening. The day rates are a history of
    their own (`bookings.day_rate_models.DayRate`); is_vat_registered says whether the trainer's fee
    statements add VAT.
    """

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "core.User", related_name="trainer_profile", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(TrainerKind, max_length=32)
    specialties: fields.ManyToManyRelation[Specialty] = fields.ManyToManyField(
        "bookings.Specialty", related_name="trainers", through="trainer_specialty"
    )
    provinces: fields.ManyToManyRelation[Organisation] = fields.ManyToManyField(
        "core.Organisation", related_name="trainers", through="trainer_province"
    )
    home_town = fields.CharField(max_length=100, default="")
    weekly_availability = fields.JSONField(default=list)
    max_sessions_per_month = fields.IntField(default=4)
    is_vat_registered = fields.BooleanField(default=False, db_default=False)
    updated_at = ClockDatetimeField(auto_now=True)

    class Meta:
        table = "trainer_profile"


class BlockedPeriod(Model):
    """Days a trainer is not available (holidays), inclusive."""

    id = fields.IntField(primary_key=True)
    profile: fields.ForeignKeyRelation[TrainerProfile] = fields.ForeignKeyField(
        "bookings.TrainerProfile", related_name="blocked_periods", on_delete=fields.CASCADE
    )
    first_day = fields.DateField()
    last_day = fields.DateField()
    note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "blocked_period"
        ordering = ["first_day"]


class OfferingSpecialty(Model):
    """The specialties an offering calls for (candidates who have them rank higher)."""

    id = fields.IntField(primary_key=True)
    offering = fields.ForeignKeyField(
        "bookings.Offering", related_name="specialty_links", on_delete=fields.CASCADE
    )
    specialty = fields.ForeignKeyField(
        "bookings.Specialty", related_name="offering_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "offering_specialty"
        unique_together = (("offering", "specialty"),)


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


#: Statuses in which a request holds the trainer's time.
HOLDING = (RequestStatus.PENDING, RequestStatus.ACCEPTED)


class AssignmentRequest(Model):
    """A trainer asked to take one role in a booking. Once accepted, it is their assignment.

    starts_at and ends_at copy the time of the booking when asked (and follow a reschedule), so that
    overlap checks are one indexed query on this table.
    """

    id = fields.IntField(primary_key=True)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="assignment_requests", on_delete=fields.CASCADE
    )
    trainer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="assignment_requests", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(TrainerKind, max_length=32)
    status = fields.CharEnumField(RequestStatus, max_length=16, default=RequestStatus.PENDING)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    token_hash = fields.CharField(max_length=64, unique=True, null=True)
    asked_at = ClockDatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    reason = fields.TextField(default="")
    asked_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="sent_assignment_requests", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "assignment_request"
        ordering = ["asked_at", "id"]
        indexes = (
            Index(fields=("trainer_id", "status", "starts_at")),
            Index(fields=("booking_id", "kind", "status")),
            Index(fields=("status", "expires_at")),
        )

    @property
    def is_pending(self) -> bool:
        return self.status is RequestStatus.PENDING

    @property
    def is_accepted(self) -> bool:
        return self.status is RequestStatus.ACCEPTED
