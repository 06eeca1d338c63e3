"""Log lines: JSON with the request's id, route, user and outcome; audit and security events as BIO
asks; and no secret of a whole journey (login link, TOTP secret and code, recovery codes, session
and CSRF cookies, feedback code and answers) in any line."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog

from server import totp
from server.logs import configure_logging
from server.mail import OutboxMessage
from server.models import Role, User
from server.security import CSRF_COOKIE
from server.sessions import SESSION_COOKIE
from tests.factories import CSRF_TOKEN, TEST_CSRF_COOKIE, link_in, make_user, post, sign_in, with_csrf
from tests.feedback.test_collect import answers, make_session

ANSWER = "Ik ga voortaan mijn adres afschermen, zei Wilhelmina"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything every logger writes, as the server writes it (JSON lines), at the default levels."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    output = io.StringIO()
    configure_logging("json", stream=output)
    try:
        yield output
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])


def lines_of(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def assert_absent(text: str, secret: str) -> None:
    """`secret` nowhere in `text` (a digits-only code only where it is not part of a longer number or id)."""
    pattern = rf"(?<![0-9a-f.]){re.escape(secret)}(?![0-9a-f])" if secret.isdigit() else re.escape(secret)
    assert not re.search(pattern, text, flags=re.IGNORECASE), f"secret in the log: {secret!r}"


async def log_in_with_link(client: httpx.AsyncClient, user: User) -> str:
    with_csrf(client)
    asked = await client.post("/inloggen", data={"csrf_token": CSRF_TOKEN, "email": user.email})
    assert asked.status_code == 200
    mail = await OutboxMessage.get(to_address=user.email)
    link = link_in(mail.body_text)
    path = link.removeprefix("http://testserver")
    assert (await client.get(path)).status_code == 200
    used = await post(client, path)
    assert used.status_code == 303
    return link.rsplit("/", 1)[1]


async def test_a_journey_logs_who_did_what_and_no_secret(
    client: httpx.AsyncClient, log_output: io.StringIO
) -> None:
    coordinator = await make_user(Role.COORDINATOR, email="coordinator.geheim@weerbaar.example")
    await post(client, "/inloggen/link/verlopen-of-verzonnen")  # a failed login: a security event
    token = await log_in_with_link(client, coordinator)

    await client.get("/inloggen/tweede-factor")
    await coordinator.refresh_from_db()
    secret = coordinator.totp_secret
    assert secret
    await post(client, "/inloggen/tweede-factor", {"code": "000000"})
    code = totp.code_for(secret)
    enrolled = await post(client, "/inloggen/tweede-factor", {"code": code})
    recovery_codes = re.findall(r"\b[0-9a-f]{5}-[0-9a-f]{5}\b", enrolled.text)
    assert len(recovery_codes) == 10
    assert (await client.get("/coordinatie")).status_code == 200

    feedback = await make_session()
    participant = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    with_csrf(participant)
    data = {"csrf_token": CSRF_TOKEN, **await answers(feedback, text=[ANSWER])}
    submitted = await participant.post(f"/f/{feedback.code}", data=data)
    assert submitted.status_code == 303

    text = log_output.getvalue()
    for value in (
        token,
        secret,
        code,
        *recovery_codes,
        client.cookies[SESSION_COOKIE],
        TEST_CSRF_COOKIE,
        CSRF_TOKEN,
        feedback.code,
        ANSWER,
        "Wilhelmina",
        coordinator.email,
    ):
        assert_absent(text, value)
    assert client.cookies[CSRF_COOKIE] == TEST_CSRF_COOKIE

    lines = lines_of(log_output)
    requests = [line for line in lines if line["event"] == "request"]
    assert {"/inloggen/link/{token}", "/inloggen/tweede-factor", "/coordinatie", "/f/{code}"} <= {
        line["route"] for line in requests
    }
    for line in requests:
        assert len(line["request_id"]) == 32 and line["level"] == "info" and line["timestamp"].endswith("Z")
        assert {"method", "status", "duration_ms", "origin", "user_id", "role"} <= set(line)
    dashboard = next(line for line in requests if line["route"] == "/coordinatie")
    assert (dashboard["user_id"], dashboard["role"], dashboard["status"]) == (
        coordinator.id,
        "coordinator",
        200,
    )

    audit = [line for line in lines if line["event"] == "audit"]
    login = next(line for line in audit if line["action"] == "login")
    assert login["object"] == f"User:{coordinator.id}" and login["result"] == "success"
    assert login["actor"] == f"user:{coordinator.id}" and login["actor_role"] == "coordinator"
    assert login["origin"] and login["request_id"] and login["timestamp"]
    assert any(line["action"] == "second_factor_enrolled" for line in audit)

    security = [line for line in lines if line["event"] == "security"]
    reasons = {(line["action"], line["reason"], line["result"]) for line in security}
    assert ("login", "link_invalid", "failure") in reasons
    assert ("second_factor_enrolment", "code_invalid", "failure") in reasons
    await participant.aclose()


async def test_a_refused_page_is_a_security_event(client: httpx.AsyncClient, log_output: io.StringIO) -> None:
    clerk = await make_user(Role.CLERK)
    await sign_in(client, clerk)
    assert (await client.get("/beheer/gebruikers")).status_code == 403
    security = [line for line in lines_of(log_output) if line["event"] == "security"]
    assert security and security[-1]["action"] == "access" and security[-1]["result"] == "denied"
    assert security[-1]["actor"] == f"user:{clerk.id}" and security[-1]["reason"] == "Forbidden"


def test_fields_named_like_secrets_are_blanked(log_output: io.StringIO) -> None:
    logging.getLogger("weerbaar.test").warning("oeps", extra={"token": "abc"})
    structlog.get_logger("weerbaar.test").info("poging", token="geheim-token-123", code="654321")
    text = log_output.getvalue()
    assert "geheim-token-123" not in text and "654321" not in text and "[weggelaten]" in text


def test_the_orm_is_quiet_by_default(log_output: io.StringIO) -> None:
    assert logging.getLogger("tortoise").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("asyncpg").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("uvicorn.access").getEffectiveLevel() >= logging.WARNING
