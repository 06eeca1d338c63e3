"""Hardening of login (issue 20): the second factor locks after repeated wrong codes and holds under
concurrent guesses, a fresh enrolment secret per page, CSRF tokens bound to the session, and login
links that nobody can use to lock another person out or flood their mailbox."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest

from server import auth, totp
from server.clock import Clock
from server.errors import RateLimited
from server.mail import OutboxMessage
from server.models import AuditEntry, Role, User, UserSession
from server.security import CSRF_COOKIE
from server.sessions import SESSION_COOKIE, load_session, start_session
from tests.factories import CSRF_TOKEN, csrf_token, make_user, post, sign_in, with_csrf
from tests.server.test_routes import mailed_link

SECRET = "JBSWY3DPEHPK3PXP"


def shown(secret: str) -> str:
    """The secret as the enrolment page shows it, in groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


async def enrolled(role: Role = Role.FINANCE) -> tuple[User, UserSession]:
    user = await make_user(role, totp_secret=SECRET, totp_confirmed_at="2026-01-01T00:00:00+00:00")
    session = await load_session(await start_session(user, second_factor_done=False))
    assert session is not None
    return user, session


async def guess_wrong(user: User, session: UserSession, times: int, fixed_clock: Clock) -> list[Exception]:
    """Wrong codes, waiting out the rate limit's window whenever it is reached."""
    errors: list[Exception] = []
    for _ in range(times):
        try:
            await auth.verify_second_factor(user, session, "000000")
        except RateLimited:
            fixed_clock.advance(auth.CODE_WINDOW + timedelta(seconds=1))
            try:
                await auth.verify_second_factor(user, session, "000000")
            except Exception as error:
                errors.append(error)
        except Exception as error:
            errors.append(error)
    return errors


async def test_wrong_codes_in_a_row_lock_the_second_factor_even_for_the_right_code(
    fixed_clock: Clock,
) -> None:
    user, session = await enrolled()
    wrong = "000000" if totp.code_for(SECRET) != "000000" else "111111"
    for attempt in range(auth.LOCK_AFTER):
        if attempt and attempt % auth.CODE_ATTEMPTS == 0:
            fixed_clock.advance(auth.CODE_WINDOW + timedelta(seconds=1))
        expected = auth.SecondFactorLocked if attempt == auth.LOCK_AFTER - 1 else auth.CodeInvalid
        with pytest.raises(expected):
            await auth.verify_second_factor(user, session, wrong)

    fixed_clock.advance(timedelta(hours=1))
    with pytest.raises(auth.SecondFactorLocked):
        await auth.verify_second_factor(user, session, totp.code_for(SECRET))
    assert (await UserSession.get(id=session.id)).second_factor_at is None
    locked = await User.get(id=user.id)
    assert locked.is_second_factor_locked and locked.totp_failures == auth.LOCK_AFTER
    entry = await AuditEntry.get(action="second_factor_locked")
    assert entry.object_id == str(user.id)


async def test_a_right_code_resets_the_count_of_wrong_ones(fixed_clock: Clock) -> None:
    user, session = await enrolled()
    for _ in range(auth.CODE_ATTEMPTS - 1):
        with pytest.raises(auth.CodeInvalid):
            await auth.verify_second_factor(user, session, "999999x")
    await auth.verify_second_factor(user, session, totp.code_for(SECRET))
    assert (await User.get(id=user.id)).totp_failures == 0


async def test_a_coordinator_resets_a_locked_second_factor_and_it_is_audited(
    client: httpx.AsyncClient, fixed_clock: Clock
) -> None:
    user, _session = await enrolled()
    await User.filter(id=user.id).update(totp_failures=auth.LOCK_AFTER, totp_locked_at=fixed_clock.now())
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)

    page = await client.get("/beheer/gebruikers")
    assert "tweede stap geblokkeerd" in page.text
    assert f"/beheer/gebruikers/{user.id}/tweede-stap" in page.text
    response = await post(client, f"/beheer/gebruikers/{user.id}/tweede-stap")

    assert response.status_code == 303
    reset = await User.get(id=user.id)
    assert not reset.is_second_factor_locked and reset.totp_failures == 0 and not reset.has_second_factor
    entry = await AuditEntry.get(action="second_factor_reset")
    assert entry.actor_id == coordinator.id and "geblokkeerd" in entry.summary  # type: ignore[attr-defined]


async def test_a_locked_user_sees_why_on_the_second_factor_page(
    client: httpx.AsyncClient, fixed_clock: Clock
) -> None:
    user, _ = await enrolled(Role.COORDINATOR)
    await User.filter(id=user.id).update(totp_failures=auth.LOCK_AFTER, totp_locked_at=fixed_clock.now())
    await sign_in(client, user, second_factor_done=False)

    page = await client.get("/inloggen/tweede-factor")
    assert "geblokkeerd" in page.text
    refused = await post(client, "/inloggen/tweede-factor", {"code": totp.code_for(SECRET)})
    assert refused.status_code == 403 and "coördinator" in refused.text
    assert (await client.get("/coordinatie")).status_code == 303


async def test_many_wrong_codes_at_once_are_looked_at_no_more_than_the_limit(db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("concurrent transactions need PostgreSQL")
    user, session = await enrolled()

    results = await asyncio.gather(
        *(auth.verify_second_factor(user, session, f"{n:06d}x") for n in range(40)), return_exceptions=True
    )

    looked_at = sum(isinstance(result, auth.CodeInvalid) for result in results)
    assert looked_at <= auth.CODE_ATTEMPTS
    assert all(isinstance(result, auth.CodeInvalid | RateLimited) for result in results), results
    assert (await User.get(id=user.id)).totp_failures == looked_at


async def test_every_enrolment_page_shows_a_fresh_secret_until_confirmed(client: httpx.AsyncClient) -> None:
    user = await make_user(Role.COORDINATOR)
    await sign_in(client, user, second_factor_done=False)

    first = (await client.get("/inloggen/tweede-factor")).text
    first_secret = (await User.get(id=user.id)).totp_secret
    second = (await client.get("/inloggen/tweede-factor")).text
    second_secret = (await User.get(id=user.id)).totp_secret

    assert first_secret and second_secret and first_secret != second_secret
    assert shown(first_secret) in first and shown(second_secret) in second
    assert shown(first_secret) not in second
    wrong = await post(client, "/inloggen/tweede-factor", {"code": "abcdef"})
    assert wrong.status_code == 400 and shown(second_secret) in wrong.text  # the scanned one stays
    with pytest.raises(auth.CodeInvalid):
        await auth.confirm_enrolment(await User.get(id=user.id), await UserSession.get(user=user), "")
    done = await post(client, "/inloggen/tweede-factor", {"code": totp.code_for(second_secret)})
    assert done.status_code == 200 and (await User.get(id=user.id)).has_second_factor
    with pytest.raises(auth.DomainError):
        await auth.start_enrolment(await User.get(id=user.id))


async def test_a_csrf_token_works_only_for_the_session_it_was_made_for(client: httpx.AsyncClient) -> None:
    clerk = await make_user(Role.CLERK)
    await sign_in(client, clerk)
    same_cookie_other_session = with_csrf(httpx.AsyncClient())
    await sign_in(same_cookie_other_session, await make_user(Role.CLERK))

    planted = await client.post("/uitloggen", data={"csrf_token": csrf_token(same_cookie_other_session)})
    before_login = await client.post("/uitloggen", data={"csrf_token": CSRF_TOKEN})

    assert planted.status_code == 403 and before_login.status_code == 403
    assert await UserSession.filter(user=clerk).exists()
    assert (await post(client, "/uitloggen")).status_code == 303
    assert not await UserSession.filter(user=clerk).exists()


async def test_the_csrf_token_works_before_login_and_changes_with_the_session(
    client: httpx.AsyncClient,
) -> None:
    await make_user(Role.CLERK, email="griffie@zeist.nl")
    form = await with_csrf(client).get("/inloggen")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token and token.group(1) == CSRF_TOKEN
    sent = await client.post("/inloggen", data={"csrf_token": token.group(1), "email": "griffie@zeist.nl"})
    assert sent.status_code == 200

    logged_in = await client.post(await mailed_link("griffie@zeist.nl"), data={"csrf_token": CSRF_TOKEN})
    assert logged_in.status_code == 303 and client.cookies.get(SESSION_COOKIE)
    page = await client.get("/inloggen/tweede-factor", follow_redirects=True)
    new_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert new_token and new_token.group(1) == csrf_token(client) != CSRF_TOKEN
    assert client.cookies.get(CSRF_COOKIE)


async def test_nobody_locks_another_person_out_of_login_links(client: httpx.AsyncClient) -> None:
    await make_user(Role.CLERK, email="griffie@zeist.nl")
    for n in range(3 * auth.LINKS_PER_ADDRESS):
        await auth.request_login_link("griffie@zeist.nl", client=f"10.6.6.{n}", base_url="http://testserver")

    own = await post(client, "/inloggen", {"email": "griffie@zeist.nl"})

    assert own.status_code == 200 and "429" not in own.text and "te vaak" not in own.text
    assert await OutboxMessage.filter(to_address="griffie@zeist.nl").count() == auth.LINKS_PER_ADDRESS
    used = await post(client, await mailed_link("griffie@zeist.nl"))  # the newest mailed link still works
    assert used.status_code == 303 and used.headers["location"] == "/organisatie/boekingen"


async def test_an_address_gets_at_most_the_daily_number_of_login_mails(fixed_clock: Clock) -> None:
    await make_user(Role.CLERK, email="griffie@zeist.nl")
    for n in range(4 * auth.LINKS_PER_ADDRESS_PER_DAY):
        if n % auth.LINKS_PER_ADDRESS == 0:
            fixed_clock.advance(auth.LINK_WINDOW + timedelta(seconds=1))
        await auth.request_login_link("griffie@zeist.nl", client=f"10.7.{n}.1", base_url="http://testserver")
    assert await OutboxMessage.filter(to_address="griffie@zeist.nl").count() == auth.LINKS_PER_ADDRESS_PER_DAY
