"""Reporting models: the target the coordinators set for the tour."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.models import User


class TourTarget(Model):
    """The coordinators' target: a share of the organisations at a stage (or further) by a date.

    One row, changed in place; every change is in the audit log.
    """

    id = fields.IntField(primary_key=True)
    stage = fields.CharField(max_length=32)
    percent = fields.IntField()
    starts_on = fields.DateField()
    deadline = fields.DateField()
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="tour_targets", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "tour_target"
