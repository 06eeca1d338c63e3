"""Short random codes that must be unique (booking references, feedback links), drawn again when taken.

Six characters from 26 give 308 million codes, so a clash is rare but not impossible: without a
retry, it would be a 500 for whoever met it. Nothing is read beforehand (no extra statement on every
insert); the database's unique constraint decides, and the work is repeated with a new code.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import IntegrityError

T = TypeVar("T")
ATTEMPTS = 5
#: Letters and digits that are not mistaken for one another when read aloud or copied by hand
#: (no B/8, I/1, O/0, S/5, Z/2).
ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
LENGTH = 6


def new_code() -> str:
    """A random code of `LENGTH` characters from `ALPHABET`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_taken(error: IntegrityError, table: str, column: str) -> bool:
    """Whether `error` is the unique constraint of `table.column` (as PostgreSQL and SQLite name it)."""
    message = str(error)
    return f'"{table}_{column}_key"' in message or f"{table}.{column}" in message


async def with_free_code(make: Callable[[], Awaitable[T]], table: str, column: str) -> T:
    """Run `make` until the code it draws is free; at most `ATTEMPTS` times.

    `make` must draw a new code each time and run in a transaction (or savepoint) of its own, so that
    a clash leaves nothing behind.
    """
    attempt = 1
    while True:
        try:
            return await make()
        except IntegrityError as error:
            if attempt >= ATTEMPTS or not is_taken(error, table, column):
                raise
            attempt += 1
