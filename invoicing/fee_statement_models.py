"""Trainer fee statements: per trainer per month the sessions they gave, what each earns at the day
rate valid then, and the travel costs; approved by a coordinator, after which nothing changes."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from bookings.staffing_models import AssignmentRequest
from server.models import User
from server.timestamps import ClockDatetimeField


class FeeStatementStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class FeeStatement(Model):
    """One trainer's statement for one month (`month` is its first day).

    While a draft or submitted, the totals are summed from the lines; approval copies the trainer's
    name, the VAT treatment of their profile and the totals onto the row and stores the PDF, and
    from then on the statement and its lines never change.
    """

    id = fields.IntField(primary_key=True)
    trainer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="fee_statements", on_delete=fields.RESTRICT
    )
    month = fields.DateField()
    status = fields.CharEnumField(FeeStatementStatus, max_length=16, default=FeeStatementStatus.DRAFT)
    trainer_name = fields.CharField(max_length=200, default="")
    vat_percent = fields.IntField(default=0)
    fee_cents = fields.IntField(default=0)
    travel_cents = fields.IntField(default=0)
    vat_cents = fields.IntField(default=0)
    total_cents = fields.IntField(default=0)
    #: Why a coordinator sent the statement back (empty unless it was).
    returned_reason = fields.TextField(default="")
    submitted_at = fields.DatetimeField(null=True)
    submitted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="submitted_fee_statements", null=True, on_delete=fields.SET_NULL
    )
    approved_at = fields.DatetimeField(null=True)
    approved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="approved_fee_statements", null=True, on_delete=fields.SET_NULL
    )
    pdf = fields.BinaryField(null=True)
    created_at = ClockDatetimeField(auto_now_add=True)

    lines: fields.ReverseRelation[FeeStatementLine]

    class Meta:
        table = "fee_statement"
        unique_together = (("trainer", "month"),)
        ordering = ["-month", "id"]

    @property
    def is_draft(self) -> bool:
        return self.status is FeeStatementStatus.DRAFT

    @property
    def is_submitted(self) -> bool:
        return self.status is FeeStatementStatus.SUBMITTED

    @property
    def is_approved(self) -> bool:
        return self.status is FeeStatementStatus.APPROVED


class FeeStatementLine(Model):
    """One session the trainer gave: its hours, the day rate valid on its day, the fee and travel costs.

    `assignment` is unique: a session is paid on one statement only. Description, day and hours are
    copied, so an approved statement keeps them when the booking changes later.
    """

    id = fields.IntField(primary_key=True)
    statement: fields.ForeignKeyRelation[FeeStatement] = fields.ForeignKeyField(
        "invoicing.FeeStatement", related_name="lines", on_delete=fields.CASCADE
    )
    assignment: fields.ForeignKeyNullableRelation[AssignmentRequest] = fields.ForeignKeyField(
        "bookings.AssignmentRequest",
        related_name="fee_statement_lines",
        null=True,
        unique=True,
        on_delete=fields.SET_NULL,
    )
    session_date = fields.DateField()
    description = fields.CharField(max_length=300)
    minutes = fields.IntField()
    day_rate_cents = fields.IntField()
    fee_cents = fields.IntField()
    travel_cents = fields.IntField(default=0)
    travel_note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "fee_statement_line"
        ordering = ["session_date", "id"]
