"""Login links, sessions and the second factor, at the service level."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server import auth, clock, totp
from server.clock import Clock
from server.errors import DomainError, RateLimited
from server.mail import OutboxMessage
from server.models import LoginToken, RecoveryCode, Role, User, UserSession
from server.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, TOUCH_INTERVAL, load_session, start_session
from tests.factories import link_in, make_user
from tests.orm_alike import assert_read_alike

BASE = "http://testserver"


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


async def request_link(email: str, client: str = "1.2.3.4") -> None:
    await auth.request_login_link(email, client=client, base_url=BASE)


async def test_known_address_gets_one_mail_with_a_link_of_32_random_bytes() -> None:
    user = await make_user(email="griffier@zeist.nl")
    await request_link(" Griffier@Zeist.NL ")
    [mail] = await OutboxMessage.all()
    assert mail.to_address == "griffier@zeist.nl"
    token = token_of(link_in(mail.body_text))
    assert len(token) >= 43  # base64 of 32 bytes
    stored = await LoginToken.get(user=user)
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert stored.expires_at == clock.now() + timedelta(minutes=15)


async def test_unknown_or_inactive_address_gets_no_mail_and_no_error() -> None:
    await make_user(email="weg@example.org", is_active=False)
    await request_link("niemand@example.org")
    await request_link("weg@example.org")
    assert await OutboxMessage.all().count() == 0


async def test_malformed_address_is_refused_on_the_field() -> None:
    with pytest.raises(DomainError) as caught:
        await request_link("geen-adres")
    assert caught.value.field == "email"


async def test_requests_over_the_limit_per_address_are_dropped_silently() -> None:
    await make_user(email="veel@example.org")
    for attempt in range(auth.LINKS_PER_ADDRESS):
        await request_link("veel@example.org", client=f"10.0.0.{attempt}")
    await request_link("veel@example.org", client="10.0.0.99")  # no error: nothing to learn or lock
    assert await OutboxMessage.all().count() == auth.LINKS_PER_ADDRESS


async def test_requests_over_the_limit_per_client_are_dropped_silently_also_for_unknown_addresses() -> None:
    await make_user(email="echt@example.org")
    for attempt in range(auth.LINKS_PER_CLIENT):
        await request_link(f"onbekend{attempt}@example.org", client="10.9.9.9")
    await request_link("echt@example.org", client="10.9.9.9")
    assert await OutboxMessage.all().count() == 0


async def test_a_link_works_once() -> None:
    user = await make_user()
    link = await auth.issue_login_link(user, BASE)
    login_token, key = await auth.log_in_with_token(token_of(link))
    assert login_token.user.id == user.id
    assert (await load_session(key)).user.id == user.id
    with pytest.raises(auth.LinkInvalid):
        await auth.log_in_with_token(token_of(link))


async def test_an_expired_link_is_refused() -> None:
    user = await make_user()
    link = await auth.issue_login_link(user, BASE)
    await LoginToken.filter(user=user).update(expires_at=clock.now() - timedelta(seconds=1))
    assert await auth.find_valid_token(token_of(link)) is None
    with pytest.raises(auth.LinkInvalid):
        await auth.log_in_with_token(token_of(link))


async def test_a_newer_link_cancels_older_ones() -> None:
    user = await make_user()
    first = await auth.issue_login_link(user, BASE)
    second = await auth.issue_login_link(user, BASE)
    with pytest.raises(auth.LinkInvalid):
        await auth.log_in_with_token(token_of(first))
    await auth.log_in_with_token(token_of(second))


async def test_a_deactivated_user_cannot_use_an_earlier_link() -> None:
    user = await make_user()
    link = await auth.issue_login_link(user, BASE)
    await User.filter(id=user.id).update(is_active=False)
    with pytest.raises(auth.LinkInvalid):
        await auth.log_in_with_token(token_of(link))


async def test_concurrent_clicks_on_one_link_start_one_session() -> None:
    user = await make_user()
    token = token_of(await auth.issue_login_link(user, BASE))
    results = await asyncio.gather(*(auth.log_in_with_token(token) for _ in range(8)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, auth.LinkInvalid) for r in results if isinstance(r, Exception))
    assert await UserSession.filter(user=user).count() == 1


async def test_staff_sessions_wait_for_the_second_factor() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    clerk = await make_user(Role.CLERK)
    _, staff_key = await auth.log_in_with_token(token_of(await auth.issue_login_link(coordinator, BASE)))
    _, clerk_key = await auth.log_in_with_token(token_of(await auth.issue_login_link(clerk, BASE)))
    assert (await load_session(staff_key)).second_factor_at is None
    assert (await load_session(clerk_key)).second_factor_at is not None


async def test_sessions_end_when_idle_or_too_old() -> None:
    user = await make_user()
    idle_key = await start_session(user, second_factor_done=True)
    old_key = await start_session(user, second_factor_done=True)
    now = clock.now()
    idle, old = await UserSession.filter(user=user).order_by("id")
    await UserSession.filter(id=idle.id).update(last_seen_at=now - IDLE_TIMEOUT - timedelta(seconds=1))
    await UserSession.filter(id=old.id).update(expires_at=now - timedelta(seconds=1))
    assert await load_session(idle_key) is None
    assert await load_session(old_key) is None
    assert await UserSession.filter(user=user).count() == 0
    fresh_key = await start_session(user, second_factor_done=True)
    session = await load_session(fresh_key)
    assert session.expires_at - session.created_at <= ABSOLUTE_TIMEOUT


async def test_last_seen_is_written_once_a_minute_at_most(fixed_clock: Clock) -> None:
    user = await make_user()
    key = await start_session(user, second_factor_done=True)
    started = fixed_clock.now()
    fixed_clock.advance(TOUCH_INTERVAL - timedelta(microseconds=1))
    assert (await load_session(key)).last_seen_at == started
    assert (await UserSession.get(user=user)).last_seen_at == started
    fixed_clock.advance(timedelta(microseconds=1))
    assert (await load_session(key)).last_seen_at == fixed_clock.now()
    assert (await UserSession.get(user=user)).last_seen_at == fixed_clock.now()


async def test_the_session_lookup_reads_the_session_and_user_as_the_orm_does() -> None:
    """The lookup is plain SQL (server.sessions.find_session): every column, converted alike, and
    instances that save as updates; a column added to either model is read without a change."""
    user = await make_user(Role.COORDINATOR, totp_failures=2, language="en")
    key = await start_session(user, second_factor_done=True)
    session = await load_session(key)
    expected = await UserSession.get(user=user).select_related("user")
    assert_read_alike(session, expected)
    assert_read_alike(session.user, expected.user)
    session.user.name = "Nieuwe naam"
    await session.user.save(update_fields=["name"])
    assert await User.filter(email=user.email).values_list("name", flat=True) == ["Nieuwe naam"]


async def enrolled_coordinator() -> tuple[User, UserSession, list[str]]:
    user = await make_user(Role.COORDINATOR)
    key = await start_session(user, second_factor_done=False)
    session = await load_session(key)
    enrolment = await auth.start_enrolment(user)
    user = await User.get(id=user.id)
    codes = await auth.confirm_enrolment(user, session, totp.code_for(enrolment.secret))
    return await User.get(id=user.id), await UserSession.get(id=session.id), codes


async def test_enrolment_confirms_the_app_and_hands_out_ten_recovery_codes() -> None:
    user, session, codes = await enrolled_coordinator()
    assert user.has_second_factor
    assert session.second_factor_at is not None
    assert len(set(codes)) == auth.RECOVERY_CODE_COUNT
    assert await RecoveryCode.filter(user=user).count() == auth.RECOVERY_CODE_COUNT


async def test_enrolment_refuses_a_wrong_code() -> None:
    user = await make_user(Role.FINANCE)
    session = await load_session(await start_session(user, second_factor_done=False))
    await auth.start_enrolment(user)
    with pytest.raises(auth.CodeInvalid):
        await auth.confirm_enrolment(await User.get(id=user.id), session, "000000")
    assert not (await User.get(id=user.id)).has_second_factor


async def test_a_totp_code_works_once_and_recovery_codes_once_each(fixed_clock: Clock) -> None:
    user, _, codes = await enrolled_coordinator()
    session = await load_session(await start_session(user, second_factor_done=False))
    with pytest.raises(auth.CodeInvalid):  # the enrolment code's step is used up
        await auth.verify_second_factor(user, session, totp.code_for(user.totp_secret))
    fixed_clock.advance(timedelta(seconds=totp.STEP_SECONDS))
    next_code = totp.code_for(user.totp_secret)
    await auth.verify_second_factor(await User.get(id=user.id), session, next_code)
    with pytest.raises(auth.CodeInvalid):
        await auth.verify_second_factor(await User.get(id=user.id), session, next_code)
    await auth.verify_second_factor(user, session, codes[0].upper())
    with pytest.raises(auth.CodeInvalid):
        await auth.verify_second_factor(await User.get(id=user.id), session, codes[0])
    assert (await UserSession.get(id=session.id)).second_factor_at is not None


async def test_second_factor_attempts_are_limited() -> None:
    user, session, _ = await enrolled_coordinator()
    for _ in range(auth.CODE_ATTEMPTS):
        with pytest.raises(auth.CodeInvalid):
            await auth.verify_second_factor(user, session, "123456x")
    with pytest.raises(RateLimited):
        await auth.verify_second_factor(user, session, "123456x")
