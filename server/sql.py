"""Plain SQL for the few reads that nearly every request of a kind makes.

Through a Tortoise queryset an indexed read costs about 0.25 ms of CPU and a join 0.5 ms, most of it
building the query; the same statement in plain SQL costs about 0.1 ms (docs/benchmarks.md, "Where a
realistic GET's CPU goes"). The few reads that a page type of the realistic mix always makes are
written here as SQL, through the public `execute_query_dict` of the model's connection (the current
transaction's, inside one); every other read stays a queryset.

A statement numbers its parameters as PostgreSQL does (`$1`, `$2`); for SQLite they become `?1`,
`?2`. Rows come back as Tortoise reads them: `instance` converts each column with its field's own
`to_python_value`, so a datetime read from SQLite's text is the same aware datetime as from asyncpg.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)
_PARAMETER = re.compile(r"\$(\d+)")


@cache
def _for_dialect(sql: str, dialect: str) -> str:
    return sql if dialect == "postgres" else _PARAMETER.sub(r"?\1", sql)


async def fetch(model: type[Model], sql: str, *parameters: object) -> list[dict[str, Any]]:
    """The rows of `sql` on the connection of `model`, each a dict by column alias."""
    connection = model._meta.db
    return await connection.execute_query_dict(
        _for_dialect(sql, connection.capabilities.dialect), list(parameters)
    )


def columns(model: type[Model], alias: str, prefix: str) -> str:
    """The select list of every column of `model` (table alias `alias`), each named `prefix` + column.

    Call it once Tortoise is initialised: only then does a model know its foreign key columns."""
    return ", ".join(
        f'{alias}."{column}" AS "{prefix}{column}"' for column in model._meta.fields_db_projection.values()
    )


def instance(model: type[M], row: dict[str, Any], prefix: str) -> M:
    """A saved `model` instance from the columns that `columns(model, ..., prefix)` selected."""
    fields = model._meta.fields_map
    values = {
        name: fields[name].to_python_value(row[prefix + column])
        for name, column in model._meta.fields_db_projection.items()
    }
    return model.construct(_saved_in_db=True, **values)


def value(model: type[Model], field: str, raw: object) -> Any:
    """One column's value as the field `field` of `model` reads it (a date, a boolean, an enum...)."""
    return model._meta.fields_map[field].to_python_value(raw)


def converted(model: type[Model], row: dict[str, Any], *names: str) -> dict[str, Any]:
    """`row` with its columns `names` read as the fields of those names of `model` read them."""
    fields = model._meta.fields_map
    return {**row, **{name: fields[name].to_python_value(row[name]) for name in names}}
