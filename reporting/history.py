"""Steps held before the app: the import, and what an organisation's page shows of them.

`weerbaar history import FILE.csv` reads the header `cbs_code,step,held_on,participants,note`
(`step`: intake, raadsbrede_sessie or vervolgtraining; `held_on` as yyyy-mm-dd; `participants` a
whole number or empty). A row is keyed by organisation, step and day: a new key is created, a known
one updated when its participants or note differ, else left unchanged; rerunning a file changes
nothing. A row with an unknown CBS code, an unknown step, a bad date or a bad number is refused with
its reason and nothing of it is stored; the other rows are imported, in one transaction.

These steps count in coverage, progress and the ministry report (`reporting.stages`,
`reporting.ministry`); they are never invoiced and never given feedback: they are no bookings.

Errors: `ImportFailed` (the file cannot be read or lacks a column).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from tortoise.transactions import in_transaction

from reporting.models import HistoryEntry, HistoryStep
from server import sql
from server.audit import record
from server.errors import DomainError
from server.i18n import _, lazy_gettext
from server.models import Organisation, User
from server.organisations import possible_codes

COLUMNS = ("cbs_code", "step", "held_on", "participants", "note")
MAX_PARTICIPANTS = 10_000
MAX_NOTE = 2_000
STEP_LABELS = {
    HistoryStep.INTAKE: lazy_gettext("Intake"),
    HistoryStep.COUNCIL_SESSION: lazy_gettext("Raadsbrede sessie"),
    HistoryStep.FOLLOW_UP: lazy_gettext("Vervolgtraining"),
}


class ImportFailed(DomainError):
    """The history file cannot be read, or misses a column."""


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {
            Outcome.CREATED: _("nieuw"),
            Outcome.UPDATED: _("bijgewerkt"),
            Outcome.UNCHANGED: _("ongewijzigd"),
            Outcome.REFUSED: _("geweigerd"),
        }[self]


@dataclass(frozen=True)
class RowResult:
    line: int
    cbs_code: str
    outcome: Outcome
    reason: str = ""


@dataclass
class HistoryImport:
    rows: list[RowResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome is outcome)

    def summary(self) -> str:
        return ", ".join(f"{self.count(outcome)} {outcome.label}" for outcome in Outcome)


@dataclass(frozen=True)
class _Row:
    line: int
    cbs_code: str
    organisation_id: int
    step: HistoryStep
    held_on: date
    participants: int | None
    note: str

    @property
    def key(self) -> tuple[int, str, date]:
        return (self.organisation_id, self.step.value, self.held_on)


def _read(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(_("{path} is niet te lezen: {error}").format(path=path, error=exc)) from exc
    first_line = text.partition("\n")[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except csv.Error as exc:
        raise ImportFailed(
            _("{path} is geen geldig CSV-bestand: {error}").format(path=path, error=exc)
        ) from exc
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed(
            _("Kolommen ontbreken: {missing}. Verwacht: {columns}.").format(
                missing=", ".join(missing), columns=",".join(COLUMNS)
            )
        )
    return rows


def _check(line: int, raw: dict[str, str], organisations: dict[str, int]) -> _Row | str:
    """The row, or the reason it is refused."""
    code = raw["cbs_code"].upper()
    if code not in organisations:
        return _("onbekende CBS-code ‘{code}’").format(code=raw["cbs_code"])
    if raw["step"] not in {step.value for step in HistoryStep}:
        return _("onbekende stap ‘{step}’ (kies intake, raadsbrede_sessie of vervolgtraining)").format(
            step=raw["step"]
        )
    try:
        held_on = date.fromisoformat(raw["held_on"])
    except ValueError:
        return _("ongeldige datum ‘{day}’ (schrijf jjjj-mm-dd, bijvoorbeeld 2024-03-18)").format(
            day=raw["held_on"]
        )
    participants = None
    if raw["participants"]:
        text = raw["participants"]
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_PARTICIPANTS:
            return _("ongeldig aantal deelnemers ‘{number}’ (een heel getal van 0 tot {most})").format(
                number=text, most=MAX_PARTICIPANTS
            )
        participants = int(text)
    if len(raw["note"]) > MAX_NOTE:
        return _("de notitie is te lang (hoogstens {most} tekens)").format(most=MAX_NOTE)
    return _Row(line, code, organisations[code], HistoryStep(raw["step"]), held_on, participants, raw["note"])


async def import_history(path: Path) -> HistoryImport:
    """Upsert the file's rows by (organisation, step, day); refuse bad rows with their reason.

    Raises ImportFailed when the file cannot be read or misses a column (then nothing is stored).
    """
    raw_rows = _read(path)
    codes = {raw["cbs_code"].upper() for raw in raw_rows}
    organisations = dict(
        await Organisation.filter(cbs_code__in=possible_codes(codes)).values_list("cbs_code", "id")
    )
    report = HistoryImport()
    valid: list[_Row] = []
    seen: set[tuple[int, str, date]] = set()
    for line, raw in enumerate(raw_rows, start=2):
        checked = _check(line, raw, organisations)
        if isinstance(checked, str):
            report.rows.append(RowResult(line, raw["cbs_code"], Outcome.REFUSED, checked))
        elif checked.key in seen:
            reason = _("dezelfde organisatie, stap en datum staan al eerder in het bestand")
            report.rows.append(RowResult(line, checked.cbs_code, Outcome.REFUSED, reason))
        else:
            seen.add(checked.key)
            valid.append(checked)
    async with in_transaction():
        existing = {
            (entry.organisation_id, entry.step.value, entry.held_on): entry  # type: ignore[attr-defined]
            for entry in await HistoryEntry.filter(organisation_id__in={row.organisation_id for row in valid})
        }
        for row in valid:
            outcome = await _upsert(row, existing.get(row.key))
            report.rows.append(RowResult(row.line, row.cbs_code, outcome))
        await record(None, "history_imported", None, f"{path.name}: {report.summary()}")
    report.rows.sort(key=lambda row: row.line)
    return report


async def _upsert(row: _Row, entry: HistoryEntry | None) -> Outcome:
    if entry is None:
        await HistoryEntry.create(
            organisation_id=row.organisation_id,
            step=row.step,
            held_on=row.held_on,
            participants=row.participants,
            note=row.note,
        )
        return Outcome.CREATED
    if (entry.participants, entry.note) == (row.participants, row.note):
        return Outcome.UNCHANGED
    entry.participants, entry.note = row.participants, row.note
    await entry.save(update_fields=["participants", "note", "updated_at"])
    return Outcome.UPDATED


async def run_import(path: Path) -> int:
    """The command: import, print a line per row and the summary; exit 1 when a row was refused."""
    report = await import_history(path)
    for row in report.rows:
        reason = f": {row.reason}" if row.reason else ""
        print(f"  regel {row.line} {row.cbs_code}: {row.outcome.label}{reason}")
    print(f"{path}: {report.summary()}")
    return 1 if report.count(Outcome.REFUSED) else 0


@dataclass(frozen=True)
class HistoryLine:
    """One step held before the app, as the organisation's page shows it."""

    step_label: str
    held_on: date
    participants: int | None
    note: str


@dataclass(frozen=True)
class MergedOrganisation:
    cbs_code: str
    name: str
    ended_on: date | None


#: The organisation page's part on its past, in plain SQL (server/sql.py): every organisation page
#: asks it, and as querysets its two reads cost 0.6 ms of CPU.
HISTORY_SQL = (
    'SELECT "step", "held_on", "participants", "note" FROM "history_entry" '
    'WHERE "organisation_id" = $1 ORDER BY "held_on", "id"'
)
MERGED_SQL = (
    'SELECT "id", "cbs_code", "name", "ended_on" FROM "organisation" WHERE "id" = $1 OR "successor_id" = $2'
)


async def history_of(organisation_id: int) -> list[HistoryLine]:
    """The organisation's steps before the app, oldest first."""
    return [
        HistoryLine(
            str(STEP_LABELS[sql.value(HistoryEntry, "step", row["step"])]),
            sql.value(HistoryEntry, "held_on", row["held_on"]),
            row["participants"],
            row["note"],
        )
        for row in await sql.fetch(HistoryEntry, HISTORY_SQL, organisation_id)
    ]


async def organisation_section(user: User, organisation: Organisation) -> dict[str, object] | None:
    """The organisation page's part on its past: the steps before the app, and a merger (what it
    merged into, or what merged into it). Nothing when there is neither. Two queries."""
    lines = await history_of(organisation.id)
    successor_id = organisation.successor_id  # type: ignore[attr-defined]
    related = await sql.fetch(Organisation, MERGED_SQL, successor_id or 0, organisation.id)
    successor = next((r for r in related if r["id"] == successor_id), None)
    predecessors = [
        MergedOrganisation(r["cbs_code"], r["name"], sql.value(Organisation, "ended_on", r["ended_on"]))
        for r in related
        if r is not successor
    ]
    if not lines and successor is None and not predecessors:
        return None
    return {
        "template": "reporting/_organisation_history.html",
        "history": lines,
        "successor": MergedOrganisation(successor["cbs_code"], successor["name"], None)
        if successor
        else None,
        "predecessors": predecessors,
    }
