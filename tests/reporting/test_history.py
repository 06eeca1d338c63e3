"""Steps held before the app: the import (good rows, every kind of bad row, rerun), where they
count, and the organisation's page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from bookings.models import Booking
from feedback.models import SessionFeedback
from invoicing.models import Invoice
from reporting.demo import HISTORY, load_reporting_demo
from reporting.figures import organisation_progress
from reporting.history import ImportFailed, Outcome, import_history
from reporting.models import HistoryEntry, HistoryStep
from reporting.stages import TourStage
from server.demo import load_demo
from server.models import AuditEntry, Organisation, Role
from tests.cli import weerbaar
from tests.factories import make_organisation, make_user, sign_in

HEADER = "cbs_code,step,held_on,participants,note\n"


def _file(tmp_path: Path, body: str, name: str = "geschiedenis.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


async def test_good_rows_are_created_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    await make_organisation(cbs_code="GM0344", name="Utrecht")
    await make_organisation(cbs_code="GM0355", name="Zeist")
    path = _file(
        tmp_path,
        "GM0344,intake,2024-03-18,12,Met de burgemeester\n"
        "GM0344,raadsbrede_sessie,2024-05-02,31,\n"
        "gm0355,vervolgtraining,2025-01-20,,Alleen de fractievoorzitters\n",
    )
    first = await import_history(path)
    assert [row.outcome for row in first.rows] == [Outcome.CREATED] * 3
    second = await import_history(path)
    assert [row.outcome for row in second.rows] == [Outcome.UNCHANGED] * 3
    assert await HistoryEntry.all().count() == 3
    zeist = await HistoryEntry.get(organisation__cbs_code="GM0355")
    assert (zeist.step, zeist.held_on, zeist.participants) == (HistoryStep.FOLLOW_UP, date(2025, 1, 20), None)
    assert await AuditEntry.filter(action="history_imported").count() == 2

    changed = await import_history(_file(tmp_path, "GM0344,intake,2024-03-18,14,Met de burgemeester\n"))
    assert [row.outcome for row in changed.rows] == [Outcome.UPDATED]
    assert (await HistoryEntry.get(step=HistoryStep.INTAKE)).participants == 14
    # Never a booking: nothing to invoice, no feedback.
    assert (
        await Booking.all().count() == await Invoice.all().count() == await SessionFeedback.all().count() == 0
    )


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("GM9999,intake,2024-03-18,12,", "onbekende CBS-code ‘GM9999’"),
        ("GM03440,intake,2024-03-18,12,", "onbekende CBS-code ‘GM03440’"),
        ("GM0344,kennismaking,2024-03-18,12,", "onbekende stap ‘kennismaking’"),
        ("GM0344,intake,18-03-2024,12,", "ongeldige datum ‘18-03-2024’"),
        ("GM0344,intake,2024-02-30,12,", "ongeldige datum ‘2024-02-30’"),
        ("GM0344,intake,2024-03-18,twaalf,", "ongeldig aantal deelnemers ‘twaalf’"),
        ("GM0344,intake,2024-03-18,-3,", "ongeldig aantal deelnemers ‘-3’"),
        ("GM0344,intake,2024-03-18,12.5,", "ongeldig aantal deelnemers ‘12.5’"),
    ],
)
async def test_a_bad_row_is_refused_with_its_reason_and_nothing_of_it_is_stored(
    tmp_path: Path, row: str, reason: str
) -> None:
    await make_organisation(cbs_code="GM0344")
    report = await import_history(_file(tmp_path, f"{row}\nGM0344,raadsbrede_sessie,2024-05-02,31,\n"))
    assert [(r.line, r.outcome) for r in report.rows] == [(2, Outcome.REFUSED), (3, Outcome.CREATED)]
    assert report.rows[0].reason.startswith(reason)
    assert [e.step for e in await HistoryEntry.all()] == [HistoryStep.COUNCIL_SESSION]


async def test_the_same_step_twice_in_a_file_is_refused_the_second_time(tmp_path: Path) -> None:
    await make_organisation(cbs_code="GM0344")
    report = await import_history(
        _file(tmp_path, "GM0344,intake,2024-03-18,12,\nGM0344,intake,2024-03-18,14,\n")
    )
    assert [row.outcome for row in report.rows] == [Outcome.CREATED, Outcome.REFUSED]
    assert (await HistoryEntry.get()).participants == 12


async def test_a_file_without_the_columns_is_refused_whole(tmp_path: Path) -> None:
    await make_organisation(cbs_code="GM0344")
    path = tmp_path / "fout.csv"
    path.write_text("cbs_code,step,date\nGM0344,intake,2024-03-18\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="held_on, participants, note"):
        await import_history(path)
    assert await HistoryEntry.all().count() == 0


async def test_history_counts_as_held_from_its_day(tmp_path: Path) -> None:
    await make_organisation(cbs_code="GM0344")
    await import_history(_file(tmp_path, "GM0344,raadsbrede_sessie,2024-05-02,31,\n"))
    [progress] = [o for o in await organisation_progress() if o.cbs_code == "GM0344"]
    assert progress.since == {TourStage.SESSION_HELD: date(2024, 5, 2)}
    assert progress.before_app == {TourStage.SESSION_HELD}
    assert not progress.has(TourStage.INTAKE_HELD)


async def test_the_organisation_page_shows_the_steps_before_the_app(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    organisation = await make_organisation(cbs_code="GM0344", name="Utrecht")
    await import_history(_file(tmp_path, "GM0344,intake,2024-03-18,12,Met de burgemeester\n"))
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    page = (await client.get("/organisaties/GM0344")).text
    assert "Voor de app" in page and "18 maart 2024" in page and "Met de burgemeester" in page
    other = await make_organisation(cbs_code="GM0355")
    client.cookies.clear()
    await sign_in(client, await make_user(Role.CLERK, organisation=other))
    assert "Voor de app" not in (await client.get("/organisaties/GM0355")).text


async def test_the_command_reports_each_row(fresh_url: str, tmp_path: Path) -> None:
    assert weerbaar(fresh_url, "migrate").returncode == 0
    orgs = tmp_path / "gemeenten.csv"
    orgs.write_text(
        "cbs_code,name,province_code,province_name\nGM0344,Utrecht,PV26,Utrecht\n", encoding="utf-8"
    )
    assert weerbaar(fresh_url, "orgs", "import", str(orgs)).returncode == 0
    path = _file(tmp_path, "GM0344,intake,2024-03-18,12,\nGM0999,intake,2024-03-18,12,\n")
    first = weerbaar(fresh_url, "history", "import", str(path))
    assert first.returncode == 1, first.stderr
    assert "regel 2 GM0344: nieuw" in first.stdout
    assert "regel 3 GM0999: geweigerd: onbekende CBS-code ‘GM0999’" in first.stdout
    assert "1 nieuw, 0 bijgewerkt, 0 ongewijzigd, 1 geweigerd" in first.stdout
    again = weerbaar(fresh_url, "history", "import", str(path))
    assert "0 nieuw, 0 bijgewerkt, 1 ongewijzigd, 1 geweigerd" in again.stdout


async def test_the_demo_has_history_and_a_merged_municipality() -> None:
    assert await load_demo()
    await load_reporting_demo()
    await load_reporting_demo()  # loads once
    assert await HistoryEntry.all().count() == len(HISTORY)
    weesp = await Organisation.get(cbs_code="GM0457").select_related("successor")
    assert (weesp.ended_on, weesp.successor.cbs_code) == (date(2022, 3, 24), "GM0363")
    [amsterdam] = [o for o in await organisation_progress() if o.cbs_code == "GM0363"]
    assert amsterdam.since[TourStage.SESSION_HELD] == date(2021, 10, 5)
