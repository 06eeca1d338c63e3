"""Checks for the reads in plain SQL (server/sql.py): they must give what the ORM's own read gives."""

from __future__ import annotations

from tortoise.models import Model


def assert_read_alike(found: Model, stored: Model) -> None:
    """Every column of `found` (read in plain SQL) equals that of `stored` (read by Tortoise), with
    the same type: an aware datetime, an enum, a Decimal, a bool, not a string or an int."""
    assert type(found) is type(stored)
    for name in type(stored)._meta.fields_db_projection:
        assert getattr(found, name) == getattr(stored, name), name
        assert type(getattr(found, name)) is type(getattr(stored, name)), name
