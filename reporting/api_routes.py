"""API v1: an organisation's tour steps (coordinators), derived as on the dashboard."""

from __future__ import annotations

from typing import Any

from reporting.figures import organisation_progress
from reporting.stages import STEPS
from server.api import ApiCall, Operation
from server.models import ApiScope, Role
from server.organisations import organisation_for

TOUR = {
    "type": "object",
    "required": ["organisationCode", "stage", "steps"],
    "properties": {
        "organisationCode": {"type": "string"},
        "stage": {"type": "string", "description": "De verste stap, alleen om te tonen en te sorteren."},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["step", "since"],
                "properties": {"step": {"type": "string"}, "since": {"type": "string", "format": "date"}},
            },
        },
    },
}


async def tour_steps(call: ApiCall) -> dict[str, Any]:
    organisation = await organisation_for(call.user, call.path["code"])
    progress = next(p for p in await organisation_progress() if p.id == organisation.id)
    return {
        "organisationCode": organisation.cbs_code,
        "stage": progress.stage.value,
        "steps": [
            {"step": step.value, "since": progress.since[step]} for step in STEPS if step in progress.since
        ],
    }


operations = [
    Operation(
        "GET",
        "/organisations/{code}/tour-steps",
        "readTourSteps",
        "De stappen van de tour van een organisatie",
        "organisaties",
        ApiScope.READ,
        frozenset({Role.COORDINATOR}),
        tour_steps,
        TOUR,
        description="Elke stap die nu geldt, met de eerste dag dat hij gold.",
    ),
]
