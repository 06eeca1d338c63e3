"""Bookings models: the catalogue of offerings, clerks' bookings, tour invitations, calendar feeds."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from server.models import Organisation, User
from server.timestamps import ClockDatetimeField


class Stage(StrEnum):
    INTAKE = "intake"
    COUNCIL_SESSION = "council_session"
    FOLLOW_UP = "follow_up"

    @property
    def collects_feedback(self) -> bool:
        """The intake is a conversation with the griffie, not a session: participants give no feedback."""
        return self is not Stage.INTAKE


class Audience(StrEnum):
    WHOLE_COUNCIL = "whole_council"
    GROUP = "group"
    INDIVIDUALS = "individuals"


class PriceModel(StrEnum):
    FREE = "free"
    PER_SESSION = "per_session"
    PER_PARTICIPANT = "per_participant"


class VatTreatment(StrEnum):
    STANDARD = "standard"
    EXEMPT_EDUCATION = "exempt_education"

    @property
    def rate_percent(self) -> int:
        return 21 if self is VatTreatment.STANDARD else 0


class TrainerKind(StrEnum):
    """Who a session needs. COORDINATOR is a team coordinator (the intake), the others trainers."""

    COORDINATOR = "coordinator"
    MODERATOR = "moderator"
    TRAINER = "trainer"
    EXPERT = "expert"
    PEER = "peer"


class PartOfDay(StrEnum):
    AFTERNOON = "afternoon"
    EVENING = "evening"


class BookingStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Offering(Model):
    """Something the team offers: the intake, the free council-wide session, a paid training."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    stage = fields.CharEnumField(Stage, max_length=32)
    audience = fields.CharEnumField(Audience, max_length=32)
    duration_minutes = fields.IntField()
    max_participants = fields.IntField(null=True)
    price_model = fields.CharEnumField(PriceModel, max_length=32)
    price_cents = fields.IntField(default=0)
    vat_treatment = fields.CharEnumField(VatTreatment, max_length=32, default=VatTreatment.STANDARD)
    is_active = fields.BooleanField(default=True)
    created_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    roles: fields.ReverseRelation[OfferingRole]

    class Meta:
        table = "offering"
        ordering = ["stage", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price_model is PriceModel.FREE


class OfferingRole(Model):
    """How many people of one kind an offering needs, e.g. one moderator and one or two trainers."""

    id = fields.IntField(primary_key=True)
    offering: fields.ForeignKeyRelation[Offering] = fields.ForeignKeyField(
        "bookings.Offering", related_name="roles", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(TrainerKind, max_length=32)
    min_count = fields.IntField(default=1)
    max_count = fields.IntField(default=1)

    class Meta:
        table = "offering_role"
        unique_together = (("offering", "kind"),)


class Booking(Model):
    """A clerk's booking of an offering for their organisation, from request to delivery.

    Prices and VAT are copied from the offering when the booking is made: that is what was quoted.
    """

    id = fields.IntField(primary_key=True)
    reference = fields.CharField(max_length=12, unique=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="bookings", on_delete=fields.RESTRICT
    )
    offering: fields.ForeignKeyRelation[Offering] = fields.ForeignKeyField(
        "bookings.Offering", related_name="bookings", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(BookingStatus, max_length=16, default=BookingStatus.REQUESTED)
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="requested_bookings", null=True, on_delete=fields.SET_NULL
    )
    created_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    local_situation = fields.TextField(default="")
    themes = fields.JSONField(default=list)
    expected_participants = fields.IntField()
    part_of_day = fields.CharEnumField(PartOfDay, max_length=16)
    location_address = fields.TextField()
    special_needs = fields.TextField(default="")
    contact_name = fields.CharField(max_length=200)
    contact_phone = fields.CharField(max_length=40)
    #: Optional: the contact on the day gets the calendar invitations too when an address is given.
    contact_email = fields.CharField(max_length=254, default="", db_default="")

    price_model = fields.CharEnumField(PriceModel, max_length=32)
    unit_price_cents = fields.IntField(default=0)
    vat_treatment = fields.CharEnumField(VatTreatment, max_length=32)
    po_number = fields.CharField(max_length=100, default="")
    invoice_email = fields.CharField(max_length=254, default="")

    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    calendar_sequence = fields.IntField(default=0)
    #: For the free council-wide session: the council term it counts against (one per term).
    council_term_start = fields.DateField(null=True)

    participants_count = fields.IntField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="cancelled_bookings", null=True, on_delete=fields.SET_NULL
    )
    cancellation_reason = fields.TextField(default="")
    cancellation_fee_cents = fields.IntField(default=0)

    outcome_notes = fields.TextField(default="")
    next_step = fields.TextField(default="")

    preferred_slots: fields.ReverseRelation[PreferredSlot]

    class Meta:
        table = "booking"
        ordering = ["-created_at", "-id"]
        indexes = (Index(fields=("status", "starts_at")), Index(fields=("organisation_id", "status")))

    def __str__(self) -> str:
        return f"{self.reference}"

    @property
    def is_paid(self) -> bool:
        return self.price_model is not PriceModel.FREE

    @property
    def can_schedule(self) -> bool:
        return self.status in (BookingStatus.REQUESTED, BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)

    @property
    def can_confirm(self) -> bool:
        return self.status is BookingStatus.SCHEDULED

    @property
    def can_cancel(self) -> bool:
        return self.status in (BookingStatus.REQUESTED, BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)

    @property
    def can_deliver(self) -> bool:
        return self.status is BookingStatus.CONFIRMED

    @property
    def can_close(self) -> bool:
        return self.status is BookingStatus.DELIVERED

    @property
    def can_change_po_number(self) -> bool:
        return self.is_paid and self.status is not BookingStatus.CLOSED

    @property
    def collects_feedback(self) -> bool:
        """A planned session that takes or took place, of a stage with a feedback form (offering fetched)."""
        return (
            self.offering.stage.collects_feedback
            and self.starts_at is not None
            and self.status in (BookingStatus.CONFIRMED, BookingStatus.DELIVERED, BookingStatus.CLOSED)
        )


class PreferredSlot(Model):
    """One of the one to three dates and start times a clerk proposes."""

    id = fields.IntField(primary_key=True)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="preferred_slots", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    starts_at = fields.DatetimeField()

    class Meta:
        table = "preferred_slot"
        ordering = ["position"]
        unique_together = (("booking", "position"),)


class TourInvitation(Model):
    """A coordinator invited an organisation to the tour, booked_at is set by its first booking."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="tour_invitations", on_delete=fields.CASCADE
    )
    invited_at = ClockDatetimeField(auto_now_add=True)
    invited_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="sent_tour_invitations", null=True, on_delete=fields.SET_NULL
    )
    recipients = fields.IntField(default=0)
    booked_at = fields.DatetimeField(null=True)
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="invitations", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "tour_invitation"
        ordering = ["-invited_at", "-id"]


class FreeSessionException(Model):
    """A coordinator allowed a second free council-wide session in one council term, with a reason."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="free_session_exceptions", on_delete=fields.CASCADE
    )
    term_start = fields.DateField()
    reason = fields.TextField()
    granted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="granted_exceptions", null=True, on_delete=fields.SET_NULL
    )
    granted_at = ClockDatetimeField(auto_now_add=True)
    used_by: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="exception_used", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "free_session_exception"


class BookingReminder(Model):
    """A reminder that went out, so each one goes out once (per start time: a new date, new reminders)."""

    id = fields.IntField(primary_key=True)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="reminders", on_delete=fields.CASCADE
    )
    days_before = fields.IntField()
    starts_at = fields.DatetimeField()
    sent_at = ClockDatetimeField(auto_now_add=True)

    class Meta:
        table = "booking_reminder"
        unique_together = (("booking", "days_before", "starts_at"),)


class CalendarInvitation(Model):
    """What one address's calendar holds of one session: the SEQUENCE last sent there, and whether
    that was a cancellation (the event is gone from that calendar).

    Each iMIP message to the address carries a SEQUENCE above the last one sent to it (and never
    below the booking's `calendar_sequence`), so every calendar program applies it as the newest.
    """

    id = fields.IntField(primary_key=True)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="calendar_invitations", on_delete=fields.CASCADE
    )
    address = fields.CharField(max_length=254)
    sequence = fields.IntField()
    is_cancelled = fields.BooleanField(default=False)
    sent_at = fields.DatetimeField()

    class Meta:
        table = "calendar_invitation"
        unique_together = (("booking", "address"),)

    @property
    def is_active(self) -> bool:
        """The session is in this calendar (invited, not cancelled since)."""
        return not self.is_cancelled


class CalendarFeed(Model):
    """A private, revocable calendar feed URL.

    The token is a read-only capability for the sessions of one person. It is kept (not hashed) so
    that the person can copy the URL again.
    """

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "core.User", related_name="calendar_feed", on_delete=fields.CASCADE
    )
    token = fields.CharField(max_length=64, unique=True)
    created_at = ClockDatetimeField(auto_now_add=True)

    class Meta:
        table = "calendar_feed"
