"""Demo data of the tour's past (`weerbaar demo`): sessions held before the app, and Weesp, which
merged into Amsterdam on 24 March 2022, with the council-wide session it held before."""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from reporting.models import HistoryEntry, HistoryStep
from server.models import Organisation, OrganisationKind

#: (CBS code, step, day, participants, note)
HISTORY = [
    ("GM0457", HistoryStep.COUNCIL_SESSION, date(2021, 10, 5), 17, "Laatste raadsbrede sessie van Weesp"),
    ("GM0355", HistoryStep.INTAKE, date(2024, 2, 13), 3, "Met burgemeester en griffier"),
    ("GM0355", HistoryStep.COUNCIL_SESSION, date(2024, 4, 9), 24, ""),
    ("GM0392", HistoryStep.INTAKE, date(2023, 11, 21), None, "Aantal deelnemers onbekend"),
    ("GM0599", HistoryStep.FOLLOW_UP, date(2024, 6, 18), 11, "Verdiepingssessie, betaald buiten de app"),
]


async def load_reporting_demo() -> None:
    """Weesp (merged into Amsterdam) and the history rows; does nothing when history exists."""
    if await HistoryEntry.exists():
        return
    async with in_transaction():
        amsterdam = await Organisation.get(cbs_code="GM0363").select_related("province")
        await Organisation.get_or_create(
            cbs_code="GM0457",
            defaults={
                "name": "Weesp",
                "kind": OrganisationKind.MUNICIPALITY,
                "province": amsterdam.province,
                "ended_on": date(2022, 3, 24),
                "successor": amsterdam,
            },
        )
        organisations = dict(
            await Organisation.filter(cbs_code__in={row[0] for row in HISTORY}).values_list("cbs_code", "id")
        )
        for code, step, held_on, participants, note in HISTORY:
            await HistoryEntry.create(
                organisation_id=organisations[code],
                step=step,
                held_on=held_on,
                participants=participants,
                note=note,
            )
