"""Login over HTTP, security headers, error pages, organisation pages and user management routes."""

from __future__ import annotations

import httpx

from server import totp
from server.mail import OutboxMessage
from server.models import AuditEntry, Organisation, Role, User, UserSession
from server.security import CSRF_COOKIE
from server.sessions import SESSION_COOKIE
from tests.factories import link_in, make_organisation, make_user, post, sign_in


async def mailed_link(to: str) -> str:
    message = await OutboxMessage.filter(to_address=to).order_by("-id").first()
    assert message is not None, f"no mail to {to}"
    return link_in(message.body_text).removeprefix("http://testserver")


async def test_login_journey_for_a_clerk(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation(name="Zeist")
    await make_user(Role.CLERK, email="griffie@zeist.nl", organisation=organisation)

    response = await post(client, "/inloggen", {"email": "griffie@zeist.nl"})
    assert response.status_code == 200
    assert "Controleer uw e-mail" in response.text
    link = await mailed_link("griffie@zeist.nl")

    opened = await client.get(link)  # what a mail scanner does: nothing is used up
    assert opened.status_code == 200
    assert 'method="post"' in opened.text.lower()
    assert await client.get(link) is not None and (await client.get(link)).status_code == 200

    logged_in = await post(client, link)
    assert logged_in.status_code == 303
    assert logged_in.headers["location"] == "/organisatie/boekingen"
    cookie = logged_in.headers["set-cookie"]
    assert (
        f"{SESSION_COOKIE}=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    )

    assert (await client.get("/organisatie/boekingen")).headers["location"] == (
        f"/organisaties/{organisation.cbs_code}/boekingen"
    )
    own = await client.get("/organisatie")
    assert own.headers["location"] == f"/organisaties/{organisation.cbs_code}"
    page = await client.get(own.headers["location"])
    assert page.status_code == 200 and "Zeist" in page.text

    again = await post(client, link)
    assert again.status_code == 400 and "verlopen of al gebruikt" in again.text


async def test_the_answer_is_the_same_for_unknown_addresses(client: httpx.AsyncClient) -> None:
    await make_user(email="bekend@example.org")
    known = await post(client, "/inloggen", {"email": "bekend@example.org"})
    unknown = await post(client, "/inloggen", {"email": "onbekend@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("bekend@", "X@").replace("onX@", "X@") == unknown.text.replace(
        "onbekend@", "X@"
    )
    assert await OutboxMessage.all().count() == 1


async def test_a_bad_address_keeps_what_was_typed_next_to_the_field(client: httpx.AsyncClient) -> None:
    response = await post(client, "/inloggen", {"email": "griffie-at-zeist"})
    assert response.status_code == 400
    assert 'value="griffie-at-zeist"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "field-email-error" in response.text


async def test_login_after_a_redirect_continues_where_the_user_was(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await make_user(Role.CLERK, email="terug@example.org", organisation=organisation)
    target = f"/organisaties/{organisation.cbs_code}"
    redirect = await client.get(target)
    assert redirect.status_code == 303 and redirect.headers["location"].startswith("/inloggen?volgende=")
    form = await client.get(redirect.headers["location"])
    assert f'value="{target}"' in form.text
    await post(client, "/inloggen", {"email": "terug@example.org", "volgende": target})
    response = await post(client, await mailed_link("terug@example.org"))
    assert response.headers["location"] == target


async def test_staff_enrol_the_second_factor_at_first_login(client: httpx.AsyncClient) -> None:
    await make_user(Role.COORDINATOR, email="coord@weerbaar.example")
    await post(client, "/inloggen", {"email": "coord@weerbaar.example"})
    response = await post(client, await mailed_link("coord@weerbaar.example"))
    assert response.headers["location"] == "/inloggen/tweede-factor"
    assert (await client.get("/coordinatie")).headers["location"] == "/inloggen/tweede-factor"

    enrol = await client.get("/inloggen/tweede-factor")
    assert enrol.status_code == 200 and "<svg" in enrol.text
    secret = (await User.get(email="coord@weerbaar.example")).totp_secret
    wrong = await post(client, "/inloggen/tweede-factor", {"code": "000000"})
    assert wrong.status_code == 400 and "klopt niet" in wrong.text
    codes_page = await post(client, "/inloggen/tweede-factor", {"code": totp.code_for(secret)})
    assert codes_page.status_code == 200 and "herstelcodes" in codes_page.text.lower()
    assert (await client.get("/coordinatie")).status_code == 200


async def test_logout_ends_the_session_on_the_server(client: httpx.AsyncClient) -> None:
    user = await make_user(Role.TRAINER)
    await sign_in(client, user)
    key = client.cookies[SESSION_COOKIE]
    assert (await client.get("/trainer")).status_code == 200
    response = await post(client, "/uitloggen")
    assert response.status_code == 303
    assert await UserSession.filter(user=user).count() == 0
    client.cookies.set(SESSION_COOKIE, key)  # a stolen copy of the cookie is worthless now
    assert (await client.get("/trainer")).status_code == 303


async def test_security_headers_on_pages_and_error_pages(client: httpx.AsyncClient) -> None:
    for path in ("/", "/bestaat-niet"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # development: no HSTS


async def test_production_adds_hsts_and_secure_cookies(database_url: str) -> None:
    from server.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, environment="production", smtp_url="smtp://127.0.0.1:1"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t") as http:
        response = await http.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert (
        "secure" in response.headers["set-cookie"].lower() and CSRF_COOKIE in response.headers["set-cookie"]
    )


async def test_error_pages_use_the_layout_with_the_emergency_number(client: httpx.AsyncClient) -> None:
    response = await client.get("/bestaat-niet")
    assert response.status_code == 404
    assert 'lang="nl"' in response.text and "070 - 37 38 314" in response.text and "112" in response.text


async def test_an_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await post(client, "/inloggen", {"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "070 - 37 38 314" in response.text


async def test_a_clerk_saves_billing_details_and_mistakes_stay_in_the_form(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    url = f"/organisaties/{organisation.cbs_code}/factuurgegevens"
    bad = await post(client, url, {"invoice_street": "Slotlaan 1", "invoice_postcode": "12345", "oin": "12"})
    assert bad.status_code == 400
    assert 'value="Slotlaan 1"' in bad.text and "1234 AB" in bad.text and "20 cijfers" in bad.text
    assert (await Organisation.get(id=organisation.id)).invoice_street == ""  # nothing half-stored

    good = await post(
        client,
        url,
        {
            "invoice_street": "Slotlaan 1",
            "invoice_postcode": "3701gg",
            "invoice_city": "Zeist",
            "invoice_email": "Facturen@Zeist.nl",
            "oin": "00000001234567890000",
            "requires_po_number": "on",
        },
    )
    assert good.status_code == 303
    stored = await Organisation.get(id=organisation.id)
    assert (stored.invoice_postcode, stored.invoice_email, stored.requires_po_number) == (
        "3701 GG",
        "facturen@zeist.nl",
        True,
    )
    assert await AuditEntry.filter(action="billing_updated", object_id=str(organisation.id)).exists()


async def test_a_clerk_invites_a_colleague_for_their_own_organisation(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    url = f"/organisaties/{organisation.cbs_code}/griffiers"
    response = await post(client, url, {"email": "collega@example.org", "name": "Collega"})
    assert response.status_code == 303
    colleague = await User.get(email="collega@example.org")
    assert colleague.role is Role.CLERK and colleague.organisation_id == organisation.id
    assert "/inloggen/link/" in (await OutboxMessage.get(to_address="collega@example.org")).body_text

    duplicate = await post(client, url, {"email": "collega@example.org", "name": "Nog eens"})
    assert duplicate.status_code == 303 and duplicate.headers["location"] == response.headers["location"]
    assert await OutboxMessage.filter(to_address="collega@example.org").count() == 1


async def test_a_coordinator_invites_deactivates_and_changes_roles(client: httpx.AsyncClient) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)
    organisation = await make_organisation(cbs_code="GM0355")

    invalid = await post(
        client, "/beheer/gebruikers", {"email": "t@example.org", "name": "T", "role": "clerk"}
    )
    assert (
        invalid.status_code == 400 and "CBS-code" in invalid.text and 'value="t@example.org"' in invalid.text
    )
    assert not await User.exists(email="t@example.org")

    invited = await post(
        client,
        "/beheer/gebruikers",
        {"email": "t@example.org", "name": "T", "role": "clerk", "organisation": "gm0355"},
    )
    assert invited.status_code == 303
    user = await User.get(email="t@example.org")
    assert user.organisation_id == organisation.id

    await sign_in(httpx.AsyncClient(), user)  # the invited user has a live session somewhere
    assert await UserSession.filter(user=user).count() == 1
    await post(client, f"/beheer/gebruikers/{user.id}/rol", {"role": "trainer", "organisation": ""})
    user = await User.get(id=user.id)
    assert user.role is Role.TRAINER and user.organisation_id is None
    assert await UserSession.filter(user=user).count() == 0

    await sign_in(httpx.AsyncClient(), user)
    await post(client, f"/beheer/gebruikers/{user.id}/deactiveren")
    assert not (await User.get(id=user.id)).is_active
    assert await UserSession.filter(user=user).count() == 0

    themselves = await post(client, f"/beheer/gebruikers/{coordinator.id}/deactiveren")
    assert themselves.status_code == 400 and (await User.get(id=coordinator.id)).is_active


async def test_an_unexpected_error_shows_the_500_page_without_a_traceback(settings) -> None:
    from starlette.routing import Route

    from server.access import public
    from server.app import create_app

    @public
    async def crash(request):
        raise RuntimeError("geheime details")

    app = create_app(settings)
    app.router.routes.append(Route("/crash", crash))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/crash")
    assert response.status_code == 500
    assert "Er ging iets mis bij ons" in response.text and "070 - 37 38 314" in response.text
    assert "geheime details" not in response.text and "Traceback" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_a_coordinator_resets_a_lost_second_factor(client: httpx.AsyncClient) -> None:
    from server.models import RecoveryCode

    await sign_in(client, await make_user(Role.COORDINATOR))
    finance = await make_user(
        Role.FINANCE, totp_secret="JBSWY3DPEHPK3PXP", totp_confirmed_at="2026-01-01T00:00:00+00:00"
    )
    await RecoveryCode.create(user=finance, code_hash="b" * 64)
    await sign_in(httpx.AsyncClient(), finance)
    page = await client.get("/beheer/gebruikers")
    assert f"/beheer/gebruikers/{finance.id}/tweede-stap" in page.text
    response = await post(client, f"/beheer/gebruikers/{finance.id}/tweede-stap")
    assert response.status_code == 303
    finance = await User.get(id=finance.id)
    assert not finance.has_second_factor and finance.totp_secret is None
    assert await RecoveryCode.filter(user=finance).count() == 0
    assert await UserSession.filter(user=finance).count() == 0
    assert await AuditEntry.filter(action="second_factor_reset").exists()


async def test_no_menu_until_the_second_factor_is_passed(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR), second_factor_done=False)
    page = await client.get("/inloggen/tweede-factor")
    assert 'href="/beheer/gebruikers"' not in page.text
