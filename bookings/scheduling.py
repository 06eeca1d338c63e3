"""Fixing a requested booking's date and, unless the operator keeps it manual
(WEERBAAR_AUTO_ASSIGN_ON_SCHEDULE=off), asking the best-fitting trainers right away.

Two steps, two transactions: the date stands even when asking the trainers fails; the booking page
then shows which roles still need someone (`staffing_notice`).
"""

from __future__ import annotations

from datetime import datetime

import structlog

from bookings import assignment, lifecycle
from bookings.staffing import RoleStaffing
from bookings.staffing_models import HOLDING
from server.errors import DomainError
from server.i18n import _
from server.models import User
from server.settings import Settings

log = structlog.get_logger(__name__)


async def schedule_and_ask(
    booking_id: int,
    starts_at: datetime,
    *,
    actor: User,
    settings: Settings,
    expected_version: datetime | None = None,
    allow_holiday: bool = False,
) -> bool:
    """Schedule the booking, then auto-assign when the setting is on; True when trainers were asked
    automatically (the booking page's notice then says who, or that nobody fits)."""
    await lifecycle.schedule_booking(
        booking_id,
        starts_at,
        actor=actor,
        settings=settings,
        expected_version=expected_version,
        allow_holiday=allow_holiday,
    )
    if not settings.auto_assign_on_schedule:
        return False
    try:
        await assignment.auto_assign(booking_id, actor=actor, settings=settings)
    except DomainError as error:  # e.g. a candidate just became busy: the coordinator asks someone
        log.info("auto_assign_after_schedule_failed", booking_id=booking_id, error=error.message)
    return True


def staffing_notice(staffing: list[RoleStaffing]) -> str:
    """What the coordinator reads after scheduling with auto-assign: who was asked, and whether
    every role got its minimum asked (else the coordinator must ask someone)."""
    holding = [r for role in staffing for r in role.requests if r.status in HOLDING]
    short = any(sum(r.status in HOLDING for r in role.requests) < role.min_count for role in staffing)
    names = ", ".join(r.trainer.name for r in holding)
    if holding and not short:
        return _("De datum is vastgelegd. Gevraagd: %(names)s.") % {"names": names}
    if holding:
        return _(
            "De datum is vastgelegd. Gevraagd: %(names)s. Voor niet elke rol past een vrije "
            "trainer: vraag zelf iemand via Trainers."
        ) % {"names": names}
    if short:
        return _("De datum is vastgelegd. Er past geen vrije trainer: vraag zelf iemand via Trainers.")
    return _("De datum is vastgelegd.")
