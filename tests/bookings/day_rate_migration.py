"""Run in a separate process by test_day_rate_migration: migrate up to before the day-rate history,
store a profile with an old-style day rate, migrate to the end and print what became of it (JSON)."""

from __future__ import annotations

import asyncio
import json
import sys

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from server.db import tortoise_config


async def main(url: str) -> None:
    config = tortoise_config(url)
    await migrate(config=config, target="bookings.0002_contacts_outreach")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    connection = Tortoise.get_connection("default")
    await connection.execute_script(
        'INSERT INTO "user" (email, name, role, is_active, created_at) '
        "VALUES ('t@example.org', 'T', 'trainer', true, '2026-01-01 00:00:00+00:00')"
    )
    user_id = (await connection.execute_query_dict('SELECT id FROM "user"'))[0]["id"]
    await connection.execute_script(
        "INSERT INTO trainer_profile (user_id, kind, home_town, weekly_availability, "
        "max_sessions_per_month, day_rate_cents, updated_at) "
        "SELECT id, 'trainer', '', '[]', 4, 65000, '2026-01-01 00:00:00+00:00' FROM \"user\""
    )
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    connection = Tortoise.get_connection("default")
    rates = await connection.execute_query_dict("SELECT trainer_id, valid_from, day_rate_cents FROM day_rate")
    profile = (await connection.execute_query_dict("SELECT * FROM trainer_profile"))[0]
    await Tortoise.close_connections()
    print(json.dumps({"user_id": user_id, "rates": rates, "profile_columns": sorted(profile)}, default=str))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
