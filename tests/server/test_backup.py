"""`weerbaar backup` and `weerbaar restore` on the database under test (SQLite or PostgreSQL): every
table's rows and the stored PDF and UBL bytes of the issued invoices come back equal; a backup taken
while invoices are issued restores to a consistent state; a non-empty target needs --force; a
backup of a newer version is refused."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from tortoise import connections

from invoicing import batch
from invoicing.issuing import issue_invoice
from server.backup import MIGRATIONS_TABLE, sqlite_path
from server.db import is_postgres
from server.models import Role, User
from tests.cli import cli_environment, weerbaar
from tests.factories import make_user
from tests.invoicing.factories import TODAY, complete_seller_settings
from tests.invoicing.test_batch import make_drafts

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX only")


async def finance_user() -> User:
    await complete_seller_settings()
    return await make_user(Role.FINANCE)


TABLES = {
    "postgres": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
}
DOCUMENTS = "SELECT number, pdf, ubl FROM invoice WHERE number IS NOT NULL ORDER BY number"


async def query(url: str, sql: str) -> list[tuple]:
    if is_postgres(url):
        connection = await asyncpg.connect(url.split("?", 1)[0])
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()
    with sqlite3.connect(sqlite_path(url)) as connection:
        return list(connection.execute(sql))


async def table_counts(url: str) -> dict[str, int]:
    names = [row[0] for row in await query(url, TABLES["postgres" if is_postgres(url) else "sqlite"])]
    return {name: (await query(url, f'SELECT count(*) FROM "{name}"'))[0][0] for name in names}  # noqa: S608


async def snapshot(url: str) -> tuple[dict[str, int], str, list[str]]:
    """Every table's row count, a hash over the issued invoices' stored PDF and UBL bytes, and the
    issued numbers."""
    rows = await query(url, DOCUMENTS)
    digest = hashlib.sha256()
    for number, pdf, ubl in rows:
        digest.update(number.encode() + b"\0" + bytes(pdf or b"") + b"\0" + bytes(ubl or b""))
    return await table_counts(url), digest.hexdigest(), [row[0] for row in rows]


async def test_a_round_trip_gives_back_every_row_and_document(
    database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    finance = await finance_user()
    await make_drafts(3)
    progress = await batch.issue_drafts(actor=finance, today=TODAY, workers=1)
    assert len(progress.issued) == 3
    await make_drafts(1)  # and a draft
    backup_file = tmp_path / "weerbaar.backup"

    made = await asyncio.to_thread(weerbaar, database_url, "backup", "--out", str(backup_file))
    assert made.returncode == 0, made.stderr
    restored = await asyncio.to_thread(weerbaar, fresh_url, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr

    before, after = await snapshot(database_url), await snapshot(fresh_url)
    assert after == before
    counts, _digest, numbers = after
    assert counts["invoice"] == 4 and counts["invoice_batch"] == 1 and counts[MIGRATIONS_TABLE] > 0
    assert numbers == progress.issued

    # The target holds rows now: a second restore needs --force, and then gives the same again.
    again = await asyncio.to_thread(weerbaar, fresh_url, "restore", str(backup_file))
    assert again.returncode == 1 and "niet leeg" in again.stderr and "--force" in again.stderr
    forced = await asyncio.to_thread(weerbaar, fresh_url, "restore", "--force", str(backup_file))
    assert forced.returncode == 0, forced.stderr
    assert await snapshot(fresh_url) == before


async def test_a_backup_taken_while_invoices_are_issued_restores_consistently(
    database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    finance = await finance_user()
    drafts = await make_drafts(60)
    backup_file = tmp_path / "weerbaar.backup"
    issued_before_backup = 5
    for draft in drafts[:issued_before_backup]:
        await issue_invoice(draft.id, actor=finance, today=TODAY)

    command = [sys.executable, "-m", "server.cli", "backup", "--out", str(backup_file)]
    env = cli_environment(database_url)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    written = issued_before_backup
    while process.poll() is None and written < len(drafts):  # issue invoices while the backup runs
        await issue_invoice(drafts[written].id, actor=finance, today=TODAY)
        written += 1
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert written > issued_before_backup  # invoices were issued while the backup ran

    restored = await asyncio.to_thread(weerbaar, fresh_url, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    counts, _digest, numbers = await snapshot(fresh_url)
    # Whatever moment the snapshot caught: each issue whole or not at all, the counter with them.
    assert issued_before_backup <= len(numbers) <= written
    assert numbers == [f"2026-{n:04d}" for n in range(1, len(numbers) + 1)]
    assert counts["invoice"] == len(drafts)
    last_number, audited = await counter_and_audit(fresh_url)
    assert last_number == len(numbers) == audited


async def test_a_backup_of_a_newer_version_is_refused(
    database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    backup_file = tmp_path / "newer.backup"
    connection = connections.get("default")
    await connection.execute_script(
        f"INSERT INTO {MIGRATIONS_TABLE} (app, name, applied_at) "  # noqa: S608
        "VALUES ('core', '9999_from_the_future', '2030-01-01')"
    )
    try:
        made = await asyncio.to_thread(weerbaar, database_url, "backup", "--out", str(backup_file))
        assert made.returncode == 0, made.stderr
    finally:
        await connection.execute_script(
            f"DELETE FROM {MIGRATIONS_TABLE} WHERE name = '9999_from_the_future'"  # noqa: S608
        )

    refused = await asyncio.to_thread(weerbaar, fresh_url, "restore", str(backup_file))
    assert refused.returncode == 1
    assert "nieuwere versie" in refused.stderr and "core.9999_from_the_future" in refused.stderr
    assert await table_counts(fresh_url) == {}  # nothing restored


async def test_a_file_that_is_no_backup_is_refused(fresh_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("geen back-up")
    refused = await asyncio.to_thread(weerbaar, fresh_url, "restore", str(junk))
    assert refused.returncode == 1 and "geen back-up van Weerbaar" in refused.stderr


async def counter_and_audit(url: str) -> tuple[int, int]:
    counter = await query(url, "SELECT last_number FROM invoice_counter WHERE year = 2026")
    audited = await query(url, "SELECT count(*) FROM audit_entry WHERE action = 'invoice_issued'")
    return (counter[0][0] if counter else 0), audited[0][0]
