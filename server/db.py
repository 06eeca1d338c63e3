"""Database configuration (Tortoise ORM) and migrations.

The schema only changes through Tortoise's migrations (`weerbaar migrate`); the same migration files
serve SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

#: Tortoise app label -> model modules. Each app keeps its migrations in `<package>.migrations`.
APPS: dict[str, list[str]] = {
    "core": ["server.models", "server.mail", "server.scheduler", "server.webhook_models"],
    "bookings": [
        "bookings.models",
        "bookings.staffing_models",
        "bookings.contacts_models",
        "bookings.day_rate_models",
    ],
    "feedback": ["feedback.models"],
    "invoicing": ["invoicing.models", "invoicing.fee_statement_models"],
    "reporting": ["reporting.models", "reporting.figures"],
}
MIGRATIONS = {
    "core": "server.migrations",
    "bookings": "bookings.migrations",
    "feedback": "feedback.migrations",
    "invoicing": "invoicing.migrations",
    "reporting": "reporting.migrations",
}


def tortoise_config(database_url: str) -> dict[str, Any]:
    connection = expand_db_url(database_url)
    engines = {
        "tortoise.backends.sqlite": "server.sqlite_engine",
        "tortoise.backends.asyncpg": "server.postgres_engine",
    }
    connection["engine"] = engines.get(connection["engine"], connection["engine"])
    return {
        "connections": {"default": connection},
        "apps": {
            label: {"models": modules, "default_connection": "default", "migrations": MIGRATIONS[label]}
            for label, modules in APPS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


async def apply_migrations(database_url: str) -> None:
    """Bring the schema up to date."""
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


async def init_orm(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def with_orm(database_url: str, work: Callable[[], Awaitable[int]]) -> int:
    """Run a command's `work` with the ORM open, and close its connections afterwards."""
    await init_orm(database_url)
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


async def pending_migrations(database_url: str) -> list[str]:
    """Migrations of this code not yet applied to the database (on the ORM's open connection)."""
    from tortoise import connections
    from tortoise.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections.get("default"), tortoise_config(database_url)["apps"])
    return [
        f"{step.migration.app_label}.{step.migration.name}"
        for step in await executor.plan()
        if not step.backward
    ]


async def pending_model_changes() -> list[str]:
    """Migrations `makemigrations` would write now; empty when models and migrations agree."""
    return [f"{writer.app_label}.{writer.name}" for writer in await _migration_writers()]


async def make_migrations() -> list[str]:
    writers = await _migration_writers()
    return [str(writer.write()) for writer in writers]


async def _migration_writers() -> list[Any]:
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as ctx:
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()
