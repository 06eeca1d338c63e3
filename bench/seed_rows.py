"""Writing the seed's rows: primary keys chosen here, batched inserts, the PostgreSQL sequences moved
past them, and the values several tables share (local times, booking references, token hashes).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from datetime import time as clock

from tortoise import Tortoise
from tortoise.models import Model

from server.templating import AMSTERDAM
from server.unique_codes import ALPHABET, LENGTH

BATCH = 2000


class Ids:
    """Primary keys handed out here, per table, after those already used."""

    def __init__(self) -> None:
        self._next: dict[type[Model], int] = {}

    async def start(self, model: type[Model]) -> None:
        last = await model.all().order_by("-id").first()
        self._next[model] = (last.pk if last else 0) + 1

    def take(self, model: type[Model]) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


async def insert(rows: list[Model]) -> None:
    if rows:
        await type(rows[0]).bulk_create(rows, batch_size=BATCH)


async def reset_sequences(models: list[type[Model]]) -> None:
    """On PostgreSQL, move each id sequence past the ids chosen here."""
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "postgres":
        return
    for model in models:
        table = model._meta.db_table
        await connection.execute_script(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 (model names)
            f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
        )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=AMSTERDAM)


def reference(number: int) -> str:
    letters = []
    for _position in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[digit])
    return "WB-" + "".join(reversed(letters))


def token_hash(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()
