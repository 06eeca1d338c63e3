"""A municipal merger: the import of a newer CBS list with a mergers file, the old organisations
kept but closed to new bookings, and the figures before, on and after the effective date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from bookings import service
from bookings.models import Booking, BookingStatus, Stage
from feedback.policy import FeedbackPolicy
from reporting.dashboard import monthly_progress, steps_on, summarise
from reporting.figures import organisation_progress
from reporting.ministry import ministry_report
from reporting.ministry_period import Period
from reporting.models import HistoryEntry, HistoryStep, TourTarget
from reporting.stages import TourStage, existing_on
from server.mergers import OrganisationEnded, import_with_mergers
from server.models import Organisation, Role
from server.organisations import ImportFailed, import_organisations
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering
from tests.bookings.test_service import NOW, draft
from tests.factories import make_user, sign_in

EFFECTIVE = date(2027, 1, 1)
BEFORE, AFTER = date(2026, 12, 31), date(2027, 6, 1)
HELD = TourStage.SESSION_HELD


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def merged(tmp_path: Path) -> Path:
    """Old: Haaren (session held 2026-05-12) and Boxtel (intake before the app) in PV30; the newer
    list has Vught (new code GM1999) into which both merge on 1 January 2027."""
    await import_organisations(
        _write(
            tmp_path / "gemeenten-2026.csv",
            "cbs_code,name,province_code,province_name\n"
            "GM0788,Haaren,PV30,Noord-Brabant\nGM0757,Boxtel,PV30,Noord-Brabant\n",
        )
    )
    haaren = await Organisation.get(cbs_code="GM0788")
    await make_booking(
        organisation=haaren,
        offering=await make_offering(stage=Stage.COUNCIL_SESSION),
        status=BookingStatus.DELIVERED,
        starts_at=datetime(2026, 5, 12, 17, tzinfo=UTC),
    )
    await HistoryEntry.create(
        organisation=await Organisation.get(cbs_code="GM0757"),
        step=HistoryStep.INTAKE,
        held_on=date(2023, 4, 4),
    )
    return tmp_path


def _files(tmp_path: Path) -> tuple[Path, Path]:
    newer = _write(
        tmp_path / "gemeenten-2027.csv",
        "cbs_code,name,province_code,province_name\nGM1999,Vught,PV30,Noord-Brabant\n",
    )
    mergers = _write(
        tmp_path / "herindeling.csv",
        "old_cbs_code,new_cbs_code,effective_on\nGM0788,GM1999,2027-01-01\nGM0757,GM1999,2027-01-01\n",
    )
    return newer, mergers


async def test_the_import_ends_the_old_organisations_and_makes_the_successor(merged: Path) -> None:
    newer, mergers = _files(merged)
    report = await import_with_mergers(newer, mergers)
    assert report.organisations.created == ["GM1999"]
    assert report.merged == ["GM0788 → GM1999 (2027-01-01)", "GM0757 → GM1999 (2027-01-01)"]
    vught = await Organisation.get(cbs_code="GM1999")
    assert (vught.started_on, vught.ended_on) == (EFFECTIVE, None)
    for code in ("GM0788", "GM0757"):
        old = await Organisation.get(cbs_code=code)
        assert (old.ended_on, old.successor_id) == (EFFECTIVE, vught.id)  # type: ignore[attr-defined]
    # Kept with what they had.
    assert await Booking.filter(organisation__cbs_code="GM0788").count() == 1
    assert await HistoryEntry.filter(organisation__cbs_code="GM0757").count() == 1

    again = await import_with_mergers(newer, mergers)
    assert (again.merged, len(again.unchanged), again.organisations.unchanged) == ([], 2, ["GM1999"])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("GM0700,GM1999,2027-01-01", "Onbekende CBS-code GM0700"),
        ("GM0788,GM1999,1-1-2027", "ongeldige datum"),
        ("GM0788,GM1999,2027-01-01\nGM0788,GM1999,2027-01-01", "meer dan eens"),
        ("GM0788,GM0757,2027-01-01\nGM0757,GM1999,2027-01-01", "zowel oude als nieuwe"),
    ],
)
async def test_a_wrong_mergers_file_stores_nothing(merged: Path, rows: str, message: str) -> None:
    newer, _mergers = _files(merged)
    mergers = _write(merged / "fout.csv", f"old_cbs_code,new_cbs_code,effective_on\n{rows}\n")
    with pytest.raises(ImportFailed, match=message):
        await import_with_mergers(newer, mergers)
    assert not await Organisation.filter(cbs_code="GM1999").exists()
    assert not await Organisation.filter(ended_on__isnull=False).exists()


async def test_coverage_counts_the_organisations_of_the_day(merged: Path) -> None:
    await import_with_mergers(*_files(merged))
    progress = await organisation_progress()
    # Before: Haaren and Boxtel (and the province); on and after: Vught, holding their steps.
    assert [(c.stage, c.count, c.total) for c in steps_on(progress, BEFORE)][1:3] == [
        (TourStage.INTAKE_HELD, 1, 3),
        (HELD, 1, 3),
    ]
    for day in (EFFECTIVE, AFTER):
        assert [(c.stage, c.count, c.total) for c in steps_on(progress, day)][1:3] == [
            (TourStage.INTAKE_HELD, 1, 2),
            (HELD, 1, 2),
        ]
    [vught] = [o for o in progress if o.cbs_code == "GM1999"]
    assert vught.since == {TourStage.INTAKE_HELD: date(2023, 4, 4), HELD: date(2026, 5, 12)}
    assert {o.cbs_code for o in existing_on(progress, AFTER)} == {"PV30", "GM1999"}
    assert summarise("NL", "NL", existing_on(progress, AFTER), HELD).covered == 1

    target = TourTarget(
        stage=HELD.value, percent=100, starts_on=date(2026, 11, 1), deadline=date(2027, 2, 28)
    )
    points = monthly_progress(progress, HELD, target, today=date(2027, 2, 15))
    # November and December: 1 of 3 (Haaren of Haaren, Boxtel, the province); from January 1 of 2.
    assert [p.actual for p in points] == [33.3, 33.3, 50.0, 50.0]


async def test_the_ministry_report_of_a_period_before_the_merger_counts_the_old_ones(merged: Path) -> None:
    await import_with_mergers(*_files(merged))
    policy = FeedbackPolicy()
    before = await ministry_report(Period(2026), policy, now=datetime(2027, 3, 1, tzinfo=UTC))
    assert before.steps_day == BEFORE
    assert [(s.stage, s.count, s.total) for s in before.steps][2] == (HELD, 1, 3)
    [brabant] = [row for row in before.provinces if row.label == "Noord-Brabant"]
    assert (brabant.sessions, brabant.organisations_total) == (1, 2)
    after = await ministry_report(Period(2027, 1), policy, now=datetime(2027, 5, 1, tzinfo=UTC))
    assert [(s.stage, s.count, s.total) for s in after.steps][2] == (HELD, 1, 2)
    [brabant] = [row for row in after.provinces if row.label == "Noord-Brabant"]
    assert (brabant.sessions, brabant.organisations_total) == (0, 1)


async def test_an_ended_organisation_takes_no_new_bookings_and_its_open_ones_are_listed(
    merged: Path, settings: Settings, client: httpx.AsyncClient
) -> None:
    await import_with_mergers(*_files(merged))
    haaren = await Organisation.get(cbs_code="GM0788")
    follow_up = await make_offering(stage=Stage.FOLLOW_UP)
    to_move = await make_booking(
        organisation=haaren,
        offering=follow_up,
        status=BookingStatus.CONFIRMED,
        starts_at=datetime(2027, 2, 1, 17, tzinfo=UTC),
    )
    # The last session before the merger stays Haaren's.
    last = await make_booking(
        organisation=haaren,
        offering=follow_up,
        status=BookingStatus.CONFIRMED,
        starts_at=datetime(2026, 12, 15, 17, tzinfo=UTC),
    )
    clerk = await make_user(Role.CLERK, organisation=haaren)
    offering = await make_offering(stage=Stage.FOLLOW_UP)
    # Up to the day before the merger Haaren still books; a date from the merger on goes to Vught.
    await service.create_booking(haaren, draft(offering.id, 30), actor=clerk, settings=settings, now=NOW)
    with pytest.raises(OrganisationEnded, match="Haaren is per 1 januari 2027 opgegaan in Vught"):
        await service.create_booking(
            haaren, draft(offering.id, 30, 45), actor=clerk, settings=settings, now=NOW
        )
    assert await Booking.filter(organisation=haaren).count() == 4

    await sign_in(client, await make_user(Role.COORDINATOR))
    dashboard = (await client.get("/coordinatie")).text
    assert "Boekingen van opgeheven organisaties" in dashboard
    assert f"/boekingen/{to_move.reference}" in dashboard
    assert f"/boekingen/{last.reference}" not in dashboard
    page = (await client.get("/organisaties/GM0788")).text
    assert "opgegaan in" in page and 'href="/organisaties/GM1999"' in page
    successor = (await client.get("/organisaties/GM1999")).text
    assert "Haaren" in successor and "Boxtel" in successor
    listed = (await client.get("/organisaties?zoek=Haaren")).text
    assert "opgeheven per 1 januari 2027" in listed
