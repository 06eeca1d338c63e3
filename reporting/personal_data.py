"""The personal data of reporting: who last set the tour's target; the history before the app has none."""

from __future__ import annotations

from reporting.figures import OrganisationFigures
from reporting.models import HistoryEntry, TourTarget
from server.i18n import lazy_gettext
from server.models import User
from server.privacy import Entry, NoPersonalData, PersonalData, Rows, keep_link


async def _targets(user: User) -> Rows:
    return await TourTarget.filter(updated_by_id=user.id).values("stage", "percent", "deadline", "updated_at")


ENTRIES: list[Entry] = [
    PersonalData(
        TourTarget,
        "tourdoelen",
        ("updated_by",),
        _targets,
        keep_link,
        lazy_gettext("Zolang het doel geldt; wie het instelde wordt bij wissen anoniem."),
    ),
    NoPersonalData(
        HistoryEntry,
        lazy_gettext(
            "Sessies van een organisatie van voor de app: dag, stap en aantal deelnemers, zonder namen."
        ),
    ),
    NoPersonalData(
        OrganisationFigures,
        lazy_gettext("Per organisatie de dagen van haar stappen in de tour, berekend uit de boekingen."),
    ),
]
