"""Who may call which route. Every endpoint declares its rule; the authorisation matrix test reads it.

- `@public`: anyone, signed in or not.
- `@signed_in`: any signed-in user with a finished login (second factor where the role needs one).
- `@requires(Role.X, ...)`: only those roles. Anonymous visitors are sent to the login page, other
  roles get 403. Which *objects* a role may see (a clerk's own organisation) is the services' rule.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.errors import Forbidden
from server.models import Role, User

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Access:
    roles: frozenset[Role] | None  # None: any role

    @property
    def is_public(self) -> bool:
        return self.roles == frozenset()


PUBLIC = Access(roles=frozenset())


def public(endpoint: Endpoint) -> Endpoint:
    endpoint.access = PUBLIC  # type: ignore[attr-defined]
    return endpoint


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/inloggen?{urlencode({'volgende': target})}", status_code=303)


def is_fully_signed_in(request: Request) -> bool:
    session = request.state.session
    if session is None:
        return False
    return session.second_factor_at is not None or not session.user.role.needs_second_factor


def _guard(access: Access) -> Callable[[Endpoint], Endpoint]:
    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user: User | None = request.state.user
            if user is None:
                return login_redirect(request)
            if not is_fully_signed_in(request):
                return RedirectResponse("/inloggen/tweede-factor", status_code=303)
            if access.roles is not None and user.role not in access.roles:
                raise Forbidden()
            return await endpoint(request)

        guarded.access = access  # type: ignore[attr-defined]
        return guarded

    return decorate


signed_in = _guard(Access(roles=None))


def requires(*roles: Role) -> Callable[[Endpoint], Endpoint]:
    return _guard(Access(roles=frozenset(roles)))


def home_path(user: User) -> str:
    """Where a user lands after login."""
    if user.role is Role.CLERK:
        return "/organisatie/boekingen"
    return {Role.COORDINATOR: "/coordinatie", Role.TRAINER: "/trainer", Role.FINANCE: "/financien"}[user.role]
