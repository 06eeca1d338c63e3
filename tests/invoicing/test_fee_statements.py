"""Trainer fee statements: the sessions of a month at the rate valid then, travel, VAT from the
profile, submit and approve (then frozen), PDF and CSV, and who sees which statement."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import httpx
import pytest
from pypdf import PdfReader

from bookings.day_rate_models import DayRate
from bookings.models import BookingStatus, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus, TrainerProfile
from invoicing import fee_statements
from invoicing.fee_statement_models import FeeStatement, FeeStatementLine, FeeStatementStatus
from server.errors import NotFound
from server.models import AuditEntry, Role, User
from server.templating import AMSTERDAM
from tests.bookings.factories import make_booking, make_trainer
from tests.factories import csrf_token, make_user, post, sign_in, with_csrf

NOVEMBER_SESSION = datetime(2026, 11, 10, 19, 0, tzinfo=AMSTERDAM)


async def rated_trainer(name: str = "Tessa Trainer", *, vat: bool = True) -> User:
    trainer = await make_trainer(TrainerKind.TRAINER, name=name)
    await TrainerProfile.filter(user=trainer).update(is_vat_registered=vat)
    await DayRate.create(trainer=trainer, valid_from=date(1900, 1, 1), day_rate_cents=65000)
    return trainer


async def give_session(
    trainer: User, starts_at: datetime = NOVEMBER_SESSION, **booking: object
) -> AssignmentRequest:
    given = await make_booking(status=booking.pop("status", BookingStatus.DELIVERED), starts_at=starts_at)
    return await AssignmentRequest.create(
        booking=given,
        trainer=trainer,
        kind=TrainerKind.TRAINER,
        status=RequestStatus.ACCEPTED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=150),
    )


@pytest.fixture
def december(fixed_clock):  # type: ignore[no-untyped-def]
    fixed_clock.set(datetime(2026, 12, 4, 10, 0, tzinfo=AMSTERDAM))
    return fixed_clock


async def test_a_statement_from_draft_to_approved_and_then_frozen(december) -> None:  # type: ignore[no-untyped-def]
    trainer = await rated_trainer()
    coordinator = await make_user(Role.COORDINATOR)
    await give_session(trainer)
    await give_session(trainer, status=BookingStatus.CONFIRMED)  # not given: not on the statement
    await give_session(trainer, NOVEMBER_SESSION + timedelta(days=30))  # December

    statement = await fee_statements.open_statement(trainer.id, "2026-11", actor=trainer)
    line = await FeeStatementLine.get(statement=statement)
    # 2.5 hours at € 650 for 8 hours: € 203.125, rounded half up.
    assert (line.minutes, line.day_rate_cents, line.fee_cents) == (150, 65000, 20313)
    await fee_statements.save_travel(
        statement.id, {line.id: ("23,40", "Utrecht - Zeist v.v.")}, actor=trainer
    )
    await fee_statements.submit_statement(statement.id, actor=trainer)
    with pytest.raises(fee_statements.StatementLocked):
        await fee_statements.save_travel(statement.id, {line.id: ("99", "")}, actor=trainer)
    approved = await fee_statements.approve_statement(statement.id, actor=coordinator)

    stored = await FeeStatement.get(id=approved.id)
    assert stored.status is FeeStatementStatus.APPROVED
    assert (stored.fee_cents, stored.travel_cents, stored.vat_percent) == (20313, 2340, 21)
    assert stored.vat_cents == 4757 and stored.total_cents == 20313 + 2340 + 4757
    assert stored.trainer_name == "Tessa Trainer" and stored.pdf
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(stored.pdf))).pages)
    assert "Tessa Trainer" in text and "Te betalen" in text and "274,10" in text

    # Frozen: no more travel, a new rate from December or a new name changes nothing.
    with pytest.raises(fee_statements.StatementLocked):
        await fee_statements.save_travel(statement.id, {line.id: ("1", "")}, actor=coordinator)
    await DayRate.create(trainer=trainer, valid_from=date(2026, 11, 1), day_rate_cents=99900)
    await User.filter(id=trainer.id).update(name="Tessa Anders")
    await fee_statements.open_statement(trainer.id, "2026-11", actor=trainer)
    view = await fee_statements.statement_view(statement.id, actor=trainer)
    assert (view.lines[0].fee_cents, view.totals.total_cents, view.trainer_name) == (
        20313,
        27410,
        "Tessa Trainer",
    )
    actions = (
        await AuditEntry.filter(object_type="FeeStatement").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "fee_statement_opened",
        "fee_statement_travel_saved",
        "fee_statement_submitted",
        "fee_statement_approved",
    ]


async def test_no_vat_without_registration_and_rules_for_submitting(december) -> None:  # type: ignore[no-untyped-def]
    trainer = await rated_trainer(vat=False)
    coordinator = await make_user(Role.COORDINATOR)
    empty = await fee_statements.open_statement(trainer.id, "2026-10", actor=coordinator)
    with pytest.raises(fee_statements.StatementLocked, match="geen gegeven sessies"):
        await fee_statements.submit_statement(empty.id, actor=trainer)
    await give_session(trainer, datetime(2026, 12, 2, 19, 0, tzinfo=AMSTERDAM))
    running = await fee_statements.open_statement(trainer.id, "2026-12", actor=trainer)
    with pytest.raises(fee_statements.StatementLocked, match="maand voorbij"):
        await fee_statements.submit_statement(running.id, actor=trainer)
    view = await fee_statements.statement_view(running.id, actor=trainer)
    assert (view.totals.vat_percent, view.totals.vat_cents, view.totals.total_cents) == (0, 0, 20313)
    with pytest.raises(Exception, match="maand die begonnen"):
        await fee_statements.open_statement(trainer.id, "2027-01", actor=trainer)


async def test_a_trainer_sees_only_their_own_statements(december) -> None:  # type: ignore[no-untyped-def]
    trainer, other = await rated_trainer(), await rated_trainer("Otto Ander")
    await give_session(other)
    theirs = await fee_statements.open_statement(other.id, "2026-11", actor=other)
    with pytest.raises(NotFound):
        await fee_statements.statement_view(theirs.id, actor=trainer)
    with pytest.raises(NotFound):
        await fee_statements.submit_statement(theirs.id, actor=trainer)
    with pytest.raises(Exception):  # noqa: B017 - Forbidden: nobody opens another trainer's statement
        await fee_statements.open_statement(other.id, "2026-11", actor=trainer)
    assert await fee_statements.statements_for(trainer) == []


async def test_the_pages_from_opening_to_the_payment_export(client: httpx.AsyncClient, december) -> None:  # type: ignore[no-untyped-def]
    trainer = await rated_trainer()
    await give_session(trainer)
    await sign_in(client, trainer)
    opened = await post(with_csrf(client), "/declaraties", {"month": "2026-11"})
    assert opened.status_code == 303
    url = opened.headers["location"]
    page = await client.get(url)
    assert page.status_code == 200 and "Declaratie november 2026" in page.text and "203,13" in page.text
    line = await FeeStatementLine.get()
    saved = await client.post(
        f"{url}/reiskosten",
        data={
            "csrf_token": csrf_token(client),
            "line": str(line.id),
            f"travel-{line.id}": "veel",
            f"note-{line.id}": "",
        },
    )
    assert saved.status_code == 400 and "bijvoorbeeld 23,40" in saved.text
    saved = await client.post(
        f"{url}/reiskosten",
        data={"csrf_token": csrf_token(client), "line": str(line.id), f"travel-{line.id}": "23,40"},
    )
    assert saved.status_code == 303 and (await FeeStatementLine.get()).travel_cents == 2340
    submitted = await client.post(f"{url}/indienen", data={"csrf_token": csrf_token(client)})
    assert submitted.headers["location"] == f"{url}?melding=ingediend"
    assert (await post(client, f"{url}/goedkeuren")).status_code == 403

    client.cookies.clear()
    await sign_in(client, await make_user(Role.COORDINATOR))
    approved = await with_csrf(client).post(f"{url}/goedkeuren", data={"csrf_token": csrf_token(client)})
    assert approved.headers["location"] == f"{url}?melding=goedgekeurd"
    again = await client.post(f"{url}/goedkeuren", data={"csrf_token": csrf_token(client)})
    assert again.status_code == 409 and "Alleen een ingediende declaratie" in again.text

    client.cookies.clear()
    await sign_in(client, await make_user(Role.FINANCE))
    pdf = await client.get(f"{url}/declaratie.pdf")
    assert pdf.status_code == 200 and pdf.content == bytes((await FeeStatement.get()).pdf)
    statement_csv = await client.get(f"{url}/declaratie.csv")
    assert "203,13" in statement_csv.content.decode("utf-8-sig")
    export = await client.get("/declaraties/betaling.csv?maand=2026-11")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][2:] == ["Tessa Trainer", "203,13", "23,40", "47,57", "274,10", "2026-12-04"]
    assert (await client.get("/declaraties/betaling.csv?maand=2026-10")).content.decode("utf-8-sig").count(
        "\n"
    ) == 1


async def test_the_demo_has_an_approved_fee_statement() -> None:
    from bookings.demo import load_bookings_demo
    from invoicing.demo import load_invoicing_demo
    from server import demo

    assert await demo.load_demo()
    await load_bookings_demo()
    await load_invoicing_demo()
    statement = await FeeStatement.get(trainer__email="trainer@weerbaar.example")
    assert statement.is_approved and statement.travel_cents == 1860 and statement.pdf
    assert statement.fee_cents > 0 and statement.total_cents == statement.fee_cents + 1860


async def test_concurrent_opens_and_approvals_give_one_statement_approved_once(december) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    trainer = await rated_trainer()
    coordinators = [await make_user(Role.COORDINATOR) for _ in range(2)]
    await give_session(trainer)
    opened = await asyncio.gather(
        *(fee_statements.open_statement(trainer.id, "2026-11", actor=trainer) for _ in range(10)),
        return_exceptions=True,
    )
    assert all(isinstance(result, FeeStatement) for result in opened), opened
    assert await FeeStatement.all().count() == 1 and await FeeStatementLine.all().count() == 1
    statement_id = opened[0].id  # type: ignore[union-attr]
    await fee_statements.submit_statement(statement_id, actor=trainer)
    approvals = await asyncio.gather(
        *(fee_statements.approve_statement(statement_id, actor=c) for c in coordinators * 3),
        return_exceptions=True,
    )
    assert sum(isinstance(result, FeeStatement) for result in approvals) == 1
    assert all(isinstance(r, FeeStatement | fee_statements.StatementLocked) for r in approvals), approvals
    assert await AuditEntry.filter(action="fee_statement_approved").count() == 1
