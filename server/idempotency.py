"""`Idempotency-Key` on creating API calls: a repeat gets the first answer and creates nothing.

The first call with a key claims it by inserting an `IdempotentRequest` row; the unique constraint on
(token, key) lets exactly one of simultaneous calls through, on SQLite and PostgreSQL alike (no
check-then-insert). The others get the stored answer once there is one, 409 while the first is still
at work, and 422 when the key was used for a different request. A refused call (a 4xx problem)
releases its key, so the corrected request may use it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.responses import Response
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.errors import ValidationFailed
from server.i18n import _
from server.models import IdempotentRequest
from server.problems import API_VERSION, problem

if TYPE_CHECKING:
    from server.api import ApiCall

MAX_KEY_LENGTH = 100


async def _claim(call: ApiCall, key: str, request_hash: str) -> IdempotentRequest | None:
    """The new claim, or None when another call holds this key already."""
    try:
        async with in_transaction():
            return await IdempotentRequest.create(token=call.token, key=key, request_hash=request_hash)
    except IntegrityError:
        return None


def _replay(earlier: IdempotentRequest, request_hash: str) -> Response:
    if earlier.request_hash != request_hash:
        return problem(
            422,
            _("Deze Idempotency-Key is al gebruikt voor een ander verzoek. Kies een nieuwe sleutel."),
            invalid={"Idempotency-Key": _("Al gebruikt voor een ander verzoek.")},
        )
    if earlier.status_code is None:
        return problem(
            409,
            _("Een verzoek met deze Idempotency-Key is nog bezig. Probeer het zo opnieuw."),
            headers={"Retry-After": "1"},
        )
    return Response(
        earlier.body,
        status_code=earlier.status_code,
        media_type="application/json",
        headers={"API-Version": API_VERSION, "Idempotent-Replayed": "true"},
    )


async def run_once(call: ApiCall, work: Callable[[], Awaitable[Response]]) -> Response:
    key = call.request.headers.get("idempotency-key", "").strip()
    if not key:
        return await work()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed({"Idempotency-Key": _("Gebruik hoogstens 100 tekens.")})
    request_hash = hashlib.sha256(
        f"{call.request.method} {call.request.url.path}\n".encode() + await call.request.body()
    ).hexdigest()
    claim = await _claim(call, key, request_hash)
    if claim is None:
        earlier = await IdempotentRequest.get(token=call.token, key=key)
        return _replay(earlier, request_hash)
    try:
        response = await work()
    except BaseException:
        await claim.delete()
        raise
    if response.status_code >= 400:
        await claim.delete()
    else:
        claim.status_code = response.status_code
        claim.body = bytes(response.body).decode()
        await claim.save(update_fields=["status_code", "body"])
    return response
