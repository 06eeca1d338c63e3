"""Created and updated timestamps from the application's clock.

Tortoise fills `auto_now` / `auto_now_add` fields from the wall clock when a row is saved, so a test
that fixes or moves `server.clock` would still see rows stamped with the real time. `ClockDatetimeField`
fills them from `server.clock.now()` instead; every model timestamp with `auto_now` or `auto_now_add`
uses it. The column is the same `DatetimeField` column, so the migration state records it as one and
swapping the class needs no migration.

An `auto_now` stamp never stands still or goes back: when the clock has not moved past the row's
previous stamp (a fixed clock in tests, a clock stepped back), the save stamps a microsecond after it.
Every change of a row thus moves its `updated_at` on, which is what lets a booking's `updated_at` serve
as the version an edit form carries (bookings/lifecycle.py), whatever the clock does.

Like Tortoise's own field, it stamps rows written from model instances (`save()`, `create()`,
`bulk_create()`); `QuerySet.update()` leaves `updated_at` to the caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise import fields, timezone
from tortoise.models import Model

from server import clock

#: The smallest step both databases keep (PostgreSQL and SQLite store microseconds).
TICK = timedelta(microseconds=1)


class ClockDatetimeField(fields.DatetimeField):
    """A `DatetimeField` whose `auto_now` / `auto_now_add` values come from `server.clock.now()`."""

    def to_db_value(self, value: Any, instance: Any) -> Any:
        # As in Tortoise's field: only a row being written (an instance, not the model class of a
        # filter) is stamped, and an auto_now_add value only when it has none (one given is kept).
        if isinstance(instance, Model) and (
            self.auto_now or (self.auto_now_add and getattr(instance, self.model_field_name) is None)
        ):
            moment: datetime = timezone.localtime(clock.now())
            previous = getattr(instance, self.model_field_name)
            if self.auto_now and previous is not None and moment <= previous:
                moment = timezone.localtime(previous + TICK)
            setattr(instance, self.model_field_name, self.to_python_value(moment))
            return moment
        return super().to_db_value(value, instance)

    # The schema sees the DatetimeField it is: migrations compare `describe(serializable=True)` and
    # write what `deconstruct()` names, so the class swap asks for no migration and migration files
    # keep naming Tortoise's field, not application code.
    def describe(self, serializable: bool) -> dict[str, Any]:
        description = super().describe(serializable)
        if serializable:
            description["field_type"] = fields.DatetimeField.__name__
        return description

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        _, args, kwargs = super().deconstruct()
        return "tortoise.fields.data.DatetimeField", args, kwargs
