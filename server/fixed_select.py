"""Selects that run on (nearly) every request, with their SQL built once per process.

Tortoise builds a query's SQL anew on every call, through pypika: about 200 µs of CPU for the
session's select with its user, 70 to 100 µs for a select by one or two columns. That is more than
PostgreSQL takes to answer them. A `FixedSelect` builds its query once per database kind, with a
stand-in value for each parameter, and keeps the SQL. Each call checks and converts the values as
Tortoise does in a filter (a text longer than its column is refused with Tortoise's ValidationError),
puts them in the stand-ins' places and has Tortoise read the rows as it would for the query it built
(models, a related model read along, `values_list`, one or none).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.fields import Field
from tortoise.models import Model
from tortoise.queryset import AwaitableQuery

T = TypeVar("T")

#: Below any id the database hands out.
_INT_STAND_IN = -1_000_000


@dataclass(frozen=True)
class _Built:
    """What the copied query asks its `query` for when it runs: the kept SQL and this call's values."""

    sql: str
    values: list[Any]

    def get_parameterized_sql(self) -> tuple[str, list[Any]]:
        return self.sql, self.values


@dataclass(frozen=True)
class _Compiled:
    query: AwaitableQuery[Any]
    sql: str
    values: tuple[Any, ...]
    places: tuple[tuple[int, ...], ...]


def _stand_in(field: Field[Any], position: int) -> str | int:
    """A value no filter constant has: text with NUL characters (short enough for any column), or an
    id below any real one."""
    if field.field_type is str and position < 10:
        return f"\x00{position}\x00"
    if field.field_type is int:
        return _INT_STAND_IN - position
    raise TypeError(f"a FixedSelect parameter is a text or integer field, not {field.model_field_name}")


class FixedSelect(Generic[T]):
    """`build(*parameters)` returns the query, e.g. `Model.get_or_none(code=code)`; `fields` are the
    fields the parameters are compared with, in order. Awaiting `select(*values)` gives what awaiting
    `build(*values)` gives."""

    def __init__(self, build: Callable[..., Any], *fields: Field[Any]) -> None:
        self._build = build
        self._fields = fields
        self._stand_ins = [_stand_in(field, position) for position, field in enumerate(fields)]
        self._model: type[Model] | None = None
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self) -> _Compiled:
        query = self._build(*self._stand_ins)
        query._db = query._choose_db()
        query._make_query()
        sql, values = query.query.get_parameterized_sql()
        places = []
        for stand_in in self._stand_ins:
            found = tuple(
                i for i, value in enumerate(values) if type(value) is type(stand_in) and value == stand_in
            )
            changed = any(
                isinstance(value, str) and str(stand_in) in value and value != stand_in for value in values
            )
            if not found or changed or str(stand_in) in sql:
                raise ValueError(
                    f"FixedSelect: a parameter is not a bound value of the query as it is: {sql}"
                )
            places.append(found)
        compiled = _Compiled(query, sql, tuple(values), tuple(places))
        self._model = query.model
        self._compiled[query._db.capabilities.dialect] = compiled
        return compiled

    async def select(self, *values: object) -> T:
        compiled = None
        if self._model is not None:
            compiled = self._compiled.get(self._model._meta.db.capabilities.dialect)
        if compiled is None:
            compiled = self._compile()
        bound = list(compiled.values)
        for places, field, value in zip(compiled.places, self._fields, values, strict=True):
            converted = field.to_db_value(value, None)
            for place in places:
                bound[place] = converted
        query = copy.copy(compiled.query)
        query._db = query.model._meta.db
        query.query = _Built(compiled.sql, bound)  # type: ignore[assignment]
        return await query._execute()  # type: ignore[no-any-return]
