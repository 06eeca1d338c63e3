"""The tour figures kept in the database: a row per organisation with its own steps
(`reporting.stages.StepFacts`), so the dashboard, the organisations table and the ministry report
read them instead of computing them from every invitation, booking and history entry per request.

The rows follow the writes that change them: Tortoise signals on the models whose rows the steps
are computed from (registered here, so bookings does not import reporting) recompute the row of
the organisation concerned in the write's own transaction. `refresh_figures` locks the row first
(`FOR UPDATE` on PostgreSQL; SQLite runs one write transaction at a time), so of two concurrent
writes for one organisation the second computes after the first committed and no update is lost.

What the signals do not see, `rebuild_figures` (`weerbaar figures rebuild`, and the end of
`weerbaar migrate`) puts right: rows written with `bulk_create`, a queryset `update()` or plain SQL
(the benchmark seed), and databases from before this table. No write in the app changes a column
the steps are computed from that way.

Organisations themselves are read live (name, province, merger): a merger changes no row here,
the successor's inherited steps are added when reading (`reporting.stages.progress_with`). A new
organisation gets its row with its first invitation, booking or history entry (or a rebuild):
without a row it has no steps.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.models import Model
from tortoise.signals import post_delete, post_save
from tortoise.transactions import in_transaction

from bookings.models import Booking, Offering, TourInvitation
from reporting.models import HistoryEntry
from reporting.stages import (
    HELD_OF_PLANNED,
    HELD_STEPS,
    STEPS,
    OrganisationProgress,
    StepFacts,
    progress_with,
    step_facts,
)
from server.models import Organisation


class OrganisationFigures(Model):
    """An organisation's own tour steps, as `reporting.stages.step_facts` computes them: per step
    the first day it is true (`since_<step>`), per planned step the first day such a session was
    booked (`booked_<step>`), whether a held step is also known from before the app."""

    id = fields.IntField(primary_key=True)
    organisation: fields.OneToOneRelation[Organisation] = fields.OneToOneField(
        "core.Organisation", related_name="figures", on_delete=fields.CASCADE
    )
    since_invited = fields.DateField(null=True)
    since_intake_planned = fields.DateField(null=True)
    since_intake_held = fields.DateField(null=True)
    since_session_planned = fields.DateField(null=True)
    since_session_held = fields.DateField(null=True)
    since_follow_up_booked = fields.DateField(null=True)
    since_follow_up_held = fields.DateField(null=True)
    booked_intake_planned = fields.DateField(null=True)
    booked_session_planned = fields.DateField(null=True)
    booked_follow_up_booked = fields.DateField(null=True)
    before_app_intake_held = fields.BooleanField(default=False)
    before_app_session_held = fields.BooleanField(default=False)
    before_app_follow_up_held = fields.BooleanField(default=False)
    last_activity_at = fields.DatetimeField(null=True)
    last_invited_at = fields.DatetimeField(null=True)

    class Meta:
        table = "organisation_figures"


SINCE = {step: f"since_{step.value}" for step in STEPS}
BOOKED = {step: f"booked_{step.value}" for step in HELD_OF_PLANNED}
BEFORE_APP = {step: f"before_app_{step.value}" for step in sorted(HELD_STEPS, key=lambda step: step.rank)}
COLUMNS = (*SINCE.values(), *BOOKED.values(), *BEFORE_APP.values(), "last_activity_at", "last_invited_at")


def _columns(facts: StepFacts) -> dict[str, Any]:
    values: dict[str, Any] = {column: facts.since.get(step) for step, column in SINCE.items()}
    values |= {column: facts.first_booked_on.get(step) for step, column in BOOKED.items()}
    values |= {column: step in facts.before_app for step, column in BEFORE_APP.items()}
    return values | {"last_activity_at": facts.last_activity_at, "last_invited_at": facts.last_invited_at}


def _facts(row: dict[str, Any]) -> StepFacts:
    return StepFacts(
        since={step: row[column] for step, column in SINCE.items() if row[column] is not None},
        first_booked_on={step: row[column] for step, column in BOOKED.items() if row[column] is not None},
        before_app={step for step, column in BEFORE_APP.items() if row[column]},
        last_activity_at=row["last_activity_at"],
        last_invited_at=row["last_invited_at"],
    )


async def stored_facts() -> dict[int, StepFacts]:
    """Every organisation's stored steps, in one query."""
    rows = await OrganisationFigures.all().values("organisation_id", *COLUMNS)
    return {row["organisation_id"]: _facts(row) for row in rows}


async def organisation_progress() -> list[OrganisationProgress]:
    """Every organisation (merged ones too) with its true steps and their days, by name: two
    queries, whatever the number of bookings."""
    return await progress_with(await stored_facts())


async def _locked(organisation_ids: list[int]) -> dict[int, OrganisationFigures]:
    rows = (
        await OrganisationFigures.filter(organisation_id__in=organisation_ids)
        .order_by("organisation_id")
        .select_for_update()
    )
    return {row.organisation_id: row for row in rows}  # type: ignore[attr-defined]


async def _refresh(organisation_ids: list[int]) -> None:
    rows = await _locked(organisation_ids)
    if missing := [i for i in organisation_ids if i not in rows]:
        # An organisation made without its row (bulk_create): another transaction may be adding it
        # too, so insert what is missing, ignoring a row that got there first, and lock again.
        await OrganisationFigures.bulk_create(
            [OrganisationFigures(organisation_id=i) for i in missing], ignore_conflicts=True
        )
        rows = await _locked(organisation_ids)
    facts = await step_facts(organisation_ids)
    for organisation_id, row in rows.items():
        row.update_from_dict(_columns(facts.get(organisation_id) or StepFacts()))
        await row.save(update_fields=COLUMNS)


async def refresh_figures(
    organisation_ids: Collection[int], *, using_db: BaseDBAsyncClient | None = None
) -> None:
    """Recompute the stored steps of these organisations, with their rows locked, in the current
    transaction (`using_db`, as a signal passes it) or in one of its own."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return
    if isinstance(using_db, TransactionalDBClient):
        await _refresh(ids)
        return
    async with in_transaction():
        await _refresh(ids)


async def rebuild_figures() -> int:
    """Recompute every organisation's stored steps; returns the number of organisations."""
    ids = await Organisation.all().values_list("id", flat=True)
    await refresh_figures(ids)  # type: ignore[arg-type]
    return len(ids)


def _changes(update_fields: Iterable[str] | None, relevant: frozenset[str]) -> bool:
    """Whether a save may change a column the steps are computed from (all of them without
    `update_fields`)."""
    return update_fields is None or not relevant.isdisjoint(update_fields)


BOOKING_FIELDS = frozenset(
    {
        "organisation",
        "organisation_id",
        "offering",
        "offering_id",
        "status",
        "created_at",
        "updated_at",
        "starts_at",
    }
)
INVITATION_FIELDS = frozenset({"organisation", "organisation_id", "invited_at"})
HISTORY_FIELDS = frozenset({"organisation", "organisation_id", "step", "held_on"})


#: The fields of each step source whose change moves an organisation's figures.
WATCHED_FIELDS: dict[type[Model], frozenset[str]] = {
    Booking: BOOKING_FIELDS,
    TourInvitation: INVITATION_FIELDS,
    HistoryEntry: HISTORY_FIELDS,
}


@post_save(Booking, TourInvitation, HistoryEntry)
async def _step_source_saved(
    sender: type[Booking | TourInvitation | HistoryEntry],
    instance: Booking | TourInvitation | HistoryEntry,
    created: bool,
    using_db: BaseDBAsyncClient | None,
    update_fields: Iterable[str] | None,
) -> None:
    if created or _changes(update_fields, WATCHED_FIELDS[sender]):
        await refresh_figures([instance.organisation_id], using_db=using_db)  # type: ignore[union-attr]


@post_delete(Booking, TourInvitation, HistoryEntry)
async def _deleted(
    sender: type[Booking | TourInvitation | HistoryEntry],
    instance: Booking | TourInvitation | HistoryEntry,
    using_db: BaseDBAsyncClient | None,
) -> None:
    await refresh_figures([instance.organisation_id], using_db=using_db)  # type: ignore[union-attr]


@post_save(Offering)
async def _offering_saved(
    sender: type[Offering],
    instance: Offering,
    created: bool,
    using_db: BaseDBAsyncClient | None,
    update_fields: Iterable[str] | None,
) -> None:
    """A changed stage moves every booking of the offering to another step."""
    if not created and _changes(update_fields, frozenset({"stage"})):
        booked = (
            await Booking.filter(offering_id=instance.id)
            .order_by("organisation_id")
            .distinct()
            .values_list("organisation_id", flat=True)
        )
        await refresh_figures(booked, using_db=using_db)  # type: ignore[arg-type]
