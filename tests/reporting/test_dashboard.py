"""The coordinators' tour dashboard: stages, map, progress, target, what needs action, and the
organisations-by-stage table; a fixed number of queries whatever the size of the tour."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from bookings.models import BookingStatus, OfferingRole, Stage, TourInvitation, TrainerKind
from feedback.models import FeedbackForm, Response, SessionFeedback
from invoicing.models import Invoice, InvoiceStatus
from reporting.figures import refresh_figures
from reporting.models import HistoryEntry, HistoryStep, TourTarget
from server import clock
from server.mail import OutboxMessage, OutboxStatus
from server.models import AuditEntry, Organisation, Role
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation, make_province, make_user, post, sign_in
from tests.query_counter import count_queries

_tokens = itertools.count(1)


@pytest.fixture
async def coordinator_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await sign_in(client, await make_user(Role.COORDINATOR))
    return client


async def _add_organisations(
    province: Organisation, first: int, count: int, *, with_mergers: bool = False
) -> None:
    """`count` municipalities, each with an invitation, a held session, feedback responses and an
    intake held before the app; `with_mergers`: every other one merged into the one before it."""
    session = await make_offering(name="Raadsbrede sessie", stage=Stage.COUNCIL_SESSION)
    form = await FeedbackForm.create(name="Feedback")
    previous = None
    for number in range(first, first + count):
        organisation = await make_organisation(cbs_code=f"GM{number:04d}", province=province)
        await TourInvitation.create(organisation=organisation, recipients=1)
        await HistoryEntry.create(
            organisation=organisation, step=HistoryStep.INTAKE, held_on=date(2024, 3, 1), participants=20
        )
        if with_mergers and previous is not None and number % 2:
            await Organisation.filter(id=organisation.id).update(
                ended_on=date(2025, 1, 1), successor=previous
            )
        previous = organisation
        booking = await make_booking(
            organisation=organisation,
            offering=session,
            status=BookingStatus.DELIVERED,
            starts_at=datetime(2026, 10, 1, 17, tzinfo=UTC) + timedelta(days=number % 20),
        )
        feedback = await SessionFeedback.create(
            booking=booking,
            form=form,
            code=f"F{number:05d}",
            opens_at=clock.now() - timedelta(days=12),
            closes_at=clock.now() + timedelta(days=2),
        )
        for _ in range(2):
            await Response.create(session=feedback, token_hash=f"{next(_tokens):064d}")


async def test_the_dashboard_shows_stages_map_and_progress(coordinator_client: httpx.AsyncClient) -> None:
    utrecht = await make_province(cbs_code="PV26", name="Utrecht")
    await make_province(cbs_code="PV27", name="Noord-Holland")
    await _add_organisations(utrecht, 1, 3)
    await make_organisation(cbs_code="GM0344", name="Utrecht (gemeente)", province=utrecht)

    response = await coordinator_client.get("/coordinatie")

    assert response.status_code == 200
    page = response.text
    # 6 organisations: 2 provinces and 4 municipalities; 3 had their council-wide session.
    assert "3 van 6 organisaties" in page
    assert "50 %" in page
    # The tile map: Utrecht 3 of its 5 organisations (60 %), Noord-Holland has only itself (0 %).
    assert 'class="tile-map"' in page
    assert ">Utrecht</text>" in page and ">60 %</text>" in page
    assert ">Noord-Holland</text>" in page and ">0 %</text>" in page
    assert 'href="/coordinatie/organisaties?provincie=PV26"' in page
    # Progress per month, without a target yet.
    assert 'class="chart chart--wide"' in page
    assert "Er is nog geen doel gesteld" in page


async def test_needs_action_lists_what_the_team_should_pick_up(coordinator_client: httpx.AsyncClient) -> None:
    now = clock.now()
    stale = await make_organisation(name="Stilzwijgend")
    await TourInvitation.create(organisation=stale, recipients=1)
    await TourInvitation.filter(organisation=stale).update(invited_at=now - timedelta(weeks=6))
    await refresh_figures([stale.id])  # a queryset update passes by the signals
    fresh = await make_organisation(name="Pas uitgenodigd")
    await TourInvitation.create(organisation=fresh, recipients=1)
    await make_booking(organisation=await make_organisation(name="Aanvrager"), status=BookingStatus.REQUESTED)
    offering = await make_offering(name="Sessie met trainer")
    await OfferingRole.create(offering=offering, kind=TrainerKind.TRAINER, min_count=2, max_count=2)
    for name, days in (("Zonder trainer", 5), ("Ook zonder trainer", 40)):
        await make_booking(
            organisation=await make_organisation(name=name),
            offering=offering,
            status=BookingStatus.SCHEDULED,
            starts_at=now + timedelta(days=days),
        )
    held = await make_booking(
        organisation=await make_organisation(name="Bijna dicht"),
        status=BookingStatus.DELIVERED,
        starts_at=now - timedelta(days=12),
    )
    feedback = await SessionFeedback.create(
        booking=held,
        form=await FeedbackForm.create(name="Feedback"),
        code="SLUIT1",
        opens_at=now - timedelta(days=12),
        closes_at=now + timedelta(days=2),
    )
    await Response.create(session=feedback, token_hash="a" * 64)
    late = await make_organisation(name="Wanbetaler")
    await Invoice.create(
        organisation=late,
        status=InvoiceStatus.SENT,
        number="2026-0007",
        issue_date=clock.local_today() - timedelta(days=45),
        due_date=clock.local_today() - timedelta(days=15),
        gross_cents=121000,
    )

    page = (await coordinator_client.get("/coordinatie")).text

    assert "Stilzwijgend" in page and "Pas uitgenodigd" not in page
    assert "Aanvrager: Raadsbrede sessie" in page
    assert "Zonder trainer: Sessie met trainer" in page and "2 trainers" in page
    assert "Ook zonder trainer: Sessie met trainer" in page
    assert "Bijna dicht" in page and "1 reactie tot nu toe" in page
    assert "Wanbetaler: 2026-0007" in page and "1.210,00" in page
    # With a longer follow-up period the six-week-old invitation no longer needs action.
    assert "Stilzwijgend" not in (await coordinator_client.get("/coordinatie?weken=8")).text


async def test_setting_the_target_draws_the_target_line(coordinator_client: httpx.AsyncClient) -> None:
    response = await post(
        coordinator_client,
        "/coordinatie/doel",
        {"stage": "session_held", "percent": "80", "starts_on": "2026-01-01", "deadline": "2027-12-31"},
    )
    assert response.status_code == 303
    target = await TourTarget.get()
    assert (target.stage, target.percent, target.deadline) == ("session_held", 80, date(2027, 12, 31))
    assert await AuditEntry.filter(action="tour_target_set").count() == 1
    page = (await coordinator_client.get("/coordinatie?melding=doel")).text
    assert "Het doel is opgeslagen." in page
    assert "Doel: 80 % van de organisaties" in page
    assert 'stroke-dasharray="6 4"' in page


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"stage": "not_contacted"}, "stage", "Kies de stap"),
        ({"percent": "120"}, "percent", "van 1 tot en met 100"),
        ({"starts_on": "1-1-2026"}, "starts_on", "jjjj-mm-dd"),
        ({"deadline": "2025-12-31"}, "deadline", "na de startdatum"),
    ],
)
async def test_a_wrong_target_is_refused_with_a_message_at_the_field(
    coordinator_client: httpx.AsyncClient, values: dict[str, str], field: str, message: str
) -> None:
    form = {"stage": "session_held", "percent": "100", "starts_on": "2026-01-01", "deadline": "2027-01-01"}
    response = await post(coordinator_client, "/coordinatie/doel", {**form, **values})
    assert response.status_code == 400
    assert f'id="field-{field}-error"' in response.text and message in response.text
    assert await TourTarget.all().count() == 0


async def test_the_table_filters_and_sorts_organisations(coordinator_client: httpx.AsyncClient) -> None:
    utrecht = await make_province(cbs_code="PV26", name="Utrecht")
    holland = await make_province(cbs_code="PV27", name="Noord-Holland")
    session = await make_offering(stage=Stage.COUNCIL_SESSION)
    zeist = await make_organisation(cbs_code="GM0355", name="Zeist", province=utrecht)
    await make_organisation(cbs_code="GM0344", name="Utrecht (gemeente)", province=utrecht)
    await make_organisation(cbs_code="GM0363", name="Amsterdam", province=holland)
    await make_booking(organisation=zeist, offering=session, status=BookingStatus.CONFIRMED)

    page = (await coordinator_client.get("/coordinatie/organisaties?provincie=PV26")).text
    assert "Zeist" in page and "Amsterdam" not in page
    assert "Raadsbrede sessie gepland: <strong>1</strong> (33 %)" in page  # of the three in Utrecht
    assert page.index("Utrecht (gemeente)") < page.index("Zeist")

    by_stage = (
        await coordinator_client.get("/coordinatie/organisaties?provincie=PV26&sorteer=fase&volgorde=af")
    ).text
    assert by_stage.index("Zeist") < by_stage.index("Utrecht (gemeente)")
    assert 'aria-sort="descending"' in by_stage

    only_planned = (await coordinator_client.get("/coordinatie/organisaties?fase=session_planned")).text
    assert "Zeist" in only_planned and "Utrecht (gemeente)" not in only_planned
    assert 'href="/organisaties/GM0355"' in only_planned

    export = await coordinator_client.get(
        "/coordinatie/organisaties.csv?provincie=PV26&sorteer=fase&volgorde=af"
    )
    assert export.headers["content-disposition"] == 'attachment; filename="organisaties-per-stap-pv26.csv"'
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["CBS-code", "Organisatie", "Provincie", "Verste stap"]
    assert [row[1] for row in rows[1:]] == ["Zeist", "Utrecht", "Utrecht (gemeente)"]
    planned_column = rows[0].index("Raadsbrede sessie gepland")
    assert rows[1][planned_column] == clock.local_today().isoformat()
    assert rows[2][planned_column] == ""


async def test_the_dashboard_needs_a_fixed_number_of_queries(coordinator_client: httpx.AsyncClient) -> None:
    """The count must not grow with the number of organisations, bookings and responses."""
    province = await make_province(cbs_code="PV26", name="Utrecht")
    await _add_organisations(province, 1, 2, with_mergers=True)
    async with count_queries() as small:
        assert (await coordinator_client.get("/coordinatie")).status_code == 200
    await _add_organisations(province, 100, 25, with_mergers=True)
    async with count_queries() as large:
        assert (await coordinator_client.get("/coordinatie")).status_code == 200
    assert large.total == small.total, large.statements
    assert small.total <= 25
    async with count_queries() as table:
        assert (await coordinator_client.get("/coordinatie/organisaties")).status_code == 200
    assert table.total <= small.total


async def test_failed_and_queued_mail_are_counted(
    coordinator_client: httpx.AsyncClient,
) -> None:
    def mail(number: int, status: OutboxStatus) -> OutboxMessage:
        return OutboxMessage(
            to_address=f"iemand{number}@example.org",
            subject="Onderwerp",
            body_text="t",
            body_html="h",
            status=status,
            next_attempt_at=clock.now(),
            message_id=f"<dashboard{number}@weerbaar>",
        )

    assert "0 in de wachtrij, 0 mislukt" in (await coordinator_client.get("/coordinatie")).text
    statuses = [OutboxStatus.QUEUED] * 3 + [OutboxStatus.FAILED] * 2 + [OutboxStatus.SENT]
    await OutboxMessage.bulk_create([mail(number, status) for number, status in enumerate(statuses)])
    page = (await coordinator_client.get("/coordinatie")).text
    assert "3 in de wachtrij, 2 mislukt" in page
    assert "2 e-mails konden niet worden bezorgd." in page


async def test_what_a_coordinator_just_did_shows_at_once(coordinator_client: httpx.AsyncClient) -> None:
    organisation = await make_organisation(name="Nieuwkomer")
    page = (await coordinator_client.get("/coordinatie")).text
    assert "Nieuwkomer" not in page
    booking = await make_booking(organisation=organisation, status=BookingStatus.REQUESTED)
    assert "Nieuwkomer: Raadsbrede sessie" in (await coordinator_client.get("/coordinatie")).text
    booking.status = BookingStatus.CANCELLED
    await booking.save()
    assert "Nieuwkomer: Raadsbrede sessie" not in (await coordinator_client.get("/coordinatie")).text
    table = (await coordinator_client.get("/coordinatie/organisaties?zoek=Nieuwkomer")).text
    assert "Nog niet benaderd" in table
    await TourInvitation.create(organisation=organisation, recipients=1)
    table = (await coordinator_client.get("/coordinatie/organisaties?zoek=Nieuwkomer")).text
    assert "Uitgenodigd</td>" in table


@pytest.mark.parametrize("province", ["€", 'a"b', "PV 26"])
async def test_a_strange_province_filter_shows_the_whole_country(
    coordinator_client: httpx.AsyncClient, province: str
) -> None:
    await make_organisation(name="Ergens")
    response = await coordinator_client.get("/coordinatie/organisaties.csv", params={"provincie": province})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="organisaties-per-stap-nl.csv"'
    assert "Ergens" in response.content.decode("utf-8-sig")


async def test_percentages_have_a_decimal_comma(coordinator_client: httpx.AsyncClient) -> None:
    """3 of 7 organisations is 42,9 %, not 42.9 (Dutch notation on the dashboard's stage table)."""
    utrecht = await make_province(cbs_code="PV26", name="Utrecht")
    await _add_organisations(utrecht, 1, 3)
    for number in range(3):
        await make_organisation(cbs_code=f"GM09{number:02d}", province=utrecht)

    page = (await coordinator_client.get("/coordinatie")).text

    assert "42,9" in page
    assert "42.9" not in page
