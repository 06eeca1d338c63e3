"""Passwordless login by one-time link, and the TOTP second factor for coordinators and finance.

Rules:
- A login link carries a random 32-byte token; only its SHA-256 is stored. It is valid 15 minutes
  (an invitation's 7 days), usable once, and a newer link cancels older ones.
- Asking for a link answers the same whether or not the address is known; requests over the limits
  per address and per client are dropped silently (no error that would lock the owner out).
- Opening a link only shows a button: the POST logs in, so mail scanners do not use links up.
- Coordinators and finance also enter a code from an authenticator app (enrolled at first login)
  or one of their ten single-use recovery codes. Wrong codes are counted with the user's row
  locked: five per five minutes, and ten in a row lock the second factor until a coordinator resets it.

Errors: `LinkInvalid` (400), `RateLimited` (429), `CodeInvalid` (400), `SecondFactorLocked` (403).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from tortoise.transactions import in_transaction

from server import clock, ratelimit, totp
from server.audit import record
from server.errors import DomainError, RateLimited
from server.forms import EMAIL_MESSAGE, parse_email
from server.i18n import _
from server.logs import security_event
from server.mail import queue_mail
from server.metrics import count_login_failure
from server.models import LoginToken, RateLimitHit, RecoveryCode, User, UserSession
from server.sessions import hash_secret, start_session

LOGIN_LINK_VALIDITY = timedelta(minutes=15)
INVITATION_VALIDITY = timedelta(days=7)
#: Login links mailed to one address per `LINK_WINDOW` and per `LINK_DAY`; more requests are dropped.
LINKS_PER_ADDRESS = 3
LINKS_PER_ADDRESS_PER_DAY = 10
#: Requests from one client per `LINK_WINDOW`, whatever the address.
LINKS_PER_CLIENT = 20
LINK_WINDOW = timedelta(minutes=15)
LINK_DAY = timedelta(days=1)
CODE_ATTEMPTS = 5
CODE_WINDOW = timedelta(minutes=5)
#: Wrong second-factor codes in a row after which the second factor locks (a coordinator resets it).
LOCK_AFTER = 10
RECOVERY_CODE_COUNT = 10


class LinkInvalid(DomainError):
    def __init__(self) -> None:
        super().__init__(
            _("Deze inloglink is verlopen of al gebruikt. Vraag hieronder een nieuwe aan."), field="email"
        )


class CodeInvalid(DomainError):
    def __init__(self) -> None:
        super().__init__(
            _("Deze code klopt niet. Probeer het opnieuw met de code die nu wordt getoond."), field="code"
        )


def login_failed(action: str, reason: str, user: User | None = None) -> None:
    """Count a failed login step in the metrics and log it as a security event (never the link or code)."""
    count_login_failure(reason)
    security_event(action, "failure", actor=user, reason=reason)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def is_plausible_email(email: str) -> bool:
    """Exactly one address (`server.forms.parse_email`)."""
    return parse_email(email) is not None


async def issue_login_link(
    user: User, base_url: str, *, valid_for: timedelta = LOGIN_LINK_VALIDITY, next_path: str = ""
) -> str:
    """Create a token (cancelling older ones) and return the link; call inside a transaction."""
    now = clock.now()
    await LoginToken.filter(user=user, used_at__isnull=True).update(used_at=now)
    token = secrets.token_urlsafe(32)
    await LoginToken.create(
        user=user, token_hash=hash_secret(token), expires_at=now + valid_for, next_path=next_path[:500]
    )
    return f"{base_url}/inloggen/link/{token}"


async def request_login_link(email: str, *, client: str, base_url: str, next_path: str = "") -> None:
    """Mail a login link if the address belongs to an active user; say nothing either way.

    Past a limit the request is dropped without a word (per client, per address per quarter and per
    day): an error would tell a stranger they can lock someone out, and the person themselves still
    has the newest link mailed to them, which a dropped request does not cancel.
    """
    parsed = parse_email(email)
    if parsed is None:
        raise DomainError(EMAIL_MESSAGE, field="email")
    email = parsed
    async with in_transaction():
        if not (
            await ratelimit.allow(f"login-client:{client}", LINKS_PER_CLIENT, LINK_WINDOW)
            and await ratelimit.allow(_login_address_key(email), LINKS_PER_ADDRESS, LINK_WINDOW)
            and await ratelimit.allow(_login_address_day_key(email), LINKS_PER_ADDRESS_PER_DAY, LINK_DAY)
        ):
            login_failed("login_link_requested", "too_many_links")
            return
        user = await User.get_or_none(email=email, is_active=True)
        if user is None:
            await _do_the_same_work_and_keep_nothing(email, base_url)
            return
        link = await issue_login_link(user, base_url, next_path=next_path)
        await queue_mail(user.email, "auth/login_link", _login_mail_context(user, link))


def _login_mail_context(user: User, link: str) -> dict[str, object]:
    return {"user": user, "link": link, "minutes": int(LOGIN_LINK_VALIDITY.seconds / 60)}


class _KeepNothing(Exception):
    """Rolls back the stand-in work for an unknown address."""


async def _do_the_same_work_and_keep_nothing(email: str, base_url: str) -> None:
    """For an unknown address, the statements and the rendering a known one costs, rolled back: how
    long the answer takes tells nothing about whether the address has an account.

    The same UPDATE of login tokens (matching none), a row in place of the token (a token needs a
    user) and the login mail, rendered and written, in a savepoint that is then rolled back.
    """
    nobody = User(email=email, name="")
    token = secrets.token_urlsafe(32)
    try:
        async with in_transaction():
            await LoginToken.filter(token_hash=hash_secret(token), used_at__isnull=True).update(
                used_at=clock.now()
            )
            await RateLimitHit.create(key=f"login-unknown:{hash_secret(email)}", created_at=clock.now())
            await queue_mail(email, "auth/login_link", _login_mail_context(nobody, f"{base_url}/x/{token}"))
            raise _KeepNothing()
    except _KeepNothing:
        pass


async def find_valid_token(token: str) -> LoginToken | None:
    found = await LoginToken.get_or_none(token_hash=hash_secret(token), used_at__isnull=True)
    if found is None or found.expires_at <= clock.now():
        return None
    return found


async def log_in_with_token(token: str) -> tuple[LoginToken, str]:
    """Use the token up (exactly once, also under concurrent clicks) and start a session.

    Returns the used token (with its user) and the new session key.
    """
    now = clock.now()
    async with in_transaction():
        used = await LoginToken.filter(
            token_hash=hash_secret(token), used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if used != 1:
            login_failed("login", "link_invalid")
            raise LinkInvalid()
        login_token = await LoginToken.get(token_hash=hash_secret(token)).select_related("user")
        user = login_token.user
        if not user.is_active:
            login_failed("login", "user_inactive", user)
            raise LinkInvalid()
        user.last_login_at = now
        await user.save(update_fields=["last_login_at"])
        key = await start_session(user, second_factor_done=not user.role.needs_second_factor)
        await record(user, "login", user, "ingelogd met e-maillink")
    return login_token, key


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


async def start_enrolment(user: User, *, fresh: bool = True) -> Enrolment:
    """Give the user a secret to scan, unless one is already confirmed.

    Each enrolment page gets a new secret (`fresh`), so a secret seen once (a shoulder, a screenshot,
    a shared screen) is worthless after the page is left; only a re-shown page after a wrong code
    keeps the secret the user just scanned.
    """
    if user.has_second_factor:
        raise DomainError(_("U heeft de tweede stap al ingesteld."))
    if fresh or not user.totp_secret:
        user.totp_secret = totp.new_secret()
        user.totp_last_step = None
        await User.filter(id=user.id, totp_confirmed_at__isnull=True).update(
            totp_secret=user.totp_secret, totp_last_step=None
        )
    return Enrolment(secret=user.totp_secret, uri=totp.provisioning_uri(user.totp_secret, user.email))


def _code_attempts_key(user: User) -> str:
    return f"second-factor:{user.id}"


def _login_address_key(email: str) -> str:
    return f"login-address:{hash_secret(email)}"


def _login_address_day_key(email: str) -> str:
    return f"login-address-day:{hash_secret(email)}"


def invitations_key(user: User) -> str:
    """The rate-limit key of the invitations a clerk sent (`server.users.invite_user`)."""
    return f"invitations:{user.id}"


def rate_limit_keys_of(user: User) -> list[str]:
    """The rate-limit keys that name this user (the client keys name an address, not a person)."""
    return [
        _login_address_key(user.email),
        _login_address_day_key(user.email),
        _code_attempts_key(user),
        invitations_key(user),
    ]


class SecondFactorLocked(DomainError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            _(
                "Uw tweede stap is geblokkeerd na te veel onjuiste codes. Vraag een coördinator om "
                "de tweede stap te herstellen; daarna stelt u die opnieuw in."
            ),
            field="code",
        )


async def _accept_totp(user: User, code: str) -> bool:
    """True for a valid code from a later time step than the last one used (a code works once)."""
    assert user.totp_secret
    step = totp.matching_step(user.totp_secret, code)
    last = user.totp_last_step
    if step is None or (last is not None and step <= last):
        return False
    await User.filter(id=user.id).update(totp_last_step=step)
    return True


async def _use_recovery_code(user: User, code: str) -> bool:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    used = await RecoveryCode.filter(
        user=user, code_hash=hash_secret(normalised), used_at__isnull=True
    ).update(used_at=clock.now())
    return used == 1


async def _count_wrong_code(user: User) -> DomainError:
    """One more wrong code: counted against the rate limit and towards the lock (audited)."""
    await ratelimit.count_hit(_code_attempts_key(user))
    failures = user.totp_failures + 1
    if failures < LOCK_AFTER:
        await User.filter(id=user.id).update(totp_failures=failures)
        return CodeInvalid()
    await User.filter(id=user.id).update(totp_failures=failures, totp_locked_at=clock.now())
    await record(user, "second_factor_locked", user, f"na {failures} onjuiste codes")
    return SecondFactorLocked()


async def _check_code(user_id: int, code: str, *, enrolling: bool) -> tuple[User, str]:
    """Check a code with the user's row locked, so concurrent guesses are counted one by one: at
    most `CODE_ATTEMPTS` per `CODE_WINDOW` are even looked at, and `LOCK_AFTER` wrong ones in a row
    lock the second factor. Returns the user and how they passed; raises `CodeInvalid`,
    `RateLimited`, `SecondFactorLocked` once the count is committed."""
    async with in_transaction():
        user = await User.select_for_update().get(id=user_id)
        how, refusal = await _judge_code(user, code, enrolling=enrolling)
    if refusal is not None:
        login_failed("second_factor_enrolment" if enrolling else "second_factor", _reason(refusal), user)
        raise refusal
    return user, how


def _reason(refusal: DomainError) -> str:
    """The metrics' and security log's name for why a code was refused."""
    if isinstance(refusal, CodeInvalid):
        return "code_invalid"
    if isinstance(refusal, RateLimited):
        return "too_many_codes"
    if isinstance(refusal, SecondFactorLocked):
        return "second_factor_locked"
    return "not_ready"


async def _judge_code(user: User, code: str, *, enrolling: bool) -> tuple[str, DomainError | None]:
    """How the code passed, or why not (a wrong code is counted here, in the caller's transaction)."""
    if user.is_second_factor_locked:
        return "", SecondFactorLocked()
    if enrolling and (user.has_second_factor or not user.totp_secret):
        return "", DomainError(_("Start het instellen opnieuw."))
    if not enrolling and not user.has_second_factor:
        return "", DomainError(_("Stel eerst de authenticator-app in."))
    if await ratelimit.is_exceeded(_code_attempts_key(user), CODE_ATTEMPTS, CODE_WINDOW):
        message = _("Te veel onjuiste codes. Wacht vijf minuten en probeer het opnieuw.")
        return "", RateLimited(message, field="code")
    if await _accept_totp(user, code):
        how = "authenticator-app"
    elif not enrolling and await _use_recovery_code(user, code):
        how = "herstelcode"
    else:
        return "", await _count_wrong_code(user)
    if user.totp_failures:
        await User.filter(id=user.id).update(totp_failures=0)
    return how, None


async def confirm_enrolment(user: User, session: UserSession, code: str) -> list[str]:
    """Confirm the authenticator with a first code; return the recovery codes (shown once)."""
    user, _how = await _check_code(user.id, code, enrolling=True)
    async with in_transaction():
        now = clock.now()
        confirmed = await User.filter(id=user.id, totp_confirmed_at__isnull=True).update(
            totp_confirmed_at=now
        )
        if not confirmed:
            raise DomainError(_("U heeft de tweede stap al ingesteld."))
        await RecoveryCode.filter(user=user).delete()
        codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
        for plain in codes:
            await RecoveryCode.create(user=user, code_hash=hash_secret(plain))
        await UserSession.filter(id=session.id).update(second_factor_at=now)
        await record(user, "second_factor_enrolled", user, "authenticator-app ingesteld")
    return [f"{c[:5]}-{c[5:]}" for c in codes]


async def verify_second_factor(user: User, session: UserSession, code: str) -> None:
    """Finish login with an authenticator code or a recovery code (each recovery code works once).

    Wrong codes are limited (`CODE_ATTEMPTS` per `CODE_WINDOW`) and `LOCK_AFTER` in a row lock the
    second factor until a coordinator resets it (`server.users.reset_second_factor`).
    """
    user, how = await _check_code(user.id, code, enrolling=False)
    async with in_transaction():
        await UserSession.filter(id=session.id).update(second_factor_at=clock.now())
        await record(user, "second_factor_passed", user, f"tweede stap met {how}")
