"""Demo fee statement: the demo trainer gave the paid training of 75 days ago; their statement for
that month has travel costs and is approved by the demo coordinator."""

from __future__ import annotations

from bookings.models import Booking, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus
from invoicing import fee_statements
from invoicing.fee_statement_models import FeeStatementLine
from server.models import Role, User
from server.templating import AMSTERDAM


async def load_fee_statement_demo() -> None:
    """Does nothing without the demo trainer, coordinator or training."""
    trainer = await User.get_or_none(email="trainer@weerbaar.example", role=Role.TRAINER)
    coordinator = await User.get_or_none(email="coordinator@weerbaar.example", role=Role.COORDINATOR)
    booking = await Booking.get_or_none(reference="WB-FACT01")
    if trainer is None or coordinator is None or booking is None:
        return
    await AssignmentRequest.create(
        booking=booking,
        trainer=trainer,
        kind=TrainerKind.TRAINER,
        status=RequestStatus.ACCEPTED,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
    )
    month = booking.starts_at.astimezone(AMSTERDAM).strftime("%Y-%m")
    statement = await fee_statements.open_statement(trainer.id, month, actor=trainer)
    line = await FeeStatementLine.get(statement_id=statement.id)
    await fee_statements.save_travel(
        statement.id, {line.id: ("18,60", "Trein Utrecht - Amsterdam v.v.")}, actor=trainer
    )
    await fee_statements.submit_statement(statement.id, actor=trainer)
    await fee_statements.approve_statement(statement.id, actor=coordinator)
