"""API v1: organisations (read). A clerk's token sees its own organisation only, as on the pages."""

from __future__ import annotations

from typing import Any

from server.api import PAGING_PARAMS, ApiCall, Operation, cursor, list_schema, page_of, page_size
from server.models import ApiScope, Organisation, Role
from server.organisations import organisation_for

ORGANISATION = {
    "type": "object",
    "required": ["code", "name", "kind", "provinceCode", "endedOn"],
    "properties": {
        "code": {"type": "string", "description": "CBS-code, bijvoorbeeld GM0363."},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["municipality", "province"]},
        "provinceCode": {"type": "string", "nullable": True},
        "endedOn": {"type": "string", "format": "date", "nullable": True, "description": "Opgeheven per."},
    },
}
READERS = frozenset({Role.COORDINATOR, Role.FINANCE, Role.CLERK})


def organisation_json(organisation: Organisation, province_code: str | None) -> dict[str, Any]:
    return {
        "code": organisation.cbs_code,
        "name": organisation.name,
        "kind": organisation.kind.value,
        "provinceCode": province_code,
        "endedOn": organisation.ended_on,
    }


async def list_organisations(call: ApiCall) -> dict[str, Any]:
    size = page_size(call)
    query = Organisation.all().select_related("province").order_by("id")
    if call.user.role is Role.CLERK:
        query = query.filter(id=call.user.organisation_id)  # type: ignore[attr-defined]
    if (after := cursor(call)) is not None:
        query = query.filter(id__gt=after)
    rows = await query.limit(size + 1)
    items = [organisation_json(o, o.province.cbs_code if o.province else None) for o in rows]
    return page_of(items, [o.id for o in rows], size)


async def read_organisation(call: ApiCall) -> dict[str, Any]:
    organisation = await organisation_for(call.user, call.path["code"], with_province=True)
    province = organisation.province
    return organisation_json(organisation, province.cbs_code if province else None)


operations = [
    Operation(
        "GET",
        "/organisations",
        "listOrganisations",
        "Organisaties",
        "organisaties",
        ApiScope.READ,
        READERS,
        list_organisations,
        list_schema(ORGANISATION),
        query=PAGING_PARAMS,
        description="Een griffier ziet alleen de eigen organisatie.",
    ),
    Operation(
        "GET",
        "/organisations/{code}",
        "readOrganisation",
        "Eén organisatie",
        "organisaties",
        ApiScope.READ,
        READERS,
        read_organisation,
        ORGANISATION,
    ),
]
