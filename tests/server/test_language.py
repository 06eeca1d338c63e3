"""The language of a request and of a mail: the account's choice, else the switch's cookie, else
Accept-Language, else Dutch; documents for public bodies stay Dutch."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from server.i18n import use_language
from server.languages import LANGUAGE_COOKIE, accepted_language
from server.mail import OutboxMessage, compose_mails, queue_mail
from server.models import Role, User
from server.templating import format_local_datetime, format_money, format_number
from tests.factories import make_user, post, sign_in, with_csrf


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en-GB,en;q=0.9,nl;q=0.8", "en"),
        ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),
        ("en;q=0.2,nl;q=0.7", "nl"),
        ("fr, en;q=0", None),
        ("en;q=abc, nl", "nl"),
        ("", None),
        ("*", None),
    ],
)
def test_accept_language_names_the_best_language_weerbaar_speaks(header: str, language: str | None) -> None:
    assert accepted_language(header) == language


async def test_an_anonymous_visitor_gets_the_language_of_the_browser(client: httpx.AsyncClient) -> None:
    english = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text
    assert "Acute threat?" in english.text
    assert english.headers["content-language"] == "en"
    assert {"Cookie", "Accept-Language"} <= {v.strip() for v in english.headers["vary"].split(",")}
    dutch = await client.get("/")
    assert '<html lang="nl">' in dutch.text
    assert "Acute dreiging?" in dutch.text
    assert ">English</button>" in dutch.text and 'lang="en"' in dutch.text


async def test_the_switch_remembers_a_visitors_choice_in_a_cookie(client: httpx.AsyncClient) -> None:
    with_csrf(client)
    response = await post(client, "/taal", {"taal": "en", "terug": "/privacy?x=1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/privacy?x=1"
    assert client.cookies.get(LANGUAGE_COOKIE) == "en"
    page = await client.get("/privacy", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in page.text
    assert ">Nederlands</button>" in page.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "privacy", "/\\evil", ""])
async def test_the_switch_goes_back_only_to_a_page_of_this_site(
    client: httpx.AsyncClient, target: str
) -> None:
    response = await post(client, "/taal", {"taal": "en", "terug": target})
    assert response.headers["location"] == "/"


async def test_an_unknown_language_is_refused_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    user = await make_user(Role.TRAINER)
    await sign_in(client, user)
    response = await post(client, "/taal", {"taal": "fy", "terug": "/"})
    assert response.status_code == 400
    assert "Deze taal kent Weerbaar niet" in response.text
    assert LANGUAGE_COOKIE not in response.headers.get("set-cookie", "")
    assert (await User.get(id=user.id)).language == "nl"


async def test_a_signed_in_users_choice_is_kept_on_the_account(client: httpx.AsyncClient) -> None:
    user = await make_user(Role.TRAINER)
    await sign_in(client, user)
    await post(client, "/taal", {"taal": "en", "terug": "/trainer"})
    assert (await User.get(id=user.id)).language == "en"
    client.cookies.delete(LANGUAGE_COOKIE)
    page = await client.get("/trainer", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in page.text
    assert "Sign out" in page.text


async def test_the_accounts_language_wins_over_cookie_and_browser(client: httpx.AsyncClient) -> None:
    user = await make_user(Role.TRAINER, language="nl")
    await sign_in(client, user)
    client.cookies.set(LANGUAGE_COOKIE, "en")
    page = await client.get("/trainer", headers={"Accept-Language": "en"})
    assert '<html lang="nl">' in page.text


async def test_errors_come_in_the_language_of_the_request(client: httpx.AsyncClient) -> None:
    english = await client.get("/bestaat-niet", headers={"Accept-Language": "en"})
    assert english.status_code == 404
    assert '<html lang="en">' in english.text
    assert "Deze pagina bestaat niet" not in english.text


async def test_a_mail_goes_in_the_language_of_its_recipients_account() -> None:
    english = await make_user(Role.TRAINER, email="trainer@example.org", language="en")
    dutch = await make_user(Role.TRAINER, email="trainster@example.org")
    context = {"user": english, "link": "https://weerbaar.example/x", "minutes": 15}
    with use_language("nl"):
        await queue_mail("TRAINER@example.org", "auth/login_link", context)
    with use_language("en"):
        mails = await compose_mails(
            [english.email, dutch.email, "contact@zeist.nl"], "auth/login_link", context
        )
    assert (
        await OutboxMessage.get(to_address="TRAINER@example.org")
    ).subject == "Your sign-in link for Weerbaar"
    subjects = {mail.to_address: mail.subject for mail in mails}
    assert subjects == {
        english.email: "Your sign-in link for Weerbaar",
        dutch.email: "Uw inloglink voor Weerbaar",
        "contact@zeist.nl": "Uw inloglink voor Weerbaar",
    }
    assert '<html lang="en">' in next(mail for mail in mails if mail.to_address == english.email).body_html


def test_numbers_money_and_dates_follow_the_language() -> None:
    moment = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    with use_language("nl"):
        assert format_money(123450) == "€\xa01.234,50"
        assert format_number(99.44) == "99,4"
        assert format_local_datetime(moment) == "4 december 2026 om 10:30"
    with use_language("en"):
        assert format_money(123450) == "€1,234.50"
        assert format_number(99.44) == "99.4"
        assert format_local_datetime(moment) == "4 December 2026 at 10:30"
        assert format_local_datetime(moment, "EEEE d MMMM y 'om' HH:mm") == "Friday 4 December 2026 at 10:30"
