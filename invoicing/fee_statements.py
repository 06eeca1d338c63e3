"""Trainer fee statements: the sessions a trainer gave in a month, at the day rate valid on each
session's day, plus travel costs; submitted, then approved by a coordinator.

- A session is on the statement when the trainer's assignment was accepted and the booking was given
  (delivered or closed), with its start in the month (Amsterdam time). Fee = hours × day rate / 8
  (`costs.assignment_cost_cents`). A session is on one statement only (unique assignment).
- Draft → submitted → approved; a coordinator can send a submitted statement back to draft. The
  trainer opens, fills in travel costs and submits their own; a coordinator does so for anyone and
  approves. Finance reads all and exports a month's approved statements for payment.
- While not approved, the lines follow the sessions (refreshed when the statement is opened, saved
  or submitted). Approval freezes it: name, VAT and totals are copied, the PDF is stored.
- VAT only when the trainer's profile says they are VAT-registered: 21 % over fee and travel.
- A month can be submitted once it is over, with at least one session.

Errors: NotFound (404: no such statement, or another trainer's), Forbidden (403), ValidationFailed
(400: month, travel), StatementLocked (409: the statement's state does not allow this).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings import day_rates
from bookings.models import Booking, BookingStatus
from bookings.pricing import parse_euros
from bookings.staffing_models import AssignmentRequest, RequestStatus, TrainerProfile
from invoicing.costs import assignment_cost_cents
from invoicing.fee_statement_models import FeeStatement, FeeStatementLine, FeeStatementStatus
from server import clock
from server.audit import record
from server.errors import DomainError, Forbidden, NotFound, ValidationFailed
from server.i18n import _, lazy_gettext
from server.models import Role, User
from server.templating import AMSTERDAM, format_local_date

GIVEN = (BookingStatus.DELIVERED, BookingStatus.CLOSED)
VAT_PERCENT = 21
MAX_TRAVEL_CENTS = 1_000_00
STATUS_LABELS = {
    FeeStatementStatus.DRAFT: lazy_gettext("concept"),
    FeeStatementStatus.SUBMITTED: lazy_gettext("ingediend"),
    FeeStatementStatus.APPROVED: lazy_gettext("goedgekeurd"),
}


class StatementLocked(DomainError):
    status_code = 409


@dataclass(frozen=True)
class Totals:
    fee_cents: int
    travel_cents: int
    vat_percent: int
    vat_cents: int

    @property
    def total_cents(self) -> int:
        return self.fee_cents + self.travel_cents + self.vat_cents


def parse_month(raw: str) -> date:
    """`2026-11` -> 1 November 2026; not after the current month. Raises ValidationFailed (month)."""
    try:
        year, month = (int(part) for part in raw.strip().split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ValidationFailed({"month": _("Kies een maand, bijvoorbeeld 2026-11.")}) from None
    if first > clock.local_today().replace(day=1) or year < 2000:
        raise ValidationFailed({"month": _("Een declaratie gaat over een maand die begonnen is.")})
    return first


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _month_text(month: date) -> str:
    """A statement's month in Dutch words for the audit log: 'november 2026'."""
    return format_local_date(month, "MMMM y")


def vat_cents(amount_cents: int, percent: int) -> int:
    """VAT rounded half up to the cent."""
    return (amount_cents * percent * 2 + 100) // 200


def totals_of(lines: list[FeeStatementLine], percent: int) -> Totals:
    fee = sum(line.fee_cents for line in lines)
    travel = sum(line.travel_cents for line in lines)
    return Totals(fee, travel, percent, vat_cents(fee + travel, percent))


async def vat_percent_of(trainer_id: int) -> int:
    registered = await TrainerProfile.filter(user_id=trainer_id, is_vat_registered=True).exists()
    return VAT_PERCENT if registered else 0


def _may_see(actor: User, statement: FeeStatement) -> bool:
    return actor.role in (Role.COORDINATOR, Role.FINANCE) or statement.trainer_id == actor.id  # type: ignore[attr-defined]


def _may_edit(actor: User, statement: FeeStatement) -> bool:
    """Travel and submitting: the trainer on their draft, a coordinator on a draft or submitted one."""
    if actor.role is Role.COORDINATOR:
        return not statement.is_approved
    return statement.is_draft and statement.trainer_id == actor.id  # type: ignore[attr-defined]


async def _sessions(trainer_id: int, month: date) -> list[tuple[AssignmentRequest, Booking]]:
    start = datetime.combine(month, time(0), tzinfo=AMSTERDAM)
    end = datetime.combine(next_month(month), time(0), tzinfo=AMSTERDAM)
    assignments = await AssignmentRequest.filter(
        trainer_id=trainer_id,
        status=RequestStatus.ACCEPTED,
        booking__status__in=GIVEN,
        booking__starts_at__gte=start,
        booking__starts_at__lt=end,
    ).prefetch_related("booking__offering", "booking__organisation")
    return [(assignment, assignment.booking) for assignment in assignments]


async def _refresh_lines(statement: FeeStatement) -> None:
    """Make the lines of a statement that is not approved follow the sessions given (inside a transaction).

    Travel costs already entered stay with their session; a line whose session no longer counts goes.
    """
    trainer_id = statement.trainer_id  # type: ignore[attr-defined]
    sessions = await _sessions(trainer_id, statement.month)
    rates = await day_rates.rate_table([trainer_id])
    existing = {line.assignment_id: line for line in await statement.lines.all()}  # type: ignore[attr-defined]
    taken = set(
        await FeeStatementLine.filter(assignment_id__in=[a.id for a, _b in sessions] or [0])
        .exclude(statement_id=statement.id)
        .values_list("assignment_id", flat=True)
    )
    for assignment, booking in sessions:
        if assignment.id in taken:
            continue
        day = booking.starts_at.astimezone(AMSTERDAM).date()
        minutes = max(0, int((assignment.ends_at - assignment.starts_at).total_seconds() // 60))
        rate = rates.rate_on(trainer_id, day)
        values = {
            "session_date": day,
            "description": f"{booking.reference} · {booking.offering.name} · {booking.organisation.name}"[
                :300
            ],
            "minutes": minutes,
            "day_rate_cents": rate,
            "fee_cents": assignment_cost_cents(minutes, rate),
        }
        line = existing.pop(assignment.id, None)
        if line is None:
            await FeeStatementLine.create(statement=statement, assignment=assignment, **values)
        else:
            line.update_from_dict(values)
            await line.save()
    if existing:
        await FeeStatementLine.filter(id__in=[line.id for line in existing.values()]).delete()


async def _locked(statement_id: int, actor: User) -> FeeStatement:
    statement = await FeeStatement.select_for_update().get_or_none(id=statement_id)
    if statement is None or not _may_see(actor, statement):
        raise NotFound(_("Deze declaratie bestaat niet (meer)."))
    return statement


async def open_statement(trainer_id: int, month_raw: str, *, actor: User) -> FeeStatement:
    """The trainer's statement for the month, made as a draft when there is none; its lines refreshed.

    A trainer opens their own, a coordinator anyone's. Raises Forbidden, NotFound (not a trainer),
    ValidationFailed (month).
    """
    if actor.role is Role.TRAINER and actor.id != trainer_id:
        raise Forbidden()
    if actor.role not in (Role.TRAINER, Role.COORDINATOR):
        raise Forbidden()
    trainer = await User.get_or_none(id=trainer_id, role=Role.TRAINER)
    if trainer is None:
        raise NotFound(_("Deze persoon is geen trainer."))
    month = parse_month(month_raw)
    try:
        async with in_transaction():
            statement, created = await FeeStatement.get_or_create(trainer=trainer, month=month)
            if not statement.is_approved:
                await _refresh_lines(statement)
            if created:
                summary = f"{trainer.name}: {_month_text(month)}"
                await record(actor, "fee_statement_opened", statement, summary)
    except IntegrityError:  # opened twice at once: the other one made it
        statement = await FeeStatement.get(trainer=trainer, month=month)
    return statement


def _parse_travel(values: dict[int, tuple[str, str]]) -> tuple[dict[int, tuple[int, str]], dict[str, str]]:
    parsed: dict[int, tuple[int, str]] = {}
    errors: dict[str, str] = {}
    for line_id, (amount, note) in values.items():
        cents = parse_euros(amount, maximum_cents=MAX_TRAVEL_CENTS)
        cleaned = " ".join(note.split())
        if cents is None:
            errors[f"travel-{line_id}"] = _("Vul de reiskosten in euro's in, bijvoorbeeld 23,40.")
        elif len(cleaned) > 200:
            errors[f"note-{line_id}"] = _("Een toelichting is hoogstens 200 tekens lang.")
        else:
            parsed[line_id] = (cents or 0, cleaned)
    return parsed, errors


async def save_travel(statement_id: int, values: dict[int, tuple[str, str]], *, actor: User) -> FeeStatement:
    """Travel costs per session (euros and a note), on a statement this actor may edit.

    Raises NotFound, StatementLocked (submitted for a trainer, approved for anyone), ValidationFailed.
    """
    parsed, errors = _parse_travel(values)
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        statement = await _locked(statement_id, actor)
        if not _may_edit(actor, statement):
            raise StatementLocked(
                _("Deze declaratie is ingediend of goedgekeurd en kan niet meer veranderen.")
            )
        await _refresh_lines(statement)
        for line in await FeeStatementLine.filter(statement_id=statement.id, id__in=list(parsed) or [0]):
            line.travel_cents, line.travel_note = parsed[line.id]
            await line.save(update_fields=["travel_cents", "travel_note"])
        await record(actor, "fee_statement_travel_saved", statement, f"{_month_text(statement.month)}")
    return statement


async def submit_statement(statement_id: int, *, actor: User) -> FeeStatement:
    """Draft → submitted: by the trainer or a coordinator, once the month is over, with a session.

    Raises NotFound, StatementLocked (not a draft, month not over, no sessions).
    """
    async with in_transaction():
        statement = await _locked(statement_id, actor)
        if not statement.is_draft or not _may_edit(actor, statement):
            raise StatementLocked(_("Alleen een concept kan worden ingediend."))
        if next_month(statement.month) > clock.local_today():
            raise StatementLocked(_("Een declaratie kan worden ingediend als de maand voorbij is."))
        await _refresh_lines(statement)
        if not await statement.lines.all().exists():  # type: ignore[attr-defined]
            raise StatementLocked(_("Er staan geen gegeven sessies op deze declaratie."))
        statement.status = FeeStatementStatus.SUBMITTED
        statement.submitted_at, statement.submitted_by, statement.returned_reason = clock.now(), actor, ""
        await statement.save()
        await record(actor, "fee_statement_submitted", statement, f"{_month_text(statement.month)}")
    return statement


async def return_statement(statement_id: int, reason: str, *, actor: User) -> FeeStatement:
    """Submitted → draft with a reason (coordinators). Raises Forbidden, NotFound, StatementLocked,
    ValidationFailed (reason)."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    cleaned = " ".join(reason.split())
    if not cleaned or len(cleaned) > 500:
        raise ValidationFailed(
            {"reason": _("Schrijf waarom de declaratie terug gaat (hoogstens 500 tekens).")}
        )
    async with in_transaction():
        statement = await _locked(statement_id, actor)
        if not statement.is_submitted:
            raise StatementLocked(_("Alleen een ingediende declaratie kan worden teruggestuurd."))
        statement.status, statement.returned_reason = FeeStatementStatus.DRAFT, cleaned
        await statement.save()
        await record(actor, "fee_statement_returned", statement, cleaned)
    return statement


async def approve_statement(statement_id: int, *, actor: User) -> FeeStatement:
    """Submitted → approved (coordinators): name, VAT and totals are copied and never change again;
    the PDF is rendered after the commit and stored. Raises Forbidden, NotFound, StatementLocked."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    async with in_transaction():
        statement = await _locked(statement_id, actor)
        if not statement.is_submitted:
            raise StatementLocked(_("Alleen een ingediende declaratie kan worden goedgekeurd."))
        trainer = await User.get(id=statement.trainer_id)  # type: ignore[attr-defined]
        totals = totals_of(await statement.lines.all(), await vat_percent_of(trainer.id))  # type: ignore[attr-defined]
        statement.status = FeeStatementStatus.APPROVED
        statement.trainer_name = trainer.name
        statement.vat_percent, statement.vat_cents = totals.vat_percent, totals.vat_cents
        statement.fee_cents, statement.travel_cents = totals.fee_cents, totals.travel_cents
        statement.total_cents = totals.total_cents
        statement.approved_at, statement.approved_by = clock.now(), actor
        await statement.save()
        summary = f"{trainer.name}: {_month_text(statement.month)}"
        await record(actor, "fee_statement_approved", statement, summary)
    from invoicing import fee_statement_files  # the PDF module imports this one

    await fee_statement_files.stored_pdf(statement)
    return statement


# ---------- Reading ----------


@dataclass
class StatementView:
    statement: FeeStatement
    trainer: User
    lines: list[FeeStatementLine]
    totals: Totals
    may_edit: bool
    may_approve: bool

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.statement.status])

    @property
    def trainer_name(self) -> str:
        return self.statement.trainer_name or self.trainer.name


async def statement_view(statement_id: int, *, actor: User) -> StatementView:
    """One statement with its lines and totals; a trainer sees only their own (NotFound otherwise)."""
    statement = await FeeStatement.get_or_none(id=statement_id)
    if statement is None or not _may_see(actor, statement):
        raise NotFound(_("Deze declaratie bestaat niet (meer)."))
    return await view_of(statement, actor)


async def view_of(statement: FeeStatement, actor: User | None) -> StatementView:
    """The statement as shown and printed; `actor` None: read-only (for rendering the stored PDF)."""
    trainer = await User.get(id=statement.trainer_id)  # type: ignore[attr-defined]
    lines = await FeeStatementLine.filter(statement_id=statement.id).order_by("session_date", "id")
    if statement.is_approved:
        totals = Totals(
            statement.fee_cents, statement.travel_cents, statement.vat_percent, statement.vat_cents
        )
    else:
        totals = totals_of(lines, await vat_percent_of(trainer.id))
    return StatementView(
        statement,
        trainer,
        lines,
        totals,
        may_edit=actor is not None and _may_edit(actor, statement),
        may_approve=actor is not None and actor.role is Role.COORDINATOR and statement.is_submitted,
    )


async def statements_for(actor: User, month: date | None = None) -> list[FeeStatement]:
    """The statements this actor may see (a trainer: their own), newest month first."""
    query = FeeStatement.all().prefetch_related("trainer")
    if actor.role is Role.TRAINER:
        query = query.filter(trainer_id=actor.id)
    if month is not None:
        query = query.filter(month=month)
    return await query.order_by("-month", "trainer__name", "id")


async def trainers() -> list[User]:
    return await User.filter(role=Role.TRAINER, is_active=True).order_by("name", "id")


async def approved_in(month: date) -> list[FeeStatement]:
    return await FeeStatement.filter(month=month, status=FeeStatementStatus.APPROVED).order_by(
        "trainer_name", "id"
    )
