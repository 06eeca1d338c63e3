"""People of an organisation (contacts): kept by coordinators, and by clerks for their own organisation.

Rules:
- A contact has a name, a function, one e-mail address (checked and normalised by `email-validator`,
  lower case, as accounts' addresses are) and optionally a phone number (checked by `phonenumbers`,
  kept in the international format) and notes; both through server/forms.py, as every form does.
- An organisation has each address at most once (a unique constraint on (organisation, email)).
- A municipality has a mayor (`burgemeester`), a province a King's Commissioner (`commissaris`).
- `weerbaar contacts import FILE.csv` and the coordinators' upload take `cbs_code,function,name,email,
  phone` and upsert by (organisation, email). Every row is its own transaction: a refused row stores
  nothing and the other rows still count; rerunning the same file reports every row unchanged.

Errors: `ValidationFailed` (400, per field), `NotFound` (404), `Forbidden` (403), `ImportFailed` (400,
a file that is not a contacts CSV).
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings.contacts_models import Contact, ContactFunction, OutreachRecipient, function_options
from bookings.outreach import outreach_of
from bookings.permissions import require_coordinator, require_own_organisation
from server import clock
from server.audit import record
from server.errors import DomainError, NotFound, ValidationFailed
from server.forms import EMAIL_MESSAGE, PHONE_MESSAGE, parse_email, parse_phone, single_line_errors
from server.i18n import DEFAULT_LANGUAGE, _, lazy_gettext, use_language
from server.models import Organisation, OrganisationKind, Role, User
from server.organisations import possible_codes

COLUMNS = ("cbs_code", "function", "name", "email", "phone")
CONTACT_FIELDS = ("name", "function", "email", "phone", "notes")
MAX_IMPORT_ROWS = 5000


class ImportFailed(DomainError):
    pass


NO_FILE = lazy_gettext("Kies een CSV-bestand met contactpersonen.")


def normalised_email(raw: str) -> str:
    """One address, normalised (`server.forms.parse_email`); ValueError with a Dutch reason."""
    if not raw.strip():
        raise ValueError(_("Vul een e-mailadres in."))
    parsed = parse_email(raw)
    if parsed is None:
        raise ValueError(EMAIL_MESSAGE)
    return parsed


def _function(raw: str, organisation: Organisation | None) -> ContactFunction:
    try:
        function = ContactFunction(raw.strip().lower())
    except ValueError:
        raise ValueError(
            _("Onbekende functie; kies uit: {choices}.").format(choices=", ".join(ContactFunction))
        ) from None
    if organisation is not None:
        if function is ContactFunction.BURGEMEESTER and organisation.kind is OrganisationKind.PROVINCE:
            raise ValueError(_("Een provincie heeft een commissaris van de Koning, geen burgemeester."))
        if function is ContactFunction.COMMISSARIS and organisation.kind is OrganisationKind.MUNICIPALITY:
            raise ValueError(_("Een gemeente heeft een burgemeester, geen commissaris van de Koning."))
    return function


def validated(values: dict[str, str], organisation: Organisation | None) -> dict[str, object]:
    """The contact's fields, cleaned; `ValidationFailed` names each wrong field."""
    errors = single_line_errors(values, "name")
    cleaned: dict[str, object] = {}
    name = values.get("name", "").strip()
    if not name or len(name) > 200:
        errors["name"] = _("Vul een naam in (maximaal 200 tekens).")
    cleaned["name"] = name
    try:
        cleaned["function"] = _function(values.get("function", ""), organisation)
    except ValueError as error:
        errors["function"] = str(error)
    try:
        cleaned["email"] = normalised_email(values.get("email", ""))
    except ValueError as error:
        errors["email"] = str(error)
    phone = values.get("phone", "").strip()
    cleaned["phone"] = (parse_phone(phone) or "") if phone else ""
    if phone and not cleaned["phone"]:
        errors["phone"] = PHONE_MESSAGE
    notes = values.get("notes", "").strip()
    if len(notes) > 2000:
        errors["notes"] = _("De notities zijn te lang (maximaal 2000 tekens).")
    cleaned["notes"] = notes
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _taken() -> ValidationFailed:
    return ValidationFailed(
        {"email": _("Dit e-mailadres staat al bij een contactpersoon van deze organisatie.")}
    )


async def contacts_of(organisation: Organisation) -> list[Contact]:
    return await Contact.filter(organisation=organisation).order_by("function", "name", "id")


async def add_contact(organisation: Organisation, values: dict[str, str], *, actor: User) -> Contact:
    """Add a person to the organisation; refuses an address it already has."""
    require_own_organisation(actor, organisation)
    cleaned = validated(values, organisation)
    try:
        async with in_transaction():
            contact = await Contact.create(organisation=organisation, **cleaned)
            await record(actor, "contact_added", contact, f"{organisation.name}: {contact.name}")
    except IntegrityError:
        raise _taken() from None
    return contact


async def contact_of(organisation: Organisation, contact_id: int, *, actor: User) -> Contact:
    require_own_organisation(actor, organisation)
    contact = await Contact.get_or_none(id=contact_id, organisation=organisation)
    if contact is None:
        raise NotFound()
    return contact


async def update_contact(
    organisation: Organisation, contact_id: int, values: dict[str, str], *, actor: User
) -> Contact:
    """Change a contact's details; refuses an address another contact of the organisation has."""
    contact = await contact_of(organisation, contact_id, actor=actor)
    cleaned = validated(values, organisation)
    try:
        async with in_transaction():
            await Contact.filter(id=contact.id).update(**cleaned, updated_at=clock.now())
            await record(actor, "contact_changed", contact, f"{organisation.name}: {cleaned['name']}")
    except IntegrityError:
        raise _taken() from None
    return await Contact.get(id=contact.id)


async def remove_contact(organisation: Organisation, contact_id: int, *, actor: User) -> None:
    """Remove a contact; a tour link mailed to them and not yet used stops working."""
    contact = await contact_of(organisation, contact_id, actor=actor)
    now = clock.now()
    async with in_transaction():
        await OutreachRecipient.filter(contact=contact, used_at__isnull=True).update(expires_at=now)
        await contact.delete()
        await record(actor, "contact_removed", contact, f"{organisation.name}: {contact.name}")


class RowOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


OUTCOME_LABELS = {
    RowOutcome.CREATED: lazy_gettext("nieuw"),
    RowOutcome.UPDATED: lazy_gettext("bijgewerkt"),
    RowOutcome.UNCHANGED: lazy_gettext("ongewijzigd"),
    RowOutcome.REFUSED: lazy_gettext("geweigerd"),
}


@dataclass(frozen=True)
class ImportedRow:
    line: int
    cbs_code: str
    name: str
    email: str
    outcome: RowOutcome
    reason: str = ""

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


@dataclass
class ContactImportReport:
    rows: list[ImportedRow] = field(default_factory=list)

    def count(self, outcome: RowOutcome) -> int:
        return sum(1 for row in self.rows if row.outcome is outcome)

    def summary(self) -> str:
        return ", ".join(f"{self.count(o)} {OUTCOME_LABELS[o]}" for o in RowOutcome)


def _rows_of(text: str) -> list[dict[str, str]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        found = tuple(name.strip().lower() for name in reader.fieldnames or ())
        if not set(COLUMNS) <= set(found):
            raise ImportFailed(
                _("De eerste regel moet de kolommen {columns} bevatten.").format(columns=",".join(COLUMNS))
            )
        reader.fieldnames = list(found)
        rows = [{k: (v or "").strip() for k, v in row.items() if isinstance(k, str)} for row in reader]
    except csv.Error as exc:
        raise ImportFailed(_("Dit is geen leesbaar CSV-bestand: {error}").format(error=exc)) from exc
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportFailed(_("Te veel regels (maximaal {n}); splits het bestand.").format(n=MAX_IMPORT_ROWS))
    return rows


async def _import_row(line: int, row: dict[str, str], organisations: dict[str, Organisation]) -> ImportedRow:
    code = row.get("cbs_code", "").upper()
    done = {"line": line, "cbs_code": code, "name": row.get("name", ""), "email": row.get("email", "")}
    organisation = organisations.get(code)
    if organisation is None:
        return ImportedRow(**done, outcome=RowOutcome.REFUSED, reason=_("onbekende CBS-code"))
    try:
        cleaned = validated({**row, "notes": ""}, organisation)
    except ValidationFailed as error:
        return ImportedRow(**done, outcome=RowOutcome.REFUSED, reason="; ".join(error.errors.values()))
    del cleaned["notes"]  # notes are kept by people, never overwritten by a file
    done["email"] = str(cleaned["email"])
    async with in_transaction():
        existing = await Contact.get_or_none(organisation=organisation, email=cleaned["email"])
        if existing is None:
            contact = await Contact.create(organisation=organisation, **cleaned)
            await record(None, "contact_imported", contact, f"{organisation.name}: {contact.name}")
            return ImportedRow(**done, outcome=RowOutcome.CREATED)
        if all(getattr(existing, name) == value for name, value in cleaned.items()):
            return ImportedRow(**done, outcome=RowOutcome.UNCHANGED)
        await Contact.filter(id=existing.id).update(**cleaned, updated_at=clock.now())
        await record(None, "contact_imported", existing, f"{organisation.name}: {cleaned['name']} bijgewerkt")
        return ImportedRow(**done, outcome=RowOutcome.UPDATED)


async def import_contacts(text: str, *, source: str, actor: User | None = None) -> ContactImportReport:
    """Upsert contacts by (organisation, e-mail), each row in its own transaction; see the module rules.

    `actor` None is the command line; otherwise a coordinator (web upload).
    """
    if actor is not None:
        require_coordinator(actor)
    rows = _rows_of(text)
    codes = {row.get("cbs_code", "").upper() for row in rows}
    organisations = {o.cbs_code: o for o in await Organisation.filter(cbs_code__in=possible_codes(codes))}
    report = ContactImportReport()
    for line, row in enumerate(rows, start=2):
        report.rows.append(await _import_row(line, row, organisations))
    with use_language(DEFAULT_LANGUAGE):  # the audit log stores the summary in Dutch
        summary = report.summary()
    await record(actor, "contacts_imported", None, f"{source}: {summary}")
    return report


async def import_contacts_file(path: Path) -> ContactImportReport:
    """`weerbaar contacts import FILE.csv`."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{path}: {exc}") from exc
    return await import_contacts(text, source=path.name)


def decoded_upload(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(_("Het bestand is geen UTF-8-tekst; sla het op als CSV UTF-8.")) from None


async def organisation_section(user: User, organisation: Organisation) -> dict[str, object] | None:
    """The contacts part of the organisation page (coordinators, and the organisation's clerks)."""
    if user.role not in (Role.COORDINATOR, Role.CLERK):
        return None
    return {
        "template": "organisations/_contacts.html",
        "contacts": await contacts_of(organisation),
        "function_options": function_options(),
        "outreach": await outreach_of(organisation) if user.role is Role.COORDINATOR else [],
    }


async def import_contacts_command(path: Path) -> int:
    """`weerbaar contacts import FILE.csv`: import, print the report per row; 1 if a row was refused."""
    report = await import_contacts_file(path)
    print(f"{path}: {report.summary()}")
    for row in report.rows:
        reason = f": {row.reason}" if row.reason else ""
        print(f"  regel {row.line} {row.cbs_code} {row.email}: {row.outcome_label}{reason}")
    return 1 if report.count(RowOutcome.REFUSED) else 0
