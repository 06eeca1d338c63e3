"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

from server import clock

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "Weerbaar"


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _code_at(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def current_step(at: float | None = None) -> int:
    return int((clock.now().timestamp() if at is None else at) // STEP_SECONDS)


def code_for(secret: str, at: float | None = None) -> str:
    return _code_at(secret, current_step(at))


def matching_step(secret: str, code: str, at: float | None = None, window: int = 1) -> int | None:
    """The time step the code belongs to, allowing one step of clock drift either way."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = current_step(at)
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(_code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str) -> str:
    label = quote(f"{ISSUER}:{account}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"
