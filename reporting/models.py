"""Reporting models: the target the coordinators set for the tour, and the steps held before the app."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from server.models import Organisation, User
from server.timestamps import ClockDatetimeField


class TourTarget(Model):
    """The coordinators' target: a share of the organisations that reached a step, by a date (a
    later step never counts for an earlier one).

    One row, changed in place; every change is in the audit log.
    """

    id = fields.IntField(primary_key=True)
    stage = fields.CharField(max_length=32)
    percent = fields.IntField()
    starts_on = fields.DateField()
    deadline = fields.DateField()
    updated_at = ClockDatetimeField(auto_now=True)
    updated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="tour_targets", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "tour_target"


class HistoryStep(StrEnum):
    """A step held before the app, as written in the history import."""

    INTAKE = "intake"
    COUNCIL_SESSION = "raadsbrede_sessie"
    FOLLOW_UP = "vervolgtraining"


class HistoryEntry(Model):
    """A session an organisation had before the tour used this app (imported, never booked).

    It counts in coverage, progress and the ministry report of its period; it is never invoiced
    and never given feedback. One row per organisation, step and day.
    """

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="history", on_delete=fields.RESTRICT
    )
    step = fields.CharEnumField(HistoryStep, max_length=32)
    held_on = fields.DateField()
    participants = fields.IntField(null=True)
    note = fields.TextField(default="")
    created_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    class Meta:
        table = "history_entry"
        ordering = ["held_on", "id"]
        unique_together = (("organisation", "step", "held_on"),)
