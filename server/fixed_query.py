"""Queries that run on (nearly) every request, with their SQL built once per process.

Tortoise builds a query's SQL anew on every call, through pypika: about 200 µs of CPU for the
session's select with its user, 70 to 130 µs for a select or update by one or two columns. That is
more than PostgreSQL takes to answer them. A `FixedQuery` builds its query once per database kind,
with a stand-in value for each parameter, and keeps the SQL. Each call checks and converts the
values as Tortoise does in a filter or an update (a text longer than its column is refused with
Tortoise's ValidationError), puts them in the stand-ins' places and has Tortoise run the query and
read the rows as it would for the query it built (models, a related model read along,
`values_list`, one or none, the count of an update).

It uses Tortoise's query objects from the inside (`_make_query`, `query`, `_execute`), as pinned in
pyproject.toml; tests/server/test_fixed_query.py checks the answers against Tortoise's own on both
databases, so an upgrade that changes them fails there.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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
    fields: tuple[Field[Any], ...]
    query: AwaitableQuery[Any]
    sql: str
    values: tuple[Any, ...]
    places: tuple[tuple[int, ...], ...]


def _stand_in(field: Field[Any], position: int) -> object:
    """A value no constant of a query has: text with NUL characters (short enough for any column), an
    id below any real one, or a moment in the year 2."""
    if field.field_type is str and position < 10:
        return f"\x00{position}\x00"
    if field.field_type is int:
        return _INT_STAND_IN - position
    if field.field_type is datetime:
        return datetime(2, 1, 1 + position, tzinfo=UTC)
    raise TypeError(f"a FixedQuery parameter is a text, integer or time field, not {field.model_field_name}")


class FixedQuery(Generic[T]):
    """`build(*parameters)` returns a query of `model`, e.g. `Model.get_or_none(code=code)` or
    `Model.filter(...).update(...)`; `fields` name the fields of `model` the parameters are compared
    with or stored in, in order. Awaiting `run(*values)` gives what awaiting `build(*values)` gives."""

    def __init__(self, model: type[Model], build: Callable[..., Any], *fields: str) -> None:
        self._model = model
        self._build = build
        self._field_names = fields
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: str) -> _Compiled:
        fields = tuple(self._model._meta.fields_map[name] for name in self._field_names)
        stand_ins = [_stand_in(field, position) for position, field in enumerate(fields)]
        query = self._build(*stand_ins)
        query._db = self._model._meta.db
        query._make_query()
        sql, values = query.query.get_parameterized_sql()
        places = []
        for field, stand_in in zip(fields, stand_ins, strict=True):
            expected = field.to_db_value(stand_in, None)
            found = tuple(
                i for i, value in enumerate(values) if type(value) is type(expected) and value == expected
            )
            changed = any(
                isinstance(value, str) and str(stand_in) in value and value != stand_in for value in values
            )
            if not found or changed or str(expected) in sql:
                raise ValueError(f"FixedQuery: a parameter is not a bound value of the query as it is: {sql}")
            places.append(found)
        compiled = _Compiled(fields, query, sql, tuple(values), tuple(places))
        self._compiled[dialect] = compiled
        return compiled

    async def run(self, *values: object) -> T:
        db = self._model._meta.db
        dialect = db.capabilities.dialect
        compiled = self._compiled.get(dialect) or self._compile(dialect)
        bound = list(compiled.values)
        for places, field, value in zip(compiled.places, compiled.fields, values, strict=True):
            converted = field.to_db_value(value, None)
            for place in places:
                bound[place] = converted
        query = copy.copy(compiled.query)
        query._db = db
        query.query = _Built(compiled.sql, bound)  # type: ignore[assignment]
        return await query._execute()  # type: ignore[no-any-return]
