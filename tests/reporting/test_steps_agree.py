"""The dashboard, the organisations list with its CSV and the ministry report count each step on
its own, and agree on the same data (the cases of test_stages)."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from reporting.stages import STEPS, TourStage
from server.models import Role
from tests.factories import make_user, sign_in
from tests.reporting.test_stages import EXPECTED_COUNTS, make_cases

#: The cases, and their province (an organisation too, not yet contacted).
EXPECTED = {**EXPECTED_COUNTS, TourStage.NOT_CONTACTED: EXPECTED_COUNTS[TourStage.NOT_CONTACTED] + 1}
DATED = (TourStage.INVITED, TourStage.INTAKE_HELD, TourStage.SESSION_HELD, TourStage.FOLLOW_UP_HELD)


@pytest.fixture
async def coordinator_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await sign_in(client, await make_user(Role.COORDINATOR))
    return client


def _table_counts(page: str) -> dict[TourStage, int]:
    """The dashboard's table of steps: a link per step, then its number."""
    found = re.findall(r'fase=(\w+)">[^<]+</a></th>\s*<td class="amount">(\d+)</td>', page)
    return {TourStage(stage): int(count) for stage, count in found}


async def test_dashboard_list_csv_and_ministry_report_count_the_same(
    coordinator_client: httpx.AsyncClient,
) -> None:
    await make_cases()

    dashboard = (await coordinator_client.get("/coordinatie")).text
    assert _table_counts(dashboard) == EXPECTED

    for step, expected in EXPECTED.items():
        listed = (await coordinator_client.get(f"/coordinatie/organisaties?fase={step.value}")).text
        assert f"{step.label}: <strong>{expected}</strong>" in listed
        assert f"{expected} organisatie" in listed, step

    export = await coordinator_client.get("/coordinatie/organisaties.csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    columns = {step: header.index(step.label) for step in STEPS}
    from_csv = {step: sum(1 for row in body if row[column]) for step, column in columns.items()}
    from_csv[TourStage.NOT_CONTACTED] = sum(1 for row in body if not any(row[c] for c in columns.values()))
    assert from_csv == EXPECTED

    report = (await coordinator_client.get("/coordinatie/rapportage?jaar=2026&kwartaal=")).text
    steps_table = report[report.index('id="per-stap"') :]
    for step in DATED:
        assert re.search(
            rf"<th scope=\"row\">{step.label}</th>\s*<td class=\"amount\">{EXPECTED[step]}</td>\s*"
            r"<td class=\"amount\">12</td>",
            steps_table,
        ), step
    ministry_csv = (await coordinator_client.get("/coordinatie/rapportage/2026.csv")).content.decode(
        "utf-8-sig"
    )
    for step in DATED:
        assert f";{step.label};organisaties;{EXPECTED[step]}" in ministry_csv, step
    # Held sessions (not organisations): GM0009 held two intakes, GM0011 its session before the app.
    sessions = re.search(r'id="per-fase".*?</table>', report, re.S)
    assert sessions is not None
    cells = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="amount">(\d+)</td>\s*<td class="amount">(\d+)</td>',
        sessions.group(0),
    )
    assert cells[:3] == [("Intake", "5", "4"), ("Raadsbrede sessie", "2", "2"), ("Vervolgtraining", "1", "1")]
    assert "Van deze sessies is 1 gehouden vóór de app" in report
