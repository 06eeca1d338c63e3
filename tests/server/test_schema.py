"""Migrations agree with the models, and the migrated schema has the constraints the code relies on."""

from __future__ import annotations

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError

from server.mail import OutboxMessage
from server.models import Organisation, OrganisationKind, RecoveryCode, Role, User
from tests.cli import weerbaar
from tests.factories import make_user

#: table -> column sets that must be unique
UNIQUE = {
    "organisation": [("cbs_code",)],
    "user": [("email",)],
    "login_token": [("token_hash",)],
    "user_session": [("key_hash",)],
    "recovery_code": [("user_id", "code_hash")],
    "outbox_message": [("message_id",)],
    "contact": [("organisation_id", "email")],
    "outreach_recipient": [("token_hash",)],
    "calendar_invitation": [("booking_id", "address")],
    "invoice": [("number",), ("booking_id", "kind"), ("after_credit_note_id",)],
    "invoice_counter": [("year",)],
}
#: table -> column lists that must lead an index (for the queries that filter on them)
INDEXED = {
    "outbox_message": [("status", "next_attempt_at")],
    "rate_limit_hit": [("key", "created_at")],
    "audit_entry": [("created_at",), ("object_type", "object_id")],
    "invoice": [("status", "due_date"), ("organisation_id", "issue_date")],
    "invoice_payment": [("invoice_id",)],
}


async def index_columns(table: str) -> list[tuple[tuple[str, ...], bool]]:
    """(columns, is_unique) of every index and unique constraint on `table`, from the live database."""
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect == "sqlite":
        found = []
        for index in await connection.execute_query_dict(f'PRAGMA index_list("{table}")'):
            columns = await connection.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            found.append((tuple(c["name"] for c in columns), bool(index["unique"])))
        return found
    rows = await connection.execute_query_dict(
        """
        SELECT ix.indisunique AS is_unique,
               array_agg(a.attname ORDER BY array_position(ix.indkey::int[], a.attnum::int)) AS columns
        FROM pg_index ix
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(ix.indkey)
        WHERE t.relname = $1
        GROUP BY ix.indexrelid, ix.indisunique
        """,
        [table],
    )
    return [(tuple(r["columns"]), r["is_unique"]) for r in rows]


def test_models_and_migrations_agree(database_url: str) -> None:
    """In a process of its own: the migration autodetector binds the models to its own in-memory
    database, which would leave the rest of this run's models talking the wrong SQL dialect."""
    result = weerbaar(database_url, "makemigrations", "--check")
    assert result.returncode == 0, f"run `weerbaar makemigrations` and commit the result: {result.stdout}"


@pytest.mark.parametrize("table", sorted(UNIQUE))
async def test_migrated_schema_has_the_unique_constraints(table: str) -> None:
    indexes = await index_columns(table)
    for columns in UNIQUE[table]:
        assert (columns, True) in indexes, f"{table}: no unique index on {columns}; found {indexes}"


@pytest.mark.parametrize("table", sorted(INDEXED))
async def test_migrated_schema_has_the_indexes(table: str) -> None:
    indexes = await index_columns(table)
    for columns in INDEXED[table]:
        assert any(found[: len(columns)] == columns for found, _ in indexes), (
            f"{table}: no index starting with {columns}; found {indexes}"
        )


async def test_the_database_refuses_duplicates_the_code_relies_on() -> None:
    await Organisation.create(kind=OrganisationKind.MUNICIPALITY, cbs_code="GM0001", name="A")
    with pytest.raises(IntegrityError):
        await Organisation.create(kind=OrganisationKind.MUNICIPALITY, cbs_code="GM0001", name="B")
    user = await make_user(Role.TRAINER, email="dubbel@example.org")
    with pytest.raises(IntegrityError):
        await User.create(email="dubbel@example.org", name="X", role=Role.TRAINER)
    await RecoveryCode.create(user=user, code_hash="a" * 64)
    with pytest.raises(IntegrityError):
        await RecoveryCode.create(user=user, code_hash="a" * 64)
    await OutboxMessage.create(
        to_address="a@b.nl",
        subject="s",
        body_text="t",
        body_html="h",
        next_attempt_at="2026-01-01T00:00:00+00:00",
        message_id="<same@weerbaar>",
    )
    with pytest.raises(IntegrityError):
        await OutboxMessage.create(
            to_address="a@b.nl",
            subject="s",
            body_text="t",
            body_html="h",
            next_attempt_at="2026-01-01T00:00:00+00:00",
            message_id="<same@weerbaar>",
        )
