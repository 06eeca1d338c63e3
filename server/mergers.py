"""Municipal mergers: CBS publishes a new list each 1 January, with merged municipalities gone.

`weerbaar orgs import LIST.csv --mergers MERGERS.csv` reads the newer list (server.organisations)
and a file with the header `old_cbs_code,new_cbs_code,effective_on`, in one transaction, all or
nothing. Per row:

- the old organisation must exist, the new one must exist or be in the list; an old code appears
  once, and is not also a new code in the same file (merge in date order, one file per year);
- the old organisation ends on `effective_on`: `ended_on` is the first day it no longer exists. It
  is kept with its bookings, invoices, feedback and history, but takes no new bookings for a day
  from then on (`ensure_open`);
- its `successor` is the new organisation; a successor that this import created exists from
  `effective_on` (`started_on`), one that already existed keeps its start;
- rerunning the same files changes nothing.

The successor's tour steps (the held steps of its predecessors) follow in `reporting.stages`.

Errors: `ImportFailed` (a file not in the format, a row against the rules), `OrganisationEnded`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from tortoise.transactions import in_transaction

from server.audit import record
from server.errors import DomainError
from server.i18n import _
from server.models import Organisation
from server.organisations import CODE_PATTERN, ImportFailed, ImportReport, import_organisations
from server.templating import AMSTERDAM, format_local_date

COLUMNS = ("old_cbs_code", "new_cbs_code", "effective_on")


class OrganisationEnded(DomainError):
    """The organisation merged into another: nothing new is booked for it."""

    status_code = 409

    def __init__(self, organisation: Organisation, successor_name: str) -> None:
        super().__init__(
            _(
                "{name} is per {day} opgegaan in {successor}. Voor deze organisatie kan niets meer "
                "worden geboekt; boek voor {successor}."
            ).format(
                name=organisation.name,
                day=format_local_date(organisation.ended_on),  # type: ignore[arg-type]
                successor=successor_name or _("een andere organisatie"),
            )
        )


async def ensure_open(organisation: Organisation, until: datetime) -> None:
    """Raises OrganisationEnded when the organisation no longer exists at `until` (the last moment
    something is booked for, e.g. the latest preferred date): merged into another by then."""
    if organisation.ended_on is None or until.astimezone(AMSTERDAM).date() < organisation.ended_on:
        return
    successor = await Organisation.get_or_none(id=organisation.successor_id)  # type: ignore[attr-defined]
    raise OrganisationEnded(organisation, successor.name if successor else "")


@dataclass(frozen=True)
class Merger:
    old_code: str
    new_code: str
    effective_on: date


@dataclass
class MergerReport:
    organisations: ImportReport
    merged: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        merged = f"{len(self.merged)} samengevoegd, {len(self.unchanged)} al verwerkt"
        return f"{self.organisations.summary()}; {merged}"


def read_mergers(path: Path) -> list[Merger]:
    """The mergers file, checked on its own (codes, dates, each old code once). Raises ImportFailed."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
            columns = set(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(f"{path}: {exc}") from exc
    if not columns >= set(COLUMNS):
        raise ImportFailed(_("Verwacht de kolommen {columns}.").format(columns=",".join(COLUMNS)))
    mergers: list[Merger] = []
    for number, row in enumerate(rows, start=2):
        old, new = row["old_cbs_code"].upper(), row["new_cbs_code"].upper()
        try:
            effective_on = date.fromisoformat(row["effective_on"])
        except ValueError:
            raise ImportFailed(
                _("Regel {n}: ongeldige datum ‘{day}’ (schrijf jjjj-mm-dd).").format(
                    n=number, day=row["effective_on"]
                )
            ) from None
        if not CODE_PATTERN.match(old) or not CODE_PATTERN.match(new) or old == new:
            raise ImportFailed(_("Regel {n}: ongeldige CBS-codes: {row}").format(n=number, row=row))
        mergers.append(Merger(old, new, effective_on))
    olds = [merger.old_code for merger in mergers]
    for merger in mergers:
        if olds.count(merger.old_code) > 1:
            raise ImportFailed(
                _("{code} staat meer dan eens als oude gemeente in het bestand.").format(code=merger.old_code)
            )
        if merger.new_code in olds:
            raise ImportFailed(
                _("{code} is zowel oude als nieuwe gemeente: verwerk de herindelingen per jaar.").format(
                    code=merger.new_code
                )
            )
    return mergers


async def _apply(merger: Merger, created: set[str], report: MergerReport) -> None:
    old = await Organisation.get_or_none(cbs_code=merger.old_code)
    new = await Organisation.get_or_none(cbs_code=merger.new_code)
    if old is None or new is None:
        missing = merger.old_code if old is None else merger.new_code
        raise ImportFailed(_("Onbekende CBS-code {code} in de herindelingen.").format(code=missing))
    label = f"{merger.old_code} → {merger.new_code} ({merger.effective_on.isoformat()})"
    if merger.new_code in created and (new.started_on is None or merger.effective_on < new.started_on):
        new.started_on = merger.effective_on
        await new.save(update_fields=["started_on", "updated_at"])
    if (old.ended_on, old.successor_id) == (merger.effective_on, new.id):  # type: ignore[attr-defined]
        report.unchanged.append(label)
        return
    old.ended_on, old.successor = merger.effective_on, new
    await old.save(update_fields=["ended_on", "successor_id", "updated_at"])
    report.merged.append(label)


async def import_with_mergers(list_path: Path, mergers_path: Path) -> MergerReport:
    """Import the newer CBS list, then end the merged organisations; all or nothing.

    Raises ImportFailed (then nothing is stored).
    """
    mergers = read_mergers(mergers_path)
    async with in_transaction():
        report = MergerReport(await import_organisations(list_path))
        created = set(report.organisations.created)
        for merger in mergers:
            await _apply(merger, created, report)
        await record(None, "organisations_merged", None, f"{mergers_path.name}: {report.summary()}")
    return report


async def run_import(list_path: Path, mergers: str | None) -> int:
    """The command `weerbaar orgs import LIST [--mergers FILE]`: import and print what changed."""
    if mergers is None:
        organisations = await import_organisations(list_path)
        merged = None
    else:
        merged = await import_with_mergers(list_path, Path(mergers))
        organisations = merged.organisations
    print(f"{list_path}: {merged.summary() if merged else organisations.summary()}")
    lists = [("nieuw", organisations.created), ("bijgewerkt", organisations.updated)]
    if merged:
        lists += [("samengevoegd", merged.merged), ("al verwerkt", merged.unchanged)]
    for label, codes in lists:
        if codes:
            print(f"  {label}: {', '.join(codes)}")
    return 0
