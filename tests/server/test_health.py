"""Probes and metrics for the hosting party: /healthz, /readyz and /metrics (server/health.py)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from server import health
from server.app import create_app
from server.clock import Clock
from server.mail import OutboxMessage, OutboxStatus
from server.models import Role
from server.scheduler import run_due
from server.settings import Settings
from tests.conftest import make_settings
from tests.factories import make_user, post
from tests.invoicing.factories import TODAY, complete_seller_settings, delivered_training

TOKEN = "m" * 40


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition by name and labels (the parser refuses malformed text)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_checks_database_migrations_and_backlogs(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "renderer": "ok"},
    }
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers or "weerbaar_session" not in response.headers["set-cookie"]


async def test_readyz_is_not_ready_while_mail_is_overdue(fixed_clock: Clock, database_url: str) -> None:
    app = create_app(make_settings(database_url, smtp_url="smtp://127.0.0.1:1", ready_max_outbox_overdue=2))
    for number in range(2):
        await OutboxMessage.create(
            to_address=f"griffier{number}@zeist.nl",
            subject="Herinnering",
            body_text="tekst",
            body_html="<p>tekst</p>",
            next_attempt_at=fixed_clock.now(),
            message_id=f"<{number}@weerbaar.test>",
        )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        assert (await http.get("/readyz")).status_code == 200  # due, not yet overdue
        fixed_clock.advance(health.OUTBOX_OVERDUE + timedelta(seconds=1))
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"] == "2 wachtend (grens 2)"
    assert "griffier" not in response.text


async def test_readyz_names_missing_migrations(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def pending(database_url: str) -> list[str]:
        return ["invoicing.0042_next"]

    monkeypatch.setattr(health._Readiness, "migrations_current", False)
    monkeypatch.setattr(health, "pending_migrations", pending)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 migraties ontbreken (weerbaar migrate)"


async def test_metrics_parse_and_count_requests_per_route_template(
    client: httpx.AsyncClient, fixed_clock: Clock
) -> None:
    finance = await make_user(Role.FINANCE)
    await complete_seller_settings()
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    await issue_invoice(draft.id, actor=finance, today=TODAY)
    await OutboxMessage.create(
        to_address="griffier@zeist.nl",
        subject="Mislukt",
        body_text="tekst",
        body_html="",
        status=OutboxStatus.FAILED,
        next_attempt_at=fixed_clock.now(),
        message_id="<failed@weerbaar.test>",
    )
    before = samples((await client.get("/metrics")).text)
    for reference in ("WB-1", "WB-2", "WB-3"):
        await client.get(f"/boekingen/{reference}")
    await client.get("/bestaat-niet")
    fixed_clock.advance(timedelta(minutes=5))

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["cache-control"] == "no-store"
    found = samples(response.text)
    route = (("method", "GET"), ("route", "/boekingen/{reference}"), ("status", "303"))
    key = ("weerbaar_http_requests_total", route)
    assert found[key] - before.get(key, 0) == 3
    assert not any("WB-1" in str(labels) for _, labels in found)
    histogram = ("weerbaar_http_request_duration_seconds_count", route[:2])
    assert found[histogram] - before.get(histogram, 0) == 3
    assert (
        "weerbaar_http_requests_total",
        (("method", "GET"), ("route", "<geen route>"), ("status", "404")),
    ) in found
    assert found[("weerbaar_outbox_messages", (("status", "failed"),))] == 1
    assert found[("weerbaar_outbox_messages", (("status", "queued"),))] == 0
    assert found[("weerbaar_invoices_waiting_for_documents", ())] == 1
    assert found[("weerbaar_invoices_waiting_oldest_age_seconds", ())] == 300
    assert found[("weerbaar_database_readable", ())] == 1
    assert "griffier@zeist.nl" not in response.text


async def test_login_failures_are_counted(client: httpx.AsyncClient) -> None:
    key = ("weerbaar_login_failures_total", (("reason", "link_invalid"),))
    before = samples((await client.get("/metrics")).text).get(key, 0)
    await client.get("/inloggen/link/onzin")
    await post(client, "/inloggen/link/onzin")
    assert samples((await client.get("/metrics")).text)[key] == before + 1


async def test_metrics_ask_for_the_token_when_one_is_set(database_url: str) -> None:
    app = create_app(make_settings(database_url, metrics_token=TOKEN))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        anonymous = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
        basic = await http.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        probes = [await http.get("/healthz"), await http.get("/readyz")]
    assert anonymous.status_code == wrong.status_code == basic.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert "weerbaar_" not in anonymous.text
    assert right.status_code == 200 and "weerbaar_http_requests_total" in right.text
    assert [probe.status_code for probe in probes] == [200, 200]


async def test_metrics_without_the_database_still_answer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable() -> list[health.Reading]:
        raise ConnectionRefusedError(111, "Connect call failed")

    app = create_app(settings)
    app.state.metric_sources = (unreachable,)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        response = await http.get("/metrics")
    found = samples(response.text)
    assert response.status_code == 200 and found[("weerbaar_database_readable", ())] == 0
    assert found[("weerbaar_database_errors_total", (("kind", "unavailable"),))] >= 1


async def test_request_id_is_taken_or_made_and_echoed(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.12"})
    assert given.headers["x-request-id"] == "lb-7f3a.12"
    forged = await client.get("/healthz", headers={"X-Request-ID": 'x" level="error'})
    made = await client.get("/healthz")
    assert len(forged.headers["x-request-id"]) == 32 and '"' not in forged.headers["x-request-id"]
    assert (
        len(made.headers["x-request-id"]) == 32
        and made.headers["x-request-id"] != forged.headers["x-request-id"]
    )


async def test_observability_off_leaves_no_request_id(database_url: str) -> None:
    app = create_app(make_settings(database_url, observability=False))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200 and "x-request-id" not in response.headers


async def test_a_periodic_jobs_last_success_is_read_from_its_runs(fixed_clock: Clock) -> None:
    async def failing_job() -> None:
        raise RuntimeError("kapot")

    async def tidy_up() -> int:
        return 0

    await run_due([failing_job, tidy_up], 60.0, {})
    readings = {dict(reading.labels)["job"]: reading.value for reading in await health.job_readings()}
    assert readings == {"tidy_up": fixed_clock.now().timestamp()}
