"""Municipalities and provinces: the CBS import, who may see which organisation, billing details.

Errors: `NotFound` (an organisation this user may not see), `ValidationFailed` (billing details),
`ImportFailed` (a CSV file that is not in the CBS format).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.transactions import in_transaction

from server import sql
from server.audit import record
from server.errors import DomainError, NotFound, ValidationFailed
from server.forms import parse_email, single_line_errors
from server.i18n import _
from server.models import CBS_CODE_LENGTH, Organisation, OrganisationKind, Role, User

MUNICIPALITY_COLUMNS = {"cbs_code", "name", "province_code", "province_name"}
PROVINCE_COLUMNS = {"cbs_code", "name"}
CODE_PATTERN = re.compile(r"^(GM\d{4}|PV\d{2})$")
POSTCODE_PATTERN = re.compile(r"^\d{4} ?[A-Z]{2}$")
OIN_PATTERN = re.compile(r"^\d{20}$")


class ImportFailed(DomainError):
    pass


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} nieuw, {len(self.updated)} bijgewerkt, {len(self.unchanged)} ongewijzigd"


async def _upsert(
    report: ImportReport, code: str, name: str, kind: OrganisationKind, province: Organisation | None
) -> Organisation:
    existing = await Organisation.get_or_none(cbs_code=code)
    if existing is None:
        report.created.append(code)
        return await Organisation.create(cbs_code=code, name=name, kind=kind, province=province)
    province_id = province.id if province else None
    if (existing.name, existing.kind, existing.province_id) == (name, kind, province_id):  # type: ignore[attr-defined]
        report.unchanged.append(code)
        return existing
    existing.name, existing.kind, existing.province = name, kind, province
    await existing.save(update_fields=["name", "kind", "province_id", "updated_at"])
    report.updated.append(code)
    return existing


def _read_rows(path: Path) -> tuple[set[str], list[dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = [{k: (v or "").strip() for k, v in row.items()} for row in reader]
            return set(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(f"{path}: {exc}") from exc


async def import_organisations(path: Path) -> ImportReport:
    """Upsert municipalities or provinces by CBS code from a CBS-format CSV; all or nothing.

    A municipality file creates a province it names that does not exist yet. Rerunning the same file
    reports everything unchanged.
    """
    columns, rows = _read_rows(path)
    if columns >= MUNICIPALITY_COLUMNS:
        kind = OrganisationKind.MUNICIPALITY
    elif columns >= PROVINCE_COLUMNS:
        kind = OrganisationKind.PROVINCE
    else:
        raise ImportFailed(
            _(
                "Onbekende kolommen {columns}: verwacht cbs_code,name (provincies) "
                "of cbs_code,name,province_code,province_name (gemeenten)."
            ).format(columns=sorted(columns))
        )
    prefix = "GM" if kind is OrganisationKind.MUNICIPALITY else "PV"
    for number, row in enumerate(rows, start=2):
        if (
            not CODE_PATTERN.match(row["cbs_code"])
            or not row["cbs_code"].startswith(prefix)
            or not row["name"]
        ):
            raise ImportFailed(_("Regel {n}: ongeldige CBS-code of naam: {row}").format(n=number, row=row))
        if kind is OrganisationKind.MUNICIPALITY and not re.match(r"^PV\d{2}$", row["province_code"]):
            raise ImportFailed(_("Regel {n}: ongeldige provinciecode: {row}").format(n=number, row=row))

    report = ImportReport()
    async with in_transaction():
        provinces: dict[str, Organisation] = {}
        for row in rows:
            if kind is OrganisationKind.PROVINCE:
                await _upsert(report, row["cbs_code"], row["name"], kind, None)
                continue
            code = row["province_code"]
            if code not in provinces:
                province = await Organisation.get_or_none(cbs_code=code)
                if province is None:
                    province = await _upsert(
                        report, code, row["province_name"], OrganisationKind.PROVINCE, None
                    )
                provinces[code] = province
            await _upsert(report, row["cbs_code"], row["name"], kind, provinces[code])
        await record(None, "organisations_imported", None, f"{path.name}: {report.summary()}")
    return report


def possible_codes(codes: set[str]) -> set[str]:
    """The codes that could be a CBS code: a longer text is no organisation's code.

    Tortoise checks the length of every value of a `cbs_code__in` filter and raises on a longer one, so a
    file with a too-long code would fail as a whole instead of refusing that one row as unknown.
    """
    return {code for code in codes if len(code) <= CBS_CODE_LENGTH}


async def province_choices() -> list[dict[str, str]]:
    """The provinces for a filter, by name, as plain values (cbs_code, name)."""
    return (
        await Organisation.filter(kind=OrganisationKind.PROVINCE).order_by("name").values("cbs_code", "name")
    )


#: An organisation by its CBS code, and its province when asked (server/sql.py: nearly every page of
#: a clerk, and every organisation page, starts with it; as a queryset with its join it cost 0.55 ms).
ORGANISATION_SQL = 'SELECT {organisation} FROM "organisation" o WHERE o."cbs_code" = $1'
WITH_PROVINCE_SQL = (
    'SELECT {organisation}, {province} FROM "organisation" o '
    'LEFT JOIN "organisation" p ON p."id" = o."province_id" WHERE o."cbs_code" = $1'
)


async def _by_code(code: str, *, with_province: bool) -> Organisation | None:
    organisation_columns = sql.columns(Organisation, "o", "o_")
    statement = (
        WITH_PROVINCE_SQL.format(
            organisation=organisation_columns, province=sql.columns(Organisation, "p", "p_")
        )
        if with_province
        else ORGANISATION_SQL.format(organisation=organisation_columns)
    )
    rows = await sql.fetch(Organisation, statement, code)
    if not rows:
        return None
    organisation = sql.instance(Organisation, rows[0], "o_")
    if with_province:
        organisation.province = (
            sql.instance(Organisation, rows[0], "p_") if rows[0]["p_id"] is not None else None
        )
    return organisation


async def organisation_for(user: User, code: str, *, with_province: bool = False) -> Organisation:
    """The organisation with this CBS code, if this user may see it (a clerk only their own); its
    province is read along with it only when asked (a join that every booking would pay for)."""
    organisation = await _by_code(code, with_province=with_province)
    if organisation is None:
        raise NotFound()
    if user.role is Role.CLERK and organisation.id != user.organisation_id:  # type: ignore[attr-defined]
        raise NotFound()
    if user.role is Role.TRAINER:
        raise NotFound()
    return organisation


def validate_billing(data: dict[str, str]) -> dict[str, object]:
    errors: dict[str, str] = {}
    street = data.get("invoice_street", "").strip()
    postcode = data.get("invoice_postcode", "").strip().upper()
    city = data.get("invoice_city", "").strip()
    email = data.get("invoice_email", "").strip()
    oin = data.get("oin", "").strip()
    if len(street) > 200:
        errors["invoice_street"] = _("Het adres is te lang (maximaal 200 tekens).")
    if postcode and not POSTCODE_PATTERN.match(postcode):
        errors["invoice_postcode"] = _("Vul een postcode in als 1234 AB.")
    if len(city) > 100:
        errors["invoice_city"] = _("De plaatsnaam is te lang (maximaal 100 tekens).")
    if email:
        email = parse_email(email) or ""
        if not email:
            errors["invoice_email"] = _(
                "Vul één geldig e-mailadres in, bijvoorbeeld facturen@gemeente.nl, of laat het leeg."
            )
    errors.update(single_line_errors(data, "invoice_street", "invoice_postcode", "invoice_city", "oin"))
    if oin and not OIN_PATTERN.match(oin):
        errors["oin"] = _("Een OIN bestaat uit 20 cijfers.")
    if errors:
        raise ValidationFailed(errors)
    if len(postcode) == 6:
        postcode = f"{postcode[:4]} {postcode[4:]}"
    return {
        "invoice_street": street,
        "invoice_postcode": postcode,
        "invoice_city": city,
        "invoice_email": email,
        "oin": oin,
        "requires_po_number": data.get("requires_po_number") == "on",
    }


async def update_billing(organisation: Organisation, data: dict[str, str], *, actor: User) -> Organisation:
    """Change the invoice details; clerks for their own organisation, coordinators and finance for any."""
    if actor.role is Role.TRAINER or (
        actor.role is Role.CLERK and actor.organisation_id != organisation.id  # type: ignore[attr-defined]
    ):
        raise NotFound()
    values = validate_billing(data)
    async with in_transaction():
        organisation.update_from_dict(values)
        await organisation.save(update_fields=[*values.keys(), "updated_at"])
        await record(actor, "billing_updated", organisation, organisation.name)
    return organisation
