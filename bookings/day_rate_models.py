"""The history of trainers' day rates: each rate holds from its first day until the next one starts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.models import User


class DayRate(Model):
    """A trainer's day rate (for 8 hours) from `valid_from` on, where 0 means no rate from that day.

    Rows are never changed once their first day lies before the current quarter, so the figures of a
    past quarter stay as they were reported. `set_by`/`set_at` are empty for rates carried over from
    before the history existed.
    """

    id = fields.IntField(primary_key=True)
    trainer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="day_rates", on_delete=fields.CASCADE
    )
    valid_from = fields.DateField()
    day_rate_cents = fields.IntField()
    set_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="day_rates_set", null=True, on_delete=fields.SET_NULL
    )
    set_at = fields.DatetimeField(null=True)

    class Meta:
        table = "day_rate"
        unique_together = (("trainer", "valid_from"),)
        ordering = ["valid_from"]
