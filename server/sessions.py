"""Server-side sessions: the cookie holds a random key, the database holds its hash and the user.

Ending a session (logout, deactivation, role change) takes effect on the very next request.
Idle sessions end after 30 minutes, every session after 12 hours.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import clock, sql
from server.logs import bind_user
from server.models import User, UserSession
from server.security import CSRF_COOKIE, csrf_token_for, new_csrf_cookie
from server.settings import Settings

SESSION_COOKIE = "weerbaar_session"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
#: last_seen_at is written at most this often, so reading pages does not mean a write per request.
TOUCH_INTERVAL = timedelta(seconds=60)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def start_session(user: User, *, second_factor_done: bool) -> str:
    """Create a session and return the key for the cookie (a new key at every login)."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    await UserSession.create(
        key_hash=hash_secret(key),
        user=user,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_TIMEOUT,
        second_factor_at=now if second_factor_done else None,
    )
    return key


async def end_session(key: str) -> None:
    await UserSession.filter(key_hash=hash_secret(key)).delete()


async def end_all_sessions(user: User) -> int:
    return await UserSession.filter(user=user).delete()


def _is_live(session: UserSession, now: datetime) -> bool:
    return now < session.expires_at and now - session.last_seen_at < IDLE_TIMEOUT and session.user.is_active


#: The session of a key hash joined to its user, every column under its model's prefix.
LOOKUP_SQL = (
    'SELECT {session}, {user} FROM "user_session" s JOIN "user" u ON u."id" = s."user_id" '
    'WHERE s."key_hash" = $1'
)


async def find_session(key_hash: str) -> UserSession | None:
    """The session with this key hash and its user, in one plain SQL statement (server/sql.py).

    Every signed-in request starts here. Built as a Tortoise queryset with `select_related` it cost
    about 0.5 ms of CPU, of which the database and the driver take 0.1 ms; the rest is building the
    query and converting its row (docs/benchmarks.md, "Where a realistic GET's CPU goes")."""
    statement = LOOKUP_SQL.format(
        session=sql.columns(UserSession, "s", "s_"), user=sql.columns(User, "u", "u_")
    )
    rows = await sql.fetch(UserSession, statement, key_hash)
    if not rows:
        return None
    session = sql.instance(UserSession, rows[0], "s_")
    session.user = sql.instance(User, rows[0], "u_")
    return session


async def load_session(key: str) -> UserSession | None:
    """The live session for this key with its user, or None; expired sessions are removed."""
    session = await find_session(hash_secret(key))
    if session is None:
        return None
    now = clock.now()
    if not _is_live(session, now):
        await session.delete()
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        session.last_seen_at = now
        await UserSession.filter(id=session.id).update(last_seen_at=now)
    return session


def set_session_cookie(response: Response, key: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies)


class SessionMiddleware:
    """Puts `user`, `session`, `csrf_token` (bound to the CSRF cookie and the live session) and the
    parsed `cookies` on request.state; hands out the CSRF cookie."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = SimpleCookie()
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookies.load(value.decode("latin-1"))
        state = scope.setdefault("state", {})
        #: Parsed once for the middleware inside (server.languages reads its own cookie here).
        state["cookies"] = cookies
        session = None
        session_key = cookies[SESSION_COOKIE].value if SESSION_COOKIE in cookies else ""
        if session_key:
            session = await load_session(session_key)
        state["session"] = session
        state["user"] = session.user if session else None
        bind_user(state["user"])

        csrf_cookie = cookies[CSRF_COOKIE].value if CSRF_COOKIE in cookies else ""
        is_new_csrf = len(csrf_cookie) < 32
        if is_new_csrf:
            csrf_cookie = new_csrf_cookie()
        state["csrf_token"] = csrf_token_for(
            csrf_cookie, self.settings.secret_key, session_key if session else ""
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and is_new_csrf:
                response = Response()
                response.set_cookie(
                    CSRF_COOKIE,
                    csrf_cookie,
                    httponly=True,
                    samesite="lax",
                    secure=self.settings.secure_cookies,
                )
                headers = MutableHeaders(scope=message)
                for name, value in response.raw_headers:
                    if name == b"set-cookie":
                        headers.append("set-cookie", value.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
